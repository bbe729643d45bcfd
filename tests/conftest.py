"""Every test runs with a fresh DAILYPAPERS_HOME and none of the user's configuration."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.testing

from dailypapers.core.config import ENV, ENV_HOME

from servers import FIXTURES, LocalServer, Recordings, ScriptedLLM

# typer's test runner builds the click command from the functions' signatures on every call
# (tens of ms); the installed script builds it once per process, and so do the tests.
typer.testing._get_command = functools.cache(typer.testing._get_command)

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
        "DAILYPAPERS_ARXIV_DELAY": "0",
        "DAILYPAPERS_ARXIV_API_DELAY": "0",
        "DAILYPAPERS_HF_DELAY": "0",
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
