"""The Hugging Face Daily Papers list: a day, an ISO week or a month, every page of it."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, Literal

from .errors import FetchError, FutureDate, InvalidDate, NotFound
from .models import Paper
from .net import Net

PAGE_LIMIT = 100  # the API answers 400 above this
Period = Literal["day", "week", "month"]


def parse_period(value: str, kind: Period = "day") -> str:
    """Validate a day (YYYY-MM-DD), week (YYYY-Www) or month (YYYY-MM) before any request."""
    try:
        if kind == "day":
            return date.fromisoformat(_match(value, r"\d{4}-\d{2}-\d{2}")).isoformat()
        if kind == "week":
            year, week = _match(value, r"(\d{4})-W(\d{2})", groups=True)
            date.fromisocalendar(int(year), int(week), 1)
            return f"{year}-W{week}"
        year, month = _match(value, r"(\d{4})-(\d{2})", groups=True)
        date(int(year), int(month), 1)
        return f"{year}-{month}"
    except ValueError:
        example = {"day": "2026-02-11", "week": "2026-W07", "month": "2026-02"}[kind]
        raise InvalidDate(f"invalid {kind} {value!r}: expected a {kind} like {example}") from None


def _match(value: str, pattern: str, groups: bool = False) -> Any:
    m = re.fullmatch(pattern, value.strip())
    if not m:
        raise ValueError(value)
    return m.groups() if groups else m.group(0)


def parse_listing(entries: list[dict[str, Any]]) -> list[Paper]:
    """Typed papers from the raw API answer, deduplicated by arXiv id, order kept."""
    seen: dict[str, Paper] = {}
    for entry in entries:
        paper = entry.get("paper") or {}
        pid = paper.get("id")
        if not pid or pid in seen:
            continue
        org = paper.get("organization") or entry.get("organization") or {}
        seen[pid] = Paper(
            id=pid,
            title=_clean(paper.get("title") or entry.get("title") or pid),
            abstract=_clean(paper.get("summary") or entry.get("summary") or ""),
            authors=[a["name"] for a in paper.get("authors", []) if a.get("name")],
            upvotes=paper.get("upvotes") or 0,
            num_comments=entry.get("numComments") or 0,
            listed_at=entry.get("publishedAt"),
            published_at=paper.get("publishedAt"),
            ai_summary=paper.get("ai_summary"),
            ai_keywords=paper.get("ai_keywords") or [],
            github_repo=paper.get("githubRepo"),
            github_stars=paper.get("githubStars"),
            project_page=paper.get("projectPage"),
            organization=org.get("fullname") or org.get("name"),
        )
    return list(seen.values())


def _clean(text: str) -> str:
    """Whitespace folded, and the TeX escapes abstracts keep (`4.7\\%`) undone."""
    text = re.sub(r"\\([%&_#$])", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


async def fetch_listing(net: Net, period: str, kind: Period = "day") -> list[Paper]:
    """Every paper of the period: page through until a short or empty page."""
    url = f"{net.settings.hf_endpoint.rstrip('/')}/api/daily_papers"
    param = {"day": "date", "week": "week", "month": "month"}[kind]
    entries: list[dict[str, Any]] = []
    page = 0
    while True:
        resp = await net.get("hf", url, {param: period, "limit": PAGE_LIMIT, "p": page})
        if resp.status_code == 400 and kind == "day":
            before = (date.fromisoformat(period) - timedelta(days=1)).isoformat()
            raise FutureDate(
                f"Hugging Face has no list for {period} yet (HTTP 400); "
                f"try an earlier day such as {before}",
                url=str(resp.url),
                status=400,
            )
        if resp.status_code == 404:
            raise NotFound(f"Hugging Face has no list at {resp.url}", url=str(resp.url), status=404)
        if resp.status_code != 200:
            raise FetchError(
                f"Hugging Face answered HTTP {resp.status_code} for {resp.url}",
                url=str(resp.url),
                status=resp.status_code,
            )
        try:
            batch = resp.json()
        except ValueError:
            raise FetchError(
                f"Hugging Face answered something that is not JSON at {resp.url}", url=str(resp.url)
            ) from None
        if not isinstance(batch, list):
            raise FetchError(f"unexpected answer from {resp.url}: not a list", url=str(resp.url))
        entries.extend(batch)
        if len(batch) < PAGE_LIMIT:
            return parse_listing(entries)
        page += 1


def may_grow(period: str, kind: Period, today: date) -> bool:
    """Whether Hugging Face may still add papers to the period: it ends yesterday or later
    (in UTC, which can be a day ahead of the local date)."""
    if kind == "day":
        last = date.fromisoformat(period)
    elif kind == "week":
        year, week = map(int, period.split("-W"))
        last = date.fromisocalendar(year, week, 7)
    else:
        year, month = map(int, period.split("-"))
        last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last >= today - timedelta(days=1)


async def latest_day(net: Net, today: date, lookback: int = 10) -> tuple[str, list[Paper]]:
    """The most recent day with papers, stepping back over weekends and not-yet-listed days."""
    for back in range(lookback):
        day = (today - timedelta(days=back)).isoformat()
        try:
            papers = await fetch_listing(net, day)
        except FutureDate:
            continue
        if papers:
            return day, papers
    raise NotFound(f"no papers were listed in the {lookback} days up to {today.isoformat()}")
