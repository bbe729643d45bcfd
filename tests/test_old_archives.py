"""An archive from every earlier release opens: the read side reads the first release's
archive as it is, without changing a byte; the write side brings it up to date and finds
every paper, analysis and run in it, and a re-run of its day costs nothing."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3

from dailypapers.archive.reader import Archive
from dailypapers.archive.store import MIGRATIONS, Store
from dailypapers.core.config import load_settings
from dailypapers.core.models import Paper

from conftest import DAY, run_cli
from servers import FIXTURES

FIRST = FIXTURES / "archives/first_release.db"
PAPERS = ["2602.05400", "2602.09856", "2602.09082", "2602.10063", "2602.08234", "2602.09443"]


def first_release_home(clean_env):
    clean_env.mkdir(parents=True)
    shutil.copy(FIRST, clean_env / "dailypapers.db")
    return clean_env / "dailypapers.db"


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_read_side_reads_the_first_release_as_it_is(clean_env) -> None:
    db = first_release_home(clean_env)
    before = digest(db)
    with Archive(db) as archive:
        rows = [(p.label, p.lang, p.analyser, p.papers, p.analysed) for p in archive.periods()]
        assert sorted(rows) == [(DAY, "zh", "llm", 6, 6), (DAY, "zh", "no-llm", 6, 6)]
        report = archive.report(DAY, "day", "zh")
        assert report is not None and [p.paper.id for p in report.papers] == PAPERS
        assert all(p.status == "ok" and p.analysis for p in report.papers)
        assert report.analyser == "llm" and report.model == "test-model"
        assert archive.paper_report(PAPERS[0], "zh") is not None
    shown = run_cli(["show", DAY, "-o", "-"])
    assert shown.exit_code == 0 and shown.output.count("## 📄") == 6
    assert run_cli(["history"]).exit_code == 0
    assert digest(db) == before  # never migrated, never written


def test_the_write_side_upgrades_it_and_loses_nothing(clean_env, recordings) -> None:
    db = first_release_home(clean_env)
    with Store(db) as store:
        applied = [r[0] for r in store.db.execute("SELECT name FROM _migrations")]
        assert applied == [m.__name__ for m in MIGRATIONS]
        assert [p.id for p in store.listing(DAY, "day") or []] == PAPERS
        for pid in PAPERS:
            paper = Paper(id=pid, title=pid)
            for model in ("no-llm", "test-model"):
                assert store.analysis(paper, None, model, None, "zh") is not None
            assert store.document(pid) is not None
        runs = store.db.execute("SELECT analyser, status FROM runs ORDER BY id").fetchall()
        assert [tuple(r) for r in runs] == [("no-llm", "done"), ("llm", "done")]
        assert store.db.execute("SELECT count(*) FROM llm_calls").fetchone()[0] == 6
    _, server = recordings
    res = run_cli(["report", DAY, "--no-llm", "--quiet", "-o", "-"])
    assert res.exit_code == 0 and res.output.count("## 📄") == 6
    assert not [p for p in server.paths() if p.startswith(("/html/", "/pdf/"))]
    with sqlite3.connect(load_settings().db_path) as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 3


def test_one_archive_serves_many_threads_each_on_its_own_connection(clean_env) -> None:
    """What a web server does: one Archive, a request per thread."""
    from concurrent.futures import ThreadPoolExecutor

    from dailypapers.api import render

    db = first_release_home(clean_env)
    with Archive(db) as archive:

        def page(i: int) -> tuple[int, int]:
            report = archive.report(DAY, "day", "zh")
            assert report is not None
            return id(archive.db), len(render(report, "html"))

        with ThreadPoolExecutor(4) as pool:
            pages = list(pool.map(page, range(16)))
        assert len({size for _, size in pages}) == 1  # the same page every time
        assert 1 < len({conn for conn, _ in pages}) <= 4  # a connection per thread
