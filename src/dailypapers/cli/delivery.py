"""The verbs that deliver: `send` an archived report, `approve` what a channel holds, and
`run-daily`, the job a timer runs. Channels are the `[deliver.NAME]` tables of config.toml."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from dailypapers.cli.options import DayArg, LangOpt, Month, NoLLM, Week, period_of
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
)
from dailypapers.core.errors import DeliveryFailed, NothingToSend, UserError
from dailypapers.core.escape import terminal

if TYPE_CHECKING:
    from dailypapers.core.config import Settings
    from dailypapers.deliver.send import Outcome
    from dailypapers.report.models import Report

To = Annotated[
    list[str] | None,
    typer.Option(
        "--to", metavar="CHANNEL", help="A [deliver.NAME] of config.toml; repeat for several"
    ),
]
Channels = Annotated[
    list[str] | None,
    typer.Option(
        "--to",
        metavar="CHANNEL",
        help="A [deliver.NAME] of config.toml; repeat for several (default: every channel)",
    ),
]


def channels_of(settings: Settings, names: list[str] | None) -> list[str]:
    """The channels asked for (all configured ones when none is named), checked."""
    configured = list(settings.deliver)
    if not configured:
        raise UserError(
            f"no channel is configured: add a [deliver.NAME] table to {settings.home}/"
            "config.toml (see the README's Delivery)"
        )
    for name in names or []:
        if name not in settings.deliver:
            raise UserError(f"unknown channel {name!r}: config.toml has {', '.join(configured)}")
    return names or configured


def tell(outcomes: list[Outcome], label: str, failed: list[DeliveryFailed] | None = None) -> None:
    """One line per channel, a failed one's too; a dry run's messages as a person reads
    them; then the first failure as the command's error, or, if nothing went anywhere
    because nothing was new, exit 7 (never silent)."""
    for o in outcomes:
        for n, text in enumerate(o.texts, 1):
            out.rule(terminal(f"{o.channel} · message {n}/{len(o.texts)}").plain)
            out.print(terminal(text), highlight=False, soft_wrap=True)
        err.print(terminal(o.line(label)), highlight=False)
    for e in (failed or [])[1:]:
        err.print(terminal(f"error: {e}"), highlight=False, soft_wrap=True)
    if failed:
        raise failed[0]
    if outcomes and all(o.status == "nothing new" for o in outcomes):
        raise NothingToSend(f"nothing new to send for {label}")


def deliver_report(
    ctx: typer.Context,
    settings: Settings,
    report: Report,
    names: list[str],
    **how: bool,
) -> tuple[list[Outcome], list[DeliveryFailed]]:
    from dailypapers.run.session import Session

    with opened_store(settings) as store:

        async def go() -> tuple[list[Outcome], list[DeliveryFailed]]:
            async with Session(settings, store, no_llm=True, **runtime(ctx)) as session:
                return await session.deliver_all(report, names, **how)

        return run_async(go())


def archived_report(settings: Settings, period: str | None) -> Report:
    """The archived report of the period, or of the newest analysed day."""
    with opened_archive(settings) as archive:
        if period is None:
            days = [p for p in archive.periods() if p.kind == "day" and p.analysed]
            if not days:
                raise UserError("the archive holds no analysed day: run `dailypapers report`")
            period = days[0].label
        return archived(archive, period, settings.lang, None)


@app.command()
@one_line_errors
def send(
    ctx: typer.Context,
    day: DayArg = None,
    week: Week = None,
    month: Month = None,
    to: To = None,
    lang: LangOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the messages; send and record nothing")
    ] = False,
    resend: Annotated[
        bool, typer.Option("--resend", help="Send again what was sent, new papers or not")
    ] = False,
) -> None:
    """Send an archived report, DATE (default: the newest analysed day) or a --week or a
    --month, to channels.

    Example: dailypapers send 2026-02-11 --to team-feishu --dry-run
    """
    from dailypapers.core.config import load_settings

    settings = load_settings(lang=lang)
    names = channels_of(settings, to)
    report = archived_report(settings, period_of(day, week, month)[0])
    sent, failed = deliver_report(ctx, settings, report, names, resend=resend, dry_run=dry_run)
    tell(sent, report.label, failed)


@app.command()
@one_line_errors
def approve(
    ctx: typer.Context,
    day: DayArg = None,
    week: Week = None,
    month: Month = None,
    to: To = None,
    lang: LangOpt = None,
) -> None:
    """Send what a channel with `approve = true` holds for DATE, a --week or a --month.

    Example: dailypapers approve 2026-02-11 --to team-feishu
    """
    from dailypapers.core.config import load_settings

    settings = load_settings(lang=lang)
    names = channels_of(settings, to)
    period = period_of(day, week, month)[0]
    if period is None:
        raise UserError("give the period to approve, e.g. dailypapers approve 2026-02-11 --to team")
    report = archived_report(settings, period)
    sent, failed = deliver_report(ctx, settings, report, names, approve=True)
    tell(sent, report.label, failed)


@app.command("run-daily")
@one_line_errors
def run_daily(
    ctx: typer.Context,
    to: Channels = None,
    lang: LangOpt = None,
    no_llm: NoLLM = False,
    wait: Annotated[
        float,
        typer.Option(min=0, metavar="MINUTES", help="Wait this long for the day's list to settle"),
    ] = 60.0,
    quiet_for: Annotated[
        float,
        typer.Option(min=0, metavar="MINUTES", help="A list unchanged this long has settled"),
    ] = 10.0,
) -> None:
    """The daily job: the newest day Hugging Face lists, once its list has settled, reported
    (Markdown and HTML in the reports folder) and delivered to every channel (or --to).
    Safe to run twice or at once: nothing is sent twice.

    Example: dailypapers run-daily --to team-feishu
    """
    from dailypapers.core.config import load_settings
    from dailypapers.core.errors import EXIT_PARTIAL
    from dailypapers.run.daily import Daily, daily
    from dailypapers.run.session import Session

    settings = load_settings(lang=lang)
    names = channels_of(settings, to)
    with opened_store(settings) as store:

        async def go() -> Daily:
            async with Session(settings, store, no_llm=no_llm, **runtime(ctx)) as session:
                return await daily(session, names, quiet=quiet_for, wait=wait)

        done = run_async(go())
    for fmt in ("md", "html"):
        emit(done.report, fmt, None, settings, done.report.file_name(fmt), quiet=True)
    for paper_id, reason in done.stats.failures:
        err.print(terminal(f"failed {paper_id}: {reason}"), highlight=False)
    tell(done.outcomes, done.label, done.failed)
    if done.stats.failures:
        raise typer.Exit(EXIT_PARTIAL)
