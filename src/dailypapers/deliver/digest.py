"""What a message says of a report, before any platform's markup: the day at a glance (the
paragraph, the themes with their counts, the must-reads) and each paper new to the channel
(its title, link, checked core contribution and first results). A paper the channel was sent
with an earlier period is not sent again as new: it is named on one "seen before" line.
Pure: the platforms (chat.py) turn a digest into their messages."""

from __future__ import annotations

from dataclasses import dataclass

from dailypapers.core.models import PaperResult
from dailypapers.report.labels import LABELS, key_figure, short_title
from dailypapers.report.models import Report

RESULTS_SHOWN = 2  # per paper: the message says what the paper found, the report says all


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    url: str
    upvotes: int
    contribution: str
    results: tuple[str, ...]
    code: str | None
    figure: str | None  # the key figure's URL, for platforms that show images


@dataclass(frozen=True)
class Digest:
    label: str
    kind: str
    lang: str
    title: str  # "Hugging Face 每日论文报告 · 2026-02-11"
    source_url: str
    paragraph: str | None
    themes: tuple[tuple[str, int], ...]
    must_reads: tuple[Item, ...]
    papers: tuple[Item, ...]
    seen: tuple[tuple[str, str, str], ...]  # (id, short title, the period it was sent with)
    t: dict[str, str]

    @property
    def ids(self) -> list[str]:
        return [p.id for p in self.papers]


def item(result: PaperResult) -> Item:
    a = result.analysis
    paper = result.paper
    return Item(
        id=paper.id,
        title=paper.title,
        url=paper.hf_url,
        upvotes=paper.upvotes,
        contribution=a.contribution if a else "",
        results=tuple(r.claim for r in a.results[:RESULTS_SHOWN]) if a else (),
        code=paper.github_repo or (a.usage.code_urls[0] if a and a.usage.code_urls else None),
        figure=key_figure(result),
    )


def digest(report: Report, seen: dict[str, str]) -> Digest:
    """The report's digest; `seen` maps the papers the channel already had to the period
    they came with."""
    t = LABELS[report.lang]
    fresh = [r for r in report.papers if r.status == "ok" and r.paper.id not in seen]
    old = [r for r in report.papers if r.paper.id in seen]
    new_ids = {r.paper.id for r in fresh}
    overview = report.overview
    themes: list[tuple[str, int]] = []
    must: list[Item] = []
    paragraph = None
    if overview is not None:
        themes = [
            (t["other_theme"] if th.other else th.name, n)
            for th in overview.themes
            if (n := sum(pid in new_ids for pid in th.papers))
        ]
        chosen = {m.id for m in overview.must_reads if m.id in new_ids}
        must = [item(r) for r in fresh if r.paper.id in chosen]
        must.sort(key=lambda i: -i.upvotes)
        if overview.paragraph and overview.paragraph.verdict.verified:
            paragraph = overview.paragraph.text  # an unchecked paragraph is not sent
    return Digest(
        label=report.label,
        kind=report.kind,
        lang=report.lang,
        title=f"{t['page_title']} · {report.label}",
        source_url=report.source_url,
        paragraph=paragraph,
        themes=tuple(themes),
        must_reads=tuple(must),
        papers=tuple(item(r) for r in fresh),
        seen=tuple((r.paper.id, short_title(r.paper.title), seen[r.paper.id]) for r in old),
        t=t,
    )
