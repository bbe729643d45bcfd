"""Rendering a report: Markdown (the reference layout), standalone HTML, and JSON. Pure."""

from __future__ import annotations

from ..escape import strip_controls
from ..models import Report
from .html import render_html
from .markdown import render_markdown

FORMATS = ("md", "html", "json")


def render(report: Report, fmt: str) -> str:
    """The report in a format; text formats carry no control characters (JSON escapes them)."""
    if fmt == "md":
        return strip_controls(render_markdown(report))
    if fmt == "html":
        return strip_controls(render_html(report))
    if fmt == "json":
        return report.model_dump_json(indent=2) + "\n"
    raise ValueError(f"unknown format {fmt!r}")


__all__ = ["FORMATS", "render", "render_html", "render_markdown"]
