"""End to end: a scripted server slips one error of each class into a day's answers; exactly
those items are marked in Markdown, HTML and JSON, and `--unverified retry` sends each reason
back once."""

from __future__ import annotations

import json
import random
import re

from conftest import DAY, DAY_IDS, run_cli
from grounding_corpus import cases_for
from servers import faithful_analysis

# paper id → (fixture page, the error classes planted in its answer)
PLANTS = {
    DAY_IDS[0]: (
        "arxiv_html/2501.11120v1.html",
        ["wrong benchmark", "invented number: domains", "invented hardware"],
    ),
    DAY_IDS[2]: (
        "latexml_html/Melodiz_RBPO_icml2025.html",
        ["wrong unit", "invented number: contribution", "invented number: usage"],
    ),
    DAY_IDS[4]: (
        "latexml_html/nooralahzadeh_ATLAS-PTQ_iclr2025.html",
        ["wrong sign", "invented number: innovation", "invented number: result"],
    ),
}


def planted_items(page: str, classes: list[str]) -> dict[str, tuple[str, dict]]:
    """class → (item address in the answer, the JSON of that item) from the corpus."""
    cases = cases_for(page, random.Random(3))
    out: dict[str, tuple[str, dict]] = {}
    results = 0
    for cls in classes:
        case = next(c for c in cases if c.planted == cls)
        data = case.analysis.model_dump()
        if case.item.startswith("results"):
            out[cls] = (f"results[{results}]", data["results"][0])
            results += 1
        elif case.item.startswith("innovations"):
            out[cls] = ("innovations[0]", data["innovations"][0])
        elif case.item.startswith("usage."):
            field = case.item.removeprefix("usage.")
            out[cls] = (case.item, data["usage"][field])
        else:
            out[cls] = (case.item, data[case.item])
    return out


def planted_writer(request: dict) -> dict:
    answer = faithful_analysis(request)
    user = request["messages"][1]["content"]
    paper = json.loads(user.split("\n")[1])["arxiv_id"].split("v")[0]
    if paper not in PLANTS or "could not be verified" in user:  # a correction: answer well
        return answer
    page, classes = PLANTS[paper]
    results = []
    for item, value in planted_items(page, classes).values():
        if item.startswith("results"):
            results.append(value)
        elif item.startswith("innovations"):
            answer["innovations"][0] = value
        elif item.startswith("usage."):
            answer["usage"][item.removeprefix("usage.")] = value
        else:
            answer[item] = value
    answer["results"] = results + answer["results"]
    return answer


def expected_marks() -> dict[str, set[str]]:
    return {
        pid: {item for item, _ in planted_items(page, classes).values()}
        for pid, (page, classes) in PLANTS.items()
    }


def user_text(request: dict) -> str:
    return request["messages"][1]["content"]


def run(*args: str) -> str:
    res = run_cli(["report", DAY, "-o", "-", "--quiet", *args])
    assert res.exit_code == 0, res.output
    return res.stdout


def test_one_error_of_each_class_is_marked_exactly(recordings, llm) -> None:
    rec, _ = recordings
    rec.days[DAY] = [e for e in rec.days[DAY] if e["paper"]["id"] in PLANTS]
    llm.writer = planted_writer
    data = json.loads(run("--unverified", "mark", "--format", "json"))
    marked = {
        p["paper"]["id"]: {v["item"] for v in p["grounding"]["verdicts"] if not v["verified"]}
        for p in data["papers"]
    }
    assert marked == expected_marks()
    assert len(llm.requests) == 3  # mark: no correction round
    md = run("--unverified", "mark")
    assert md.count("⚠️") == 9
    html = run("--unverified", "mark", "--format", "html")
    assert html.count('<span class="warn">⚠') == 9
    for reason in ("不是", "单位", "正负", "没有这些数字", "没有这些名称"):
        assert reason in md, reason


def test_retry_sends_each_reason_back_once(recordings, llm) -> None:
    rec, _ = recordings
    rec.days[DAY] = [e for e in rec.days[DAY] if e["paper"]["id"] in PLANTS]
    llm.writer = planted_writer
    md = run("--unverified", "retry")
    corrections = [
        r for r in llm.requests if "could not be verified" in r["messages"][1]["content"]
    ]
    assert len(corrections) == 3 and len(llm.requests) == 6
    expected = expected_marks()
    for request in corrections:
        user = request["messages"][1]["content"]
        paper = json.loads(user.split("\n")[1])["arxiv_id"].split("v")[0]
        listed = re.findall(r"^- (\S+?): ", user.split("could not be verified")[1], re.M)
        assert sorted(listed) == sorted(expected[paper])  # each reason once
    assert "⚠️" not in md  # the corrected answers are faithful
