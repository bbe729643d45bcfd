"""The library under the CLI: one Session runs many periods with one worker pool and one
negotiation, tells its observers how each run started and ended, and a run stopped by the
LLM server is recorded as failed with everything it did."""

from __future__ import annotations

import json
import sqlite3

import pytest

from dailypapers.core.config import load_settings
from dailypapers.core.errors import LLMUnavailable
from dailypapers.report.models import Report
from dailypapers.run.events import Event, Observer, RunInfo, RunStatus, Stats
from dailypapers.run.period import Options

from conftest import DAY, run_period, session_run
from servers import (
    FakeClock,
    Reply,
    big_day,
    completion,
    faithful_analysis,
    json_reply,
    server_tokens,
)

DEEPSEEK_REFUSAL = "This response_format type is unavailable now"


class Recorder(Observer):
    def __init__(self) -> None:
        self.said: list[tuple[str, object]] = []

    def run_started(self, run: RunInfo) -> None:
        self.said.append(("started", run.label))

    def event(self, e: Event) -> None:
        self.said.append((e.step, e.paper_id))

    def run_finished(
        self, run: RunInfo, status: RunStatus, report: Report | None, stats: Stats
    ) -> None:
        self.said.append(("finished", (run.label, status, report is not None, stats.calls)))


def faithful(request: dict) -> Reply:
    answer = json.dumps(faithful_analysis(request), ensure_ascii=False)
    return json_reply(completion(answer, prompt_tokens=server_tokens(request)))


def payment_required(request: dict) -> Reply:
    error = {"message": "Insufficient Balance", "type": "unknown_error"}
    return json_reply({"error": error}, 402)


def rows(sql: str) -> list[tuple]:
    with sqlite3.connect(load_settings().db_path) as db:
        return db.execute(sql).fetchall()


def test_a_402_after_two_papers_records_a_failed_run_with_both_analyses_and_every_call(
    recordings, llm, monkeypatch
) -> None:
    monkeypatch.setenv("DAILYPAPERS_CONCURRENCY", "1")  # one paper after another
    monkeypatch.setenv("DAILYPAPERS_UNVERIFIED", "mark")  # one request per paper
    llm.script = [faithful, faithful] + [payment_required] * 20
    seen = Recorder()
    with pytest.raises(LLMUnavailable, match="wants payment"):
        run_period(Options(period=DAY, top=6), observers=[seen])
    assert len(llm.requests) == 3  # the papers waiting for a turn ask nothing more
    assert rows("SELECT status FROM runs") == [("failed",)]
    assert len(rows("SELECT id FROM analyses")) == 2
    calls = rows("SELECT paper_id, error FROM llm_calls ORDER BY id")
    errors = [error for _, error in calls if error]
    assert len(calls) == 3 and len(errors) == 1 and "wants payment" in errors[0]
    stats = json.loads(rows("SELECT stats FROM runs")[0][0])
    assert stats["calls"] == 3 and stats["analysed"] == 2 and stats["requests"] > 0
    assert seen.said[0] == ("started", DAY)
    assert seen.said[-1] == ("finished", (DAY, "failed", False, 3))


def test_thirty_periods_through_one_session_start_one_pool_and_negotiate_once(
    recordings, llm, monkeypatch
) -> None:
    """A backfill's shape: many periods, one session."""
    rec, server = recordings
    monkeypatch.setenv("DAILYPAPERS_WORKERS", "1")
    llm.rejects = {"json_schema": DEEPSEEK_REFUSAL}
    days = [f"2026-05-{d:02d}" for d in range(1, 31)]
    papers = big_day(60)
    for i, day in enumerate(days):
        rec.days[day] = papers[2 * i : 2 * i + 2]
    seen = Recorder()

    async def backfill(session) -> tuple[list[str], int]:
        statuses = []
        for day in days:
            report, stats = await session.period(Options(period=day))
            statuses.append(f"{day}: {[p.status for p in report.papers]}")
        return statuses, session.workers.pools

    clock = FakeClock()
    statuses, pools = session_run(backfill, clock=clock, observers=[seen])
    assert statuses == [f"{day}: ['ok', 'ok']" for day in days]
    assert pools == 1
    formats = [(r.get("response_format") or {}).get("type") for r in llm.requests]
    assert formats.count("json_schema") == 1 and len(formats) >= 60
    assert [s for s in seen.said if s[0] == "started"] == [("started", d) for d in days]
    assert rows("SELECT count(*), min(status), max(status) FROM runs") == [(30, "done", "done")]
    assert clock.slept > 0  # the default pacing was waited, in virtual time


def test_an_interrupted_run_is_recorded_so(recordings, llm, monkeypatch) -> None:
    """A run cancelled from outside (Ctrl-C reaches it so) says `interrupted`."""
    import asyncio

    monkeypatch.setenv("DAILYPAPERS_CONCURRENCY", "1")
    llm.delay = 5.0  # real seconds: the run is cancelled while it waits
    seen = Recorder()

    async def cancelled(session) -> None:
        task = asyncio.create_task(session.period(Options(period=DAY, top=3)))
        while not llm.requests:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    session_run(cancelled, observers=[seen])
    assert rows("SELECT status FROM runs") == [("interrupted",)]
    assert seen.said[-1][0] == "finished" and seen.said[-1][1][1] == "interrupted"


def test_a_refusal_of_the_paragraph_costs_only_the_paragraph(recordings, llm, monkeypatch) -> None:
    import servers

    monkeypatch.setattr(servers, "day_paragraph", lambda request: payment_required(request))
    report, stats = run_period(Options(period=DAY, top=2))
    assert [p.status for p in report.papers] == ["ok", "ok"]
    assert report.overview is not None and report.overview.paragraph is None
    assert any("no paragraph on the day" in w and "payment" in w for w in stats.warnings)
    assert rows("SELECT status FROM runs") == [("done",)]


def test_a_session_asks_again_in_its_next_run_what_refused_it_in_the_last(
    recordings, llm, monkeypatch
) -> None:
    """A backfill's key topped up, arXiv back: the session's next run tries them again."""
    rec, _ = recordings
    monkeypatch.setenv("DAILYPAPERS_CONCURRENCY", "1")
    rec.days["2026-05-01"] = big_day(4)[2:4]
    llm.script = [payment_required]

    async def two_days(session) -> list[str]:
        out = []
        for day in (DAY, "2026-05-01"):
            try:
                report, _ = await session.period(Options(period=day, top=2))
                out.append(f"{day}: {[p.status for p in report.papers]}")
            except LLMUnavailable:
                out.append(f"{day}: refused")
        return out

    assert session_run(two_days) == [f"{DAY}: refused", "2026-05-01: ['ok', 'ok']"]
    assert rows("SELECT status FROM runs ORDER BY id") == [("failed",), ("done",)]


def test_a_sessions_pool_grows_for_a_bigger_run(recordings, monkeypatch) -> None:
    monkeypatch.setenv("DAILYPAPERS_WORKERS", "2")

    async def small_then_big(session) -> list[int]:
        await session.paper("2501.11120", Options())
        sizes = [session.workers.count]
        await session.period(Options(period=DAY, top=4))
        return [*sizes, session.workers.count, session.workers.pools]

    assert session_run(small_then_big, no_llm=True) == [1, 2, 2]
