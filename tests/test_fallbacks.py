"""Reading falls back source by source whatever goes wrong, and a fallback forced by a passing
failure (arXiv down, 5xx) is tried again on the next run, once."""

from __future__ import annotations

import asyncio
import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader, PdfWriter

from dailypapers.core.config import load_settings
from dailypapers.core.models import Paper
from dailypapers.run.read import read_paper
from dailypapers.sources.net import Net

from conftest import DAY, DAY_IDS, HTML_PAGES, run_cli
from servers import FIXTURES, FakeClock, Reply, big_day

HTML_IDS = [i for i in DAY_IDS if i in HTML_PAGES and "failed" not in HTML_PAGES[i]]


def report(*args: str) -> str:
    res = run_cli(["report", *args, "--quiet", "-o", "-", "--no-llm"])
    assert res.exit_code == 0, (res.output, res.exception)
    return res.stdout


def html_requests(server) -> set[str]:
    return {p.removeprefix("/html/") for p in server.paths() if p.startswith("/html/")}


def read(arxiv_id: str):
    async def go():
        async with Net(load_settings(), clock=FakeClock()) as net:
            paper = Paper(id=arxiv_id, title="t", abstract="Listed abstract.")
            return await read_paper(net, paper, None)

    return asyncio.run(go())


def test_arxiv_down_then_back_reads_html_for_exactly_those_papers(recordings, monkeypatch):
    rec, server = recordings
    url = server.url
    monkeypatch.setenv("DAILYPAPERS_HTTP_RETRIES", "0")  # a refused connection is final at once
    monkeypatch.setenv("DAILYPAPERS_ARXIV_URL", "http://127.0.0.1:9")  # nothing listens
    first = report(DAY, "--top", "12")
    assert "**阅读来源**: HTML" not in first
    monkeypatch.setenv("DAILYPAPERS_ARXIV_URL", url)
    second = report(DAY, "--top", "12")
    wanted = {p.id for p in rec_top(rec, 12)}
    assert html_requests(server) == wanted  # every paper had fallen back for a passing reason
    assert second.count("**阅读来源**: HTML") == len(wanted & set(HTML_IDS)) > 0
    seen = len(server.paths())
    report(DAY, "--top", "12")  # done: nothing is read again
    assert len(server.paths()) == seen


def rec_top(rec, n: int) -> list[Paper]:
    entries = sorted(rec.days[DAY], key=lambda e: -e["paper"]["upvotes"])[:n]
    return [Paper(id=e["paper"]["id"], title="") for e in entries]


def test_server_errors_are_retried_on_the_next_run_once(recordings, monkeypatch):
    rec, server = recordings
    monkeypatch.setenv("DAILYPAPERS_HTTP_RETRIES", "0")  # one try per run
    flaky = HTML_IDS[:2]
    for pid in flaky:  # 503 for the page, 502 for the PDF in the first run
        rec.overrides[f"/html/{pid}"] = [Reply(503, b"busy", {"Retry-After": "0"})]
        rec.overrides[f"/pdf/{pid}"] = [Reply(502, b"bad gateway")]
    report(DAY)
    after_first = len(server.paths())
    second = report(DAY)
    again = server.paths()[after_first:]
    assert sorted(p for p in again if p.startswith("/html/")) == sorted(f"/html/{p}" for p in flaky)
    assert not [p for p in again if p.startswith("/pdf/")]  # found in HTML at once
    assert second.count("**阅读来源**: HTML") == report(DAY).count("**阅读来源**: HTML")
    for pid in flaky:  # down again: retried once more at most, never a third time
        rec.overrides[f"/html/{pid}"] = [Reply(503, b"busy", {"Retry-After": "0"})] * 9
    seen = len(server.paths())
    report(DAY)
    assert len(server.paths()) == seen


def test_a_passing_failure_never_replaces_a_better_reading(recordings, monkeypatch):
    _, server = recordings
    one = HTML_IDS[0]
    report(DAY, "--top", "3")
    monkeypatch.setenv("DAILYPAPERS_HTTP_RETRIES", "0")
    monkeypatch.setenv("DAILYPAPERS_ARXIV_URL", "http://127.0.0.1:9")
    out = report(DAY, "--top", "3", "--refresh")
    assert out.count("**阅读来源**: HTML") >= 1 and one in out


def test_refresh_reads_every_source_again(recordings):
    _, server = recordings
    report(DAY, "--top", "5")
    seen = len(server.paths())
    report(DAY, "--top", "5", "--refresh")
    again = server.paths()[seen:]
    assert any(p.startswith("/api/daily_papers") for p in again)
    assert len([p for p in again if p.startswith(("/html/", "/pdf/"))]) >= 5


def test_empty_listing_of_a_day_that_may_grow_is_asked_again(recordings):
    rec, server = recordings
    today = datetime.now(UTC).date().isoformat()
    rec.last_day = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    res = run_cli(["report", today, "--quiet", "-o", "-", "--no-llm"])
    assert "no papers were listed" in res.stdout
    rec.days[today] = rec.days[DAY][:2]
    assert report(today).count("## 📄") == 2
    old = "2026-02-14"  # an empty day long past is final
    run_cli(["report", old, "--quiet", "-o", "-", "--no-llm"])
    seen = len(server.paths())
    run_cli(["report", old, "--quiet", "-o", "-", "--no-llm"])
    assert len(server.paths()) == seen


def encrypted(user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(FIXTURES / "pdf/2304.02623v1.pdf"))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-256")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


@pytest.mark.parametrize(("password", "source"), [("", "pdf"), ("secret", "abstract")])
def test_aes_encrypted_pdf(recordings, tmp_path, password, source):
    rec, _ = recordings
    path = tmp_path / "aes.pdf"
    path.write_bytes(encrypted(password))
    rec.pdf["2609.00002"] = path
    reading = read("2609.00002")
    assert reading.doc.source == source
    if source == "abstract":
        assert "protected by a password" in reading.fallbacks[1]
        assert not reading.transient
    else:
        assert reading.doc.title.startswith("Beyond Summarization")


def test_redirect_loop_and_off_host_redirect_fall_back(recordings):
    rec, _ = recordings
    rec.pdf["2609.00003"] = FIXTURES / "pdf/2304.02623v1.pdf"
    rec.overrides["/html/2609.00003"] = [Reply(302, b"", {"Location": "/html/2609.00003"})]
    reading = read("2609.00003")
    assert reading.doc.source == "pdf" and "redirect loop" in reading.fallbacks[0]
    rec.overrides["/html/2609.00003"] = [
        Reply(302, b"", {"Location": "http://evil.example/html/2609.00003"})
    ]
    reading = read("2609.00003")
    assert reading.doc.source == "pdf" and "not followed" in reading.fallbacks[0]


def test_parser_crash_and_oversize_body_fall_back(recordings, monkeypatch):
    rec, _ = recordings
    rec.pdf["2609.00004"] = FIXTURES / "pdf/2304.02623v1.pdf"
    page = (FIXTURES / "arxiv_html/2501.11120v1.html").read_bytes()
    broken = page.replace(b"<td ", b'<td colspan="two" ', 1)  # the parser trips on it
    rec.overrides["/html/2609.00004"] = [Reply(200, broken, {"Content-Type": "text/html"})]
    reading = read("2609.00004")
    assert reading.doc.source == "pdf" and "could not be read" in reading.fallbacks[0]
    big = b"<html>" + b"x" * (31 << 20)
    rec.overrides["/html/2609.00004"] = [Reply(200, big, {"Content-Type": "text/html"})]
    reading = read("2609.00004")
    assert reading.doc.source == "pdf" and "larger than 30 MB" in reading.fallbacks[0]


def test_read_prints_an_abstract_only_paper_once(recordings):
    rec, _ = recordings
    rec.overrides["/html/2407.16314"] = [Reply(404, b"No HTML")] * 3
    rec.overrides["/pdf/2407.16314"] = [Reply(404, b"not found")] * 3
    res = run_cli(["read", "2407.16314"])
    assert res.exit_code == 0, res.output
    assert "source: abstract only" in res.stderr
    opening = res.stdout.split("## Abstract")[1].strip()[:60]
    assert opening and res.stdout.count(opening) == 1


def test_the_first_papers_are_read_while_later_metadata_waits(recordings) -> None:
    """A month asks the export API for its papers' metadata in batches of 100, 3 s apart:
    the first papers are read as soon as their own batch is answered, not after the last."""
    rec, server = recordings
    rec.days[DAY] = big_day(101)  # two batches: 100 ids, then 1
    rec.html[rec.days[DAY][0]["paper"]["id"]] = FIXTURES / "arxiv_html/2501.11120v1.html"
    reading = threading.Event()
    second_batch_waited: list[bool] = []
    handle = rec.handle

    def handler(path: str, query: dict[str, list[str]], body: bytes) -> Reply:
        if path == "/api/query" and len(query["id_list"][0].split(",")) == 1:
            second_batch_waited.append(reading.wait(timeout=20))  # answered once papers are read
        if path.startswith("/html/"):
            reading.set()
        return handle(path, query, body)

    server.handle = handler
    assert report(DAY).count("## 📄") == 101
    assert second_batch_waited == [True]
