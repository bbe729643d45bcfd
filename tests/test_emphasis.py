"""Results read like the reference report: metric names and numbers in bold, one layout."""

from __future__ import annotations

from dailypapers.core.models import Evidence, Result
from dailypapers.report.labels import LABELS
from dailypapers.report.markdown import result_parts, strong


def result(claim: str, values: list[str], metric: str | None = None, **kw) -> Result:
    return Result(
        claim=claim,
        benchmark=kw.get("benchmark"),
        metric=metric,
        values=values,
        baseline=kw.get("baseline"),
        evidence=Evidence(section="s", quote="q"),
    )


def test_numbers_and_metric_in_bold_where_they_stand_alone() -> None:
    r = result("Accuracy rises to 3.2% (from 13.2%) on MMLU", ["3.2%"], "accuracy")
    assert strong(result_parts(r, LABELS["en"])) == (
        "**Accuracy** rises to **3.2%** (from 13.2%) on MMLU"
    )


def test_what_the_claim_does_not_say_follows_in_parentheses() -> None:
    r = result("EM 提升明显", ["52.4%"], "EM", benchmark="HotpotQA", baseline="R1Searcher")
    zh = strong(result_parts(r, LABELS["zh"]))
    assert zh == "**EM** 提升明显（HotpotQA · **52.4%** · 对比 R1Searcher）"
    en = strong(result_parts(r, LABELS["en"]))
    assert en == "**EM** 提升明显 (HotpotQA · **52.4%** · vs R1Searcher)"


def test_a_bold_number_running_into_chinese_still_renders_bold() -> None:
    r = result("准确率达到52.4%的水平", ["52.4%"])
    assert strong(result_parts(r, LABELS["zh"])) == "准确率达到52.4%的水平".replace(
        "52.4%", "**52.4%** "
    )
