"""Rendering a report: Markdown (the reference layout), standalone HTML, and JSON. Pure.

The renderers are imported when a report is rendered, not when the CLI starts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..escape import strip_controls

if TYPE_CHECKING:
    from ..models import Report

FORMATS = ("md", "html", "json")


def render(report: Report, fmt: str) -> str:
    """The report in a format; text formats carry no control characters (JSON escapes them)."""
    if fmt == "md":
        from .markdown import render_markdown

        return strip_controls(render_markdown(report))
    if fmt == "html":
        from .html import render_html

        return strip_controls(render_html(report))
    if fmt == "json":
        return report.model_dump_json(indent=2) + "\n"
    raise ValueError(f"unknown format {fmt!r}")
