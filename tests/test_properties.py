"""Property tests: on arbitrary input the parsers, the number scanner and the renderers raise
only our own errors (or none), and finish within a time bound."""

from __future__ import annotations

import contextlib
import io
import time
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter

from dailypapers.checking.grounding import ground, numbers
from dailypapers.core.errors import DailyPapersError
from dailypapers.core.escape import markdown_text, strip_controls
from dailypapers.core.models import Analysis, Document, Paper, PaperResult
from dailypapers.reading.html.parse import parse_html
from dailypapers.reading.pdf.parse import parse_pdf
from dailypapers.report.models import Report
from dailypapers.report.render import render

from servers import FIXTURES

FAST = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
PAGE = (FIXTURES / "arxiv_html/2407.16314v1.html").read_text()

# LaTeXML-shaped fragments, glued together in any order and any nesting depth.
TAGS = st.sampled_from(
    [
        '<article class="ltx_document">',
        '<h1 class="ltx_title ltx_title_document">',
        '<section class="ltx_section" id="S1">',
        '<section class="ltx_appendix">',
        '<h2 class="ltx_title ltx_title_section">',
        '<div class="ltx_para">',
        '<p class="ltx_p">',
        '<div class="ltx_abstract">',
        '<figure class="ltx_table">',
        '<table class="ltx_tabular">',
        "<tr>",
        '<td colspan="x">',
        '<td rowspan="-3">',
        '<td colspan="99999999999">',
        '<math alttext="x^2 %c\n">',
        '<span class="ltx_ERROR">',
        '<span class="ltx_note ltx_role_footnote">',
        '<cite class="ltx_cite">',
        '<ul class="ltx_biblist">',
        '<li class="ltx_bibitem">',
        '<span style="display:none;font-size:">',
        '<span style="color: rgba(255,255,255">',
        '<div class="ltx_authors">',
        '<span class="ltx_creator ltx_role_author">',
        "</div>",
        "</span>",
        "</section>",
        "</p>",
        "<!--",
        "-->",
        "<![CDATA[",
    ]
)
HTMLISH = st.lists(st.one_of(TAGS, st.text(max_size=40)), max_size=60).map("".join)


def only_our_errors(fn, *args) -> None:
    start = time.monotonic()
    with contextlib.suppress(DailyPapersError):
        fn(*args)
    assert time.monotonic() - start < 5


@FAST
@given(HTMLISH)
def test_latexml_parser_on_arbitrary_fragments(page: str) -> None:
    only_our_errors(parse_html, page)


@FAST
@given(st.binary(max_size=2000))
def test_latexml_parser_on_arbitrary_bytes(page: bytes) -> None:
    only_our_errors(parse_html, page)


@settings(max_examples=60, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(PAGE) - 1), st.integers(1, 5000), HTMLISH)
def test_latexml_parser_on_a_real_page_cut_and_spliced(at: int, cut: int, splice: str) -> None:
    only_our_errors(parse_html, PAGE[:at] + splice + PAGE[at + cut :])


# A small pdfTeX file: damage lands in fonts, text and the cross-reference table, not mostly
# in image data as it would in an arXiv PDF of 1 MB.
PDF = (FIXTURES / "pdf_generated/ieee.pdf").read_bytes()


@settings(max_examples=60, deadline=10000, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(PDF) - 1), st.binary(min_size=1, max_size=200))
def test_pdf_reader_on_damaged_files(at: int, junk: bytes) -> None:
    only_our_errors(parse_pdf, PDF[:at] + junk + PDF[at + len(junk) :])


@FAST
@given(st.binary(max_size=3000))
def test_pdf_reader_on_arbitrary_bytes(data: bytes) -> None:
    only_our_errors(parse_pdf, b"%PDF-1.7\n" + data)


def test_pdf_reader_on_an_empty_document() -> None:
    buf = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.write(buf)
    only_our_errors(parse_pdf, buf.getvalue())


NUMBERISH = st.text(
    alphabet="0123456789.,%x×~±-−+ kKMB万亿倍约about percent e^$\\{}()[]", max_size=80
)


@FAST
@given(st.one_of(NUMBERISH, st.text(max_size=200)))
def test_number_scanner_on_arbitrary_text(text: str) -> None:
    start = time.monotonic()
    for n in numbers(text):
        assert n.text in text or n.text
    assert time.monotonic() - start < 1


TEXT = st.text(max_size=120)
DOC = Document(arxiv_id="2401.00001", source="html", title="T", abstract="We reach 91.5% on MMLU.")


@st.composite
def analyses(draw) -> Analysis:
    short = st.text(max_size=60)
    return Analysis.model_validate(
        {
            "domains": draw(st.lists(short, max_size=3)),
            "contribution": draw(TEXT),
            "contribution_evidence": {"section": draw(short), "quote": draw(TEXT)},
            "usage": {
                "inputs": draw(short),
                "outputs": draw(short),
                "workflow": draw(st.lists(short, max_size=3)),
                "hardware": draw(short),
                "code": draw(short),
                "code_urls": draw(st.lists(short, max_size=2)),
                "evidence": [],
            },
            "innovations": [
                {
                    "name": draw(short),
                    "explanation": draw(TEXT),
                    "evidence": {"section": "", "quote": draw(short)},
                }
                for _ in range(draw(st.integers(0, 3)))
            ],
            "results": [
                {
                    "claim": draw(TEXT),
                    "benchmark": draw(st.one_of(st.none(), short)),
                    "metric": draw(st.one_of(st.none(), short)),
                    "values": draw(st.lists(NUMBERISH, max_size=3)),
                    "baseline": draw(st.one_of(st.none(), short)),
                    "evidence": {"section": "", "quote": draw(short)},
                }
                for _ in range(draw(st.integers(0, 3)))
            ],
        }
    )


@settings(max_examples=100, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(analyses(), TEXT, st.sampled_from(["md", "html", "json"]), st.sampled_from(["zh", "en"]))
def test_grounding_and_renderers_on_arbitrary_analyses(analysis, title, fmt, lang) -> None:
    grounding = ground(analysis, DOC)
    paper = Paper(id="2401.00001", title=title, github_repo=title, project_page=title)
    result = PaperResult(paper=paper, analysis=analysis, grounding=grounding)
    report = Report(
        label="2026-02-11",
        lang=lang,
        generated_at=datetime.now(UTC),
        analyser="llm",
        papers=[result],
    )
    out = render(report, fmt)
    assert report.papers[0] == result  # kept packed, read back as it was
    assert "\x1b" not in out
    if fmt == "json":  # written a paper at a time, as pydantic writes it whole
        assert out == report.model_dump_json(indent=2) + "\n"
    if fmt == "html":
        assert "<script" not in out.lower().replace("&lt;script", "")
        assert 'href="javascript' not in out.lower()
    if fmt == "md":
        assert "<script" not in out.lower()


@FAST
@given(st.text())
def test_escapes_never_leave_controls_or_links(text: str) -> None:
    assert not any(ord(c) < 32 and c not in "\n\t" for c in strip_controls(text))
    md = markdown_text(text)
    assert "<script" not in md.lower() and "](" not in md.replace("\\](", "")
