"""Grounding on realistic cases, and the no-LLM analyser scoring 100% on every fixture."""

from __future__ import annotations

import pytest

from dailypapers.analysing.extract import analyse_without_llm
from dailypapers.checking.grounding import PaperIndex as Prepared
from dailypapers.checking.grounding import ground, numbers
from dailypapers.core.models import (
    Analysis,
    Block,
    Document,
    Evidence,
    Innovation,
    Paper,
    Result,
    Section,
    UsageGuide,
)

from grounding_corpus import document
from servers import FIXTURES

PAPER = Document(
    source="html",
    title="FastThing: Efficient Long-Context Reasoning",
    abstract="We propose FastThing, which speeds up inference by 1.5× over MemAgent and "
    "handles contexts of up to 1.75M tokens.",
    sections=[
        Section(
            title="Experiments",
            number="4",
            role="experiments",
            blocks=[
                Block(
                    kind="paragraph",
                    text="On HotpotQA our method reaches 15.0% higher "
                    "accuracy than R1Searcher, and reduces peak GPU memory by 2-fold. Over "
                    "the 1,200 test questions the end-to-end latency im-\nproves consistently.",
                ),
                Block(
                    kind="table",
                    label="Table 2",
                    caption="Table 2: Accuracy (ratio).",
                    text="| Model | Acc |\n|---|---|\n| Ours | 0.734 |\n| Base | 0.652 |",
                ),
                Block(
                    kind="paragraph",
                    text="Scores range from 10 to 20 across the 7 tasks; "
                    "training takes 9.5 hours on 8 $\\times$ A100 GPUs.",
                ),
            ],
        ),
    ],
    bibliography=["[12] Smith et al. Scaling laws. 2023. Reports 42.7% on MMLU."],
)
PREPARED = Prepared(PAPER)


def result(
    claim: str,
    values: list[str],
    benchmark: str | None = None,
    baseline: str | None = None,
    quote: str = "reaches 15.0% higher accuracy",
) -> Result:
    return Result(
        claim=claim,
        benchmark=benchmark,
        metric=None,
        values=values,
        baseline=baseline,
        evidence=Evidence(section="4", quote=quote),
    )


def analysis(*results: Result) -> Analysis:
    ev = Evidence(section="Abstract", quote="We propose FastThing")
    return Analysis(
        domains=["NLP"],
        contribution="提出 FastThing，将推理加速 1.5 倍。",
        contribution_evidence=ev,
        usage=UsageGuide(
            inputs="长文本",
            outputs="答案",
            workflow=["压缩", "推理"],
            hardware="8 张 A100 GPU，训练约 9.5 小时",
            code="论文未说明",
            code_urls=[],
            evidence=[ev],
        ),
        innovations=[
            Innovation(
                name="压缩记忆", explanation="支持最长 1.75 million tokens 的上下文", evidence=ev
            )
        ],
        results=list(results),
    )


@pytest.mark.parametrize(
    "claim,values,benchmark",
    [
        ("在 HotpotQA 上准确率提升约 15%", ["15%"], "HotpotQA"),
        ("准确率提升 15 percent", ["15 percent"], "HotpotQA"),
        ("Ours reaches 73.4% accuracy vs 65.2%", ["73.4%", "65.2%"], None),  # ratios in a table
        ("峰值显存降低了 2 倍", ["2 倍"], "HotpotQA"),
        ("speeds up by 1.5x", ["1.5x"], None),
        ("上下文长达 1,750,000 tokens", ["1,750,000"], None),
        ("上下文长达 175万 tokens", ["175万"], None),
        ("分数在 10-20 之间", ["10–20"], None),
        ("在 1.2K 个测试问题上", ["1.2K"], "HotpotQA"),
    ],
)
def test_true_numbers_in_other_notations_are_verified(
    claim: str, values: list[str], benchmark: str | None
) -> None:
    g = ground(analysis(result(claim, values, benchmark, "R1Searcher")), PAPER, PREPARED)
    verdict = g.verdict("results[0]")
    assert verdict.verified, verdict.reason
    assert verdict.where


def test_fabricated_number_is_flagged() -> None:
    g = ground(analysis(result("准确率提升 23.4%", ["23.4%"])), PAPER, PREPARED)
    v = g.verdict("results[0]")
    assert not v.verified and v.missing_numbers == ["23.4%"]
    assert g.verdict("contribution").verified and g.verdict("usage.hardware").status == "verified"
    assert g.verdict("innovations[0]").verified
    assert g.score == 3 / 4


def test_number_only_in_bibliography_is_flagged() -> None:
    v = ground(analysis(result("MMLU 上达到 42.7%", ["42.7%"])), PAPER, PREPARED).verdict(
        "results[0]"
    )
    assert not v.verified and v.bibliography_only == ["42.7%"] and not v.missing_numbers
    assert "only in the bibliography" in v.reason


def test_benchmark_and_baseline_must_be_in_the_paper() -> None:
    g = ground(analysis(result("提升 15%", ["15%"], "GSM8K", "R1Searcher")), PAPER, PREPARED)
    v = g.verdict("results[0]")
    assert not v.verified and v.missing_names == ["GSM8K"]
    ok = ground(
        analysis(result("提升 15%", ["15%"], "HotpotQA", "R1Searcher, MemAgent")), PAPER, PREPARED
    )
    assert ok.verdict("results[0]").verified


def test_quote_with_other_whitespace_and_hyphenation_is_found() -> None:
    quote = "the end-to-end latency improves\n   consistently"
    v = ground(analysis(result("延迟降低", [], quote=quote)), PAPER, PREPARED).verdict("results[0]")
    assert v.verified and v.quote_found
    fake = ground(
        analysis(result("延迟降低", [], quote="latency drops by half")), PAPER, PREPARED
    ).verdict("results[0]")
    assert not fake.verified and not fake.quote_found


def test_quote_with_math_rendering_is_found() -> None:
    v = ground(
        analysis(result("硬件", [], quote="training takes 9.5 hours on 8 × A100 GPUs")),
        PAPER,
        PREPARED,
    ).verdict("results[0]")
    assert v.verified, v.reason


def test_identifiers_and_references_are_not_numbers() -> None:
    found = [n.text for n in numbers("GPT-4o and Qwen3 on H100 (see Table 3) with FP16 beat 12%")]
    assert found == ["12%"]


FIXTURE_PAPERS = sorted(
    [
        *(FIXTURES / "arxiv_html").glob("*.html"),
        *(FIXTURES / "latexml_html").glob("*.html"),
        *(FIXTURES / "pdf").glob("*.pdf"),
    ]
)


@pytest.mark.parametrize("path", FIXTURE_PAPERS, ids=lambda p: p.name)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_llm_analysis_is_fully_verified(path, lang) -> None:
    doc = document(str(path.relative_to(FIXTURES)))
    paper = Paper(id="x", title=doc.title, ai_keywords=["k1", "k2"])
    a = analyse_without_llm(doc, paper, lang)
    g = ground(a, doc)
    assert g.score == 1.0, [v for v in g.verdicts if not v.verified]
    assert a.contribution and a.innovations


def test_approximate_numbers_allow_rounding_only_when_marked() -> None:
    paper = Document(source="html", title="T", abstract="Latency drops by 14.7% with 1.62M tokens.")
    approx = ground(analysis(result("延迟降低约 15%，上下文约 1.6M", ["约 15%"], quote="")), paper)
    assert approx.verdict("results[0]").verified, approx.verdict("results[0]").reason
    exact = ground(analysis(result("延迟降低 15%", ["15%"], quote="")), paper)
    assert exact.verdict("results[0]").missing_numbers == ["15%"]


def test_numbers_with_attached_units_are_checked() -> None:
    paper = Document(source="html", title="T", abstract="Latency is 100 ms on an 80 GB A100.")
    ok = ground(analysis(result("延迟为 100ms，显存 80GB", ["100ms"], quote="")), paper)
    assert ok.verdict("results[0]").verified
    bad = ground(analysis(result("延迟为 120ms", ["120ms"], quote="")), paper)
    assert bad.verdict("results[0]").missing_numbers == ["120"]


def test_digits_in_links_are_not_claims() -> None:
    found = numbers("Code: https://github.com/kitefishai/KiteFish-A1-1.5B-Math, 2× faster")
    assert [n.text for n in found] == ["2×"]


TABLE_PAPER = Document(
    source="html",
    title="T",
    abstract="We evaluate on standard benchmarks.",
    sections=[
        Section(
            title="Results",
            role="experiments",
            blocks=[
                Block(
                    kind="table",
                    label="Table 1",
                    caption="Table 1: Accuracy (%) of each model, 5-shot.",
                    text="| Model | MMLU | GSM8K | Speedup |\n|---|---|---|---|\n"
                    "| Ours | 71.2 | 58.4 | 2.5 |\n| Base | 65.0 | 52.1 | 1.0 |",
                ),
                Block(kind="paragraph", text="Training used 8 A100 GPUs for 3 days."),
            ],
        )
    ],
)


@pytest.mark.parametrize(
    "claim,values,benchmark,problem",
    [
        ("Ours 在 MMLU (5-shot) 上达到 71.2%", ["71.2%"], "MMLU (5-shot)", None),
        ("Ours 在 GSM8K 上达到 71.2", ["71.2"], "GSM8K", "unbound"),
        ("Ours 提速 2.5 倍", ["2.5 倍"], None, None),
        ("Ours 在 MMLU 上达到 71.2 倍", ["71.2 倍"], "MMLU", "wrong_unit"),
        ("训练使用 8% 的数据", ["8%"], None, "wrong_unit"),
        ("Ours 在 MMLU 上下降 -71.2", ["-71.2"], "MMLU", "wrong_sign"),
        ("Ours 比 Base 高 6.2（由 71.2 与 65.0 计算的差值）", ["71.2", "65.0"], "MMLU", None),
        ("Ours 比 Base 高 6.2", ["71.2", "65.0"], "MMLU", "missing_numbers"),
    ],
)
def test_claims_are_checked_against_the_table(claim, values, benchmark, problem) -> None:
    v = ground(analysis(result(claim, values, benchmark, quote="")), TABLE_PAPER).verdict(
        "results[0]"
    )
    if problem is None:
        assert v.verified, v.reason
    else:
        assert not v.verified and getattr(v, problem), v


def test_invented_hardware_and_not_stated_clauses() -> None:
    a = analysis(result("x", [], quote=""))
    a.usage.hardware = "需要 8 张 H100 GPU"
    assert ground(a, TABLE_PAPER).verdict("usage.hardware").missing_names == ["H100"]
    a.usage.hardware = "8 张 A100 GPU；显存论文未说明"
    assert ground(a, TABLE_PAPER).verdict("usage.hardware").status == "verified"
    a.usage.hardware = "论文未说明，但需要 4 张 H100"
    assert not ground(a, TABLE_PAPER).verdict("usage.hardware").verified
