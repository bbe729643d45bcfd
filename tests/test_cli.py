"""The command line as a user runs it, configured through the environment: in process (typer's
runner), and in a real process where only a process shows it (a traceback on DAILYPAPERS_DEBUG,
`python -m dailypapers`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest
import typer

from dailypapers.cli.app import app

from conftest import DAY, DAY_IDS, PROCESS_PACING, run_cli
from servers import server_tokens


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def dp(*args: str) -> Ran:
    res = run_cli(list(args))
    return Ran(res.exit_code, res.stdout, res.stderr)


def process(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dailypapers", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **PROCESS_PACING},
        timeout=timeout,
    )


def test_list_day(recordings) -> None:
    res = dp("list", DAY)
    assert res.returncode == 0, res.stderr
    assert "50 papers" in res.stdout and DAY_IDS[0] in res.stdout
    res = dp("list", DAY, "--json")
    assert len(json.loads(res.stdout)) == 50


def test_list_empty_day(recordings) -> None:
    res = dp("list", "2026-02-14")
    assert res.returncode == 0 and "no papers were listed on 2026-02-14" in res.stdout


def test_read_html(recordings) -> None:
    res = dp("read", "2501.11120")
    assert res.returncode == 0, res.stderr
    assert "source: arXiv HTML 2501.11120v1" in res.stderr
    assert res.stdout.startswith("# Tell me about yourself")
    res = dp("read", "2206.10883", "--json")
    doc = json.loads(res.stdout)
    assert doc["source"] == "pdf" and "no HTML" in res.stderr


@pytest.mark.parametrize(
    "args,message",
    [
        (["list", "2026-02-30"], "invalid day '2026-02-30'"),
        (["list", "2027-03-01"], "try an earlier day such as 2027-02-28"),
        (["read", "not-an-id"], "is not an arXiv id"),
        (["show", "2026-01-01"], "2026-01-01 is not in the archive"),
        (["show", "2501.11120"], "has no zh analysis in the archive"),
        (["report", DAY, "--format", "pdf"], "unknown format 'pdf'"),
        (["report", DAY, "--unverified", "hide"], "unknown --unverified policy 'hide'"),
        (["report", "--week", "2026-W07", "--month", "2026-02"], "give one of DATE"),
        (["analyse", "2501.11120", "--lang", "fr"], "unknown language 'fr'"),
        (["analyze", "2501.11120", "--reanalyze", "--lang", "fr"], "unknown language 'fr'"),
    ],
)
def test_user_errors_are_one_line(recordings, args, message) -> None:
    res = dp(*args)
    assert res.returncode != 0 and message in res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_unreachable_server_is_one_line(monkeypatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("DAILYPAPERS_HTTP_RETRIES", "0")
    res = dp("list", DAY)
    assert res.returncode == 1 and "unreachable" in res.stderr and "Traceback" not in res.stderr
    assert "set HF_ENDPOINT to a mirror (e.g. HF_ENDPOINT=https://hf-mirror.com)" in res.stderr


def test_debug_shows_traceback(monkeypatch) -> None:
    monkeypatch.setenv("DAILYPAPERS_DEBUG", "1")
    res = process("list", "2026-02-30")
    assert "Traceback" in res.stderr


def commands(group: typer.Typer) -> list[str]:
    return [c.name or c.callback.__name__ for c in group.registered_commands if not c.hidden]


@pytest.mark.parametrize("name", commands(app))
def test_every_command_has_help_with_example(name: str) -> None:
    res = run_cli([name, "--help"])
    assert res.exit_code == 0
    assert "Example:" in res.output and f"dailypapers {name}" in res.output


def test_summary_with_cost_and_log_file(recordings, llm, monkeypatch, clean_env) -> None:
    monkeypatch.setenv("DAILYPAPERS_PRICE_IN", "0.5")
    monkeypatch.setenv("DAILYPAPERS_PRICE_OUT", "1.5")
    res = dp("report", DAY, "--top", "2", "-o", "-")
    assert res.returncode == 0, res.stderr
    assert "Run summary" in res.stderr and "estimated cost" in res.stderr
    tokens_in = sum(server_tokens(r) for r in llm.requests)
    assert f"2 calls, {tokens_in:,} tokens in, 600 tokens out" in res.stderr
    assert f"${(tokens_in * 0.5 + 600 * 1.5) / 1e6:.4f}" in res.stderr
    assert (clean_env / "dailypapers.log").exists()


def test_quiet_report_prints_nothing(recordings, clean_env) -> None:
    res = dp("report", DAY, "--top", "2", "--quiet")
    assert res.returncode == 0 and res.stdout == "" and res.stderr == ""
    reports = clean_env / "reports"  # the full report and the LLM's are apart
    assert sorted(p.name for p in reports.iterdir()) == [f"{DAY}.no-llm.top2.zh.md"]
