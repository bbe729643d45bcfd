"""What a careful reader finds in every fixture paper, written down from the papers
themselves: title, number of authors, top-level headings in order, number of references,
sentences that must come through whole (across line breaks, hyphens, columns and pages) and
text that must not be in the body (margin stamps, running headers, copyright blocks, a
printed table of contents). tests/test_parse_eval.py asserts them; bench/parse_eval.py
prints the pass table and the parse time per page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dailypapers.core.models import Document
from dailypapers.reading.html.parse import parse_html
from dailypapers.reading.pdf.parse import parse_pdf

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class Expected:
    file: str
    title: str
    authors: int
    headings: tuple[str, ...]
    references: int
    probes: tuple[str, ...]
    absent: tuple[str, ...] = ()  # from the abstract and sections (footnotes are apart)
    tables: int = 0  # tables read as rows and cells, at least


# pdf_generated/: one source body in nine layouts (see PROVENANCE.md)
TITLE = "Sparse Routing for Long-Context Retrieval"
NUMBERED = ("1 Introduction", "2 Related Work", "3 Method", "4 Experiments", "5 Conclusion")
ABSTRACT = "On the LongBench suite it reaches 71.3% accuracy while reading 9 times fewer tokens"
BODY = (
    "Hierarchical indexes cluster passages and search the nearest clusters first, which is the "
    "closest idea to ours, but their clusters are fixed before training and never see a query."
)


def generated(
    layout: str, title: str, authors: int, headings: tuple[str, ...], probe: str, absent: tuple
) -> Expected:
    """A generated PDF: its four references and one table are the same in every layout."""
    return Expected(
        f"pdf_generated/{layout}.pdf", title, authors, headings, 4, (probe, BODY), absent, 1
    )


EXPECTED = [
    Expected(
        "pdf/2206.10883v3.pdf",
        "Multi-LexSum: Real-World Summaries of Civil Rights Lawsuits at Multiple Granularities",
        6,
        (
            "1 Introduction",
            "2 Related work",
            "3 Multi-LexSum",
            "4 Experiments",
            "5 Human evaluation",
            "6 Conclusion",
            "Acknowledgements",
            "A Multi-LexSum release",
            "B Multi-LexSum summary writing and reviewing guidelines",
            "C Usability study system design",
            "D Negative social impact",
            "E Multi-LexSum train-test split",
            "F Multi-LexSum datasheet",
        ),
        64,
        (
            "We use the DeBERTA [24] model for sentence embedding following the authors’ "
            "suggestion.",
            "Different from multi-document summarization tasks in other domains [14, 16], "
            "Multi-LexSum summary writers are required to read several long documents and "
            "distill key facts therein.",
            "aid knowledge workers processing unwieldy document collections",
        ),
        ("arXiv:2206.10883v3", "Preprint. Under review."),
        tables=3,
    ),
    Expected(
        "pdf/2302.07302v1.pdf",
        "CiteSee: Augmenting Citations in Scientific Papers with Persistent and Personalized "
        "Historical Context",
        7,
        (
            "1 Introduction",
            "2 Related Work",
            "3 Preliminary Interviews",
            "4 System Design",
            "5 Study 1: Discover Relevant Citations",
            "6 Study 2: Field Deployment",
            "7 Limitations And Future Work",
            "8 Conclusion",
            "Acknowledgments",
        ),
        65,
        (
            "This is especially challenging during literature reviews, where users need to read "
            "and skim many papers, each of which may contain dozens or hundreds of inline "
            "citations.",
            "As participants retrospectively walked through paper they had opened during the "
            "deployment, we asked them to explicitly compare pairs of arbitrary reencountered "
            "citations with darker and lighter shades to probe on their accuracy.",
        ),
        (
            "arXiv:2302.07302v1",
            "Permission to make digital or hard copies",
            "ACM Reference Format",
            "CHI ’23, April 23–28, 2023, Hamburg, Germany",
            "Chang et al.",
            "ACM ISBN",
        ),
    ),
    Expected(
        "pdf/2304.02623v1.pdf",
        "Beyond Summarization: Designing AI Support for Real-World Expository Writing Tasks",
        9,
        (
            "1 Introduction",
            "2 Characterizing Expository Writing",
            "3 Designing Ai Supports For Expository Writing",
            "4 Conclusion",
            "Acknowledgments",
        ),
        35,
        (
            "The interaction between reading and writing brings new challenges for developing "
            "AI support, and the design is largely unexplored for incorporating the latest "
            "generations of language models.",
            "We characterize expository writing as evidence-based and knowledge-generating",
        ),
        ("arXiv:2304.02623v1", "Shen, et al."),
    ),
    Expected(
        "pdf/2501.10120v1.pdf",
        "PaSa: An LLM Agent for Comprehensive Academic Paper Search",
        7,
        (
            "1 Introduction",
            "2 Related Work",
            "3 Datasets",
            "4 Methodology",
            "5 Experiments",
            "6 Conclusion",
            "A Implementation Details of the Crawler",
            "B Implementation Details of the Selector",
            "C Selector Test Dataset",
            "D Dataset Examples",
            "E Prompt Templates",
        ),
        37,
        (
            "It requires long-tail specialized knowledge, comprehensive survey-level coverage, "
            "and the ability to address fine-grained queries.",
            "To address this issue, we define a session as a sub-trajectory that begins with a "
            "session’s initial state and ends with the [Stop] action.",
            "collecting all papers published at ICLR 2023, ICML 2023, NeurIPS 2023, ACL 2024, "
            "and CVPR 2024.",
        ),
        ("arXiv:2501.10120v1", "Equal contribution", "Paper Search Paper"),
        tables=5,
    ),
    generated(
        "acmsmall",
        "Sparse Routing for Long-Context Retrieval at the Scale of Billions of Passages",
        6,
        NUMBERED,
        "We present SparseRoute, a retrieval method that routes each query to 4 of 64 shards.",
        (
            "Permission to make digital",
            "ACM Reference Format",
            "CCS Concepts",
            "ACM Trans. Inf. Syst.",
            "Additional Key Words",
        ),
    ),
    generated(
        "ieee",
        TITLE,
        3,
        ("I Introduction", "II Related Work", "III Method", "IV Experiments", "V Conclusion"),
        "We present SparseRoute, a retrieval method that routes each query to 4 of 64 shards.",
        ("Index Terms", "A. Contributions"),
    ),
    generated(
        "arxivsty",
        TITLE,
        5,
        NUMBERED,
        "On the LongBench suite it reaches 71.3% accuracy",
        ("A PREPRINT", "Keywords"),
    ),
    generated(
        "aaailike",
        TITLE,
        3,
        tuple(h.split(" ", 1)[1] for h in NUMBERED) + ("Acknowledgments",),
        "We make three contributions.",
        ("Tsinghua University", "Microsoft Research"),
    ),
    generated("sigconf", TITLE, 3, NUMBERED, ABSTRACT, ("ACM Reference Format", "CCS Concepts")),
    generated("llncs", TITLE, 3, NUMBERED, ABSTRACT, ("Keywords",)),
    generated("elsarticle", TITLE, 3, NUMBERED, ABSTRACT, ("Preprint submitted to Elsevier",)),
    generated(
        "revtex",
        TITLE,
        3,
        tuple(h.split(" ", 1)[1] for h in NUMBERED),
        ABSTRACT,
        ("Tsinghua University",),
    ),
    generated(
        "report",
        "Sparse Routing for Long-Context Retrieval: A Technical Report on Sharded Indexes",
        3,
        NUMBERED + ("6 Limitations", "A Hyperparameters"),
        "We use a learning rate of 0.0003 and a temperature of 0.05 for the contrastive loss.",
        ("Contents",),
    ),
    Expected(
        "arxiv_html/2407.16314v1.html",
        "Capital as Artificial Intelligence",
        2,
        (
            "Capital as a Historical Agential System",
            "The Agents of Capital",
            "The Entropy of Capital",
            "The Artificial Intelligence in Capital",
            "A Pragmatic Perspective",
            "Conclusion",
        ),
        24,
        (),
    ),
    Expected(
        "arxiv_html/2501.11120v1.html",
        "Tell me about yourself: LLMs are aware of their learned behaviors",
        6,
        (
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
        ),
        48,
        (),
        tables=3,
    ),
    Expected(
        "arxiv_html/2508.08468v6.html",
        "Audio-Visual Speech Enhancement: Architectural Design and Deployment Strategies",
        5,
        (
            "I Introduction",
            "II Related Work",
            "III Problem Formulation: Audio–Visual Speech Enhancement",
            "IV Proposed Solution",
            "V Experimental Results",
            "VI CONCLUSION",
            "Acknowledgements",
        ),
        13,
        (),
        ("Report GitHub Issue", "Why HTML?"),
    ),
    Expected(
        "latexml_generated/arxivsty_preprint.html",
        "Sparse Routing for Long-Context Retrieval",
        5,
        ("1 Introduction", "2 Method", "3 Experiments", "4 Conclusion"),
        2,
        (
            "Long-context models read everything they are given; most of it is irrelevant to "
            "the question.",
            "Routed shards: 3, 17, 42, 58",
        ),
        ("retrieval long context routing", "\\color", "1.1 Contributions 2"),
        tables=1,
    ),
    Expected(
        "latexml_html/Melodiz_RBPO_icml2025.html",
        "The Anatomy of the CTC Oracle Gap: Acoustic Exhaustion and Linguistic Recovery",
        1,
        (
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
        ),
        33,
        (),
        tables=5,
    ),
    Expected(
        "latexml_html/TudorAndrei_dontpatronizeme-Semeval2022_acl.html",
        "University of Bucharest Team at Semeval-2022 Task4: Detection and Classification of "
        "Patronizing and Condescending Language",
        4,
        (
            "1 Introduction",
            "2 Background",
            "3 System Overview",
            "4 Results",
            "5 Conclusion",
            "Acknowledgements",
        ),
        18,
        (),
        tables=4,
    ),
    Expected(
        "latexml_html/jinensetpal_contrastive-optimization_neurips2025.html",
        "Interpretable Casual Interventions Discourage Spurious Learning",
        1,
        (
            "1 Background & Motivation",
            "2 Methodology",
            "3 Results",
            "4 Upcoming / In Progress Tasks",
            "A Ablated Cross-Entropy Adaptations",
        ),
        16,
        (),
    ),
    Expected(
        "latexml_html/nooralahzadeh_ATLAS-PTQ_iclr2025.html",
        "ATLAS: AND-Gated Task-Circuit and Loss-Aligned Saliency for Low-Bit LLM Quantization",
        1,
        (
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
        ),
        20,
        (),
        tables=5,
    ),
]


def parse(file: str) -> Document:
    data = (FIXTURES / file).read_bytes()
    return parse_pdf(data) if file.endswith(".pdf") else parse_html(data)


def check(doc: Document, exp: Expected) -> dict[str, bool]:
    """Each criterion of `exp`, passed or not."""
    prose = [doc.abstract, *(b.plain() for s in doc.sections for b in s.blocks)]
    body = " ".join(" ".join(prose).split())
    top = [s.heading for s in doc.sections if s.level == 1 and s.heading]
    tables = [b for s in doc.sections for b in s.blocks if b.kind == "table" and "|" in b.text]
    return {
        "title": doc.title == exp.title,
        "authors": len(doc.authors) == exp.authors,
        "headings": tuple(top[: len(exp.headings)]) == exp.headings,
        "references": len(doc.bibliography) == exp.references,
        "probes": all(p in body for p in exp.probes),
        "absent": not any(a in body for a in exp.absent),
        "tables": len(tables) >= exp.tables,
    }
