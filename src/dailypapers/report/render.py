"""Rendering a report: Markdown (the reference layout), standalone HTML, and JSON. Pure.

A report is rendered in pieces, a paper at a time, and written as it is rendered: a month's
report is never whole in memory, as text or as objects (see results.py). The renderers are
imported when a report is rendered, not when the CLI starts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from dailypapers.core.escape import strip_controls

if TYPE_CHECKING:
    from dailypapers.report.models import Report

FORMATS = ("md", "html", "json")
PIECE = 1 << 16  # characters handed to the writer at a time


def render(report: Report, fmt: str) -> str:
    """The report in a format, whole."""
    return "".join(render_pieces(report, fmt))


def render_pieces(report: Report, fmt: str) -> Iterator[str]:
    """The report in a format, in pieces of about `PIECE` characters; text formats carry no
    control characters (JSON escapes them)."""
    if fmt == "md":
        from dailypapers.report.markdown import markdown_chunks

        return (strip_controls(p) for p in _pieces(markdown_chunks(report)))
    if fmt == "html":
        from dailypapers.report.html import html_chunks

        return (strip_controls(p) for p in _pieces(html_chunks(report)))
    if fmt == "json":
        return _pieces(json_chunks(report))
    raise ValueError(f"unknown format {fmt!r}")


def json_chunks(report: Report) -> Iterator[str]:
    """`report.model_dump_json(indent=2)`, a paper at a time: the report without its papers,
    which ends with the computed score (the last key at the top level; JSON strings hold no
    raw newline, so the split cannot fall inside one), and the papers spliced in before it."""
    head, score = report.model_dump_json(indent=2, exclude={"papers"}).rsplit(
        ',\n  "grounding_score": ', 1
    )
    yield head + ',\n  "papers": ['
    for i, paper in enumerate(report.papers):
        item = paper.model_dump_json(indent=2).replace("\n", "\n    ")
        yield ("," if i else "") + "\n    " + item
    yield ("\n  ]" if report.papers else "]") + ',\n  "grounding_score": ' + score + "\n"


def _pieces(chunks: Iterable[str]) -> Iterator[str]:
    """Jinja yields a piece per template statement: gathered into fewer, larger ones."""
    gathered: list[str] = []
    size = 0
    for chunk in chunks:
        gathered.append(chunk)
        size += len(chunk)
        if size >= PIECE:
            yield "".join(gathered)
            gathered, size = [], 0
    if gathered:
        yield "".join(gathered)
