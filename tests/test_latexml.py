"""The LaTeXML parser against every recorded page, asserted against what each page contains."""

from __future__ import annotations

import re

import pytest

from dailypapers.core.errors import ConversionFailed
from dailypapers.core.models import estimate_tokens
from dailypapers.reading.html.parse import parse_html

from servers import FIXTURES

CHROME = [
    "Report GitHub Issue",
    "Why HTML?",
    "Back to Abstract",
    "Download PDF",
    "Site announcement",
    "Experimental support",
    "Instructions for reporting errors",
    "Contact arXiv",
    "Table of contents entry",
    "Navbar entry text",
    "footer text",
    "Toggle dark mode",
]

CAPITAL = dict(
    title="Capital as Artificial Intelligence",
    authors=2,
    version="v1",
    sections=[
        "",
        "Capital as a Historical Agential System",
        "The Agents of Capital",
        "The Entropy of Capital",
        "The Artificial Intelligence in Capital",
        "A Pragmatic Perspective",
        "Conclusion",
    ],
    tables=0,
    formula="$(\\mathcal{A},\\mathcal{O})$",
    appendix=None,
)
PAGES = {
    "arxiv_html/2501.11120v1.html": dict(
        title="Tell me about yourself: LLMs are aware of their learned behaviors",
        authors=6,
        version="v1",
        sections=[
            "1 Introduction",
            "2 Out-of-context reasoning",
            "3 Awareness of behaviors",
            "4 Awareness of backdoors",
            "5 Multi-Persona experiments",
            "6 Related work",
            "7 Discussion",
            "8 Conclusion",
            "Acknowledgments",
            "A Author contributions",
            "B Supplementary results",
            "C Full experimental details",
        ],
        tables=47,
        table=("Table 2", "When models are finetuned to write vulnerable code"),
        formula="$z\\in Z$",
        appendix="A Author contributions",
    ),
    "arxiv_html/2407.16314v1.html": {
        **CAPITAL,
        "formula": "$$\\mathcal{H}=\\bigcup_{t=0}^{\\infty}(\\mathcal{A}\\times\\mathcal{O})^{t}$$",
    },
    # the same article in the two newer page layouts
    "crafted/layout2_2407.16314v2.html": {**CAPITAL, "version": "v2"},
    "crafted/layout3_2407.16314v1.html": CAPITAL,
    "latexml_html/Melodiz_RBPO_icml2025.html": dict(
        title="The Anatomy of the CTC Oracle Gap: Acoustic Exhaustion and Linguistic Recovery",
        authors=1,
        version=None,
        sections=[
            "",
            "1 Introduction",
            "2 Related Work",
            "3 Theoretical Framework",
            "4 Training-Time Policy Optimization",
            "5 Decode-Time MBR Decoding",
            "6 Cross-Condition Validation and Diagnostics",
            "7 Conclusion",
            "Acknowledgements",
            "A Full Results Tables",
            "B Supplementary Experiments",
            "C Detailed Method Discussions",
        ],
        tables=13,
        table=("Table 1", "MWER training results on Zipformer-S CR-CTC"),
        formula="\\lambda\\,\\log P_{\\text{LM}}(y_{t}|y_{<t})",
        appendix="A Full Results Tables",
    ),
    "latexml_html/TudorAndrei_dontpatronizeme-Semeval2022_acl.html": dict(
        title="University of Bucharest Team at Semeval-2022 Task4: Detection and Classification "
        "of Patronizing and Condescending Language",
        authors=4,
        version=None,
        sections=[
            "1 Introduction",
            "2 Background",
            "3 System Overview",
            "4 Results",
            "5 Conclusion",
            "Acknowledgements",
        ],
        tables=4,
        table=("Table 1", "Results on Imbalanced and Oversampled Lemmatized"),
        formula="$\\backslash$",
        appendix=None,
    ),
    "latexml_html/jinensetpal_contrastive-optimization_neurips2025.html": dict(
        title="Interpretable Casual Interventions Discourage Spurious Learning",
        authors=1,
        version=None,
        sections=[
            "1 Background & Motivation",
            "2 Methodology",
            "3 Results",
            "4 Upcoming / In Progress Tasks",
            "A Ablated Cross-Entropy Adaptations",
        ],
        tables=3,
        table=("Table 1", "Accuracies under various ablations"),
        formula="\\tilde{\\mathcal{\\bm{A}}}_{c}^{\\text{HiResCAM}}",
        appendix="A Ablated Cross-Entropy Adaptations",
    ),
    "latexml_html/nooralahzadeh_ATLAS-PTQ_iclr2025.html": dict(
        title="ATLAS: AND-Gated Task-Circuit and Loss-Aligned Saliency for Low-Bit LLM "
        "Quantization",
        authors=1,
        version=None,
        sections=[
            "1 Introduction",
            "2 Theoretical Framing: Encoded–Used Gap Dissociation",
            "3 Research Questions",
            "4 Related Work",
            "5 Method: ATLAS — AND-Gated Task-Circuit and Loss-Aligned Saliency",
            "6 Experimental Setup",
            "7 Results",
            "8 Domain-shift at 2-bit: calibration corpus controls",
            "9 Analysis",
            "10 Limitations",
            "11 Systems Outlook: Dynamic Sparse Overlays",
            "12 Conclusion",
            "A Hyperparameters",
            "B Contrastive corruption schema",
            "C Saliency-source ablation: arm definitions",
            "D Transcoder-native feature audit",
            "E Additional results",
            "F Broader impact",
        ],
        tables=8,
        table=("Table 1", "Positioning vs. closest prior work"),
        formula="$\\Delta W=W-W_{\\text{quant}}$",
        appendix="A Hyperparameters",
    ),
}


@pytest.fixture(scope="module", params=sorted(PAGES))
def page(request: pytest.FixtureRequest):
    raw = (FIXTURES / request.param).read_bytes()
    return PAGES[request.param], parse_html(raw), raw.decode()


def test_title_authors_version(page) -> None:
    want, doc, _ = page
    assert doc.title == want["title"]
    assert len(doc.authors) == want["authors"]
    assert doc.version == want["version"]


def test_sections_in_order(page) -> None:
    want, doc, _ = page
    assert [s.heading for s in doc.sections if s.level == 1] == want["sections"]


def test_tables_with_captions(page) -> None:
    want, doc, raw = page
    tables = [b for s in doc.sections for b in s.blocks if b.kind == "table" and b.label]
    assert len(tables) == want["tables"]
    assert len(tables) == len(re.findall(r'ltx_tag_table">Table \d+', raw))
    if "table" in want:
        label, caption = want["table"]
        table = next(t for t in tables if t.label == label)
        assert table.caption.startswith(f"{label}: {caption}")
        assert table.text.startswith("| ") and "|---|" in table.text


def test_formula_as_tex(page) -> None:
    want, doc, _ = page
    md = doc.markdown()
    assert want["formula"] in md
    assert "<math" not in md and "italic_" not in md  # no MathML or llamapun token soup


def test_appendix_marked(page) -> None:
    want, doc, _ = page
    marked = [s.heading for s in doc.sections if s.appendix and s.level == 1]
    if want["appendix"]:
        assert marked[0] == want["appendix"]
        assert all(s.role == "appendix" for s in doc.sections if s.appendix)
        assert not any(
            s.appendix
            for s in doc.sections[: doc.sections.index(next(s for s in doc.sections if s.appendix))]
        )
    else:
        assert marked == []


def test_no_page_chrome(page) -> None:
    _, doc, _ = page
    text = doc.model_dump_json()
    for furniture in CHROME:
        assert furniture not in text


def test_bibliography_apart_and_footnotes_out_of_sentences() -> None:
    doc = parse_html((FIXTURES / "arxiv_html/2501.11120v1.html").read_bytes())
    assert len(doc.bibliography) == 48
    assert sum("arXiv preprint" in b for b in doc.bibliography) >= 10
    assert "arXiv preprint" not in doc.body_text()  # references never leak into the body
    note = "We replicate some of our experiments on open-weight models"
    assert note in doc.footnotes[0]
    assert not any(note in b.text for s in doc.sections for b in s.blocks)
    assert "https://github.com/XuchanBao/behavioral-self-awareness" in doc.links
    assert doc.conversion_errors == 7


def test_layout3_infobox_gives_license_and_category() -> None:
    doc = parse_html((FIXTURES / "crafted/layout3_2407.16314v1.html").read_bytes())
    assert doc.arxiv_id == "2407.16314" and doc.version == "v1"
    assert doc.license == "CC BY 4.0" and doc.primary_category == "cs.CY"


def test_failed_conversion_is_not_the_paper() -> None:
    with pytest.raises(ConversionFailed, match="conversion errors"):
        parse_html((FIXTURES / "crafted/failed_conversion_2608.30667v1.html").read_bytes())


def test_code_listing_and_lists() -> None:
    doc = parse_html((FIXTURES / "arxiv_html/2501.11120v1.html").read_bytes())
    kinds = {b.kind for s in doc.sections for b in s.blocks}
    assert {"paragraph", "table", "figure", "list", "code"} <= kinds
    code = next(b for s in doc.sections for b in s.blocks if b.kind == "code")
    assert code.text.startswith("def message_probability_me(message: str) -> float:")
    assert "␣" not in code.text and "Probability that the given message" in code.text
    theorems = parse_html(
        (
            FIXTURES / "latexml_html/jinensetpal_contrastive-optimization_neurips2025.html"
        ).read_bytes()
    )
    theorem = next(b for s in theorems.sections for b in s.blocks if b.kind == "theorem")
    assert theorem.text.startswith("**Theorem 2.1.** Individual class probabilites")


def test_markdown_and_token_estimate() -> None:
    doc = parse_html((FIXTURES / "arxiv_html/2501.11120v1.html").read_bytes())
    md = doc.markdown()
    assert md.startswith("# Tell me about yourself")
    assert "## 1 Introduction" in md and "### 3.1 " in md
    assert 10_000 < estimate_tokens(md) < 100_000
    assert estimate_tokens("大语言模型") > estimate_tokens("abcde")
    intro = doc.with_role("introduction")
    assert intro and intro[0].title == "Introduction"


def test_version_from_back_to_abstract_when_no_watermark() -> None:
    page = (FIXTURES / "crafted/layout3_2407.16314v1.html").read_text()
    page = re.sub(r'<div id="watermark-tr">.*?</div>', "", page).replace(
        "/abs/2407.16314v1", "/abs/2407.16314v3"
    )
    doc = parse_html(page)
    assert doc.arxiv_id == "2407.16314" and doc.version == "v3"
    assert doc.primary_category is None


def test_citation_links_never_give_the_version() -> None:
    page = (FIXTURES / "latexml_html/TudorAndrei_dontpatronizeme-Semeval2022_acl.html").read_text()
    assert "arxiv.org/abs/1803.11175" in page
    assert parse_html(page).version is None


def test_algorithm_float_keeps_its_steps() -> None:
    page = (
        """<html><body><div class="ltx_page_main"><div class="ltx_page_content">
    <article class="ltx_document"><h1 class="ltx_title ltx_title_document">Algo</h1>
    <section class="ltx_section" id="S1"><h2 class="ltx_title ltx_title_section">
    <span class="ltx_tag ltx_tag_section">1 </span>Method</h2>
    <div class="ltx_para"><p class="ltx_p">"""
        + "Our method is described below. " * 30
        + """</p></div>
    <figure class="ltx_float ltx_float_algorithm ltx_framed_top" id="alg1">
    <figcaption class="ltx_caption"><span class="ltx_tag ltx_tag_float">Algorithm 1 </span>
    Greedy decoding</figcaption>
    <div class="ltx_listing ltx_listing">
    <div class="ltx_listingline"><span class="ltx_tag">1:</span> <b>for</b> <math alttext="t=1"
     display="inline"><mi>t</mi></math> to T <b>do</b></div>
    <div class="ltx_listingline"><span class="ltx_tag">2:</span> pick the best token</div>
    </div></figure></section></article></div></div></body></html>"""
    )
    doc = parse_html(page)
    algo = next(b for b in doc.sections[0].blocks if b.kind == "code")
    assert algo.label == "Algorithm 1" and algo.caption.endswith("Greedy decoding")
    assert "for $t=1$ to T do" in algo.text and "pick the best token" in algo.text
    assert "**Algorithm 1 Greedy decoding**" in doc.markdown()


def test_acknowledgements_are_their_own_section() -> None:
    page = (FIXTURES / "latexml_html/TudorAndrei_dontpatronizeme-Semeval2022_acl.html").read_text()
    thanks = (
        '<div class="ltx_acknowledgements"><h6 class="ltx_title '
        'ltx_title_acknowledgements">Acknowledgements.</h6>We thank the reviewers.</div>'
    )
    page = page.replace('<section id="S5"', thanks + '<section id="S5"', 1)
    doc = parse_html(page)
    heads = [s.heading for s in doc.sections if s.level == 1]
    assert heads[heads.index("Acknowledgements.") + 1] == "5 Conclusion"
    assert "We thank the reviewers." not in " ".join(
        b.text for s in doc.sections if s.title == "Results" for b in s.blocks
    )


@pytest.fixture(scope="module")
def preprint():
    """Real LaTeXML output of an arxiv.sty preprint (see PROVENANCE.md)."""
    return parse_html((FIXTURES / "latexml_generated/arxivsty_preprint.html").read_bytes())


def test_arxiv_sty_author_block_gives_every_author(preprint) -> None:
    assert [a.name for a in preprint.authors] == [
        "Alice Zhang",
        "Bob Kumar",
        "Carla Rossi",
        "Daniel Okafor",
        "Eva Novak",
    ]
    assert preprint.authors[1].affiliations == ["Microsoft Research"]
    assert preprint.authors[0].affiliations == [
        "Department of Computer Science",
        "Tsinghua University",
    ]


def test_own_table_of_contents_and_keywords_are_not_paragraphs(preprint) -> None:
    texts = [b.text for s in preprint.sections for b in s.blocks]
    assert not any(re.fullmatch(r"[\d.]+|Contents", t) for t in texts)
    assert "Contributions" not in preprint.sections[0].blocks[0].text
    assert "retrieval long context routing" not in preprint.body_text()


def test_untitled_lead_section_claims_no_role(preprint) -> None:
    lead = preprint.sections[0]
    assert lead.title == "" and lead.role == "other"
    assert lead.blocks[0].text.startswith("Long-context models read everything")
    assert preprint.with_role("introduction")[0].title == "Introduction"


def test_text_inside_a_figure_is_kept(preprint) -> None:
    figure = next(b for s in preprint.sections for b in s.blocks if b.kind == "figure")
    assert "Routed shards: 3, 17, 42, 58" in figure.text
    assert figure.caption == "Figure 1: A boxed example of one routed query."
    assert "Routed shards: 3, 17, 42, 58" in preprint.markdown()


def test_colour_macros_leave_the_tex(preprint) -> None:
    text = preprint.body_text()
    assert r"$\mathcal{L}=-\log\frac{{s^{+}}}{\sum_{j}s_{j}}$" in text
    assert r"$\lambda=0.01$" in text
    assert "color" not in text


@pytest.mark.parametrize(
    ("page", "figure"),
    [
        ("arxiv_html/2501.11120v1.html", "https://arxiv.org/html/2501.11120v1/x1.png"),
        (
            "arxiv_html/2407.16314v1.html",
            "https://arxiv.org/html/2407.16314v1/extracted/5749473/images/generative_process.png",
        ),
        ("arxiv_html/2508.08468v6.html", "https://arxiv.org/html/2508.08468v6/fig1.png"),
    ],
)
def test_first_figure_resolved_as_a_browser_would(page: str, figure: str) -> None:
    arxiv_id = page.split("/")[1].removesuffix(".html")
    url = f"https://arxiv.org/html/{arxiv_id}"
    assert parse_html((FIXTURES / page).read_bytes(), url=url).figure == figure
    local = parse_html((FIXTURES / page).read_bytes(), url=f"http://127.0.0.1/html/{arxiv_id}")
    assert local.figure is None  # the report's page loads https images only
