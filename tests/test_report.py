"""Whole reports against the recorded day: no LLM, a scripted LLM, and hostile listings."""

from __future__ import annotations

import json
import re

import pytest

from conftest import DAY, DAY_IDS, HTML_PAGES, PDFS, run_cli
from servers import FIXTURES, Reply

SECTIONS_ZH = ["应用领域", "一句话核心贡献", "使用指南", "主要创新点", "实验效果"]
SECTIONS_EN = [
    "Application domain",
    "Core contribution",
    "Usage guide",
    "Main innovations",
    "Results",
]


def cli(*args: str):
    res = run_cli(list(args))
    assert res.exit_code == 0, (res.output, res.exception)
    return res


def expected_source(paper_id: str) -> str:
    page = HTML_PAGES.get(paper_id, "")
    if page and "failed" not in page:
        return "HTML"
    return "PDF" if paper_id in PDFS else "ArXiv Abs"


def parse_markdown(md: str) -> list[dict]:
    """The report read back: one dict per paper block."""
    blocks = md.split("=" * 60)[1:]
    papers = []
    for block in blocks:
        title = re.search(r"^## 📄 (.+)$", block, re.M)
        link = re.search(
            r"^- \*\*(?:链接|Link)\*\*: https://huggingface.co/papers/(\S+)$", block, re.M
        )
        source = re.search(r"^- \*\*(?:阅读来源|Read from)\*\*: (.+)$", block, re.M)
        headings = re.findall(r"^(\d)\. \*\*(.+?)\*\*(?:：|:)", block, re.M)
        papers.append(
            {
                "title": title and title.group(1),
                "id": link and link.group(1),
                "source": source and source.group(1),
                "sections": headings,
            }
        )
    return papers


def test_no_llm_report_has_every_paper(recordings, tmp_path) -> None:
    out = tmp_path / "day.md"
    cli("report", DAY, "--no-llm", "-o", str(out), "--quiet")
    md = out.read_text()
    assert "无 LLM 抽取" in md
    papers = parse_markdown(md)
    assert [p["id"] for p in papers] == DAY_IDS
    for p in papers:
        assert [h for _, h in p["sections"]] == SECTIONS_ZH, p["id"]
        assert p["source"] == expected_source(p["id"]), p["id"]
    assert md.count("仅根据摘要分析") == sum(expected_source(i) == "ArXiv Abs" for i in DAY_IDS)
    # what the tool writes is Chinese: fillers, reasons; no sentence stands in two sections
    assert "not stated" not in md and "论文未说明" in md
    assert "降级原因: HTML：arXiv 的 HTML 转换失败（2 段中 2 段是转换错误）" in md
    for block in md.split("=" * 60)[1:]:
        lines = [x for x in block.splitlines() if not x.startswith(("- **", "## ", "> "))]
        items = [re.sub(r"^(\*   (\*\*.+?\*\*：)?|\s+\d+\. )", "", x) for x in lines]
        items = [x for x in items if len(x) > 40]
        assert len(items) == len(set(items)), block[:80]


def test_a_day_read_in_worker_processes_is_the_day_read_in_a_thread(
    recordings, tmp_path, monkeypatch
) -> None:
    """Users read in worker processes (DAILYPAPERS_WORKERS); the other tests, in a thread.
    The day's first twelve papers: the nine read in full (every HTML layout and PDF of the
    day) and three abstracts."""
    rec, _ = recordings
    rec.days[DAY] = rec.days[DAY][:12]
    cli("report", DAY, "--no-llm", "--format", "json", "-o", str(tmp_path / "a.json"), "--quiet")
    home = tmp_path / "processes"
    monkeypatch.setenv("DAILYPAPERS_HOME", str(home))
    monkeypatch.setenv("DAILYPAPERS_WORKERS", "2")
    cli("report", DAY, "--no-llm", "--format", "json", "-o", str(tmp_path / "b.json"), "--quiet")
    assert "reading in 2 worker processes" in (home / "dailypapers.log").read_text()
    when = re.compile(r'"(generated|analysed)_at": ?"[^"]*"')
    in_thread, in_processes = (
        when.sub("", (tmp_path / f).read_text()) for f in ("a.json", "b.json")
    )
    assert in_processes == in_thread


def test_no_llm_is_the_default_without_configuration(recordings) -> None:
    res = cli("report", DAY, "--top", "3", "-o", "-", "--quiet", "--lang", "en")
    assert "no-LLM extraction" in res.output and "No LLM configured" in res.output
    papers = parse_markdown(res.output)
    assert len(papers) == 3 and all([h for _, h in p["sections"]] == SECTIONS_EN for p in papers)


def test_llm_report_parses_back_with_same_structure(llm, tmp_path) -> None:
    cli("report", DAY, "-o", str(tmp_path / "llm.md"), "--quiet")
    cli("report", DAY, "-o", str(tmp_path / "llm.json"), "--format", "json", "--quiet")
    papers = parse_markdown((tmp_path / "llm.md").read_text())
    assert len(papers) == 50 and [p["id"] for p in papers] == DAY_IDS
    for p in papers:
        assert [h for _, h in p["sections"]] == SECTIONS_ZH
        assert p["source"] == expected_source(p["id"])
    data = json.loads((tmp_path / "llm.json").read_text())
    assert data["analyser"] == "llm" and data["model"] == "test-model"
    assert all(p["provenance"]["model"] == "test-model" for p in data["papers"])
    assert len(llm.requests) == 50  # the JSON run came from the archive
    md = (tmp_path / "llm.md").read_text()
    first = data["papers"][0]
    assert f"- **中文标题**: {first['analysis']['translated_title']}" in md
    assert first["analysis"]["translated_title"].startswith("论文：")
    head = md.split("=" * 60)[0]
    assert md.count("- **中文标题**: ") == 50 and "## 概览\n\n今日论文涉及多个方向。" in head
    assert "未核验" not in head and data["overview"]["paragraph"]["verdict"]["verified"]
    assert len(llm.day_requests) == 1  # written once: the JSON run found it in the archive
    assert "今日论文涉及多个方向。" in cli("show", DAY).output


def test_the_paragraph_on_the_day_is_checked_against_the_analyses(llm, monkeypatch) -> None:
    import servers

    honest = servers.day_paragraph

    def inventive(request: dict) -> dict:
        return {"paragraph": honest(request)["paragraph"] + "平均提升 87.6%，超过 GPT-9。"}

    monkeypatch.setattr(servers, "day_paragraph", inventive)
    md = cli("report", DAY, "--top", "3", "-o", "-", "--quiet").output
    head = md.split("=" * 60)[0]
    assert "平均提升 87.6%" in head and "⚠️ *未核验: 当日分析中没有这些数字：87.6%" in head
    assert "GPT-9" in head.split("未核验")[1]  # the invented name is named too


def test_no_paragraph_when_the_llm_cannot_write_it(llm, monkeypatch) -> None:
    import servers

    monkeypatch.setattr(servers, "day_paragraph", lambda request: {"not": "a paragraph"})
    res = run_cli(["report", DAY, "--top", "2", "-o", "-"])
    assert res.exit_code == 0 and res.stdout.count("## 📄") == 2 and "## 概览" in res.stdout
    assert "no paragraph on the day" in res.stderr


def test_html_escapes_hostile_listing(recordings, tmp_path) -> None:
    rec, _ = recordings
    day = json.loads(json.dumps(rec.days[DAY][:2]))
    day[0]["paper"]["title"] = "Evil <script>alert('title')</script> Paper"
    day[0]["paper"]["summary"] = "We propose <img src=x onerror=alert('abstract')> a method."
    day[0]["paper"]["authors"][0]["name"] = "<script>alert('author')</script>"
    day[0]["paper"]["ai_keywords"] = ["<img src=x onerror=alert('kw')>"]
    day[0]["paper"]["githubRepo"] = "javascript:alert('repo')"
    rec.days["2026-04-01"] = day
    out = tmp_path / "evil.html"
    cli("report", "2026-04-01", "--format", "html", "-o", str(out), "--quiet")
    html = out.read_text()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "javascript:" not in html
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(&#39;kw&#39;)&gt;" in html
    assert "&lt;script&gt;alert(&#39;author&#39;)" in html
    assert '<meta name="viewport"' in html and 'href="#p1"' in html
    md = cli("report", "2026-04-01", "-o", "-", "--quiet").output
    assert "<script" not in md and "<img" not in md and "&lt;script>alert('title')" in md


def test_failed_paper_appears_with_reason(recordings, monkeypatch, tmp_path) -> None:
    rec, _ = recordings
    day = json.loads(json.dumps(rec.days[DAY][:3]))
    day[1]["paper"]["summary"] = day[1]["summary"] = ""
    rec.days["2026-04-02"] = day
    rec.html.pop(day[1]["paper"]["id"], None)
    res = run_cli(["report", "2026-04-02", "-o", "-", "--quiet"])
    assert res.exit_code == 3  # the report is written, and one paper failed
    papers = parse_markdown(res.stdout)
    assert len(papers) == 3
    assert papers[1]["sections"] == [] and "❌ 分析失败" in res.stdout
    assert res.stderr.startswith(f"failed {day[1]['paper']['id']}: nothing to read")


def test_unreachable_llm_is_one_line(recordings, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("DAILYPAPERS_LLM_RETRIES", "0")
    res = run_cli(["report", DAY, "--top", "2", "--quiet", "-o", "-"])
    assert res.exit_code == 1 and "cannot reach the LLM server" in res.output
    assert "Traceback" not in res.output


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_output_written_atomically(recordings, tmp_path, fmt) -> None:
    out = tmp_path / f"r.{fmt}"
    cli("report", DAY, "--top", "2", "--format", fmt, "-o", str(out), "--quiet")
    assert out.exists() and out.stat().st_size > 500
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize(
    "day", ["2026-02-11", "2026-02-12", "2026-02-18", "2026-02-19", "2026-02-20"]
)
def test_no_llm_reports_are_copied_not_scored(recordings, day) -> None:
    """The no-LLM text is the paper's own: every item passes the checks, and is counted as
    copied, not as verified, so the report claims no grounding score for it."""
    data = json.loads(
        cli("report", day, "--no-llm", "--format", "json", "-o", "-", "--quiet").output
    )
    assert data["grounding_score"] is None
    assert all(p["status"] == "ok" for p in data["papers"])
    statuses = {v["status"] for p in data["papers"] for v in p["grounding"]["verdicts"]}
    assert statuses <= {"copied", "uncheckable"} and "copied" in statuses


def test_min_upvotes_and_top(recordings) -> None:
    listing = json.loads((FIXTURES / f"hf_api/daily_papers_{DAY}.json").read_text())
    popular = [e["paper"]["id"] for e in listing if e["paper"]["upvotes"] >= 30]
    md = cli("report", DAY, "--min-upvotes", "30", "-o", "-", "--quiet").output
    assert [p["id"] for p in parse_markdown(md)] == popular
    top = cli("report", DAY, "--top", "2", "-o", "-", "--quiet").output
    assert [p["id"] for p in parse_markdown(top)] == popular[:2]  # sorted by upvotes
    assert f"**筛选**: 赞数最高的 2 篇（共列出 {len(listing)} 篇）" in top
    assert "**筛选**: 赞数 ≥ 30（共列出" in md


def test_filtered_reports_keep_the_full_one_and_say_what_they_show(recordings, clean_env) -> None:
    day = "2026-02-19"  # 21 papers, read from their abstracts: cheap to run in full
    cli("report", day, "--quiet", "--lang", "en")
    full = (clean_env / "reports" / f"{day}.no-llm.en.md").read_text()
    cli("report", day, "--top", "5", "--min-upvotes", "1", "--quiet", "--lang", "en")
    assert (clean_env / "reports" / f"{day}.no-llm.en.md").read_text() == full
    filtered = (clean_env / "reports" / f"{day}.no-llm.min1-top5.en.md").read_text()
    assert "**Filter**: the 5 most upvoted · 1+ upvotes (of 21 listed)" in filtered
    assert "**Filter**" not in full
    res = cli("report", day, "--min-upvotes", "100000", "--quiet", "-o", "-")
    assert res.exit_code == 0 and " ".join(res.output.split()) == (
        f"none of the 21 papers listed on {day} has 100000+ upvotes: "
        "lower --min-upvotes to see some"
    )
    assert "no papers were listed" in cli("report", "2026-02-14", "-o", "-").output


def test_hub_resources_citing_a_paper(recordings, clean_env, monkeypatch) -> None:
    monkeypatch.setenv("DAILYPAPERS_HUB_RESOURCES", "1")
    rec, server = recordings
    first = DAY_IDS[0]
    rec.hub[("models", first)] = [
        {"id": "org/small", "likes": 3, "downloads": 10},
        {"id": "org/big-model", "likes": 120, "downloads": 5000, "tags": ["arxiv:" + first]},
        {"id": "javascript:alert(1)", "likes": 999},  # not an owner/name: never linked
    ]
    rec.hub[("spaces", first)] = [{"id": "someone/demo", "likes": 7}]
    res = cli("report", DAY, "--top", "2", "--no-llm", "--quiet", "-o", "-", "--lang", "en")
    block = res.output.split("## 📄 ")[1]
    assert (
        "- **On the Hub**: models https://huggingface.co/org/big-model ♥ 120, "
        "https://huggingface.co/org/small ♥ 3 · "
        "Spaces https://huggingface.co/spaces/someone/demo ♥ 7"
    ) in block
    assert "javascript" not in res.output and "On the Hub" not in res.output.split("## 📄 ")[2]
    asked = [p for p in server.paths() if p.startswith("/api/models")]
    assert f"/api/models?filter=arxiv%3A{first}&sort=likes&direction=-1&limit=5" in asked
    html = cli("show", DAY, "--format", "html", "--lang", "en").output
    assert (
        '<a href="https://huggingface.co/org/big-model" rel="nofollow noopener">org/big-model'
        in html
    )
    n = len(server.paths())
    cli("report", DAY, "--top", "2", "--no-llm", "--quiet", "-o", "-")  # asked once per paper
    assert len(server.paths()) == n


def test_the_hub_failing_never_fails_the_paper(recordings, monkeypatch) -> None:
    monkeypatch.setenv("DAILYPAPERS_HUB_RESOURCES", "1")
    monkeypatch.setenv("DAILYPAPERS_HTTP_RETRIES", "0")  # a 500 is final at once
    rec, server = recordings
    rec.overrides["/api/datasets"] = [Reply(500, b"oops")] * 20
    res = cli("report", DAY, "--top", "2", "--no-llm", "--quiet", "-o", "-")
    assert res.exit_code == 0 and res.output.count("## 📄") == 2 and "**Hub**" not in res.output
    assert any(p.startswith("/api/datasets") for p in server.paths())
