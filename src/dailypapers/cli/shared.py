"""What every command shares: errors as one line, the asyncio loop, the archive opened for
writing or reading with the log set up, the clock a program embedding the CLI hands it, and
where a report goes."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from dailypapers.core import periods
from dailypapers.core.errors import DailyPapersError, Interrupted, NotInArchive, NotWritable
from dailypapers.core.escape import terminal
from dailypapers.core.ids import id_in, split_version

if TYPE_CHECKING:
    from dailypapers.archive.reader import Archive
    from dailypapers.archive.store import Store
    from dailypapers.core.config import Settings
    from dailypapers.core.kinds import Lang
    from dailypapers.core.models import AnalyserKind
    from dailypapers.report.models import Report

app = typer.Typer(
    help="Turn the Hugging Face Daily Papers list into a grounded research report.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
# Before the log file is set up, nothing of ours is printed by logging's last resort: an
# error is one line (DAILYPAPERS_DEBUG=1 shows the traceback).
logging.getLogger("dailypapers").addHandler(logging.NullHandler())
out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def run_async(work: Coroutine[Any, Any, T]) -> T:
    """asyncio.run, with SIGTERM (what systemd and `kill` send) taken as Ctrl-C is: the run
    is cancelled, records itself as interrupted, and KeyboardInterrupt reaches the command.
    (And minus a cost of Python 3.11: restoring the Ctrl-C handler formats the main task with
    its result, twice, and a day's report is slow to format.)"""
    import asyncio
    import signal

    result: list[T] = []
    terminated: list[bool] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def terminate() -> None:
            terminated.append(True)
            task.cancel()

        loop.add_signal_handler(signal.SIGTERM, terminate)
        try:
            result.append(await work)
        except asyncio.CancelledError:
            if terminated:
                raise KeyboardInterrupt from None
            raise
        finally:
            loop.remove_signal_handler(signal.SIGTERM)

    asyncio.run(main())
    return result[0]


def one_line_errors(fn: F) -> F:
    """Errors become one line on stderr and a non-zero exit; DAILYPAPERS_DEBUG=1 re-raises."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt:
            err.print("interrupted", highlight=False)
            raise typer.Exit(Interrupted.exit_code) from None
        except Exception as e:
            if os.environ.get("DAILYPAPERS_DEBUG") == "1":
                raise
            from dailypapers.archive.queries import storage_error

            e = storage_error(e) or e
            if isinstance(e, DailyPapersError):
                message = str(e)
            else:
                logging.getLogger("dailypapers").exception("internal error")
                message = (
                    f"internal error: {type(e).__name__}: {e} (please report it; "
                    "DAILYPAPERS_DEBUG=1 shows the traceback)"
                )
            err.print(
                Text.assemble(("error:", "bold red"), " ", terminal(message)),
                highlight=False,
                soft_wrap=True,
            )
            code = e.exit_code if isinstance(e, DailyPapersError) else 1
            raise typer.Exit(code) from None

    return wrapper  # type: ignore[return-value]


def tell_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        err.print(terminal(f"warning: {warning}"), highlight=False, soft_wrap=True)


@contextmanager
def opened_store(settings: Settings) -> Iterator[Store]:
    from dailypapers.archive.store import Store

    setup_logging(settings)
    store = Store(settings.db_path)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def opened_archive(settings: Settings) -> Iterator[Archive]:
    from dailypapers.archive.reader import Archive

    archive = Archive(settings.db_path)
    try:
        yield archive
    finally:
        archive.close()


def runtime(ctx: typer.Context) -> dict[str, Any]:
    """The clock and transport a program embedding the CLI hands it as click's `obj` (the
    tests run whole days in virtual time this way); nothing for a user's run."""
    obj = ctx.find_root().obj
    return {k: v for k, v in (obj or {}).items() if k in ("clock", "transport")}


def setup_logging(settings: Settings) -> None:
    try:
        settings.home.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(settings.home / "dailypapers.log", encoding="utf-8")
    except OSError as e:
        raise NotWritable(
            f"cannot use {settings.home} as the data folder ({e.strerror}): set "
            "DAILYPAPERS_HOME to a folder you can write"
        ) from None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("dailypapers")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)


def emit(
    report: Report, fmt: str, output: str | None, settings: Settings, name: str, quiet: bool = False
) -> None:
    """Write the report where asked (see output.py), or to stdout with `-o -`, as it is
    rendered."""
    from dailypapers.cli.output import write_report
    from dailypapers.report.render import render_pieces

    pieces = render_pieces(report, fmt)
    if output == "-":
        sys.stdout.writelines(pieces)
        return
    path = write_report(pieces, Path(output) if output else settings.home / "reports" / name)
    if not quiet:  # cron mails whatever a job prints
        err.print(terminal(f"wrote {path}"), highlight=False)


def archived(archive: Archive, what: str, lang: Lang, analyser: AnalyserKind | None) -> Report:
    """The report the archive holds, or one clear line with the command that makes it."""
    from dailypapers.archive.reader import report_command

    flag = " --no-llm" if analyser == "no-llm" else ""
    if (arxiv_id := id_in(what)) is not None:
        one = archive.paper_report(split_version(arxiv_id)[0], lang, analyser)
        if one is None:
            raise NotInArchive(
                f"{arxiv_id} has no {lang} analysis{' without an LLM' if flag else ''} in the "
                f"archive: run `dailypapers analyse {arxiv_id} --lang {lang}{flag}`"
            )
        return one
    kind: periods.Period = "week" if "-W" in what else "month" if len(what) == 7 else "day"
    label = periods.parse_period(what, kind)
    rebuilt = archive.report(label, kind, lang, analyser)
    if rebuilt is None:
        raise NotInArchive(
            f"{label} is not in the archive: run "
            f"`{report_command(label, kind, lang, analyser or 'llm')}` "
            "(see `dailypapers history`)"
        )
    if rebuilt.note and not any(p.status == "ok" for p in rebuilt.papers):  # none analysed
        made = "without an LLM" if rebuilt.analyser == "no-llm" else "by an LLM"
        raise NotInArchive(
            f"the archive holds no {lang} analysis of {label} made {made}: run "
            f"`{report_command(label, kind, lang, rebuilt.analyser)}`"
        )
    return rebuilt
