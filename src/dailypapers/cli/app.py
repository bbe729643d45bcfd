"""The command line: a list of verbs. Each command turns our errors into one line."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from dailypapers.cli.options import (
    DayArg,
    Formats,
    LangOpt,
    Model,
    Month,
    NoLLM,
    Output,
    PaperArg,
    Quiet,
    Reanalyse,
    Unverified,
    Week,
    formats_of,
    paper_id,
    period_of,
)
from dailypapers.cli.shared import (
    app,
    archived,
    emit,
    err,
    one_line_errors,
    opened_archive,
    opened_store,
    out,
    run_async,
    runtime,
    tell_warnings,
)
from dailypapers.core.errors import (
    EXIT_PARTIAL,
    DailyPapersError,
    DeliveryFailed,
    Interrupted,
    NothingToSend,
    UserError,
)
from dailypapers.core.escape import terminal
from dailypapers.core.ids import split_version
from dailypapers.report.render import FORMATS

if TYPE_CHECKING:
    from dailypapers.core.models import Paper
    from dailypapers.report.models import Report

# Each command imports what it uses (the settings, the archive, the network, the parsers,
# the LLM client): `--help` starts with typer and rich alone; `history` and `show` add the
# settings and the archive, never the network, the parsers or the LLM client.


@app.command("list")
@one_line_errors
def list_cmd(
    ctx: typer.Context,
    day: DayArg = None,
    week: Week = None,
    month: Month = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the papers as JSON")] = False,
) -> None:
    """List the papers of DATE (YYYY-MM-DD, default: the latest day), of a --week or a
    --month.

    Example: dailypapers list 2026-02-11
    """
    from dailypapers.core.config import load_settings
    from dailypapers.sources import hf
    from dailypapers.sources.net import Net

    period, kind = period_of(day, week, month)
    settings = load_settings()

    notes: list[str] = []

    async def go() -> tuple[str, list[Paper]]:
        async with Net(settings, **runtime(ctx)) as net:
            if period is None:
                return await hf.latest_day(net, datetime.now(UTC).date(), notes=notes)
            return period, await hf.fetch_listing(net, period, kind, notes)

    label, papers = run_async(go())
    tell_warnings(notes)
    if as_json:
        out.print_json(json.dumps([p.model_dump(mode="json") for p in papers]))
        return
    if not papers:
        out.print(f"no papers were listed on {label}")
        return
    from rich.table import Table

    table = Table(title=f"Hugging Face Daily Papers — {label} ({len(papers)} papers)")
    table.add_column("arXiv id", no_wrap=True)
    table.add_column("▲", justify="right")
    table.add_column("title")
    table.add_column("code", overflow="fold")
    for p in papers:
        table.add_row(
            terminal(p.id), str(p.upvotes), terminal(p.title), terminal(p.github_repo or "")
        )
    out.print(table)


@app.command()
@one_line_errors
def read(
    ctx: typer.Context,
    pasted: PaperArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print the document model")] = False,
) -> None:
    """Read PAPER (HTML, else PDF, else abstract) and print it as Markdown.

    PAPER is an arXiv id (2501.11120, arXiv:2501.11120v2) or its arXiv or Hugging Face link.

    Example: dailypapers read 2501.11120
    """
    from dailypapers.core.config import load_settings
    from dailypapers.run.read import Reading, paper_by_id, read_paper
    from dailypapers.sources.arxiv import try_meta
    from dailypapers.sources.net import Net

    arxiv_id = paper_id(pasted)
    settings = load_settings()

    async def go() -> Reading:
        async with Net(settings, **runtime(ctx)) as net:
            base = split_version(arxiv_id)[0]
            meta = (await try_meta(net, [base])).get(base)
            return await read_paper(net, paper_by_id(base, meta), meta)

    reading = run_async(go())
    doc, reasons = reading.doc, reading.fallbacks
    label = {"html": "arXiv HTML", "pdf": "PDF", "abstract": "abstract only"}[doc.source]
    err.print(
        terminal(
            f"source: {label} {doc.version_label}".rstrip()
            + (f" (fell back: {'; '.join(reasons)})" if reasons else "")
        ),
        highlight=False,
        soft_wrap=True,
    )
    if as_json:
        sys.stdout.write(doc.model_dump_json(indent=2) + "\n")
    else:
        sys.stdout.write(doc.markdown())


@app.command()
@one_line_errors
def report(
    ctx: typer.Context,
    day: DayArg = None,
    week: Week = None,
    month: Month = None,
    lang: LangOpt = None,
    fmt: Formats = None,
    output: Output = None,
    no_llm: NoLLM = False,
    model: Model = None,
    top: Annotated[
        int | None, typer.Option(min=1, metavar="N", help="Only the N most upvoted papers")
    ] = None,
    min_upvotes: Annotated[
        int | None, typer.Option(min=0, metavar="K", help="Only papers with K+ upvotes")
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option(min=1, max=256, metavar="N", help="LLM calls at once")
    ] = None,
    max_input_tokens: Annotated[
        int | None,
        typer.Option(min=2000, metavar="TOKENS", help="Context budget per paper, in tokens"),
    ] = None,
    unverified: Unverified = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Read the listing and every paper again")
    ] = False,
    reanalyse: Reanalyse = False,
    quiet: Quiet = False,
    send_to: Annotated[
        list[str] | None,
        typer.Option(
            "--send", metavar="CHANNEL", help="Deliver it too, to a [deliver.NAME]; repeatable"
        ),
    ] = None,
) -> None:
    """Analyse every paper of DATE (YYYY-MM-DD, default: the latest day), of a --week or a
    --month, and write the report.

    Example: dailypapers report 2026-02-11 --format md,html
    """
    from dailypapers.cli.delivery import channels_of, tell
    from dailypapers.cli.progress import LiveProgress, summary
    from dailypapers.core.config import load_settings
    from dailypapers.deliver.send import Outcome
    from dailypapers.run.events import Observer, Stats
    from dailypapers.run.period import Options
    from dailypapers.run.session import Session

    period, kind = period_of(day, week, month)
    formats = formats_of(fmt, output)
    settings = load_settings(
        lang=lang,
        model=model,
        concurrency=concurrency,
        max_input_tokens=max_input_tokens,
        unverified=unverified,
    )
    writable(output)  # before any request: a paid run is never lost to a bad -o
    names = channels_of(settings, send_to) if send_to else []
    opts = Options(period, kind, top, min_upvotes, refresh, reanalyse)
    sent: list[Outcome] = []
    undelivered: list[DeliveryFailed] = []
    with opened_store(settings) as store:
        observer = Observer() if quiet else LiveProgress(err)
        stats = Stats()

        async def go() -> Report:
            async with Session(
                settings, store, observers=[observer], no_llm=no_llm, **runtime(ctx)
            ) as session:
                made = (await session.period(opts, stats=stats))[0]
                if made.papers:  # a failed delivery: the report is written all the same
                    delivered = await session.deliver_all(made, names)
                    sent.extend(delivered[0])
                    undelivered.extend(delivered[1])
                return made

        try:
            with observer if isinstance(observer, LiveProgress) else nullcontext():
                result = run_async(go())
        except KeyboardInterrupt:
            err.print(summary(stats, settings))
            raise Interrupted(
                f"interrupted: {stats.analysed + stats.from_archive} of {stats.listed} papers "
                "are done and saved; run the same command again to finish"
            ) from None
    if not result.papers:
        said = nothing_to_report(result)
        if result.selection is None and not refresh and period is not None:
            said += " (as Hugging Face answered when it was last asked: --refresh asks again)"
        if names:  # a job that was to deliver says it could not, in its exit code too
            raise NothingToSend(said)
        out.print(said)
        return
    for f in formats:
        emit(result, f, output, settings, result.file_name(f), quiet)
    if not quiet:
        err.print(summary(stats, settings))
    elif stats.failures:  # cron mails what a job prints: failures are worth a mail
        for paper_id_, reason in stats.failures:
            err.print(terminal(f"failed {paper_id_}: {reason}"), highlight=False)
    tell_warnings(stats.warnings)
    if names:
        tell(sent, result.label, undelivered)
    if stats.failures:
        raise typer.Exit(EXIT_PARTIAL)


def nothing_to_report(result: Report) -> str:
    """An empty report says why: nothing listed, or nothing left by --min-upvotes (--top is
    at least 1, so it never empties a listing)."""
    chosen = result.selection
    if chosen is None or not chosen.listed:
        return f"no papers were listed on {result.label}"
    return (
        f"none of the {chosen.listed} papers listed on {result.label} has "
        f"{chosen.min_upvotes}+ upvotes: lower --min-upvotes to see some"
    )


@app.command()
@one_line_errors
def analyse(
    ctx: typer.Context,
    pasted: PaperArg,
    lang: LangOpt = None,
    fmt: Formats = None,
    output: Output = None,
    no_llm: NoLLM = False,
    model: Model = None,
    unverified: Unverified = None,
    reanalyse: Reanalyse = False,
) -> None:
    """Analyse PAPER and print its section of the report.

    PAPER is an arXiv id (2501.11120, arXiv:2501.11120v2) or its arXiv or Hugging Face link.

    Example: dailypapers analyse https://arxiv.org/abs/2501.11120 --lang en
    """
    from dailypapers.core.config import load_settings
    from dailypapers.run.events import Stats
    from dailypapers.run.period import Options
    from dailypapers.run.session import Session

    arxiv_id = paper_id(pasted)
    formats = formats_of(fmt, output)
    settings = load_settings(lang=lang, model=model, unverified=unverified)
    writable(output)
    opts = Options(reanalyse=reanalyse)

    async def go() -> tuple[Report, Stats]:
        async with Session(settings, store, no_llm=no_llm, **runtime(ctx)) as session:
            return await session.paper(arxiv_id, opts)

    with opened_store(settings) as store:
        result, stats = run_async(go())
    tell_warnings(stats.warnings)
    paper = result.papers[0]
    if paper.status == "failed":
        raise DailyPapersError(f"could not analyse {arxiv_id}: {paper.error}")
    for f in formats:  # one format goes to stdout unless -o says otherwise
        emit(result, f, to_stdout(output, formats), settings, result.file_name(f))


app.command("analyze", hidden=True)(analyse)  # the American spelling works too


@app.command()
@one_line_errors
def history() -> None:
    """List what the archive holds: each period in each language and by each analyser.

    Example: dailypapers history
    """
    from rich.table import Table

    from dailypapers.core.config import load_settings
    from dailypapers.report.files import file_name

    settings = load_settings()
    with opened_archive(settings) as archive:
        rows = archive.periods()
    if not rows:
        out.print("the archive is empty: run `dailypapers report` first")
        return
    table = Table(title=terminal(f"Archive — {settings.db_path}"))
    for col in ("period", "lang", "analyser", "papers", "analysed", "failed", "files"):
        table.add_column(col, overflow="fold")
    reports = settings.home / "reports"
    for r in rows:
        files = [
            name
            for f in FORMATS
            if r.lang
            and r.analyser
            and (reports / (name := file_name(r.label, r.analyser, None, r.lang, f))).exists()
        ]
        table.add_row(
            r.label,
            r.lang or "—",
            r.analyser or "—",
            str(r.papers),
            str(r.analysed),
            str(r.failed),
            terminal(", ".join(files)) or "—",
        )
    out.print(table)


@app.command()
@one_line_errors
def servers(
    forget: Annotated[
        str | None,
        typer.Option("--forget", metavar="URL", help="Forget what was learnt of the server at URL"),
    ] = None,
) -> None:
    """List what was learnt of each LLM server: the output format it takes, the context it
    stated and when, how it counts tokens. A remembered context is tried past once a run;
    --forget clears a server's.

    Example: dailypapers servers --forget http://localhost:11434/v1
    """
    from rich.table import Table

    from dailypapers.core.config import load_settings

    settings = load_settings()
    with opened_store(settings) as store:
        if forget is not None:
            n = store.forget_llm_server(forget)
            out.print(terminal(f"forgot {n} model(s) of {forget}"), highlight=False)
            return
        rows = store.llm_servers()
    if not rows:
        out.print("nothing is remembered of any LLM server yet")
        return
    table = Table(title="LLM servers")
    for col in ("server", "model", "format", "context", "token ratio", "learnt"):
        table.add_column(col, overflow="fold")
    for r in rows:
        context = f"{r['context']:,}" if r["context"] else "—"
        table.add_row(
            terminal(r["base_url"]),
            terminal(r["model"]),
            r["rung"] or "—",
            context,
            f"{r['token_ratio']:.2f}",
            r["learnt_at"] or "—",
        )
    out.print(table)


@app.command()
@one_line_errors
def show(
    what: Annotated[str, typer.Argument(metavar="PERIOD|PAPER", show_default=False, hidden=True)],
    lang: LangOpt = None,
    no_llm: Annotated[
        bool, typer.Option("--no-llm", help="The analyses made without an LLM")
    ] = False,
    fmt: Formats = None,
    output: Output = None,
) -> None:
    """Render an archived report: a day (2026-02-11), a week (2026-W07), a month (2026-02)
    or a paper (an arXiv id or link), without any network.

    Example: dailypapers show 2026-02-11 -o day.html
    """
    from dailypapers.core.config import load_settings

    formats = formats_of(fmt, output)
    settings = load_settings(lang=lang)
    with opened_archive(settings) as archive:
        rebuilt = archived(archive, what, settings.lang, "no-llm" if no_llm else None)
    for f in formats:
        emit(rebuilt, f, to_stdout(output, formats), settings, rebuilt.file_name(f))


def to_stdout(output: str | None, formats: list[str]) -> str | None:
    """`analyse` and `show` print one format; several go to the reports folder."""
    return output if output is not None else ("-" if len(formats) == 1 else None)


def writable(output: str | None) -> None:
    """-o is checked before any request: a folder, or a file in a folder that is not there."""
    if output in (None, "-"):
        return
    from pathlib import Path

    path = Path(output)
    if path.is_dir():
        raise UserError(f"-o {output} is a folder: give a file name, e.g. -o {path / 'day.md'}")
    if not path.parent.exists():
        raise UserError(f"-o {output}: the folder {path.parent} does not exist")


def version(shown: bool) -> None:
    if shown:
        from dailypapers import __version__

        out.print(f"dailypapers {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def main_options(
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=version, is_eager=True, help="Print the version and exit"
        ),
    ] = False,
) -> None:
    """Turn the Hugging Face Daily Papers list into a grounded research report."""


import dailypapers.cli.delivery  # noqa: E402, F401  (its commands: send, approve, run-daily)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
