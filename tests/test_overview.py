"""The day overview: every analysed paper under one theme, the must-reads by upvotes, in
every format."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from dailypapers.core.models import Paper, PaperResult, Provenance
from dailypapers.report.models import Report
from dailypapers.report.overview import day_overview, theme_of
from dailypapers.report.render import render

from grounding_corpus import skeleton


def result(pid: str, domain: str, upvotes: int = 0) -> PaperResult:
    analysis = skeleton(domains=[domain], contribution=f"提出了方法 {pid}，解决了问题。")
    paper = Paper(id=pid, title=f"Name{pid}: A Very Long Subtitle", upvotes=upvotes)
    return PaperResult(paper=paper, analysis=analysis)


def test_a_theme_is_the_head_of_the_first_domain() -> None:
    heads = [
        theme_of(result("1", d))
        for d in [
            "NLP-扩散大语言模型 (Diffusion LLMs)",
            "视频生成（Video Generation）",
            "计算机视觉 (cs.CV)",
        ]
    ]
    assert heads == ["NLP", "视频生成", "计算机视觉"]
    assert theme_of(PaperResult(paper=Paper(id="x", title="t"), status="failed")) is None


def test_every_paper_once_and_the_most_upvoted_first() -> None:
    domains = ["NLP-a", "nlp / b", "CV", "CV", "CV", *(f"solo{i}" for i in range(9))]
    results = [result(str(i), d, upvotes=i) for i, d in enumerate(domains)]
    results.append(PaperResult(paper=Paper(id="f", title="t"), status="failed", error="x"))
    o = day_overview(results)
    assert [(t.name, len(t.papers)) for t in o.themes] == [("CV", 3), ("NLP", 2), ("", 10)]
    assert o.themes[-1].other and o.themes[-1].papers[-1] == "f"  # a failed paper, last
    placed = [p for t in o.themes for p in t.papers]
    assert sorted(placed) == sorted(r.paper.id for r in results)  # each paper exactly once
    assert [m.id for m in o.must_reads] == ["13", "12", "11", "10", "9"]
    assert o.must_reads[0].why == "提出了方法 13，解决了问题。"


def test_overview_and_key_figure_in_markdown_html_and_json() -> None:
    results = [
        result("2602.00001", "CV", 30),
        result("2602.00002", "CV-x", 10),
        result("2602.00003", "<i>x", 5),
    ]
    results[0].paper.thumbnail = "https://cdn-thumbnails.huggingface.co/p/2602.00001.png"
    results[1].paper.thumbnail = "javascript:alert(1)"
    results[2].provenance = Provenance(source="html", figure="https://arxiv.org/html/3v1/x1.png")
    report = Report(
        label="2026-02-11",
        generated_at=datetime.now(UTC),
        analyser="llm",
        overview=day_overview(results),
        papers=results,
    )
    md = render(report, "md")
    head = md.split("=" * 60)[0]
    assert "## 概览" in head and "**主题**" in head and "**必读**" in head
    assert "- **CV**（2 篇）：[Name2602.00001](https://huggingface.co/papers/2602.00001)" in head
    assert "1. [Name2602.00001](https://huggingface.co/papers/2602.00001) ▲ 30 — 提出了方法" in head
    html = render(report, "html")
    assert '<section class="overview"><h2>概览</h2>' in html
    assert '<a href="#p1">Name2602.00001</a> <span class="meta">▲ 30</span>' in html
    assert html.count("<img ") == 2 and "javascript:" not in html  # HF's, else arXiv's figure
    assert '<img src="https://arxiv.org/html/3v1/x1.png"' in html
    assert (
        '<img src="https://cdn-thumbnails.huggingface.co/p/2602.00001.png" alt="" loading="lazy"'
        in html
    )
    assert "<i>" not in html and "<strong>&lt;i&gt;x</strong>" in html
    assert "- **&lt;i>x**（1 篇）" in head
    en = render(report.model_copy(update={"lang": "en"}), "md")
    assert "## Overview" in en and "- **CV** (2 papers): [" in en
    data = json.loads(render(report, "json"))
    assert data["overview"]["must_reads"][0] == {
        "id": "2602.00001",
        "upvotes": 30,
        "why": "提出了方法 2602.00001，解决了问题。",
    }
