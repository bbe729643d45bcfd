"""The PDF reader on real arXiv PDFs: the parts a reader relies on, and hostile bytes."""

from __future__ import annotations

import pytest

from dailypapers.core.errors import ParseError
from dailypapers.reading.pdf.lines import Line
from dailypapers.reading.pdf.parse import parse_pdf
from dailypapers.reading.pdf.parts import Joiner, drop_contents, reference_entries

from servers import FIXTURES


def read(name: str):
    return parse_pdf((FIXTURES / f"pdf/{name}.pdf").read_bytes(), arxiv_id=name[:10])


@pytest.fixture(scope="module")
def lexsum():
    return read("2206.10883v3")


@pytest.fixture(scope="module")
def citesee():
    return read("2302.07302v1")


@pytest.fixture(scope="module")
def pasa():
    return read("2501.10120v1")


def line(text: str, x0: float = 72, base: float = 700, size: float = 10, page: int = 0) -> Line:
    return Line(
        text,
        x0,
        x0 + 6 * len(text),
        base,
        base + size,
        size,
        False,
        False,
        False,
        False,
        [text],
        [(x0, x0 + 6 * len(text), text)],
        page,
    )


def test_front_matter(lexsum, citesee, pasa) -> None:
    assert [a.name for a in lexsum.authors][:2] == ["Zejiang Shen", "Kyle Lo"]
    # the title wraps to two lines: the first author is still there
    assert [a.name for a in citesee.authors][0] == "Joseph Chee Chang"
    assert pasa.abstract.startswith("We introduce PaSa")
    assert pasa.abstract.endswith("https://github.com/bytedance/pasa.")
    assert citesee.abstract.endswith("when conducting real-world literature reviews.")


def test_sections_and_appendices(lexsum, pasa) -> None:
    heads = [s.heading for s in lexsum.sections]
    assert heads.index("1 Introduction") < heads.index("4.1 Experimental Setup")
    first = heads.index("A Multi-LexSum release")
    assert all(s.appendix for s in lexsum.sections[first:])
    assert not any(s.appendix for s in lexsum.sections[:first])
    assert [s.heading for s in pasa.sections if s.level == 2][:2] == [
        "3.1 AutoScholarQuery",
        "3.2 RealScholarQuery",
    ]


def test_references_apart_and_complete(citesee, pasa) -> None:
    # "A Anthropic. 2024." starts a reference, not an appendix
    assert len(pasa.bibliography) == 37
    assert any(b.startswith("A Anthropic. 2024.") for b in pasa.bibliography)
    assert citesee.bibliography[0].startswith("[1] 2019. CHI")
    assert citesee.bibliography[-1].startswith("[65] Houjin Yu")
    assert "Houjin Yu" not in citesee.body_text()


def test_tables_as_rows_and_cells(pasa) -> None:
    table = next(
        b for s in pasa.sections for b in s.blocks if b.kind == "table" and b.label == "Table 8"
    )
    assert "| PaSa-7b | 0.7931 | 0.1448 | 0.4834 | 0.7071 | 0.5146 | 0.6111 |" in table.text
    assert "0.7931" not in " ".join(
        b.text for s in pasa.sections for b in s.blocks if b.kind == "paragraph"
    )


def test_footnotes_apart(pasa, lexsum) -> None:
    assert "Equal contribution." in pasa.footnotes
    assert "https://iclr.cc/Conferences/2023" in pasa.footnotes
    assert "ICLR 2023, ICML 2023, NeurIPS 2023" in pasa.body_text()
    assert "The dataset can be accessed at" not in lexsum.abstract


def test_hyphens_decided_by_the_papers_words(lexsum, pasa) -> None:
    assert "knowledge workers" in lexsum.abstract  # "knowl-edge" rejoined
    text = pasa.body_text() + " ".join(pasa.bibliography)
    assert "survey-level coverage" in text and "Iterative research" in text
    assert "PaSa-GPT-4o" in text  # a hyphen before a capital is kept


def test_no_margin_stamp_or_running_header(citesee) -> None:
    text = citesee.markdown()
    assert "arXiv:2302.07302" not in text and "CHI ’23, April" not in text
    assert "\x0c" not in text and "\ufffe" not in text


def test_printed_table_of_contents_is_not_the_headings() -> None:
    toc = [
        "Contents",
        "1 Introduction 3",
        "2 Background . . . . . 5",
        "2.1 Data 6",
        "3 Method 9",
        "7 Conclusions 42",
    ]
    body = ["1 Introduction", "Text of the paper."]
    lines = [line(t, page=1, base=700 - 12 * i) for i, t in enumerate(toc)]
    lines += [line(t, page=2) for t in body]
    assert [ln.text for ln in drop_contents(lines, 50)] == body


def test_reference_entries_by_hanging_indent() -> None:
    refs = [
        line("A Askell, P. Mishkin and J. Doe. 2021.", base=700),
        line("A general language assistant.", x0=82, base=688),
        line("B. Baker. 2020. Emergent tool use.", base=676),
        line("In ICLR.", x0=82, base=664),
        line("C. Chen. 2019. Another paper.", base=652),
        line("arXiv preprint.", x0=82, base=640),
    ]
    entries = reference_entries(refs, Joiner(refs), 12)
    assert entries[0] == "A Askell, P. Mishkin and J. Doe. 2021. A general language assistant."
    assert len(entries) == 3


def test_not_a_pdf() -> None:
    with pytest.raises(ParseError):
        parse_pdf(b"%PDF-1.4 garbage", arxiv_id="x")


def test_acm_journal_names_on_affiliation_lines_and_unheaded_abstract() -> None:
    doc = parse_pdf((FIXTURES / "pdf_generated/acmsmall.pdf").read_bytes())
    assert [a.name for a in doc.authors][:2] == ["Alice Zhang", "Bob Kumar"]
    assert doc.abstract.endswith("it answers a query in 38 milliseconds.")
    assert "CCS" not in doc.abstract and "routing" not in doc.abstract.split(".")[-1]
    assert "2 Related Work" in [s.heading for s in doc.sections]  # not taken for a table row


def test_ieee_roman_sections_italic_subsections_and_table_label() -> None:
    doc = parse_pdf((FIXTURES / "pdf_generated/ieee.pdf").read_bytes())
    subs = [s.heading for s in doc.sections if s.level == 2]
    assert subs == ["A Contributions", "A Training"]
    table = next(b for s in doc.sections for b in s.blocks if b.kind == "table")
    assert table.label == "Table I" and "LONGBENCH" in (table.caption or "")
    assert "| SparseRoute | 71.3 | 0.11 | 38 |" in table.text
    assert table.text.startswith("| Method | Accuracy | Tokens read | Latency (ms) |")


@pytest.mark.parametrize("layout", ["llncs", "revtex", "sigconf", "elsarticle"])
def test_a_header_set_close_is_the_first_row(layout: str) -> None:
    doc = parse_pdf((FIXTURES / f"pdf_generated/{layout}.pdf").read_bytes())
    table = next(b for s in doc.sections for b in s.blocks if b.kind == "table")
    assert table.text.startswith("| Method | Accuracy | Tokens read | Latency (ms) |")
    assert "Method Accuracy" not in " ".join(b.text for s in doc.sections for b in s.blocks)


def test_printed_contents_page_of_a_report() -> None:
    doc = parse_pdf((FIXTURES / "pdf_generated/report.pdf").read_bytes())
    assert [s.heading for s in doc.sections][:2] == ["1 Introduction", "1.1 Contributions"]
    assert doc.sections[-1].appendix and doc.sections[-1].heading == "A Hyperparameters"


def test_plain_headings_when_the_fonts_mark_none() -> None:
    """A PDF whose fonts carry no weight (or a style with plain headings): numbered lines
    that follow on, and a line that is only "References", are still headings."""
    from dailypapers.reading.pdf.layout import build_document
    from dailypapers.reading.pdf.lines import Page

    prose = "This sentence is part of the running text of the paper and goes on for a while."
    rows = [
        ("A Paper Whose Fonts Say Nothing", 17),
        ("Ada Lovelace", 10),
        ("Abstract", 10),
        *[(prose, 10)] * 3,
        ("1 Introduction", 10),
        *[(prose, 10)] * 4,
        ("2 Method", 10),
        *[(prose, 10)] * 4,
        ("References", 10),
        ("[1] C. Babbage. 1864. Passages from the life of a philosopher.", 10),
        ("[2] L. Menabrea. 1842. Sketch of the analytical engine.", 10),
        ("[3] A. Turing. 1950. Computing machinery and intelligence.", 10),
    ]
    lines = [line(text, base=760 - 14 * i, size=size) for i, (text, size) in enumerate(rows)]
    doc = build_document([Page(0, 612, 792, lines, 0)], "", arxiv_id=None, url=None, version=None)
    assert doc.title == "A Paper Whose Fonts Say Nothing"
    assert [a.name for a in doc.authors] == ["Ada Lovelace"]
    assert [s.heading for s in doc.sections] == ["1 Introduction", "2 Method"]
    assert len(doc.bibliography) == 3 and doc.abstract.startswith("This sentence")
