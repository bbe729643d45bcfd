"""The report as one standalone HTML page: autoescaped (paper text is untrusted), no
external assets, readable on a phone, with a table of contents."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape

from dailypapers.report.labels import (
    LABELS,
    analyser_label,
    facts_line,
    grounding_line,
    hub_links,
    is_web_url,
    key_figure,
    page_heading_label,
    provenance_line,
    reason_text,
    reason_words,
    selection_line,
    short_title,
    source_name,
    what_was_read,
)
from dailypapers.report.markdown import result_parts, said
from dailypapers.report.math import with_math
from dailypapers.report.models import Report


@cache
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("dailypapers.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["math"] = with_math
    env.tests["web_url"] = is_web_url  # only http(s) links become hrefs, never javascript:
    env.globals.update(
        source_name=source_name,
        provenance_line=provenance_line,
        result_parts=result_parts,
        facts_line=facts_line,
        said=said,
        short_title=short_title,
        hub_links=hub_links,
        key_figure=key_figure,
        reason_words=reason_words,
        grounding_line=grounding_line,
        reason_text=reason_text,
        what_was_read=what_was_read,
    )
    return env


def html_chunks(report: Report) -> Iterator[str]:
    """The page as Jinja writes it, piece by piece."""
    t = LABELS[report.lang]
    return (
        _env()
        .get_template("report.html.j2")
        .generate(
            report=report,
            t=t,
            heading=page_heading_label(report, t),
            analyser=analyser_label(report, t),
            selection=selection_line(report, t),
            score=report.grounding_score,  # a pass over every paper: once
            index={r.paper.id: (i, r.paper) for i, r in enumerate(report.papers, 1)},
            lang="zh-CN" if report.lang == "zh" else "en",
        )
    )
