"""What a run tells whoever watches it: that it started, every step of every paper, that it
waits for another run, and how it finished. The run's statistics, the live progress, the
log and delivery all follow from the same events, so anything that watches a run (a web
page, a mailer) sees what the CLI sees."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from dailypapers.core.kinds import Lang
from dailypapers.core.models import AnalyserKind, Call, ReportKind

if TYPE_CHECKING:
    from dailypapers.report.models import Report

Step = Literal["listed", "fetched", "parsed", "analysed", "checked", "failed"]
RunStatus = Literal["done", "interrupted", "failed"]


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


@dataclass(frozen=True)
class RunInfo:
    """A run as the archive records it when it starts."""

    run_id: int
    label: str
    kind: ReportKind
    lang: Lang
    analyser: AnalyserKind
    model: str | None


@dataclass
class Stats:
    listed: int = 0
    fetched: int = 0
    parsed: int = 0
    analysed: int = 0
    failed: int = 0
    from_archive: int = 0
    sources: Counter[str] = field(default_factory=Counter)
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
        elif e.step == "fetched":
            self.fetched += 1
        elif e.step == "parsed":
            self.parsed += 1
        elif e.step == "analysed":
            self.sources[e.source or "?"] += 1
            self.from_archive += e.from_archive
        elif e.step == "checked":  # checked and archived: this paper is done
            self.analysed += 1
        elif e.step == "failed":
            self.failed += 1
            self.failures.append((e.paper_id or "", e.reason or ""))
        self.calls += len(e.calls)
        self.tokens_in += sum(c.input_tokens for c in e.calls)
        self.tokens_out += sum(c.output_tokens for c in e.calls)

    def as_dict(self) -> dict[str, Any]:
        return {k: (dict(v) if isinstance(v, Counter) else v) for k, v in self.__dict__.items()}


class Observer:
    """Told what a run does as it goes; every method may be left as it is. The CLI shows the
    events, cron ignores them, delivery waits for `run_finished`."""

    def run_started(self, run: RunInfo) -> None: ...

    def event(self, e: Event) -> None: ...

    def waiting(self, why: str) -> None:
        """Another run holds the period; this one waits for it."""

    def status(self, text: str) -> None:
        """What the run waits for while no paper moves: the listing, a service asked again
        in a few seconds; "" once it no longer waits."""

    def run_finished(
        self, run: RunInfo, status: RunStatus, report: Report | None, stats: Stats
    ) -> None:
        """`report` is None unless the run is `done`."""


class Observers(Observer):
    """Many observers as one, told in the order given."""

    def __init__(self, observers: Iterable[Observer] = ()) -> None:
        self.observers = list(observers)

    def run_started(self, run: RunInfo) -> None:
        for o in self.observers:
            o.run_started(run)

    def event(self, e: Event) -> None:
        for o in self.observers:
            o.event(e)

    def waiting(self, why: str) -> None:
        for o in self.observers:
            o.waiting(why)

    def status(self, text: str) -> None:
        for o in self.observers:
            o.status(text)

    def run_finished(
        self, run: RunInfo, status: RunStatus, report: Report | None, stats: Stats
    ) -> None:
        for o in self.observers:
            o.run_finished(run, status, report, stats)
