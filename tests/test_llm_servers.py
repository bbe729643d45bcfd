"""Real servers differ: each is played here by the scripted server on 127.0.0.1, the way it
answers, and a whole day is run against it with the default concurrency."""

from __future__ import annotations

import pytest

from dailypapers.archive.store import Store
from dailypapers.core.config import load_settings
from dailypapers.run.period import Options

from conftest import DAY, DAY_IDS, HTML_PAGES, run_cli, run_period
from servers import Reply, json_reply

DEEPSEEK_REFUSAL = "This response_format type is unavailable now"
LONG = [DAY_IDS[0], DAY_IDS[2], DAY_IDS[4]]  # papers whose full text exceeds a 16k context


def run_day(top: int | None = None, **opts):
    """The recorded day through the pipeline, as `dailypapers report` runs it."""
    report, stats = run_period(Options(period=DAY, top=top, **opts))
    with Store(load_settings().db_path) as store:
        calls = store.db.execute("SELECT rung, error FROM llm_calls").fetchall()
    return report, stats, calls


def full_text_day(rec, n: int = 10) -> None:
    """The first `n` papers of the day, all with an HTML page, so every prompt is long."""
    rec.days[DAY] = rec.days[DAY][:n]


def fmt(request: dict) -> str | None:
    return (request.get("response_format") or {}).get("type")


def test_server_without_json_schema_under_concurrency(llm, monkeypatch) -> None:
    monkeypatch.setenv("DAILYPAPERS_CONCURRENCY", "8")
    llm.rejects = {"json_schema": DEEPSEEK_REFUSAL}
    llm.delay = 0.15  # requests overlap
    report, stats, calls = run_day(top=16)
    assert [p.status for p in report.papers] == ["ok"] * 16
    assert {p.provenance.rung for p in report.papers} == {"json_object"}
    assert [fmt(r) for r in llm.requests].count("json_schema") == 1  # negotiated once
    assert stats.failed == 0 and sum(1 for c in calls if c["error"]) == 1
    before = len(llm.requests)
    run_day(top=16, reanalyse=True)  # the next run starts on the rung that works
    assert {fmt(r) for r in llm.requests[before:]} == {"json_object"}


def test_requests_in_flight_move_down_when_a_remembered_rung_stops_working(
    llm, monkeypatch
) -> None:
    monkeypatch.setenv("DAILYPAPERS_CONCURRENCY", "8")
    run_day(top=8)  # json_schema is confirmed and remembered
    llm.rejects = {"json_schema": DEEPSEEK_REFUSAL}
    llm.delay = 0.15
    before = len(llm.requests)
    report, stats, _ = run_day(top=8, reanalyse=True)
    assert stats.failed == 0 and {p.provenance.rung for p in report.papers} == {"json_object"}
    sent = [fmt(r) for r in llm.requests[before:]]
    assert sent.count("json_object") == 8 and sent.count("json_schema") <= 8


def test_remembered_rung_is_renegotiated_from_the_top(llm, monkeypatch) -> None:
    """A server that refuses json_object but takes json_schema (as LM Studio does) after a
    run that remembered json_object: the ladder starts again from the top."""
    llm.rejects = {"json_schema": DEEPSEEK_REFUSAL}
    run_day(top=2)
    llm.rejects = {"json_object": "'response_format.type' must be 'json_schema'"}
    report, stats, _ = run_day(top=2, reanalyse=True)
    assert stats.failed == 0 and {p.provenance.rung for p in report.papers} == {"json_schema"}


def test_a_400_that_is_not_about_the_format_does_not_step_down(llm) -> None:
    llm.script = [
        lambda r: json_reply(
            {"error": {"message": "Input data may contain inappropriate content."}}, 400
        )
    ]
    report, stats, _ = run_day(top=3)
    assert stats.failed == 1 and "inappropriate" in stats.failures[0][1]
    assert {fmt(r) for r in llm.requests} == {"json_schema"}
    assert all(p.provenance.rung == "json_schema" for p in report.papers if p.status == "ok")


@pytest.mark.parametrize("style", ["vllm", "llama.cpp", "openai", "unstated"])
def test_small_context_server_gets_every_paper_re_packed(recordings, llm, monkeypatch, style):
    rec, _ = recordings
    full_text_day(rec, 6)
    monkeypatch.setenv("DAILYPAPERS_CONCURRENCY", "1")  # the first paper teaches the limit
    llm.context, llm.context_style = 16384, style
    report, stats, calls = run_day()
    assert stats.failed == 0 and all(p.status == "ok" for p in report.papers)
    assert {p.provenance.rung for p in report.papers} == {"json_schema"}  # no step down
    long = [p for p in report.papers if p.paper.id in LONG]
    assert long and all(p.provenance.cut_sections for p in long)
    refused = [c for c in calls if c["error"] and "context" in c["error"]]
    if style == "unstated":
        assert 1 <= len(refused) <= 4
    else:  # the stated limit is learnt from the first refusal, and remembered
        assert len(refused) == 1
        assert all(p.provenance.context_limit == 16384 for p in long)
        md = run_cli(["show", DAY]).output
        assert "按服务器上下文 16,384 tokens 打包" in md
        _, again, after = run_day(reanalyse=True)  # the remembered limit is tried past once
        retried = [c for c in after[len(calls) :] if c["error"]]
        assert again.failed == 0 and len(retried) == 1 and "context" in retried[0]["error"]


def test_a_remembered_context_is_forgotten_once_the_server_has_grown(
    recordings, llm, monkeypatch
) -> None:
    rec, _ = recordings
    full_text_day(rec, 6)
    monkeypatch.setenv("DAILYPAPERS_CONCURRENCY", "1")
    llm.context, llm.context_style = 16384, "vllm"
    report, _, _ = run_day()
    assert any(p.provenance.context_limit == 16384 for p in report.papers)
    assert "16,384" in run_cli(["servers"]).output
    llm.context = None  # the operator enlarged the server, as the warning advised
    again, stats, calls = run_day(reanalyse=True)
    assert (
        stats.failed == 0 and not [c for c in calls if c["error"] and "context" in c["error"]][1:]
    )
    assert all(p.provenance.context_limit is None for p in again.papers)
    assert any("its remembered context is forgotten" in w for w in stats.warnings)
    shown = run_cli(["servers"]).output
    assert "16,384" not in shown and "test-model" in shown
    forgot = run_cli(["servers", "--forget", llm_url(monkeypatch)])
    assert forgot.exit_code == 0 and "forgot 1 model(s)" in forgot.output
    assert "nothing is remembered" in run_cli(["servers"]).output


def test_context_too_small_for_the_answer_fails_with_what_to_change(llm, monkeypatch) -> None:
    monkeypatch.setenv("DAILYPAPERS_MAX_OUTPUT_TOKENS", "4096")
    llm.context, llm.context_style = 4096, "vllm"
    report, stats, _ = run_day(top=1)
    assert stats.failed == 1
    assert "DAILYPAPERS_MAX_OUTPUT_TOKENS" in report.papers[0].error


def test_ollama_truncating_silently_is_detected(recordings, llm) -> None:
    rec, _ = recordings
    full_text_day(rec, 4)
    llm.context, llm.context_style = 2048, "ollama"
    report, stats, _ = run_day()
    assert len(stats.warnings) == 1 and "OLLAMA_CONTEXT_LENGTH" in stats.warnings[0]
    long = [p for p in report.papers if p.paper.id in HTML_PAGES and p.status == "ok"]
    assert long and all(p.provenance.server_truncated[0] == 2048 for p in long)
    res = run_cli(["report", DAY, "-o", "-", "--quiet"])
    assert res.stderr.count("warning:") == 0  # analyses come from the archive: nothing sent
    assert "服务器静默截断了提示词：只读取了 2,048/" in res.stdout


def not_the_api(reply: Reply):
    return lambda request: reply


@pytest.mark.parametrize(
    ("reply", "says"),
    [
        (
            Reply(
                200, b"<html><body>Welcome to nginx!</body></html>", {"Content-Type": "text/html"}
            ),
            "a web page",
        ),
        (
            Reply(
                200,
                b'data: {"choices": []}\n\ndata: [DONE]\n\n',
                {"Content-Type": "text/event-stream"},
            ),
            "an event stream",
        ),
        (json_reply({"error": {"message": "Insufficient Balance"}}, 402), "wants payment"),
        (Reply(403, b"<html>Forbidden</html>", {"Content-Type": "text/html"}), "forbids us"),
        (json_reply({"status": "ok"}), "not a chat completion"),
    ],
)
def test_answers_that_are_not_the_api_stop_the_run_once(llm, reply, says) -> None:
    llm.script = [not_the_api(reply)] * 100
    res = run_cli(["report", DAY, "--top", "10", "-o", "-"])
    assert res.exit_code == 1 and res.stdout == ""
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and says in lines[0] and "127.0.0.1" in lines[0]


def test_exit_code_says_some_papers_failed(llm) -> None:
    llm.script = [lambda r: json_reply({"error": {"message": "boom"}}, 400)] * 2
    res = run_cli(["report", DAY, "--top", "4", "-o", "-", "--quiet"])
    assert res.exit_code == 3 and res.stdout.count("## 📄") == 4
    assert res.stderr.count("failed ") == 2 and "boom" in res.stderr


def llm_url(monkeypatch) -> str:
    import os

    return os.environ["OPENAI_BASE_URL"].rstrip("/")
