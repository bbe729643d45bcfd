"""The Hugging Face Daily Papers list (a day, an ISO week or a month, every page of it), and
the Hub repositories that cite a paper."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

from pydantic import ValidationError

from dailypapers.core.errors import FetchError, FutureDate, NotFound
from dailypapers.core.ids import valid_id
from dailypapers.core.models import HubRepo, HubResources, Paper
from dailypapers.core.periods import Period
from dailypapers.sources.net import Net, Params, expect

PAGE_LIMIT = 100  # the API answers 400 above this
MAX_PAGES = 60  # 6,000 papers: more than any month has had
HUB_KINDS = ("models", "datasets", "spaces")
HUB_SHOWN = 5  # of each kind, the most liked
_REPO = re.compile(r"[\w.-]{1,96}/[\w.-]{1,96}")  # owner/name: all a report links to


def parse_listing(entries: list[Any], notes: list[str] | None = None) -> list[Paper]:
    """Typed papers from the raw API answer, deduplicated by arXiv id, order kept. A
    malformed entry is skipped with a note saying why; the rest of the day goes on."""
    seen: dict[str, Paper] = {}
    for n, entry in enumerate(entries, 1):
        try:
            paper = _paper(entry, notes)
        except (ValueError, TypeError, AttributeError, KeyError) as e:
            reason = e.errors()[0]["msg"] if isinstance(e, ValidationError) else str(e)
            _note(notes, f"Hugging Face listed a malformed entry (#{n}), skipped: {reason}")
            continue
        seen.setdefault(paper.id, paper)
    return list(seen.values())


def _paper(entry: dict[str, Any], notes: list[str] | None = None) -> Paper:
    """A paper needs its arXiv id; any other field Hugging Face sends malformed (stars as
    "many", an organisation as a string) costs that field alone, with a note."""
    paper = entry.get("paper") or {}
    pid = str(paper.get("id") or "")
    if not valid_id(pid):
        raise ValueError(f"{pid[:40]!r} is not an arXiv id")
    org = paper.get("organization") or entry.get("organization") or {}
    org = org if isinstance(org, dict) else {"name": org}
    people = paper.get("authors") or []
    fields: dict[str, Any] = {
        "id": pid,
        "title": _clean(str(paper.get("title") or entry.get("title") or pid)),
        "abstract": _clean(str(paper.get("summary") or entry.get("summary") or "")),
        "authors": [a.get("name") for a in people if isinstance(a, dict) and a.get("name")],
        "upvotes": paper.get("upvotes") or 0,
        "num_comments": entry.get("numComments") or 0,
        "listed_at": entry.get("publishedAt"),
        "published_at": paper.get("publishedAt"),
        "ai_summary": paper.get("ai_summary"),
        "ai_keywords": paper.get("ai_keywords") or [],
        "github_repo": paper.get("githubRepo"),
        "github_stars": paper.get("githubStars"),
        "project_page": paper.get("projectPage"),
        "organization": org.get("fullname") or org.get("name"),
        "thumbnail": entry.get("thumbnail") or paper.get("thumbnail"),
    }
    while True:
        try:
            return Paper.model_validate(fields)
        except ValidationError as e:
            bad = {str(err["loc"][0]) for err in e.errors() if err["loc"]}
            if not bad or bad & {"id", "title"}:
                raise
            for name in sorted(bad):
                _note(
                    notes,
                    f"{pid}: Hugging Face sent a malformed {name} ({fields[name]!r:.40}); left out",
                )
                del fields[name]


def _clean(text: str) -> str:
    """Whitespace folded, and the TeX escapes abstracts keep (`4.7\\%`) undone."""
    text = re.sub(r"\\([%&_#$])", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


async def fetch_listing(
    net: Net, period: str, kind: Period = "day", notes: list[str] | None = None
) -> list[Paper]:
    """Every paper of the period: page through until a short or empty page. A server that
    repeats a page (it ignores paging) or pages without end is stopped, with a note."""
    url = f"{net.settings.hf_endpoint.rstrip('/')}/api/daily_papers"
    param = {"day": "date", "week": "week", "month": "month"}[kind]
    entries: list[Any] = []
    pages_seen: set[str] = set()
    for page in range(MAX_PAGES):
        resp = await net.get("hf", url, {param: period, "limit": PAGE_LIMIT, "p": page})
        if resp.status_code == 400 and kind == "day":
            before = (date.fromisoformat(period) - timedelta(days=1)).isoformat()
            raise FutureDate(
                f"Hugging Face has no list for {period} yet (HTTP 400); "
                f"try an earlier day such as {before}",
                url=str(resp.url),
                status=400,
            )
        expect(resp, "Hugging Face", missing=f"Hugging Face has no list at {resp.url}")
        try:
            batch = resp.json()
        except ValueError:
            raise FetchError(
                f"Hugging Face answered something that is not JSON at {resp.url}", url=str(resp.url)
            ) from None
        if not isinstance(batch, list):
            raise FetchError(f"unexpected answer from {resp.url}: not a list", url=str(resp.url))
        fingerprint = json.dumps(batch, sort_keys=True)
        if fingerprint in pages_seen:
            _note(
                notes,
                f"Hugging Face answered page {page + 1} of {period} with a page it "
                "had sent already (it ignores paging): the list may be incomplete",
            )
            break
        pages_seen.add(fingerprint)
        entries.extend(batch)
        if len(batch) < PAGE_LIMIT:
            break
    else:
        _note(notes, f"stopped reading the list of {period} after {MAX_PAGES} pages")
    return parse_listing(entries, notes)


def _note(notes: list[str] | None, text: str) -> None:
    if notes is not None:
        notes.append(text)


async def latest_day(
    net: Net, today: date, lookback: int = 10, notes: list[str] | None = None
) -> tuple[str, list[Paper]]:
    """The most recent day with papers, stepping back over weekends and not-yet-listed days."""
    for back in range(lookback):
        day = (today - timedelta(days=back)).isoformat()
        try:
            papers = await fetch_listing(net, day, notes=notes)
        except FutureDate:
            continue
        if papers:
            return day, papers
    raise NotFound(f"no papers were listed in the {lookback} days up to {today.isoformat()}")


async def hub_resources(net: Net, arxiv_id: str) -> HubResources:
    """The Hub's repositories citing a paper: `GET /api/{models,datasets,spaces}` filtered by
    the tag `arxiv:<id>`, which the Hub gives every repository whose card links the paper."""
    found: dict[str, list[HubRepo]] = {}
    for kind in HUB_KINDS:
        url = f"{net.settings.hf_endpoint.rstrip('/')}/api/{kind}"
        query: Params = {"filter": f"arxiv:{arxiv_id}", "sort": "likes", "direction": -1}
        resp = await net.get("hf", url, {**query, "limit": HUB_SHOWN})
        expect(resp, "Hugging Face", missing=f"Hugging Face has no {kind} API at {resp.url}")
        try:
            entries = resp.json()
            found[kind] = [
                HubRepo.model_validate(e)
                for e in entries
                if isinstance(e, dict) and _REPO.fullmatch(str(e.get("id")))
            ]
        except (ValueError, TypeError):  # not JSON, not a list, or entries without an id
            raise FetchError(f"unexpected answer from {resp.url}", url=str(resp.url)) from None
    return HubResources(**found)
