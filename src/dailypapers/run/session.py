"""A session: the settings and the archive, opened once, with what every run needs — the
network client, the worker pool and the analyser (its format negotiated once) — for as many
periods and papers as asked. A backfill of 180 days is one session, not 180 start-ups.

Every run has the same skeleton: find the work, hold its lock, take every paper through
read → analyse → check → archive (day.py), record the run, assemble the report. Observers
hear it start, every step of every paper, and how it finished: `done`, `interrupted`
(Ctrl-C, SIGTERM) or `failed` (the LLM server refused us, the disk is full); a failed run's
calls and requests are recorded like a finished one's."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, date, datetime
from types import TracebackType

import httpx

from dailypapers.analysing.analysers import Analyser, make_analyser
from dailypapers.archive.store import Store
from dailypapers.core.config import Settings
from dailypapers.core.errors import DeliveryFailed, StorageError
from dailypapers.core.ids import split_version
from dailypapers.core.workers import Workers
from dailypapers.deliver.send import Deliverer, Outcome
from dailypapers.report.models import DayParagraph, Report
from dailypapers.report.overview import day_overview
from dailypapers.report.results import PaperResults
from dailypapers.run.day import Day, RunConfig, every_paper
from dailypapers.run.events import Event, Observer, Observers, RunInfo, RunStatus, Stats
from dailypapers.run.lock import period_lock
from dailypapers.run.period import Options, Work, period_work
from dailypapers.run.read import paper_by_id
from dailypapers.sources import arxiv
from dailypapers.sources.net import Clock, Net, SystemClock

log = logging.getLogger("dailypapers")
READ_AHEAD = 3  # papers in flight per LLM call slot: read ahead, but not the whole month


class Session:
    """Runs periods and papers against one archive, one run after another (runs do not
    overlap: a web server that runs many at once opens a session for each). Use it as an
    async context manager: leaving it closes the network client, stops the workers and
    closes the analyser."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        observers: Iterable[Observer] = (),
        no_llm: bool = False,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock or SystemClock()
        self.observers = Observers(observers)
        self.workers = Workers(
            settings.workers, settings.read_seconds, settings.read_memory_mb << 20
        )
        self.analyser: Analyser = make_analyser(
            settings, store, self.workers, no_llm=no_llm, sleep=self.clock.sleep
        )
        self.net = Net(settings, transport, self.clock)
        self.net.waiting = self.observers.status

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        try:
            await self.analyser.close()
        finally:
            try:
                self.workers.close()
            finally:
                await self.net.close()

    async def period(
        self, opts: Options, *, today: date | None = None, stats: Stats | None = None
    ) -> tuple[Report, Stats]:
        """A day, week or month (the latest day when `opts.period` is None). `stats` is
        filled as the run goes, so an interrupted run can still say what it did."""
        stats = stats if stats is not None else Stats()
        day = today or datetime.now(UTC).date()

        async def find() -> Work:
            self.observers.status(f"listing {opts.period or 'the latest day'}")
            try:
                return await period_work(self.net, self.store, opts, day, stats.warnings)
            finally:
                self.observers.status("")

        return await self._run(find, opts, stats)

    async def paper(
        self, arxiv_id: str, opts: Options | None = None, *, stats: Stats | None = None
    ) -> tuple[Report, Stats]:
        """One paper, by id, through the same flow as a day."""
        opts = opts or Options()
        base, _ = split_version(arxiv_id)

        async def find() -> Work:
            wanted = opts.refresh or self.store.needs_reading(base)
            meta = await arxiv.try_meta(self.net, [base]) if wanted else {}
            return Work(base, "paper", [paper_by_id(base, meta.get(base))], meta)

        return await self._run(find, opts, stats if stats is not None else Stats())

    async def deliver(
        self,
        report: Report,
        name: str,
        *,
        resend: bool = False,
        dry_run: bool = False,
        approve: bool = False,
    ) -> Outcome:
        """The report to the channel `name` of the settings, one delivery per channel at a
        time (a second waits for the first, then finds what it sent)."""
        channel = self.settings.deliver[name]
        deliverer = Deliverer(self.store, self.net, self.clock)
        home, waiting = self.settings.home, self.observers.waiting
        safe = re.sub(r"[^\w.-]", "_", name)  # a lock file's name
        async with period_lock(home, "deliver", safe, waiting, self.clock.sleep):
            return await deliverer.deliver(
                report, name, channel, resend=resend, dry_run=dry_run, approve=approve
            )

    async def deliver_all(
        self, report: Report, names: list[str], **how: bool
    ) -> tuple[list[Outcome], list[DeliveryFailed]]:
        """The report to each channel in turn: one channel's failure never keeps the others
        from theirs. What was delivered, and what failed."""
        sent, failed = [], []
        for name in names:
            try:
                sent.append(await self.deliver(report, name, **how))
            except DeliveryFailed as e:
                failed.append(e)
        return sent, failed

    def config(self, opts: Options) -> RunConfig:
        s = self.settings
        return RunConfig(
            lang=s.lang,
            window=READ_AHEAD * s.concurrency,
            hub_resources=s.hub_resources,
            keep_sources=s.keep_sources,
            unverified=s.unverified,
            refresh=opts.refresh,
            reanalyse=opts.reanalyse,
        )

    async def _run(
        self, find: Callable[[], Awaitable[Work]], opts: Options, stats: Stats
    ) -> tuple[Report, Stats]:
        def emit(e: Event) -> None:
            stats.apply(e)
            self.observers.event(e)

        self.net.new_run()
        self.analyser.new_run()
        requests, retries = self.net.requests, self.net.retries
        work = await find()
        home, waiting = self.settings.home, self.observers.waiting
        async with period_lock(home, work.kind, work.label, waiting, self.clock.sleep):
            a = self.analyser
            run_id = self.store.start_run(
                work.label, work.kind, self.settings.lang, a.kind, a.model
            )
            run = RunInfo(run_id, work.label, work.kind, self.settings.lang, a.kind, a.model)
            log.info("run %d: %s %s, %d papers", run_id, work.kind, work.label, len(work.papers))
            self.observers.run_started(run)
            emit(Event("listed", count=len(work.papers)))
            day = Day(self.net, self.workers, self.store, a, self.config(opts), emit, run_id)
            day.meta = work.meta
            status: RunStatus = "failed"
            report = None
            try:
                day.prefetch_meta(work.papers)
                results = await every_paper(day, work.papers)
                paragraph = None
                if work.kind != "paper":
                    paragraph = await day.paragraph(results, stats.warnings)
                report = self.assemble(work, results, paragraph)
                status = "done"
            except (KeyboardInterrupt, asyncio.CancelledError):
                status = "interrupted"
                raise
            finally:
                day.stop_prefetch()
                stats.requests = self.net.requests - requests
                stats.retries = self.net.retries - retries
                stats.warnings += a.warnings
                self._finish(run, status, stats)
                self.observers.run_finished(run, status, report, stats)
        return report, stats

    def _finish(self, run: RunInfo, status: RunStatus, stats: Stats) -> None:
        """Record how the run ended; a disk too full to say so loses only this line."""
        try:
            self.store.finish_run(run.run_id, status, stats.as_dict())
        except StorageError as e:
            log.warning("run %d %s, not recorded: %s", run.run_id, status, e)
        log.info("run %d %s: %s", run.run_id, status, stats.as_dict())

    def assemble(self, work: Work, results: PaperResults, paragraph: DayParagraph | None) -> Report:
        return Report(
            label=work.label,
            kind=work.kind,
            lang=self.settings.lang,
            generated_at=datetime.now(UTC),
            analyser=self.analyser.kind,
            model=self.analyser.model,
            note=self.analyser.note(),
            selection=work.selection,
            overview=None if work.kind == "paper" else day_overview(results, paragraph),
            papers=results,
        )
