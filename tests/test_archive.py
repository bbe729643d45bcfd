"""The archive: re-runs cost nothing, killed runs lose nothing, new versions are noticed."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dailypapers.archive.store import MIGRATIONS, Store
from dailypapers.core.config import load_settings

from conftest import DAY, PROCESS_PACING, run_cli
from servers import FIXTURES


def cli(*args: str):
    res = run_cli(list(args))
    assert res.exit_code == 0, (res.output, res.exception)
    return res.output


def paper_of(request: dict) -> str:
    return json.loads(request["messages"][1]["content"].split("\n")[1])["arxiv_id"]


def test_rerun_sends_zero_requests(recordings, llm) -> None:
    _, server = recordings
    first = cli("report", DAY, "--quiet", "-o", "-")
    seen_http, seen_llm = len(server.paths()), len(llm.requests)
    assert seen_llm >= 50 and seen_http > 50
    with sqlite3.connect(load_settings().db_path) as db:
        kinds = dict(db.execute("SELECT kind, count(*) FROM sources GROUP BY kind").fetchall())
    assert kinds == {"html": 7, "pdf": 3}  # every body fetched is kept, failed conversion too
    second = cli("report", DAY, "--quiet", "-o", "-")
    assert len(server.paths()) == seen_http and len(llm.requests) == seen_llm
    strip = [line for line in first.splitlines() if "UTC" not in line]
    assert strip == [line for line in second.splitlines() if "UTC" not in line]


def test_show_and_history_need_no_network(recordings, monkeypatch) -> None:
    cli("report", DAY, "--quiet", "-o", "-", "--top", "5")
    cli("analyse", "2501.11120")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("DAILYPAPERS_ARXIV_URL", "http://127.0.0.1:9")
    shown = cli("show", DAY)
    assert shown.count("## 📄") == 5
    assert f"{DAY} 列出的 50 篇论文中有 45 篇尚未分析" in shown
    history = cli("history")
    assert DAY in history and "│ 50     │ 5 " in history
    one = cli("show", "2501.11120", "--format", "html")
    assert "Tell me about yourself" in one and one.count("<article") == 1


def test_reanalyse_redoes_analyses_without_fetching(recordings, llm) -> None:
    _, server = recordings
    cli("report", DAY, "--quiet", "-o", "-", "--top", "3")
    http, calls = len(server.paths()), len(llm.requests)
    cli("report", DAY, "--quiet", "-o", "-", "--top", "3", "--reanalyse")
    assert len(server.paths()) == http and len(llm.requests) == calls + 3


def test_new_arxiv_version_is_read_and_analysed_again(recordings, llm) -> None:
    rec, server = recordings
    target = "2407.16314"
    day = [e for e in json.loads(json.dumps(rec.days[DAY][:3]))]
    day[0]["paper"]["id"] = target
    rec.days["2026-05-05"] = day
    cli("report", "2026-05-05", "--quiet", "-o", "-")
    assert sorted(paper_of(r).split("v")[0] for r in llm.requests) == sorted(
        e["paper"]["id"] for e in day
    )
    rec.html[target] = FIXTURES / "crafted/layout2_2407.16314v2.html"
    rec.atom[target] = rec.atom[target].replace(b"2407.16314v1", b"2407.16314v2")
    before, asked = len(llm.requests), len(server.paths())
    out = cli("report", "2026-05-05", "--quiet", "-o", "-", "--refresh")
    assert [paper_of(r) for r in llm.requests[before:]] == [f"{target}v2"]
    assert "HTML v2" in out
    assert any("id_list" in p for p in server.paths()[asked:])


def test_migrations_recorded_once() -> None:
    settings = load_settings()
    Store(settings.db_path).close()
    store = Store(settings.db_path)
    rows = store.db.execute("SELECT name FROM _migrations").fetchall()
    assert [r[0] for r in rows] == [m.__name__ for m in MIGRATIONS]
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def analyses(db_path) -> dict[str, tuple]:
    with sqlite3.connect(db_path) as db:
        return {r[0]: r[1:] for r in db.execute("SELECT id, created_at, analysis FROM analyses")}


def spawn(*args: str) -> subprocess.Popen:
    """The CLI as a user starts it: with Ctrl-C working even if pytest runs with SIGINT
    ignored (nohup, a background job)."""
    return subprocess.Popen(
        [sys.executable, "-m", "dailypapers", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **PROCESS_PACING},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        process_group=0,  # its own, as a terminal's job: Ctrl-C reaches its workers too
    )


def workers_of(pid: int) -> set[int]:
    """The processes `pid` started: its workers and multiprocessing's resource tracker."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def gone(pids: set[int], limit: float = 5) -> bool:
    """Whether these processes have all ended (a zombie has) within `limit` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        alive = set()
        for pid in pids:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z":
                alive.add(pid)
        if not alive:
            return True
        time.sleep(0.1)
    return False


def wait_for(db_path, n: int, proc: subprocess.Popen, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if db_path.exists():
            try:
                if len(analyses(db_path)) >= n:
                    return
            except sqlite3.OperationalError:
                pass
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("the run did not get that far")


def slow_run_until(llm, monkeypatch, delay: float, concurrency: int, analysed: int):
    """A day's report in a subprocess reading in a worker process, as users run it, the LLM
    slowed down, once `analysed` papers are done."""
    llm.delay = delay
    monkeypatch.setenv("DAILYPAPERS_CONCURRENCY", str(concurrency))
    monkeypatch.setenv("DAILYPAPERS_WORKERS", "1")
    db_path = load_settings().db_path
    proc = spawn("report", DAY, "--quiet", "-o", "-")
    wait_for(db_path, analysed, proc)
    return proc, db_path


def test_sigkill_half_way_loses_nothing(recordings, llm, monkeypatch) -> None:
    proc, db_path = slow_run_until(llm, monkeypatch, delay=0.15, concurrency=2, analysed=15)
    workers = workers_of(proc.pid)
    assert workers
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert gone(workers)  # a killed run's worker leaves too
    done = analyses(db_path)
    assert 15 <= len(done) < 50
    calls_before = len(llm.requests)
    llm.delay = 0
    finish = spawn("report", DAY, "--quiet", "-o", "-")
    out, err = finish.communicate(timeout=120)
    assert finish.returncode == 0, err
    after = analyses(db_path)
    assert len(after) == 50 and out.count("## 📄") == 50
    assert all(after[pid] == row for pid, row in done.items())  # untouched
    again = {paper_of(r).split("v")[0] for r in llm.requests[calls_before:]}
    assert not again & set(done)
    assert len(again) == 50 - len(done)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_and_sigterm_stop_cleanly(recordings, llm, monkeypatch, stop) -> None:
    proc, db_path = slow_run_until(llm, monkeypatch, delay=0.3, concurrency=1, analysed=2)
    workers = workers_of(proc.pid)
    os.killpg(proc.pid, stop)  # as Ctrl-C and systemd do: the run and its workers
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "Traceback" not in err
    assert workers and gone(workers)
    assert re.search(r"interrupted: \d+ of 50 papers are done and saved", err)
    assert "Run summary" in err
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT status FROM runs").fetchone()[0] == "interrupted"
