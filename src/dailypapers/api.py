"""The library under the command line, in a few names.

    settings = load_settings(lang="en")
    with Store(settings.db_path) as store:
        async with Session(settings, store, observers=[...]) as session:
            report, stats = await session.period(Options(period="2026-02-11"))
    with Archive(settings.db_path) as archive:          # read-only, any thread
        text = render(archive.report("2026-02-11", "day", "en"), "md")

A `Session` opens the network client, the worker pool and the analyser once and runs as many
periods and papers as asked; its observers hear every run start, every step of every paper,
and every run finish. The `Archive` is the read side (what `show`, `history` and a web
server use); the `Store` is the write side a session records into."""

from dailypapers.archive.reader import Archive
from dailypapers.archive.store import Store
from dailypapers.core.config import Settings, load_settings
from dailypapers.report.models import Report
from dailypapers.report.render import render, render_pieces
from dailypapers.run.events import Event, Observer, RunInfo, RunStatus, Stats
from dailypapers.run.period import Options
from dailypapers.run.session import Session

__all__ = [
    "Archive",
    "Event",
    "Observer",
    "Options",
    "Report",
    "RunInfo",
    "RunStatus",
    "Session",
    "Settings",
    "Stats",
    "Store",
    "load_settings",
    "render",
    "render_pieces",
]
