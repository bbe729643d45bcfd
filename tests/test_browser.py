"""The HTML report in a real browser: Debian's headless Chromium (driven by Playwright, no
browser download), at phone and desktop width, with CJK fonts. The screenshots are kept in
build/screenshots/ as the artefacts a reviewer looks at.

Skipped where Chromium is not installed, except in CI (`DAILYPAPERS_REQUIRE_BROWSER=1`,
set by .ci/run, which installs it)."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dailypapers.core.models import (
    Analysis,
    Evidence,
    Grounding,
    Innovation,
    Paper,
    PaperResult,
    Provenance,
    Result,
    UsageGuide,
    Verdict,
)
from dailypapers.report.models import Report
from dailypapers.report.overview import day_overview
from dailypapers.report.render import render

from servers import FIXTURES

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"
VIEWPORTS = {"phone": (390, 844), "desktop": (1280, 900)}
THUMBNAIL = (FIXTURES / "images" / "thumbnail.png").read_bytes()

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("DAILYPAPERS_REQUIRE_BROWSER"),
    reason="Chromium is not installed (bash .ci/run installs it)",
)


def paper(n: int, domain: str, upvotes: int) -> PaperResult:
    ev = Evidence(section="4 Experiments", quote="quote")
    analysis = Analysis(
        translated_title=f"第 {n} 篇：扩散大语言模型用于搜索智能体",
        domains=[domain, "多跳问答 (Multi-hop QA)"],
        contribution="提出了 P-ReAct 范式，使推理与工具调用并行，端到端延迟降低约 15%。",
        contribution_evidence=ev,
        usage=UsageGuide(
            inputs="用户的多跳查询",
            outputs="基于检索结果的答案",
            workflow=["Agentic SFT 微调", "Agentic VRPO 偏好优化，损失为 $\\mathcal{L}_{ELBO}$"],
            hardware="8 张 A100 GPU",
            code="代码已开源",
            code_urls=["https://github.com/example/dllm-searcher"],
            evidence=[ev],
        ),
        innovations=[
            Innovation(
                name="置信度偏差解码",
                explanation="对工具调用区域加偏置 $\\Delta a = \\frac{1}{2}\\sigma^2$，"
                "先解码工具调用。",
                evidence=ev,
            )
        ],
        results=[
            Result(
                claim="在 HotpotQA 上 EM 达到 52.4%，比 R1Searcher 高 3.1",
                benchmark="HotpotQA",
                metric="EM",
                values=["52.4%", "3.1"],
                baseline="R1Searcher",
                evidence=ev,
            )
        ],
    )
    verdicts = [Verdict(item="results[0]", verified=False, status="unverified", wrong_sign=["3.1"])]
    return PaperResult(
        paper=Paper(
            id=f"2602.0703{n}",
            title=f"DLLM-Searcher {n}: Adapting Diffusion Large Language Model for Search Agents",
            authors=["Alice Zhang", "Bob Li", "Carol Wang", "Dan Liu"],
            organization="Example Lab",
            upvotes=upvotes,
            num_comments=3,
            github_repo="https://github.com/example/dllm-searcher",
            github_stars=1234,
            thumbnail=f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{n}.png",
        ),
        analysis=analysis,
        grounding=Grounding(verdicts=verdicts),
        provenance=Provenance(
            source="html",
            version="v1",
            chars_read=40000,
            chars_total=40000,
            analyser="llm",
            model="deepseek-chat",
        ),
    )


def day_report(results: list[PaperResult] | None = None) -> Report:
    results = results or [
        paper(1, "NLP - 搜索智能体", 120),
        paper(2, "计算机视觉", 80),
        paper(3, "NLP", 30),
    ]
    return Report(
        label="2026-02-11",
        generated_at=datetime(2026, 2, 11, 8, tzinfo=UTC),
        analyser="llm",
        model="deepseek-chat",
        overview=day_overview(results),
        papers=results,
    )


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.mark.parametrize("device", VIEWPORTS)
def test_report_in_chromium(browser, device: str, tmp_path: Path) -> None:
    page_file = tmp_path / "report.html"
    page_file.write_text(render(day_report(), "html"), encoding="utf-8")
    width, height = VIEWPORTS[device]
    page = browser.new_page(viewport={"width": width, "height": height})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    thumbnails: list[str] = []

    def serve_thumbnail(route) -> None:  # the network stays closed: HF's CDN is played here
        thumbnails.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=THUMBNAIL)

    page.route("https://cdn-thumbnails.huggingface.co/**", serve_thumbnail)
    page.goto(page_file.as_uri(), wait_until="load")
    page.locator("article").last.scroll_into_view_if_needed()  # lazy images load
    page.wait_for_load_state("networkidle")

    overview = page.locator("section.overview")
    box = overview.bounding_box()
    assert overview.is_visible() and box and box["y"] < height  # seen without scrolling
    assert page.locator("section.overview h2").inner_text() == "概览"
    maths = page.locator("math")
    assert maths.count() >= 6
    sizes = [maths.nth(i).bounding_box() for i in range(maths.count())]
    assert all(s and s["width"] > 0 and s["height"] > 0 for s in sizes)
    assert page.locator("math").first.evaluate("m => getComputedStyle(m).display").endswith("math")
    fraction = page.locator("mfrac").first.bounding_box()
    assert fraction and fraction["height"] > 20  # drawn as a fraction, not as TeX on one line
    assert page.locator("strong", has_text="52.4%").count() == 3
    images = page.locator("a.figure img")
    assert images.count() == 3 and len(thumbnails) == 3
    assert all(images.nth(i).evaluate("i => i.naturalWidth") > 0 for i in range(3))
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert fits  # nothing wider than a phone
    assert problems == []

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"report-{device}.png"), full_page=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / f"report-{device}-first-screen.png"))
    page.close()


def big_day_report() -> Report:
    """Fifty papers over a dozen themes, as a busy day is."""
    domains = ["NLP", "计算机视觉", "多模态", "语音", "强化学习", "机器人", "系统与效率", "AI 安全"]
    domains += ["科学计算", "推荐系统", "图学习", "医学影像"]
    return day_report([paper(n, domains[n % len(domains)], 200 - n) for n in range(50)])


def test_a_busy_day_on_a_phone_reaches_its_first_paper_within_two_screens(
    browser, tmp_path: Path
) -> None:
    page_file = tmp_path / "day.html"
    page_file.write_text(render(big_day_report(), "html"), encoding="utf-8")
    width, height = VIEWPORTS["phone"]
    page = browser.new_page(viewport={"width": width, "height": height})
    page.route("https://cdn-thumbnails.huggingface.co/**", lambda r: r.fulfill(body=THUMBNAIL))
    page.goto(page_file.as_uri(), wait_until="load")
    first = page.locator("article h2").first.bounding_box()
    assert first is not None and first["y"] < 2 * height, first
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(
        path=str(SHOTS / "busy-day-phone-first-screens.png"),
        clip={
            "x": 0,
            "y": 0,
            "width": width,
            "height": 2 * height,
        },
        full_page=True,
    )
    header = page.locator("header").inner_text()
    assert "日期: 2026-02-11" in header and "来源:" in header
    assert "Date" not in header and "Source URL" not in header
    assert page.locator("h1").inner_text() == "Hugging Face 每日论文报告"
    card = page.locator("article").first
    assert card.inner_text().count("Alice Zhang") == 1  # the authors once
    assert not card.locator("details.prov ul").is_visible()  # provenance folded
    card.locator("details.prov summary").click()
    assert card.locator("details.prov ul").is_visible()
    themes = page.locator("details.themes")
    assert not themes.locator("ul").is_visible()  # collapsed to counts
    themes.locator("summary").click()
    assert themes.locator("ul li").count() >= 8 and themes.locator("ul").is_visible()
    page.close()
