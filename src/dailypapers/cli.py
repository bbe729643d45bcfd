"""The command line: a list of verbs. Each command turns our errors into one line."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from . import arxiv, hf
from .config import load_settings
from .errors import DailyPapersError, UserError
from .net import Net

app = typer.Typer(
    help="Turn the Hugging Face Daily Papers list into a grounded research report.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(fn: F) -> F:
    """Our errors become `error: …` on stderr and exit 1; DAILYPAPERS_DEBUG=1 re-raises."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (DailyPapersError, KeyboardInterrupt) as e:
            if os.environ.get("DAILYPAPERS_DEBUG") == "1":
                raise
            message = str(e) if isinstance(e, DailyPapersError) else "interrupted"
            err.print(
                f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True
            )
            raise typer.Exit(2 if isinstance(e, UserError) else 1) from None

    return wrapper  # type: ignore[return-value]


def period_of(day: str | None, week: str | None, month: str | None) -> tuple[str | None, str]:
    if sum(x is not None for x in (day, week, month)) > 1:
        raise UserError("give one of DATE, --week or --month, not several")
    if week:
        return hf.parse_period(week, "week"), "week"
    if month:
        return hf.parse_period(month, "month"), "month"
    return (hf.parse_period(day, "day") if day else None), "day"


@app.command("list")
@one_line_errors
def list_cmd(
    day: Annotated[str | None, typer.Argument(help="Day YYYY-MM-DD (default: latest)")] = None,
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2026-W07")] = None,
    month: Annotated[str | None, typer.Option(help="Month, e.g. 2026-02")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the papers as JSON")] = False,
) -> None:
    """List the papers of a day, week or month.

    Example: dailypapers list 2026-02-11
    """
    period, kind = period_of(day, week, month)
    settings = load_settings()

    async def go() -> tuple[str, list]:
        async with Net(settings) as net:
            if period is None:
                return await hf.latest_day(net, date.today())
            return period, await hf.fetch_listing(net, period, kind)  # type: ignore[arg-type]

    label, papers = asyncio.run(go())
    if as_json:
        out.print_json(json.dumps([p.model_dump(mode="json") for p in papers]))
        return
    if not papers:
        out.print(f"no papers were listed on {label}")
        return
    table = Table(title=f"Hugging Face Daily Papers — {label} ({len(papers)} papers)")
    table.add_column("arXiv id", no_wrap=True)
    table.add_column("▲", justify="right")
    table.add_column("title")
    table.add_column("code", overflow="fold")
    for p in papers:
        table.add_row(p.id, str(p.upvotes), p.title, p.github_repo or "")
    out.print(table)


@app.command()
@one_line_errors
def read(
    arxiv_id: Annotated[str, typer.Argument(help="arXiv id, e.g. 2501.11120")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the document model")] = False,
) -> None:
    """Read one paper (HTML, else PDF, else abstract) and print it as Markdown.

    Example: dailypapers read 2501.11120
    """
    if not arxiv.valid_id(arxiv_id):
        raise UserError(f"{arxiv_id!r} is not an arXiv id (like 2501.11120 or 2501.11120v2)")
    settings = load_settings()

    async def go() -> tuple[Any, list[str]]:
        async with Net(settings) as net:
            meta = await arxiv.try_meta(net, [arxiv.split_version(arxiv_id)[0]])
            m = next(iter(meta.values()), None)
            from .models import Paper

            paper = Paper(
                id=arxiv_id,
                title=m.title if m else arxiv_id,
                abstract=m.summary if m else "",
                authors=m.authors if m else [],
            )
            reasons: list[str] = []
            return await arxiv.read_paper(net, paper, m, reasons), reasons

    doc, reasons = asyncio.run(go())
    if doc.source == "abstract" and not doc.abstract:
        raise DailyPapersError(f"could not read {arxiv_id}: " + "; ".join(reasons))
    label = {"html": "arXiv HTML", "pdf": "PDF", "abstract": "abstract only"}[doc.source]
    err.print(
        f"source: {label} {doc.version_label}".rstrip()
        + (f" (fell back: {'; '.join(reasons)})" if reasons else ""),
        highlight=False,
        soft_wrap=True,
    )
    if as_json:
        sys.stdout.write(doc.model_dump_json(indent=2) + "\n")
    else:
        sys.stdout.write(doc.markdown())


def main() -> None:
    app()


if __name__ == "__main__":
    main()
