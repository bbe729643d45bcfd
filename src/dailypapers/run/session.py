"""A period of papers, end to end: list them, read each in full, analyse it, check every
number against the paper, and assemble the report. Each paper flows on its own; whatever
finishes is in the archive at once, and one paper's failure never sinks the day.

One skeleton (`run`) serves a day, a week, a month and a single paper. Every step of every
paper is an `Event`; the run's statistics, the live progress and the log all follow from the
same events, so anything else that watches a run (a web page) sees what the CLI sees."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal

import httpx

from dailypapers.analysing.analysers import Analyser, make_analyser
from dailypapers.analysing.paragraph import write_paragraph
from dailypapers.archive.store import Store, pack_document, pack_source
from dailypapers.checking.grounding import PaperIndex, ground
from dailypapers.core import periods
from dailypapers.core.config import Settings
from dailypapers.core.errors import (
    DailyPapersError,
    FetchError,
    LLMError,
    LLMUnavailable,
    StorageError,
)
from dailypapers.core.ids import split_version
from dailypapers.core.models import (
    Analysis,
    Call,
    DayParagraph,
    Document,
    Grounding,
    HubResources,
    Lang,
    Paper,
    PaperResult,
    Report,
    ReportKind,
    Selection,
)
from dailypapers.core.workers import Workers
from dailypapers.report.overview import analysed, day_overview, material_key
from dailypapers.report.results import PaperResults, pack_result
from dailypapers.run.lock import period_lock
from dailypapers.sources import arxiv, hf
from dailypapers.sources.arxiv import ArxivMeta
from dailypapers.sources.net import Net

log = logging.getLogger("dailypapers")
RANK = {"html": 0, "pdf": 1, "abstract": 2}  # which source is the better reading
READ_AHEAD = 3  # papers in flight per LLM call slot: read ahead, but not the whole month

Step = Literal["listed", "fetched", "parsed", "analysed", "checked", "failed"]


@dataclass
class Options:
    period: str | None = None
    kind: periods.Period = "day"
    no_llm: bool = False
    top: int | None = None
    min_upvotes: int | None = None
    refresh: bool = False
    reanalyse: bool = False


@dataclass(frozen=True)
class Event:
    """One step of one paper (or, for `listed`, of the run: `count` papers)."""

    step: Step
    paper_id: str | None = None
    # fetched: read from the network; parsed: a document stored; analysed: analysis written
    # (or reused); checked: grounded and archived, the paper is done; failed: it is not
    count: int = 0
    source: str | None = None  # analysed: what was read
    from_archive: bool = False  # analysed: reused, not asked again
    calls: tuple[Call, ...] = ()  # analysed, failed: what the LLM was asked
    reason: str | None = None  # failed: why


@dataclass
class Stats:
    listed: int = 0
    fetched: int = 0
    parsed: int = 0
    analysed: int = 0
    failed: int = 0
    from_archive: int = 0
    sources: Counter = field(default_factory=Counter)
    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    requests: int = 0
    retries: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # about the whole run, said once

    def apply(self, e: Event) -> None:
        """The statistics are the sum of the events."""
        if e.step == "listed":
            self.listed = e.count
        elif e.step in ("fetched", "parsed"):
            setattr(self, e.step, getattr(self, e.step) + 1)
        elif e.step == "analysed":
            self.sources[e.source] += 1
            self.from_archive += e.from_archive
        elif e.step == "checked":  # checked and archived: this paper is done
            self.analysed += 1
        elif e.step == "failed":
            self.failed += 1
            self.failures.append((e.paper_id or "", e.reason or ""))
        self.calls += len(e.calls)
        self.tokens_in += sum(c.input_tokens for c in e.calls)
        self.tokens_out += sum(c.output_tokens for c in e.calls)

    def as_dict(self) -> dict:
        return {k: (dict(v) if isinstance(v, Counter) else v) for k, v in self.__dict__.items()}


class Observer:
    """Told every event as the run goes, and when it must wait for another run; the CLI
    shows them, cron ignores them."""

    def event(self, e: Event) -> None: ...

    def waiting(self, why: str) -> None: ...


@dataclass
class Work:
    """What a run is about: its label and kind, its papers, and any metadata already known."""

    label: str
    kind: ReportKind
    papers: list[Paper]
    meta: dict[str, ArxivMeta] = field(default_factory=dict)
    selection: Selection | None = None  # the filter that chose `papers` from the listing


async def run(
    settings: Settings,
    opts: Options,
    store: Store,
    find: Callable[[Net], Awaitable[Work]],
    observer: Observer | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    stats: Stats | None = None,
) -> tuple[Report, Stats]:
    """The skeleton of every run: find the work, hold its lock, take every paper through
    read → analyse → check → archive, record the run, assemble the report. `stats` is filled
    as the run goes, so an interrupted run can still say what it did."""
    observer = observer or Observer()
    stats = stats if stats is not None else Stats()

    def emit(e: Event) -> None:
        stats.apply(e)
        observer.event(e)

    workers = Workers(settings.workers)
    analyser = make_analyser(settings, store, workers, no_llm=opts.no_llm)
    status = "interrupted"
    try:
        async with Net(settings, transport) as net, workers:
            work = await find(net)
            emit(Event("listed", count=len(work.papers)))
            async with period_lock(settings.home, work.kind, work.label, observer.waiting):
                run_id = store.start_run(
                    work.label, work.kind, settings.lang, analyser.kind, analyser.model
                )
                log.info("run %d: %s %s, %d papers", run_id, work.kind, work.label, stats.listed)
                day = Day(net, workers, store, analyser, opts, emit, run_id, work.meta)
                try:
                    day.prefetch_meta(work.papers)
                    results = await every_paper(day, work.papers)
                    paragraph = None if work.kind == "paper" else await day.paragraph(results)
                    status = "done"
                finally:
                    day.stop_prefetch()
                    stats.requests, stats.retries = net.requests, net.retries
                    stats.warnings += analyser.warnings
                    store.finish_run(run_id, status, stats.as_dict())
    finally:
        await analyser.close()
    log.info("run %d %s: %s", run_id, status, stats.as_dict())
    return assemble(work, settings.lang, results, analyser, paragraph), stats


async def run_report(
    settings: Settings,
    opts: Options,
    store: Store,
    observer: Observer | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    today: date | None = None,
    stats: Stats | None = None,
) -> tuple[Report, Stats]:
    """A day, week or month (the latest day when no period is given)."""
    stats = stats if stats is not None else Stats()
    day = today or datetime.now(UTC).date()

    async def find(net: Net) -> Work:
        label, papers = await list_papers(net, store, opts, day, stats.warnings)
        if opts.top is None and opts.min_upvotes is None:
            return Work(label, opts.kind, papers)
        chosen = select(papers, opts.top, opts.min_upvotes)
        return Work(
            label,
            opts.kind,
            chosen,
            selection=Selection(top=opts.top, min_upvotes=opts.min_upvotes, listed=len(papers)),
        )

    return await run(settings, opts, store, find, observer, transport, stats)


async def run_one(
    settings: Settings,
    arxiv_id: str,
    opts: Options,
    store: Store,
    transport: httpx.AsyncBaseTransport | None = None,
) -> tuple[Report, Stats]:
    """One paper, by id, through the same flow as a day."""
    base, _ = split_version(arxiv_id)

    async def find(net: Net) -> Work:
        wanted = opts.refresh or store.needs_reading(base)
        meta = await arxiv.try_meta(net, [base]) if wanted else {}
        return Work(base, "paper", [arxiv.paper_by_id(base, meta.get(base))], meta)

    return await run(settings, opts, store, find, transport=transport)


def assemble(
    work: Work,
    lang: Lang,
    results: PaperResults,
    analyser: Analyser,
    paragraph: DayParagraph | None = None,
) -> Report:
    return Report(
        label=work.label,
        kind=work.kind,
        lang=lang,
        generated_at=datetime.now(UTC),
        analyser=analyser.kind,
        model=analyser.model,
        note=analyser.note(),
        selection=work.selection,
        overview=None if work.kind == "paper" else day_overview(results, paragraph),
        papers=results,
    )


async def every_paper(day: Day, papers: list[Paper]) -> PaperResults:
    """Every paper, a window of them at a time: enough to keep the LLM busy, few enough that
    memory does not grow with the length of the period: the window is that many readers
    taking the listing's papers in order, and finished results are kept packed. If the run
    must stop, the papers still in flight stop with it."""
    listing = iter(enumerate(papers))
    packed = [b""] * len(papers)

    async def reader() -> None:
        for i, paper in listing:  # shared: each reader takes the next paper
            packed[i] = pack_result(await day.paper(paper))

    window = min(READ_AHEAD * day.analyser.settings.concurrency, len(papers))
    readers = [asyncio.create_task(reader()) for _ in range(window)]
    try:
        await asyncio.gather(*readers)
    except BaseException:
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        raise
    return PaperResults(packed)


async def list_papers(
    net: Net, store: Store, opts: Options, today: date, notes: list[str]
) -> tuple[str, list]:
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


@dataclass
class Day:
    """The per-paper flow of one run: read → analyse → ground → archive."""

    net: Net
    workers: Workers
    store: Store
    analyser: Analyser
    opts: Options
    emit: Callable[[Event], None]
    run_id: int
    meta: dict[str, ArxivMeta] = field(default_factory=dict)  # known before the run
    batches: dict[str, asyncio.Task[dict[str, ArxivMeta]]] = field(default_factory=dict)
    asking: set[asyncio.Task[dict[str, ArxivMeta]]] = field(default_factory=set)  # not done

    def prefetch_meta(self, papers: list[Paper]) -> None:
        """Batched export-API requests for the papers not read yet (with --refresh, for all,
        which is how a new arXiv version is noticed), made in the background, in order: a
        paper waits for its own batch only, so a month's first papers are read while its
        later batches wait their turn (arXiv asks 3 s between requests). The workers start
        meanwhile when there is anything to read."""
        wanted = [
            p.id
            for p in papers
            if p.id not in self.meta and (self.opts.refresh or self.store.needs_reading(p.id))
        ]
        if wanted:
            self.workers.start(len(wanted))
        for start in range(0, len(wanted), 100):
            ids = wanted[start : start + 100]
            batch = asyncio.create_task(arxiv.try_meta(self.net, ids))
            self.batches.update(dict.fromkeys(ids, batch))
            self.asking.add(batch)
            batch.add_done_callback(self.asking.discard)

    async def meta_of(self, paper_id: str) -> ArxivMeta | None:
        """Asked once per paper: a batch's answer is let go when its last paper has it."""
        batch = self.batches.pop(paper_id, None)
        if batch is not None:
            return (await asyncio.shield(batch)).get(paper_id)  # one paper stopping stops no batch
        return self.meta.get(paper_id)

    def stop_prefetch(self) -> None:
        for batch in list(self.asking):
            batch.cancel()

    async def paper(self, paper: Paper) -> PaperResult:
        try:
            result = self.archived(paper)
            if result is None:
                doc, fallbacks = await self.read(paper)
                result = await self.analyse(paper, doc, fallbacks)
            if self.analyser.settings.hub_resources and (
                result.resources is None or self.opts.refresh
            ):
                result.resources = await self.hub_resources(paper)
            self.store.record_paper(self.run_id, paper.id, "ok", None)
            score = result.grounding.score if result.grounding else None
            log.info(
                "%s: read from %s, grounding %s",
                paper.id,
                result.provenance.source if result.provenance else "?",
                "(nothing to check)" if score is None else f"{score:.0%}",
            )
            return result
        except (LLMUnavailable, StorageError):
            raise  # the server's or this machine's problem, not this paper's: stop the run
        except Exception as e:  # one paper's failure never sinks the day
            if isinstance(e, DailyPapersError):
                reason = str(e)
            else:
                log.exception("unexpected error on %s", paper.id)
                reason = f"unexpected {type(e).__name__}: {e}"
            calls = getattr(e, "calls", [])  # what a failed analysis cost is recorded too
            self.store.record_calls(self.run_id, paper.id, calls)
            log.warning("%s failed: %s", paper.id, reason)
            self.emit(Event("failed", paper.id, calls=tuple(calls), reason=reason))
            self.store.record_paper(self.run_id, paper.id, "failed", reason)
            return PaperResult(paper=paper, status="failed", error=reason)

    async def paragraph(self, results: Sequence[PaperResult]) -> DayParagraph | None:
        """The LLM's paragraph on the day, written once for a given set of analyses (a re-run
        finds it in the archive). Its failure costs the report the paragraph, nothing else."""
        llm, lang = self.analyser.llm, self.analyser.settings.lang
        if llm is None or next(analysed(results), None) is None:
            return None
        key = material_key(results, lang)
        known = self.store.paragraph(key)
        if known is not None:
            return known
        try:
            written, calls = await write_paragraph(llm, results, lang)
        except LLMError as e:
            self.store.record_calls(self.run_id, "day", getattr(e, "calls", []))
            llm.warnings.append(f"no paragraph on the day: {e}")
            return None
        self.store.record_calls(self.run_id, "day", calls)
        self.store.save_paragraph(key, written)
        return written

    async def hub_resources(self, paper: Paper) -> HubResources | None:
        """What cites the paper on the Hub, asked once per paper (again with --refresh). The
        Hub not answering costs the report this line, never the paper."""
        known = None if self.opts.refresh else self.store.hub_resources(paper.id)
        if known is not None:
            return known
        try:
            found = await hf.hub_resources(self.net, paper.id)
        except FetchError as e:
            log.warning("%s: no Hub resources: %s", paper.id, e)
            return None
        self.store.save_hub_resources(paper.id, found)
        return found

    def archived(self, paper: Paper) -> PaperResult | None:
        """The stored analysis of the stored reading, found from the archive's index without
        unpacking the document: a re-run costs a query per paper."""
        if self.opts.refresh or self.opts.reanalyse or paper.title == paper.id:
            return None
        read_as = self.store.read_as(paper.id)
        return self.reuse(paper, *read_as) if read_as else None

    def reuse(self, paper: Paper, version: str, source: str) -> PaperResult | None:
        """The stored analysis of this reading (version and source), by this analyser."""
        model, prompt_version = self.analyser.key
        lang = self.analyser.settings.lang
        cached = self.store.analysis(paper, version, model, prompt_version, lang)
        if not (cached and cached.provenance and cached.provenance.source == source):
            return None
        self.emit(Event("analysed", paper.id, source=source, from_archive=True))
        return cached.model_copy(update={"paper": paper})

    async def read(self, paper: Paper) -> tuple[Document, list[str]]:
        """The stored document, unless --refresh asks to read every source again or a
        better source failed for a passing reason on the last reading (retried once)."""
        stored = self.store.document(paper.id)
        if stored and not self.opts.refresh and not stored.reread_due:
            return stored.doc, stored.fallbacks
        meta = await self.meta_of(paper.id)
        reading = await arxiv.read_paper(self.net, paper, meta, self.workers)
        self.emit(Event("fetched", paper.id))
        keep = self.analyser.settings.keep_sources
        blobs = await asyncio.to_thread(  # off the event loop: zlib lets go of the GIL
            lambda: [pack_source(kind, body if keep else None) for kind, _, body in reading.fetched]
        )
        for (kind, url, _), blob in zip(reading.fetched, blobs, strict=True):
            version = reading.doc.version if kind == reading.doc.source else None
            self.store.save_source(paper.id, version, kind, url, blob)
        if stored and reading.transient and RANK[reading.doc.source] > RANK[stored.doc.source]:
            log.info("%s: kept the stored %s (%s)", paper.id, stored.doc.source, reading.fallbacks)
            if stored.transient:  # this was its re-read
                await self.save(stored.doc, stored.fallbacks, True, stored.rereads + 1)
            return stored.doc, stored.fallbacks  # a passing failure never replaces a better read
        rereads = stored.rereads + 1 if stored and stored.transient else 0
        await self.save(reading.doc, reading.fallbacks, reading.transient, rereads)
        self.emit(Event("parsed", paper.id))
        return reading.doc, reading.fallbacks

    async def save(
        self, doc: Document, fallbacks: list[str], transient: bool, rereads: int
    ) -> None:
        blob = await asyncio.to_thread(pack_document, doc)  # zlib lets go of the GIL
        self.store.save_document(doc, blob, fallbacks, transient, rereads)

    async def analyse(self, paper: Paper, doc: Document, fallbacks: list[str]) -> PaperResult:
        if paper.title == paper.id and doc.title:  # a paper asked for by id alone
            paper = paper.model_copy(update={"title": doc.title})
        if not self.opts.reanalyse and (cached := self.reuse(paper, doc.version or "", doc.source)):
            return cached
        model, prompt_version = self.analyser.key
        analysis, prov, calls = await self.analyser.analyse(doc, paper)
        self.emit(Event("analysed", paper.id, source=doc.source, calls=tuple(calls)))
        analysis, grounding, more = await self.check(doc, paper, analysis)
        prov.fallbacks = fallbacks
        self.store.record_calls(self.run_id, paper.id, calls + more)
        result = PaperResult(paper=paper, analysis=analysis, grounding=grounding, provenance=prov)
        self.store.save_analysis(result, model, prompt_version, self.analyser.settings.lang)
        self.emit(Event("checked", paper.id, calls=tuple(more)))
        return result

    async def check(
        self, doc: Document, paper: Paper, analysis: Analysis
    ) -> tuple[Analysis, Grounding, list[Call]]:
        """Ground the analysis and apply the --unverified policy."""
        policy = self.analyser.settings.unverified
        trusted = tuple(u for u in (paper.github_repo, paper.project_page) if u)
        prepared = await self.workers.run(PaperIndex, doc, trusted)
        copied = self.analyser.llm is None
        grounding = ground(analysis, doc, prepared, copied=copied)
        calls: list[Call] = []
        bad = [v for v in grounding.verdicts if not v.verified]
        if bad and policy == "retry" and self.analyser.llm:
            problems = [f"{v.item}: {v.reason}" for v in bad]
            try:
                analysis, calls = await self.analyser.correct(doc, paper, analysis, problems)
                grounding = ground(analysis, doc, prepared, copied=copied)
            except DailyPapersError as e:
                if isinstance(e, LLMUnavailable):
                    raise
                calls = getattr(e, "calls", [])
                log.warning("correction of %s failed: %s", paper.id, e)
        if policy == "drop":
            analysis, dropped = drop_unverified(analysis, grounding)
            grounding = ground(analysis, doc, prepared, copied=copied)
            grounding.dropped = dropped
        grounding.policy = policy
        return analysis, grounding, calls


def drop_unverified(analysis: Analysis, grounding: Grounding) -> tuple[Analysis, list[str]]:
    """Remove unverified innovations and results; the contribution and usage stay, marked."""
    bad = {v.item for v in grounding.verdicts if not v.verified}
    keep_inn = [x for i, x in enumerate(analysis.innovations) if f"innovations[{i}]" not in bad]
    keep_res = [x for i, x in enumerate(analysis.results) if f"results[{i}]" not in bad]
    dropped = [f"innovations: {x.name}" for x in analysis.innovations if x not in keep_inn]
    dropped += [f"results: {x.claim}" for x in analysis.results if x not in keep_res]
    return analysis.model_copy(update={"innovations": keep_inn, "results": keep_res}), dropped
