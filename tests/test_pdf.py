"""PDF fallback against the two real arXiv PDFs."""

from __future__ import annotations

import pytest

from dailypapers.errors import ParseError
from dailypapers.pdf import parse_pdf, strip_running_lines

from servers import FIXTURES


@pytest.fixture(scope="module")
def lexsum():
    return parse_pdf((FIXTURES / "pdf/2206.10883v3.pdf").read_bytes(), arxiv_id="2206.10883")


@pytest.fixture(scope="module")
def expository():
    return parse_pdf((FIXTURES / "pdf/2304.02623v1.pdf").read_bytes(), arxiv_id="2304.02623")


def test_title_and_abstract(lexsum, expository) -> None:
    assert lexsum.title == (
        "Multi-LexSum: Real-World Summaries of Civil Rights Lawsuits at Multiple Granularities"
    )
    assert lexsum.abstract.startswith("With the advent of large language models")
    assert "9,280 expert-authored summaries" in lexsum.abstract
    assert "knowledge workers" in lexsum.abstract  # "knowl-edge" rejoined
    assert expository.title.startswith("Beyond Summarization")
    assert expository.abstract.startswith("Large language models have introduced")
    assert [a.name for a in lexsum.authors][:2] == ["Zejiang Shen", "Kyle Lo"]


def test_sections_found(lexsum, expository) -> None:
    heads = [s.heading for s in lexsum.sections]
    for h in [
        "1 Introduction",
        "2 Related work",
        "3.1 Task definition",
        "4 Experiments",
        "6 Conclusion",
        "A Multi-LexSum release",
    ]:
        assert h in heads
    assert heads.index("1 Introduction") < heads.index("4 Experiments")
    assert all(s.appendix for s in lexsum.sections[heads.index("A Multi-LexSum release") :])
    assert [s.heading for s in expository.sections][:4] == [
        "1 Introduction",
        "2 Characterizing Expository Writing",
        "3 Designing Ai Supports For Expository Writing",
        "4 Conclusion",
    ]
    assert len(lexsum.bibliography) > 50 and lexsum.bibliography[0].startswith("[1] Iz Beltagy")
    tables = [b for s in lexsum.sections for b in s.blocks if b.kind == "table"]
    assert tables and tables[0].label == "Table 1"


def test_no_running_header_repeated(expository, lexsum) -> None:
    text = expository.body_text()
    assert "Shen, et al." not in text
    assert text.count("Beyond Summarization: Designing AI Support for Real-World") <= 1
    assert "\n2\n" not in lexsum.body_text()


def test_strip_running_lines_keeps_body() -> None:
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]
    pages = [
        ["My Paper Header", *(f"{w} on page {words[i]}" for w in words), str(i + 1)]
        for i in range(5)
    ]
    kept = strip_running_lines(pages)
    assert "My Paper Header" not in kept and "3" not in kept
    assert len(kept) == 30


def test_not_a_pdf() -> None:
    with pytest.raises(ParseError):
        parse_pdf(b"%PDF-1.4 garbage", arxiv_id="x")
