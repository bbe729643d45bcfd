"""A day of papers, end to end: list the day, read each paper in full, analyse it, check
every number against the paper, and assemble the report. Each paper flows on its own;
whatever finishes is in the archive at once, and one paper's failure never sinks the day."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import httpx

from . import arxiv, hf
from .analyze import analyze_with_llm, correct_with_llm, load_prompt, pack, provenance
from .arxiv import ArxivMeta
from .config import Settings
from .errors import DailyPapersError, LLMUnavailable, StorageError
from .extract import analyze_without_llm
from .grounding import PaperIndex, ground
from .llm import LLM, Call
from .lock import period_lock
from .models import (
    AnalyserKind,
    Analysis,
    Document,
    Grounding,
    Lang,
    Paper,
    PaperResult,
    Provenance,
    Report,
    ReportKind,
)
from .net import Net
from .store import Store

log = logging.getLogger("dailypapers")
EXTRACT_VERSION = "extract-1"
RANK = {"html": 0, "pdf": 1, "abstract": 2}  # which source is the better reading
READ_AHEAD = 3  # papers in flight per LLM call slot: read ahead, but not the whole month


@dataclass
class Options:
    period: str | None = None
    kind: hf.Period = "day"
    no_llm: bool = False
    top: int | None = None
    min_upvotes: int | None = None
    refresh: bool = False
    reanalyze: bool = False


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


class Observer:
    """Told of each stage as papers pass through it; the CLI shows it, cron ignores it."""

    def listed(self, n: int) -> None: ...

    def stage(self, name: str) -> None: ...

    def waiting(self, why: str) -> None: ...


async def run_report(
    settings: Settings,
    opts: Options,
    store: Store,
    observer: Observer | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    today: date | None = None,
    stats: Stats | None = None,
) -> tuple[Report, Stats]:
    """`stats` is filled as the run goes, so an interrupted run can still say what it did."""
    observer = observer or Observer()
    stats = stats if stats is not None else Stats()
    analyser = make_analyser(settings, opts, store)
    async with Net(settings, transport) as net:
        label, papers = await list_papers(
            net, store, opts, today or datetime.now(UTC).date(), stats.warnings
        )
        papers = select(papers, opts.top, opts.min_upvotes)
        stats.listed = len(papers)
        observer.listed(len(papers))
        async with period_lock(settings.home, opts.kind, label, observer.waiting):
            run_id = store.start_run(label, opts.kind, settings.lang, analyser.kind, analyser.model)
            log.info("run %d: %s %s, %d papers", run_id, opts.kind, label, len(papers))
            day = Day(net, store, analyser, opts, stats, observer, run_id)
            try:
                await day.prefetch_meta(papers)
                results = await every_paper(day, papers)
            except BaseException:
                stats.requests, stats.retries = net.requests, net.retries
                store.finish_run(run_id, "interrupted", stats_dict(stats))
                raise
            finally:
                stats.warnings += analyser.warnings
                await analyser.close()
            stats.requests, stats.retries = net.requests, net.retries
    store.finish_run(run_id, "done", stats_dict(stats))
    log.info("run %d done: %s", run_id, stats_dict(stats))
    report = Report(
        label=label,
        kind=opts.kind,
        lang=settings.lang,
        generated_at=datetime.now(UTC),
        analyser=analyser.kind,
        model=analyser.model,
        note=analyser.note(),
        papers=list(results),
    )
    return report, stats


async def every_paper(day: Day, papers: list[Paper]) -> list[PaperResult]:
    """Every paper, a window of them at a time: enough to keep the LLM busy, few enough that
    memory does not grow with the length of the period. If the run must stop, the papers
    still in flight stop with it."""
    window = asyncio.Semaphore(READ_AHEAD * day.analyser.settings.concurrency)

    async def one(paper: Paper) -> PaperResult:
        async with window:
            return await day.paper(paper)

    tasks = [asyncio.create_task(one(p)) for p in papers]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def list_papers(
    net: Net, store: Store, opts: Options, today: date, notes: list[str]
) -> tuple[str, list]:
    """The period's papers: from the archive unless --refresh, else from Hugging Face."""
    if opts.period is None:
        label, papers = await hf.latest_day(net, today, notes=notes)
        store.save_listing(label, "day", papers)
        return label, papers
    cached = None if opts.refresh else store.listing(opts.period, opts.kind)
    if cached or (cached == [] and not hf.may_grow(opts.period, opts.kind, today)):
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


class Analyser:
    """The LLM, or the deterministic extractor when there is none."""

    def __init__(self, settings: Settings, store: Store, llm: LLM | None) -> None:
        self.settings = settings
        self.store = store
        self.llm = llm
        self.kind: AnalyserKind = "llm" if llm else "no-llm"
        self.model = llm.model if llm else None
        self.sem = asyncio.Semaphore(settings.concurrency)

    @property
    def warnings(self) -> list[str]:
        return list(self.llm.warnings) if self.llm else []

    @property
    def key(self) -> tuple[str, str]:
        """What an archived analysis must match to be reused: model and prompt version."""
        if self.llm is None:
            return "no-llm", EXTRACT_VERSION
        return self.llm.model, load_prompt(self.settings.lang)[1]

    def note(self) -> str | None:
        if self.llm:
            return None
        if self.settings.lang == "zh":
            return (
                "未配置 LLM（或使用了 --no-llm）：各节内容为论文原文的确定性摘录，"
                "设置 OPENAI_API_KEY 或 OPENAI_BASE_URL 可获得 LLM 撰写的分析。"
            )
        return (
            "No LLM configured (or --no-llm): each section is extracted verbatim from the "
            "paper; set OPENAI_API_KEY or OPENAI_BASE_URL for LLM-written analyses."
        )

    async def analyse(self, doc: Document, paper: Paper) -> tuple[Analysis, Provenance, list[Call]]:
        if self.llm is None:
            packed = pack(doc, 10**9)
            analysis = await asyncio.to_thread(analyze_without_llm, doc, paper, self.settings.lang)
            return analysis, provenance(doc, packed, "no-llm", None, EXTRACT_VERSION, None), []
        async with self.sem:
            return await analyze_with_llm(
                self.llm, doc, paper, self.settings.lang, self.settings.max_input_tokens
            )

    async def correct(
        self, doc: Document, paper: Paper, analysis: Analysis, problems: list[str]
    ) -> tuple[Analysis, list[Call]]:
        assert self.llm is not None
        async with self.sem:
            return await correct_with_llm(
                self.llm,
                doc,
                paper,
                analysis,
                problems,
                self.settings.lang,
                self.settings.max_input_tokens,
            )

    async def close(self) -> None:
        if self.llm:
            await self.llm.close()


def make_analyser(settings: Settings, opts: Options, store: Store) -> Analyser:
    use_llm = settings.llm_configured and not opts.no_llm
    return Analyser(settings, store, LLM(settings, store) if use_llm else None)


def stats_dict(stats: Stats) -> dict:
    return {k: (dict(v) if isinstance(v, Counter) else v) for k, v in stats.__dict__.items()}


@dataclass
class Day:
    """The per-paper flow of one run: read → analyse → ground → archive."""

    net: Net
    store: Store
    analyser: Analyser
    opts: Options
    stats: Stats
    observer: Observer
    run_id: int
    meta: dict[str, ArxivMeta] = field(default_factory=dict)

    async def prefetch_meta(self, papers: list[Paper]) -> None:
        """Batched export-API requests for the papers not read yet; with --refresh, for all,
        which is how a new arXiv version is noticed."""
        wanted = [p.id for p in papers if self.opts.refresh or self.store.needs_reading(p.id)]
        for start in range(0, len(wanted), 100):
            self.meta.update(await arxiv.try_meta(self.net, wanted[start : start + 100]))

    async def paper(self, paper: Paper) -> PaperResult:
        try:
            doc, fallbacks = await self.read(paper)
            result = await self.analyse(paper, doc, fallbacks)
            self.store.record_paper(self.run_id, paper.id, "ok", None)
            log.info(
                "%s: read from %s, grounding %.0f%%",
                paper.id,
                doc.source,
                100 * ((result.grounding.score if result.grounding else None) or 0),
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
            self.count(calls)
            self.store.record_calls(self.run_id, paper.id, calls)
            log.warning("%s failed: %s", paper.id, reason)
            self.stats.failed += 1
            self.stats.failures.append((paper.id, reason))
            self.observer.stage("failed")
            self.store.record_paper(self.run_id, paper.id, "failed", reason)
            return PaperResult(paper=paper, status="failed", error=reason)

    async def read(self, paper: Paper) -> tuple[Document, list[str]]:
        """The stored document, unless --refresh asks to read every source again or a
        better source failed for a passing reason on the last reading (retried once)."""
        stored = self.store.document(paper.id)
        if stored and not self.opts.refresh and not stored.reread_due:
            return stored.doc, stored.fallbacks
        reading = await arxiv.read_paper(self.net, paper, self.meta.get(paper.id))
        self.stats.fetched += 1
        self.observer.stage("fetched")
        keep = self.analyser.settings.keep_sources
        for kind, url, body in reading.fetched:
            version = reading.doc.version if kind == reading.doc.source else None
            self.store.save_source(paper.id, version, kind, url, body if keep else None)
        if stored and reading.transient and RANK[reading.doc.source] > RANK[stored.doc.source]:
            log.info("%s: kept the stored %s (%s)", paper.id, stored.doc.source, reading.fallbacks)
            if stored.transient:  # this was its re-read
                self.store.save_document(stored.doc, stored.fallbacks, True, stored.rereads + 1)
            return stored.doc, stored.fallbacks  # a passing failure never replaces a better read
        rereads = stored.rereads + 1 if stored and stored.transient else 0
        self.store.save_document(reading.doc, reading.fallbacks, reading.transient, rereads)
        self.stats.parsed += 1
        self.observer.stage("parsed")
        return reading.doc, reading.fallbacks

    async def analyse(self, paper: Paper, doc: Document, fallbacks: list[str]) -> PaperResult:
        if paper.title == paper.id and doc.title:  # a paper asked for by id alone
            paper = paper.model_copy(update={"title": doc.title})
        self.stats.sources[doc.source] += 1
        model, prompt_version = self.analyser.key
        if not self.opts.reanalyze:
            cached = self.store.analysis(
                paper, doc.version or "", model, prompt_version, self.analyser.settings.lang
            )
            if cached and cached.provenance and cached.provenance.source == doc.source:
                self.stats.from_archive += 1
                self.observer.stage("analysed")
                return cached.model_copy(update={"paper": paper})
        analysis, prov, calls = await self.analyser.analyse(doc, paper)
        analysis, grounding, more = await self.check(doc, paper, analysis)
        calls += more
        prov.fallback_reasons = fallbacks
        self.count(calls)
        self.store.record_calls(self.run_id, paper.id, calls)
        result = PaperResult(paper=paper, analysis=analysis, grounding=grounding, provenance=prov)
        self.store.save_analysis(result, model, prompt_version, self.analyser.settings.lang)
        self.stats.analysed += 1
        self.observer.stage("analysed")
        return result

    async def check(
        self, doc: Document, paper: Paper, analysis: Analysis
    ) -> tuple[Analysis, Grounding, list[Call]]:
        """Ground the analysis and apply the --unverified policy."""
        policy = self.analyser.settings.unverified
        trusted = tuple(u for u in (paper.github_repo, paper.project_page) if u)
        prepared = await asyncio.to_thread(PaperIndex, doc, trusted)  # off the event loop
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

    def count(self, calls: list[Call]) -> None:
        self.stats.calls += len(calls)
        self.stats.tokens_in += sum(c.input_tokens for c in calls)
        self.stats.tokens_out += sum(c.output_tokens for c in calls)


def drop_unverified(analysis: Analysis, grounding: Grounding) -> tuple[Analysis, list[str]]:
    """Remove unverified innovations and results; the contribution and usage stay, marked."""
    bad = {v.item for v in grounding.verdicts if not v.verified}
    keep_inn = [x for i, x in enumerate(analysis.innovations) if f"innovations[{i}]" not in bad]
    keep_res = [x for i, x in enumerate(analysis.results) if f"results[{i}]" not in bad]
    dropped = [f"innovations: {x.name}" for x in analysis.innovations if x not in keep_inn]
    dropped += [f"results: {x.claim}" for x in analysis.results if x not in keep_res]
    return analysis.model_copy(update={"innovations": keep_inn, "results": keep_res}), dropped


async def run_one(
    settings: Settings,
    arxiv_id: str,
    opts: Options,
    store: Store,
    transport: httpx.AsyncBaseTransport | None = None,
) -> tuple[Report, Stats]:
    """One paper, by id, through the same flow as a day."""
    stats = Stats()
    analyser = make_analyser(settings, opts, store)
    base, _ = arxiv.split_version(arxiv_id)
    async with Net(settings, transport) as net:
        wanted = opts.refresh or store.needs_reading(base)
        meta = await arxiv.try_meta(net, [base]) if wanted else {}
        m = meta.get(base)
        paper = Paper(
            id=base,
            title=m.title if m else base,
            abstract=m.summary if m else "",
            authors=m.authors if m else [],
        )
        run_id = store.start_run(base, "paper", settings.lang, analyser.kind, analyser.model)
        day = Day(net, store, analyser, opts, stats, Observer(), run_id, meta)
        try:
            result = await day.paper(paper)
        finally:
            stats.warnings += analyser.warnings
            await analyser.close()
    store.finish_run(run_id, "done", stats_dict(stats))
    report = Report(
        label=base,
        kind="paper",
        lang=settings.lang,
        generated_at=datetime.now(UTC),
        analyser=analyser.kind,
        model=analyser.model,
        note=analyser.note(),
        papers=[result],
    )
    return report, stats


def from_archive(store: Store, label: str, kind: ReportKind, lang: Lang) -> Report | None:
    """A report rebuilt from the archive alone: no network, no LLM."""
    papers = store.listing(label, kind)
    if papers is None:
        return None
    results = [
        store.analysis(p, None, None, None, lang)
        or PaperResult(
            paper=p, status="failed", error=f"not analysed yet: run `dailypapers report {label}`"
        )
        for p in papers
    ]
    analysed = [r for r in results if r.provenance]
    kinds = {r.provenance.analyser for r in analysed if r.provenance}
    models = {r.provenance.model for r in analysed if r.provenance and r.provenance.model}
    return Report(
        label=label,
        kind=kind,
        lang=lang,
        generated_at=datetime.now(UTC),
        analyser="llm" if "llm" in kinds else "no-llm",
        model=", ".join(sorted(models)) or None,
        papers=results,
    )


def paper_from_archive(store: Store, arxiv_id: str, lang: Lang) -> Report | None:
    """One archived paper's analysis as a report, without network."""
    found = store.document(arxiv_id)
    paper = Paper(id=arxiv_id, title=found.doc.title if found else arxiv_id)
    hit = store.analysis(paper, None, None, None, lang)
    if hit is None or hit.provenance is None:
        return None
    return Report(
        label=arxiv_id,
        kind="paper",
        lang=lang,
        generated_at=datetime.now(UTC),
        analyser=hit.provenance.analyser,
        model=hit.provenance.model,
        papers=[hit],
    )
