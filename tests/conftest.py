"""Every test runs with a fresh DAILYPAPERS_HOME and none of the user's configuration.

Whole runs wait in virtual time: the CLI is invoked with a fake clock handed to it as click's
`obj` (`run_cli`), the library through the Session's `clock`; the pacing and back-off are
the tool's defaults. Only a test that starts the program as a process, which can be handed
no clock, sets short pacing through the environment (`PROCESS_PACING`)."""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import hypothesis
import pytest
import typer
from click.testing import CliRunner, Result

from dailypapers.archive.store import Store
from dailypapers.cli.app import app
from dailypapers.cli.shared import run_async
from dailypapers.core.config import ENV, ENV_HOME, load_settings
from dailypapers.report.models import Report
from dailypapers.run.events import Stats
from dailypapers.run.period import Options
from dailypapers.run.session import Session

from servers import FIXTURES, FakeClock, LocalServer, Recordings, ScriptedLLM

# CI runs the same examples every time: a failure there is one anyone can reproduce.
hypothesis.settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis.settings.load_profile("ci")
T = TypeVar("T")
# The click command is built from the functions' signatures once, as the installed script
# does once per process (typer's own test runner builds it again on every call).
COMMAND = typer.main.get_command(app)
# A process cannot be handed a clock: its pacing is set short through the environment.
PROCESS_PACING = {
    "DAILYPAPERS_ARXIV_DELAY": "0.01",
    "DAILYPAPERS_ARXIV_API_DELAY": "0.01",
    "DAILYPAPERS_HF_DELAY": "0.01",
}


def session_run(
    work: Callable[[Session], Awaitable[T]],
    clock: FakeClock | None = None,
    store: Store | None = None,
    **kwargs: Any,
) -> T:
    """`work` done by a session over the test's archive (or `store`), in virtual time."""
    settings = load_settings()
    opened = store or Store(settings.db_path)

    async def go() -> T:
        async with Session(settings, opened, clock=clock or FakeClock(), **kwargs) as session:
            return await work(session)

    try:
        return run_async(go())
    finally:
        if store is None:
            opened.close()


def run_period(opts: Options, **kwargs: Any) -> tuple[Report, Stats]:
    return session_run(lambda session: session.period(opts), **kwargs)


def run_cli(args: Sequence[str], clock: FakeClock | None = None, **kwargs: Any) -> Result:
    """The command line, in this process, waiting in virtual time."""
    obj = {"clock": clock or FakeClock()}
    return CliRunner().invoke(COMMAND, list(args), obj=obj, **kwargs)


# Which recorded page stands in for which paper of the recorded 2026-02-11 day. The pages are
# other real papers: the tests check that the tool reads what it is served, not that arXiv
# would serve these for those ids.
DAY = "2026-02-11"
DAY_IDS = [
    e["paper"]["id"] for e in json.loads((FIXTURES / f"hf_api/daily_papers_{DAY}.json").read_text())
]
HTML_PAGES = {
    "2501.11120": "arxiv_html/2501.11120v1.html",
    "2407.16314": "arxiv_html/2407.16314v1.html",
    "2608.30667": "crafted/failed_conversion_2608.30667v1.html",
    DAY_IDS[0]: "arxiv_html/2501.11120v1.html",
    DAY_IDS[1]: "crafted/layout3_2407.16314v1.html",
    DAY_IDS[2]: "latexml_html/Melodiz_RBPO_icml2025.html",
    DAY_IDS[3]: "latexml_html/TudorAndrei_dontpatronizeme-Semeval2022_acl.html",
    DAY_IDS[4]: "latexml_html/nooralahzadeh_ATLAS-PTQ_iclr2025.html",
    DAY_IDS[5]: "latexml_html/jinensetpal_contrastive-optimization_neurips2025.html",
    DAY_IDS[8]: "crafted/failed_conversion_2608.30667v1.html",
}
PDFS = {
    "2206.10883": "pdf/2206.10883v3.pdf",
    "2304.02623": "pdf/2304.02623v1.pdf",
    DAY_IDS[6]: "pdf_generated/sigconf.pdf",
    DAY_IDS[7]: "pdf/2304.02623v1.pdf",
    DAY_IDS[8]: "pdf_generated/ieee.pdf",
}


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in [*ENV.values(), ENV_HOME, "DAILYPAPERS_DEBUG"]:
        monkeypatch.delenv(var, raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv(ENV_HOME, str(home))
    # Papers are read in a thread of the run rather than in worker processes (each run would
    # start one, ~0.5 s). In processes, as users run it: test_workers.py, the day compared in
    # test_report.py, and the Ctrl-C and kill -9 runs of test_archive.py.
    monkeypatch.setenv("DAILYPAPERS_WORKERS", "0")
    return home


@pytest.fixture
def recordings(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Recordings, LocalServer]]:
    """HF and arXiv replayed on 127.0.0.1, and the tool configured to use them."""
    rec = Recordings()
    rec.html = {k: FIXTURES / v for k, v in HTML_PAGES.items()}
    rec.pdf = {k: FIXTURES / v for k, v in PDFS.items()}
    rec.add_atom_fixture("2407.16314", FIXTURES / "arxiv_atom/id_list_2407.16314_2026-06-16.xml")
    server = LocalServer(rec.handle)
    for var, value in {
        "HF_ENDPOINT": server.url,
        "DAILYPAPERS_ARXIV_URL": server.url,
        "DAILYPAPERS_ARXIV_API_URL": f"{server.url}/api/query",
        "DAILYPAPERS_HTTP_TIMEOUT": "5",
        "DAILYPAPERS_HTTP_RETRIES": "2",
        "DAILYPAPERS_HUB_RESOURCES": "0",  # 150 requests a day: on in the tests about the Hub
    }.items():
        monkeypatch.setenv(var, value)
    yield rec, server
    server.close()


@pytest.fixture
def llm(recordings, monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedLLM]:
    """A scripted OpenAI-compatible server, configured as the user would: by environment."""
    scripted = ScriptedLLM()
    server = LocalServer(scripted.handle)
    monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("DAILYPAPERS_MODEL", "test-model")
    yield scripted
    server.close()
