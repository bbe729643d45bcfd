"""The command line: a list of verbs. Each command turns our errors into one line."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from dailypapers.cli.shared import (
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
from dailypapers.core import periods
from dailypapers.core.errors import (
    EXIT_PARTIAL,
    DailyPapersError,
    Interrupted,
    NotInArchive,
    UserError,
)
from dailypapers.core.escape import terminal
from dailypapers.core.ids import split_version, valid_id
from dailypapers.report.render import FORMATS

if TYPE_CHECKING:
    from dailypapers.archive.reader import Archive
    from dailypapers.core.kinds import Lang
    from dailypapers.core.models import Paper
    from dailypapers.report.models import Report

# Each command imports what it uses (the settings, the archive, the network, the parsers,
# the LLM client): `--help` starts with typer and rich alone; `history` and `show` add the
# settings and the archive, never the network, the parsers or the LLM client.

app = typer.Typer(
    help="Turn the Hugging Face Daily Papers list into a grounded research report.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def period_of(
    day: str | None, week: str | None, month: str | None
) -> tuple[str | None, periods.Period]:
    if sum(x is not None for x in (day, week, month)) > 1:
        raise UserError("give one of DATE, --week or --month, not several")
    if week:
        return periods.parse_period(week, "week"), "week"
    if month:
        return periods.parse_period(month, "month"), "month"
    return (periods.parse_period(day, "day") if day else None), "day"


@app.command("list")
@one_line_errors
def list_cmd(
    ctx: typer.Context,
    day: Annotated[str | None, typer.Argument(help="Day YYYY-MM-DD (default: latest)")] = None,
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2026-W07")] = None,
    month: Annotated[str | None, typer.Option(help="Month, e.g. 2026-02")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the papers as JSON")] = False,
) -> None:
    """List the papers of a day, week or month.

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
    arxiv_id: Annotated[str, typer.Argument(help="arXiv id, e.g. 2501.11120")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the document model")] = False,
) -> None:
    """Read one paper (HTML, else PDF, else abstract) and print it as Markdown.

    Example: dailypapers read 2501.11120
    """
    from dailypapers.core.config import load_settings
    from dailypapers.run.read import Reading, paper_by_id, read_paper
    from dailypapers.sources.arxiv import try_meta
    from dailypapers.sources.net import Net

    if not valid_id(arxiv_id):
        raise UserError(f"{arxiv_id!r} is not an arXiv id (like 2501.11120 or 2501.11120v2)")
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


LangOpt = Annotated[str | None, typer.Option("--lang", help="Report language: zh or en")]
Fmt = Annotated[str, typer.Option("--format", "-f", help="md, html or json")]
NoLLM = Annotated[bool, typer.Option("--no-llm", help="Extract from the paper, no LLM")]
Model = Annotated[str | None, typer.Option("--model", help="LLM model name")]
Output = Annotated[str | None, typer.Option("-o", "--output", help="Output file, or - for stdout")]
Unverified = Annotated[
    str | None,
    typer.Option(
        help="Unverified items: retry (default: once, then mark), mark, drop or keep; "
        "applies when a paper is analysed (add --reanalyse to re-apply)"
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress display (for cron)")]


@app.command()
@one_line_errors
def report(
    ctx: typer.Context,
    day: Annotated[str | None, typer.Argument(help="Day YYYY-MM-DD (default: latest)")] = None,
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2026-W07")] = None,
    month: Annotated[str | None, typer.Option(help="Month, e.g. 2026-02")] = None,
    lang: LangOpt = None,
    fmt: Fmt = "md",
    output: Output = None,
    no_llm: NoLLM = False,
    model: Model = None,
    top: Annotated[int | None, typer.Option(min=1, help="Only the N most upvoted papers")] = None,
    min_upvotes: Annotated[
        int | None, typer.Option(min=0, help="Only papers with K+ upvotes")
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option(min=1, max=256, help="LLM calls at once")
    ] = None,
    max_input_tokens: Annotated[
        int | None, typer.Option(min=2000, help="Context budget per paper, in tokens")
    ] = None,
    unverified: Annotated[
        str | None, typer.Option(help="What to do with unverified items: mark, retry, drop or keep")
    ] = None,
    refresh: Annotated[bool, typer.Option(help="Re-read the listing and the papers")] = False,
    reanalyse: Annotated[
        bool, typer.Option("--reanalyse", "--reanalyze", help="Redo the analyses")
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Analyse every paper of a day (or week, month) and write the report.

    Example: dailypapers report 2026-02-11 --format html -o today.html
    """
    from dailypapers.cli.progress import LiveProgress, summary
    from dailypapers.core.config import load_settings
    from dailypapers.run.events import Observer, Stats
    from dailypapers.run.period import Options
    from dailypapers.run.session import Session

    period, kind = period_of(day, week, month)
    check_format(fmt)
    settings = load_settings(
        lang=lang,
        model=model,
        concurrency=concurrency,
        max_input_tokens=max_input_tokens,
        unverified=unverified,
    )
    opts = Options(
        period=period,
        kind=kind,
        top=top,
        min_upvotes=min_upvotes,
        refresh=refresh,
        reanalyse=reanalyse,
    )
    with opened_store(settings) as store:
        observer = Observer() if quiet else LiveProgress(err)
        stats = Stats()

        async def go() -> Report:
            async with Session(
                settings, store, observers=[observer], no_llm=no_llm, **runtime(ctx)
            ) as session:
                return (await session.period(opts, stats=stats))[0]

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
        out.print(nothing_to_report(result))
        return
    emit(result, fmt, output, settings, f"{result.file_stem}.{settings.lang}.{fmt}", quiet)
    if not quiet:
        err.print(summary(stats, settings))
    elif stats.failures:  # cron mails what a job prints: failures are worth a mail
        for paper_id, reason in stats.failures:
            err.print(terminal(f"failed {paper_id}: {reason}"), highlight=False)
    tell_warnings(stats.warnings)
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
    arxiv_id: Annotated[str, typer.Argument(help="arXiv id, e.g. 2501.11120")],
    lang: LangOpt = None,
    fmt: Fmt = "md",
    output: Output = "-",
    no_llm: NoLLM = False,
    model: Model = None,
    unverified: Unverified = None,
    reanalyse: Annotated[
        bool, typer.Option("--reanalyse", "--reanalyze", help="Redo the analysis")
    ] = False,
) -> None:
    """Analyse one paper and print its section of the report.

    Example: dailypapers analyse 2501.11120 --lang en
    """
    from dailypapers.core.config import load_settings
    from dailypapers.run.events import Stats
    from dailypapers.run.period import Options
    from dailypapers.run.session import Session

    if not valid_id(arxiv_id):
        raise UserError(f"{arxiv_id!r} is not an arXiv id (like 2501.11120 or 2501.11120v2)")
    check_format(fmt)
    settings = load_settings(lang=lang, model=model, unverified=unverified)
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
    emit(result, fmt, output, settings, f"{arxiv_id}.{settings.lang}.{fmt}")


app.command("analyze", hidden=True)(analyse)  # the American spelling works too


@app.command()
@one_line_errors
def history() -> None:
    """List the days (weeks, months) in the archive.

    Example: dailypapers history
    """
    from rich.table import Table

    from dailypapers.core.config import load_settings

    settings = load_settings()
    with opened_archive(settings) as archive:
        rows = list(archive.periods())
    if not rows:
        out.print("the archive is empty: run `dailypapers report` first")
        return
    table = Table(title=f"Archive — {settings.db_path}")
    for col in ("period", "kind", "papers", "analysed", "listed at"):
        table.add_column(col)
    for r in rows:
        table.add_row(r.label, r.kind, str(r.papers), str(r.analysed), r.listed_at)
    out.print(table)


@app.command()
@one_line_errors
def show(
    what: Annotated[str, typer.Argument(help="A day, week, month or arXiv id")],
    lang: LangOpt = None,
    fmt: Fmt = "md",
    output: Output = "-",
) -> None:
    """Render an archived report or paper, without any network.

    Example: dailypapers show 2026-02-11 --format html -o day.html
    """
    from dailypapers.core.config import load_settings

    check_format(fmt)
    settings = load_settings(lang=lang)
    with opened_archive(settings) as archive:
        rebuilt = archived(archive, what, settings.lang)
    emit(rebuilt, fmt, output, settings, f"{what}.{settings.lang}.{fmt}")


def archived(archive: Archive, what: str, lang: Lang) -> Report:
    kind: periods.Period = "week" if "-W" in what else "month" if len(what) == 7 else "day"
    if valid_id(what):
        one = archive.paper_report(split_version(what)[0], lang)
        if one is None:
            raise NotInArchive(
                f"{what} has no {lang} analysis in the archive: run `dailypapers analyse {what}`"
            )
        return one
    label = periods.parse_period(what, kind)
    rebuilt = archive.report(label, kind, lang)
    if rebuilt is None:
        raise NotInArchive(
            f"{label} is not in the archive: run `dailypapers report {label}` "
            "(see `dailypapers history`)"
        )
    return rebuilt


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}: use md, html or json")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
