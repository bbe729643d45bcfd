"""Each paper of a run, on its own: read → analyse → check → archive. Whatever finishes is in
the archive at once, and one paper's failure never sinks the day."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dailypapers.analysing.analysers import Analyser
from dailypapers.archive.store import Store, pack_document, pack_source
from dailypapers.checking.grounding import PaperIndex, ground
from dailypapers.core.errors import (
    DailyPapersError,
    FetchError,
    LLMError,
    LLMUnavailable,
    StorageError,
)
from dailypapers.core.kinds import Lang, Policy
from dailypapers.core.models import (
    Analysis,
    Call,
    Document,
    Grounding,
    HubResources,
    Paper,
    PaperResult,
)
from dailypapers.core.workers import Workers
from dailypapers.report.models import DayParagraph
from dailypapers.report.overview import analysed, material_key
from dailypapers.report.results import PaperResults, pack_result
from dailypapers.run.events import Event
from dailypapers.run.read import read_paper
from dailypapers.sources import arxiv, hf
from dailypapers.sources.arxiv import ArxivMeta
from dailypapers.sources.net import Net

log = logging.getLogger("dailypapers")
RANK = {"html": 0, "pdf": 1, "abstract": 2}  # which source is the better reading
STOPS_THE_RUN = (LLMUnavailable, StorageError)  # the server's or this machine's, not a paper's


@dataclass(frozen=True)
class RunConfig:
    """What the per-paper flow needs of the settings and the run's options, and no more."""

    lang: Lang
    window: int  # papers in flight at once: enough to keep the LLM busy
    hub_resources: bool
    keep_sources: bool
    unverified: Policy
    refresh: bool
    reanalyse: bool


@dataclass
class Day:
    """The per-paper flow of one run."""

    net: Net
    workers: Workers
    store: Store
    analyser: Analyser
    config: RunConfig
    emit: Callable[[Event], None]
    run_id: int
    meta: dict[str, ArxivMeta] = field(default_factory=dict)  # known before the run
    stop: LLMUnavailable | None = None  # the server refused us: no paper is started after
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
            if p.id not in self.meta and (self.config.refresh or self.store.needs_reading(p.id))
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
            if self.config.hub_resources and (result.resources is None or self.config.refresh):
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
        except STOPS_THE_RUN as e:
            if isinstance(e, LLMError):  # this paper failed with the run, what it cost recorded
                self.failed(paper, e)
            raise
        except Exception as e:  # one paper's failure never sinks the day
            return self.failed(paper, e)

    def failed(self, paper: Paper, e: Exception) -> PaperResult:
        if isinstance(e, DailyPapersError):
            reason = str(e)
        else:
            log.exception("unexpected error on %s", paper.id)
            reason = f"unexpected {type(e).__name__}: {e}"
        calls: list[Call] = getattr(e, "calls", [])  # what a failed analysis cost is recorded
        self.store.record_calls(self.run_id, paper.id, calls)
        log.warning("%s failed: %s", paper.id, reason)
        self.emit(Event("failed", paper.id, calls=tuple(calls), reason=reason))
        self.store.record_paper(self.run_id, paper.id, "failed", reason)
        return PaperResult(paper=paper, status="failed", error=reason)

    async def paragraph(
        self, results: Sequence[PaperResult], warnings: list[str]
    ) -> DayParagraph | None:
        """The paragraph on the day, written once for a given set of analyses (a re-run finds
        it in the archive). Its failure costs the report the paragraph, nothing else."""
        if next(analysed(results), None) is None:
            return None
        key = material_key(results, self.config.lang)
        known = self.store.paragraph(key)
        if known is not None:
            return known
        try:
            written = await self.analyser.paragraph(results)
        except Exception as e:  # whatever it is (a refusal too), it costs only the paragraph
            self.store.record_calls(self.run_id, "day", getattr(e, "calls", []))
            if not isinstance(e, LLMError):
                log.exception("the paragraph on the day failed")
            warnings.append(f"no paragraph on the day: {type(e).__name__}: {e}"[:300])
            return None
        if written is None:  # this analyser writes none
            return None
        paragraph, calls = written
        self.store.record_calls(self.run_id, "day", calls)
        self.store.save_paragraph(key, paragraph)
        return paragraph

    async def hub_resources(self, paper: Paper) -> HubResources | None:
        """What cites the paper on the Hub, asked once per paper (again with --refresh). The
        Hub not answering costs the report this line, never the paper."""
        known = None if self.config.refresh else self.store.hub_resources(paper.id)
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
        if self.config.refresh or self.config.reanalyse or paper.title == paper.id:
            return None
        read_as = self.store.read_as(paper.id)
        return self.reuse(paper, *read_as) if read_as else None

    def reuse(self, paper: Paper, version: str, source: str) -> PaperResult | None:
        """The stored analysis of this reading (version and source), by this analyser."""
        model, prompt_version = self.analyser.key
        cached = self.store.analysis(paper, version, model, prompt_version, self.config.lang)
        if not (cached and cached.provenance and cached.provenance.source == source):
            return None
        self.emit(Event("analysed", paper.id, source=source, from_archive=True))
        return cached.model_copy(update={"paper": paper})

    async def read(self, paper: Paper) -> tuple[Document, list[str]]:
        """The stored document, unless --refresh asks to read every source again or a
        better source failed for a passing reason on the last reading (retried once)."""
        stored = self.store.document(paper.id)
        if stored and not self.config.refresh and not stored.reread_due:
            return stored.doc, stored.fallbacks
        meta = await self.meta_of(paper.id)
        reading = await read_paper(self.net, paper, meta, self.workers)
        self.emit(Event("fetched", paper.id))
        keep = self.config.keep_sources
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
        if not self.config.reanalyse and (
            cached := self.reuse(paper, doc.version or "", doc.source)
        ):
            return cached
        model, prompt_version = self.analyser.key
        analysis, prov, calls = await self.analyser.analyse(doc, paper)
        self.emit(Event("analysed", paper.id, source=doc.source, calls=tuple(calls)))
        analysis, grounding, more, stop = await self.check(doc, paper, analysis)
        prov.fallbacks = fallbacks
        self.store.record_calls(self.run_id, paper.id, calls + more)
        result = PaperResult(paper=paper, analysis=analysis, grounding=grounding, provenance=prov)
        self.store.save_analysis(result, model, prompt_version, self.config.lang)
        self.stop = self.stop or stop  # the paper is done, marked; no other is started
        self.emit(Event("checked", paper.id, calls=tuple(more)))
        return result

    async def check(
        self, doc: Document, paper: Paper, analysis: Analysis
    ) -> tuple[Analysis, Grounding, list[Call], LLMUnavailable | None]:
        """Ground the analysis and apply the --unverified policy. A server that stops
        answering during the correction leaves the analysis as it was, marked."""
        policy = self.config.unverified
        trusted = tuple(u for u in (paper.github_repo, paper.project_page) if u)
        prepared = await self.workers.run(PaperIndex, doc, trusted)
        copied = self.analyser.copied
        grounding = ground(analysis, doc, prepared, copied=copied)
        calls: list[Call] = []
        stop = None
        bad = [v for v in grounding.verdicts if not v.verified]
        if bad and policy == "retry":
            problems = [f"{v.item}: {v.reason}" for v in bad]
            try:
                corrected = await self.analyser.correct(doc, paper, analysis, problems)
            except LLMError as e:
                calls, corrected = e.calls, None  # recorded with the analysis's own
                stop = LLMUnavailable(str(e)) if isinstance(e, LLMUnavailable) else None
                log.warning("correction of %s failed: %s", paper.id, e)
            if corrected is not None:
                analysis, calls = corrected
                grounding = ground(analysis, doc, prepared, copied=copied)
        if policy == "drop":
            analysis, dropped = drop_unverified(analysis, grounding)
            grounding = ground(analysis, doc, prepared, copied=copied)
            grounding.dropped = dropped
        grounding.policy = policy
        return analysis, grounding, calls, stop


async def every_paper(day: Day, papers: list[Paper]) -> PaperResults:
    """Every paper, a window of them at a time: enough to keep the LLM busy, few enough that
    memory does not grow with the length of the period: the window is that many readers
    taking the listing's papers in order, and finished results are kept packed.

    When the LLM server refuses us, no paper is started after it; those in flight end (their
    requests fail at once: the analyser stops asking), so whatever they finished is archived,
    and the refusal stops the run. A full disk, like Ctrl-C, stops them all at once: nothing
    they did could be kept."""
    listing = iter(enumerate(papers))
    packed = [b""] * len(papers)
    stopped: list[DailyPapersError] = []

    async def reader() -> None:
        for i, paper in listing:  # shared: each reader takes the next paper
            if stopped or day.stop:
                return
            try:
                packed[i] = pack_result(await day.paper(paper))
            except LLMUnavailable as e:
                stopped.append(e)
                return

    readers = [asyncio.create_task(reader()) for _ in range(min(day.config.window, len(papers)))]
    try:
        await asyncio.gather(*readers)
    except BaseException:
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        raise
    failure = stopped[0] if stopped else day.stop
    if failure is not None:
        raise failure
    return PaperResults(packed)


def drop_unverified(analysis: Analysis, grounding: Grounding) -> tuple[Analysis, list[str]]:
    """Remove unverified innovations and results; the contribution and usage stay, marked."""
    bad = {v.item for v in grounding.verdicts if not v.verified}
    keep_inn = [x for i, x in enumerate(analysis.innovations) if f"innovations[{i}]" not in bad]
    keep_res = [x for i, x in enumerate(analysis.results) if f"results[{i}]" not in bad]
    dropped = [f"innovations: {x.name}" for x in analysis.innovations if x not in keep_inn]
    dropped += [f"results: {x.claim}" for x in analysis.results if x not in keep_res]
    return analysis.model_copy(update={"innovations": keep_inn, "results": keep_res}), dropped
