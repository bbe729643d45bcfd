"""The options the commands share, each with its help, and what the user typed turned into
what the library takes: a period, an arXiv id, the formats and where each is written."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dailypapers.core import periods
from dailypapers.core.errors import UserError
from dailypapers.core.ids import id_in
from dailypapers.report.render import FORMATS

# Arguments are described in their command's help (typer would tag them with their type).
DayArg = Annotated[str | None, typer.Argument(metavar="DATE", show_default=False, hidden=True)]
Week = Annotated[str | None, typer.Option(metavar="WEEK", help="An ISO week, e.g. 2026-W07")]
Month = Annotated[str | None, typer.Option(metavar="MONTH", help="A month, e.g. 2026-02")]
PaperArg = Annotated[str, typer.Argument(metavar="PAPER", show_default=False, hidden=True)]
LangOpt = Annotated[
    str | None, typer.Option("--lang", metavar="LANG", help="Report language: zh or en")
]
Formats = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMATS",
        help="md, html or json, or several at once (md,html,json); "
        "default: the extension of -o, else md",
    ),
]
Output = Annotated[
    str | None,
    typer.Option("-o", "--output", metavar="PATH", help="Write here, or - for stdout"),
]
NoLLM = Annotated[bool, typer.Option("--no-llm", help="The paper's own sentences, no LLM")]
Model = Annotated[str | None, typer.Option("--model", metavar="MODEL", help="LLM model name")]
Unverified = Annotated[
    str | None,
    typer.Option(
        metavar="POLICY",
        help="Unverified items: retry (default: once, then mark), mark, drop or keep; "
        "applies when a paper is analysed (add --reanalyse to re-apply)",
    ),
]
Reanalyse = Annotated[
    bool, typer.Option("--reanalyse", "--reanalyze", help="Ask for the analyses again")
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress display (for cron)")]
EXTENSIONS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".json": "json"}


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


def paper_id(pasted: str) -> str:
    found = id_in(pasted)
    if found is None:
        raise UserError(
            f"{pasted[:80]!r} is not an arXiv id or link (like 2501.11120, arXiv:2501.11120v2, "
            "https://arxiv.org/abs/2501.11120 or https://huggingface.co/papers/2501.11120)"
        )
    return found


def formats_of(given: str | None, output: str | None) -> list[str]:
    """The formats asked for: as given, else the one -o's extension names, else Markdown.
    Several formats go to the reports folder, one file each: -o names one file."""
    if given is None:
        suffix = Path(output).suffix.lower() if output and output != "-" else ""
        return [EXTENSIONS.get(suffix, "md")]
    formats = list(dict.fromkeys(f.strip().lower() for f in given.split(",") if f.strip()))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise UserError(f"unknown format {','.join(unknown) or given!r}: use md, html or json")
    if len(formats) > 1 and output is not None:
        raise UserError(
            f"-o writes one file: give one format with it, or leave -o out to write "
            f"{', '.join(formats)} to the reports folder"
        )
    return formats
