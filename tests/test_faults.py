"""The fault matrix on this machine's side and at the listing: every case ends in one clear
line and an exit code that says what happened, and nothing finished is lost."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import sqlite3
import stat
import subprocess
import sys
import time

import pytest

from dailypapers.archive.store import Store, storage_error
from dailypapers.core.config import load_settings
from dailypapers.core.errors import ArchiveUnusable, DiskFull
from dailypapers.run.period import Options
from dailypapers.sources import hf
from dailypapers.sources.net import Net

from conftest import DAY, PROCESS_PACING, run_cli, run_period
from servers import FakeClock, Reply, big_day


def invoke(*args: str):
    return run_cli(list(args))


def one_error_line(res) -> str:
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert "Traceback" not in res.output
    return lines[0]


# --- the listing ---------------------------------------------------------------------------


def listing(period: str, notes: list[str]):
    async def go():
        async with Net(load_settings(), clock=FakeClock()) as net:
            return await hf.fetch_listing(net, period, "day", notes)

    return asyncio.run(go())


def test_a_server_that_ignores_paging_is_stopped(recordings) -> None:
    rec, server = recordings
    page = json.dumps(big_day(100)).encode()
    rec.overrides["/api/daily_papers"] = [Reply(200, page, {})] * 50
    notes: list[str] = []
    papers = listing("2026-03-04", notes)
    assert len(papers) == 100 and "ignores paging" in notes[0]
    assert len(server.paths()) == 2


def test_a_malformed_entry_is_skipped_and_the_day_goes_on(recordings) -> None:
    rec, server = recordings
    day = big_day(5)
    day[1]["paper"]["upvotes"] = "many"
    day[2] = "not an entry"
    day[3]["paper"]["id"] = "../../../etc/passwd"
    rec.days["2026-03-05"] = day
    notes: list[str] = []
    papers = listing("2026-03-05", notes)
    kept = [day[i]["paper"]["id"] for i in (0, 1, 4)]  # odd upvotes cost the upvotes only
    assert [p.id for p in papers] == kept and papers[1].upvotes == 0
    assert len(notes) == 3 and "malformed upvotes ('many')" in notes[0]
    assert "is not an arXiv id" in notes[2]
    res = invoke("report", "2026-03-05", "-o", "-", "--quiet", "--no-llm")
    assert res.exit_code == 0 and res.stdout.count("## 📄") == 3
    assert res.stderr.count("malformed entry") == 2 and "malformed upvotes" in res.stderr
    assert not [p for p in server.paths() if "passwd" in p or "etc" in p]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--concurrency", "0"], "--concurrency"),
        (["--concurrency", "-1"], "--concurrency"),
        (["--top", "-1"], "--top"),
        (["--top", "0"], "--top"),
        (["--max-input-tokens", "10"], "--max-input-tokens"),
        (["--min-upvotes", "-3"], "--min-upvotes"),
    ],
)
def test_invalid_options_are_refused_before_anything_runs(recordings, args, says) -> None:
    _, server = recordings
    res = invoke("report", DAY, *args)
    assert res.exit_code == 2 and says in res.output and not server.paths()


def test_invalid_settings_from_the_environment(recordings, monkeypatch) -> None:
    monkeypatch.setenv("DAILYPAPERS_CONCURRENCY", "0")
    res = invoke("report", DAY)
    assert res.exit_code == 2 and "concurrency" in one_error_line(res)


# --- output files ------------------------------------------------------------------------


def test_output_to_a_device_or_fifo_is_written_not_replaced(recordings, tmp_path) -> None:
    assert invoke("report", DAY, "--top", "2", "--no-llm", "-o", "/dev/null").exit_code == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    res = invoke("report", DAY, "--top", "2", "--no-llm", "-o", str(fifo), "--quiet")
    assert res.exit_code == 0 and "## 📄" in reader.communicate(timeout=30)[0].decode()
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_output_through_a_symlink_keeps_the_link(recordings, tmp_path) -> None:
    target = tmp_path / "real.md"
    target.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    assert invoke("report", DAY, "--top", "2", "--no-llm", "-o", str(link)).exit_code == 0
    assert link.is_symlink() and "## 📄" in target.read_text()


def test_output_to_a_directory_is_refused_before_any_request(recordings, tmp_path) -> None:
    _, server = recordings
    res = invoke("report", DAY, "--top", "2", "--no-llm", "-o", str(tmp_path))
    assert res.exit_code == 2 and "is a folder: give a file name" in one_error_line(res)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    res = invoke("report", DAY, "--no-llm", "-o", str(tmp_path / "missing" / "day.md"))
    assert res.exit_code == 2 and "does not exist" in one_error_line(res)
    assert server.paths() == []  # nothing asked, nothing paid


def test_reports_follow_the_umask(recordings, tmp_path) -> None:
    old = os.umask(0o022)
    try:
        invoke("report", DAY, "--top", "2", "--no-llm", "-o", str(tmp_path / "r.md"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "r.md").st_mode) == 0o644


def test_disk_full_on_output_is_one_line(recordings) -> None:
    res = invoke("report", DAY, "--top", "2", "--no-llm", "-o", "/dev/full")
    assert res.exit_code == 5 and "is full" in one_error_line(res)


def test_disk_full_in_the_archive_stops_the_run_not_each_paper(recordings) -> None:
    settings = load_settings()
    store = Store(settings.db_path)
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count={pages + 2}")  # room for almost nothing
    with pytest.raises(DiskFull, match="is full"):
        run_period(Options(period=DAY), store=store)
    store.close()


def test_corrupt_archive_says_how_to_recover(recordings, clean_env) -> None:
    clean_env.mkdir(parents=True)
    (clean_env / "dailypapers.db").write_bytes(b"this is not SQLite" * 100)
    res = invoke("history")
    line = one_error_line(res)
    assert res.exit_code == 4 and "corrupt" in line and ".broken" in line


def test_unwritable_home_is_one_line(recordings, monkeypatch, tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("DAILYPAPERS_HOME", str(blocker / "home"))
    res = invoke("report", DAY, "--no-llm")
    assert res.exit_code == 6 and "DAILYPAPERS_HOME" in one_error_line(res)


# --- processes ---------------------------------------------------------------------------


def dp(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dailypapers", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **PROCESS_PACING},
    )


def test_a_second_run_of_the_same_day_waits_for_the_first(recordings, clean_env) -> None:
    lock = clean_env / "locks" / f"day-{DAY}.lock"
    lock.parent.mkdir(parents=True)
    with open(lock, "w") as held:
        held.write("4242")
        held.flush()
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = dp("report", DAY, "--top", "3", "--no-llm", "-o", "-")
        said = proc.stderr.readline()  # the first thing it says
        assert "another run of 2026-02-11 is in progress (pid 4242); waiting" in said
        time.sleep(0.5)
        assert proc.poll() is None  # still waiting
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and out.count("## 📄") == 3


def test_concurrent_first_runs_create_the_archive_safely(clean_env) -> None:
    code = (
        "import sys, pathlib; from dailypapers.archive.store import Store; "
        "Store(pathlib.Path(sys.argv[1])).close()"
    )
    for attempt in range(3):
        db = clean_env / f"a{attempt}" / "dailypapers.db"
        procs = [
            subprocess.Popen([sys.executable, "-c", code, str(db)], stderr=subprocess.PIPE)
            for _ in range(4)
        ]
        assert [p.wait(timeout=60) for p in procs] == [0] * 4, [p.stderr.read() for p in procs]


def test_read_only_archive_says_how_to_recover(tmp_path) -> None:
    """Root ignores file modes here, so SQLite's own words are fed to the mapping."""
    db = tmp_path / "dailypapers.db"
    e = storage_error(sqlite3.OperationalError("attempt to write a readonly database"), db)
    assert isinstance(e, ArchiveUnusable) and e.exit_code == 4
    assert "read-only" in str(e) and "DAILYPAPERS_HOME" in str(e)
    full = storage_error(sqlite3.OperationalError("database or disk is full"), db)
    assert isinstance(full, DiskFull) and full.exit_code == 5
