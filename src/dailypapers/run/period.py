"""What a run is about: the period's papers, from the archive unless asked to look again, else
from Hugging Face, and the filter the reader asked for (`--top`, `--min-upvotes`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from dailypapers.archive.store import Store
from dailypapers.core import periods
from dailypapers.core.models import Paper, ReportKind
from dailypapers.report.models import Selection
from dailypapers.sources import hf
from dailypapers.sources.arxiv import ArxivMeta
from dailypapers.sources.net import Net


@dataclass
class Options:
    """What one run is asked: the period (None: the latest day), the filter, and whether to
    look again at what the archive holds."""

    period: str | None = None
    kind: periods.Period = "day"
    top: int | None = None
    min_upvotes: int | None = None
    refresh: bool = False  # re-read the listing and every paper
    reanalyse: bool = False  # ask for every analysis again


@dataclass
class Work:
    """A run's label and kind, its papers, and any metadata already known."""

    label: str
    kind: ReportKind
    papers: list[Paper]
    meta: dict[str, ArxivMeta] = field(default_factory=dict)
    selection: Selection | None = None  # the filter that chose `papers` from the listing


async def period_work(net: Net, store: Store, opts: Options, today: date, notes: list[str]) -> Work:
    """The period's papers, filtered as asked."""
    label, papers = await list_papers(net, store, opts, today, notes)
    if opts.top is None and opts.min_upvotes is None:
        return Work(label, opts.kind, papers)
    chosen = select(papers, opts.top, opts.min_upvotes)
    selection = Selection(top=opts.top, min_upvotes=opts.min_upvotes, listed=len(papers))
    return Work(label, opts.kind, chosen, selection=selection)


async def list_papers(
    net: Net, store: Store, opts: Options, today: date, notes: list[str]
) -> tuple[str, list[Paper]]:
    """The period's papers: from the archive unless --refresh, else from Hugging Face."""
    if opts.period is None:
        label, papers = await hf.latest_day(net, today, notes=notes)
        store.save_listing(label, "day", papers)
        return label, papers
    cached = None if opts.refresh else store.listing(opts.period, opts.kind)
    if cached or (cached == [] and not periods.may_grow(opts.period, opts.kind, today)):
        return opts.period, cached
    papers = await hf.fetch_listing(net, opts.period, opts.kind, notes)
    store.save_listing(opts.period, opts.kind, papers)
    return opts.period, papers


def select(papers: list[Paper], top: int | None, min_upvotes: int | None) -> list[Paper]:
    if min_upvotes is not None:
        papers = [p for p in papers if p.upvotes >= min_upvotes]
    if top is not None:
        papers = sorted(papers, key=lambda p: -p.upvotes)[:top]
    return papers
