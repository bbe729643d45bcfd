"""Live progress while a day runs, and the summary at its end (rich, on stderr)."""

from __future__ import annotations

import time

from rich.console import Console
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from dailypapers.core.config import Settings
from dailypapers.core.escape import strip_controls, terminal
from dailypapers.run.events import Event, Observer, Stats

STAGES = ("fetched", "parsed", "analysed", "checked", "failed")


class LiveProgress(Observer):
    """One line, within 80 columns: the bar, papers done, time and ETA, then each stage's
    count, or what the run waits for while no paper moves."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.total = 0
        self.counts = dict.fromkeys(STAGES, 0)
        self.done = 0
        self.note = ""
        self.start = time.monotonic()
        self.live = Live(self._render(), console=console, refresh_per_second=4, transient=True)

    def __enter__(self) -> LiveProgress:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__(None, None, None)

    def event(self, e: Event) -> None:
        if e.step == "listed":
            self.total = e.count
        else:
            self.counts[e.step] += 1
            self.done += e.step in ("checked", "failed") or e.from_archive
            self.note = ""  # a paper moved: whatever was waited for has come
        self.live.update(self._render())

    def status(self, text: str) -> None:
        self.note = text
        self.live.update(self._render())

    def waiting(self, why: str) -> None:
        self.console.print(terminal(why), highlight=False)

    def _render(self) -> Table:
        table = Table.grid(padding=(0, 1))
        table.add_row(
            ProgressBar(total=self.total or None, completed=self.done, width=8),
            Text(strip_controls(self.line()), no_wrap=True, overflow="ellipsis"),
        )
        return table

    def line(self) -> str:
        elapsed = time.monotonic() - self.start
        timing = duration(elapsed)
        if self.done and self.total > self.done:
            timing += f", ETA {duration(elapsed / self.done * (self.total - self.done))}"
        c = self.counts
        stages = [f"read {c['parsed']}", f"analysed {c['analysed']}", f"checked {c['checked']}"]
        if c["failed"]:
            stages.append(f"failed {c['failed']}")
        tail = [self.note] if self.note else stages
        return " · ".join([f"{self.done}/{self.total}", timing, *tail])


def duration(seconds: float) -> str:
    """45s, 3m05s, 1h02m: short enough for the status line."""
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def summary(stats: Stats, settings: Settings) -> Table:
    table = Table(title="Run summary", show_header=False)
    table.add_row(
        "papers",
        f"{stats.listed} listed, {stats.analysed} analysed now, "
        f"{stats.from_archive} from the archive, {stats.failed} failed",
    )
    table.add_row("sources", ", ".join(f"{k} {v}" for k, v in sorted(stats.sources.items())) or "—")
    table.add_row(
        "LLM",
        f"{stats.calls} calls, {stats.tokens_in:,} tokens in, {stats.tokens_out:,} tokens out",
    )
    if settings.price_in is not None or settings.price_out is not None:
        cost = (
            stats.tokens_in * (settings.price_in or 0)
            + stats.tokens_out * (settings.price_out or 0)
        ) / 1e6
        table.add_row("estimated cost", f"${cost:.4f}")
    table.add_row("HTTP", f"{stats.requests} requests, {stats.retries} retries")
    for paper_id, reason in stats.failures:
        table.add_row(terminal(f"failed {paper_id}"), terminal(reason))
    return table
