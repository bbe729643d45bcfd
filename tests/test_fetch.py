"""HF listing and arXiv reading over real HTTP against the local recording server."""

from __future__ import annotations

import asyncio
import json

import pytest

from dailypapers.core import periods
from dailypapers.core.config import load_settings
from dailypapers.core.errors import (
    FetchError,
    FutureDate,
    InvalidDate,
    RateLimited,
    ServiceUnreachable,
)
from dailypapers.core.models import Paper
from dailypapers.run.read import read_paper
from dailypapers.sources import arxiv, hf
from dailypapers.sources.net import Net, retry_after_seconds

from conftest import DAY, DAY_IDS
from servers import FIXTURES, FakeClock, Reply, big_day


def run(coro):
    return asyncio.run(coro)


CLOCK = FakeClock()  # back-off and Retry-After are waited in virtual time


async def listing(period: str, kind: str = "day"):
    async with Net(load_settings(), clock=CLOCK) as net:
        return await hf.fetch_listing(net, period, kind)


def test_day_listing_typed(recordings) -> None:
    papers = run(listing(DAY))
    assert len(papers) == 50 and [p.id for p in papers] == DAY_IDS
    opus = papers[0]
    assert opus.title.startswith("OPUS: Towards Efficient")
    assert opus.upvotes == 320 and opus.num_comments == 3
    assert opus.organization == "Qwen" and len(opus.authors) == 12
    assert opus.listed_at.isoformat().startswith("2026-02-05T02:34:23")
    assert opus.published_at.isoformat().startswith("2026-02-05T07:34:23")
    assert opus.github_repo is None and "data selection" in opus.ai_keywords
    assert "only 4.7% additional compute overhead" in opus.abstract  # TeX escape undone
    assert any(p.github_repo for p in papers)


def test_day_over_two_pages_and_dedup(recordings) -> None:
    rec, server = recordings
    rec.days["2026-03-02"] = big_day(150) + big_day(3)  # three duplicates at the end
    papers = run(listing("2026-03-02"))
    assert len(papers) == 150
    pages = [p for p in server.paths() if p.startswith("/api/daily_papers")]
    assert len(pages) == 2 and "p=1" in pages[1] and "limit=100" in pages[0]


def test_empty_day_and_future_day(recordings) -> None:
    assert run(listing("2026-02-14")) == []
    with pytest.raises(FutureDate, match="try an earlier day such as 2026-12-31"):
        run(listing("2027-01-01"))


def test_week_and_month_use_their_parameter(recordings) -> None:
    _, server = recordings
    run(listing("2026-W07", "week"))
    run(listing("2026-02", "month"))
    assert any("week=2026-W07" in p for p in server.paths())
    assert any("month=2026-02" in p for p in server.paths())


@pytest.mark.parametrize(
    "bad,kind",
    [("2026-02-30", "day"), ("yesterday", "day"), ("2026-W60", "week"), ("2026-13", "month")],
)
def test_malformed_periods_never_reach_the_network(bad, kind) -> None:
    with pytest.raises(InvalidDate):
        periods.parse_period(bad, kind)


def test_retry_after_honoured(recordings) -> None:
    rec, server = recordings
    rec.overrides["/api/daily_papers"] = [Reply(429, b"slow down", {"Retry-After": "1"})]
    start = CLOCK.slept
    assert len(run(listing(DAY))) == 50
    assert CLOCK.slept - start >= 1
    assert len([p for p in server.paths() if p.startswith("/api/daily")]) == 2


def test_rate_limited_beyond_patience(recordings, monkeypatch) -> None:
    rec, _ = recordings
    monkeypatch.setenv("DAILYPAPERS_MAX_RETRY_AFTER", "5")
    rec.overrides["/api/daily_papers"] = [Reply(429, b"", {"Retry-After": "3600"})]
    with pytest.raises(RateLimited, match="rate-limiting"):
        run(listing(DAY))


def test_timeout_is_one_clear_error(recordings, monkeypatch) -> None:
    rec, _ = recordings
    monkeypatch.setenv("DAILYPAPERS_HTTP_TIMEOUT", "0.3")
    monkeypatch.setenv("DAILYPAPERS_HTTP_RETRIES", "1")
    rec.delays["hf"] = 1.0
    with pytest.raises(ServiceUnreachable, match="timed out"):
        run(listing(DAY))


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("7") == 7
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert retry_after_seconds(None) is None


async def read(arxiv_id: str) -> tuple:
    async with Net(load_settings()) as net:
        meta = await arxiv.try_meta(net, [arxiv_id])
        paper = Paper(id=arxiv_id, title="listed title", abstract="Listed abstract.")
        reading = await read_paper(net, paper, meta.get(arxiv_id))
        return reading.doc, reading.fallbacks


def test_read_html_first(recordings) -> None:
    doc, reasons = run(read("2407.16314"))
    assert doc.source == "html" and doc.version == "v1" and reasons == []
    assert doc.categories == ["cs.CY", "econ.TH"]  # from the export API


def test_no_html_falls_back_to_pdf(recordings) -> None:
    doc, reasons = run(read("2206.10883"))
    assert doc.source == "pdf" and "no HTML" in reasons[0]
    assert doc.title.startswith("Multi-LexSum")


def test_failed_conversion_falls_back(recordings) -> None:
    doc, reasons = run(read(DAY_IDS[8]))
    assert doc.source == "pdf" and "conversion errors" in reasons[0]


def test_nothing_but_the_abstract(recordings) -> None:
    doc, reasons = run(read(DAY_IDS[20]))
    assert doc.source == "abstract" and doc.abstract == "Listed abstract."
    assert len(reasons) == 2


def test_user_agent_is_descriptive(recordings, monkeypatch) -> None:
    _, server = recordings
    monkeypatch.setenv("DAILYPAPERS_CONTACT", "mailto:me@example.org")
    run(listing(DAY))
    assert (
        server.agents[0].startswith("dailypapers/")
        and "mailto:me@example.org" in (server.agents[0])
    )


@pytest.mark.parametrize(
    "day,count", [("2026-02-12", 48), ("2026-02-18", 25), ("2026-02-19", 21), ("2026-02-20", 23)]
)
def test_every_recorded_day(recordings, day: str, count: int) -> None:
    papers = run(listing(day))
    assert len(papers) == count and all(p.title and p.abstract for p in papers)


def test_listing_without_date_parses() -> None:
    raw = json.loads((FIXTURES / "hf_api/daily_papers_nodate_limit30_2026-06-12.json").read_text())
    papers = hf.parse_listing(raw)
    assert len(papers) == 30 and papers[0].id == "2606.00467"
    assert papers[0].authors == ["Etienne Casanova", "Rafal Kocielnik", "R. Michael Alvarez"]


def test_atom_search_answer_parses() -> None:
    entries = arxiv.parse_atom(
        (FIXTURES / "arxiv_atom/query_all-transformer_cs.LG_2026-06-14.xml").read_bytes()
    )
    assert len(entries) == 5
    assert all(e.version and e.version.startswith("v") and e.categories for e in entries)
    assert all(e.primary_category for e in entries)


def test_version_from_redirect(recordings) -> None:
    rec, _ = recordings
    rec.overrides["/html/2609.00001"] = [Reply(301, b"", {"Location": "/html/2609.00001v2"})]
    rec.html["2609.00001v2"] = FIXTURES / "latexml_html/Melodiz_RBPO_icml2025.html"
    doc, reasons = run(read("2609.00001"))
    assert doc.source == "html" and doc.version == "v2" and reasons == []


def test_server_error_retried_then_reported(recordings) -> None:
    rec, server = recordings
    rec.overrides["/api/daily_papers"] = [Reply(500, b"oops")] * 3
    with pytest.raises(FetchError, match="HTTP 500"):
        run(listing(DAY))
    assert len([p for p in server.paths() if p.startswith("/api/daily")]) == 3


def test_unreachable_arxiv_is_not_retried_for_every_paper(recordings, monkeypatch) -> None:
    monkeypatch.setenv("DAILYPAPERS_ARXIV_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DAILYPAPERS_HTTP_RETRIES", "1")

    async def two_papers():
        async with Net(load_settings(), clock=CLOCK) as net:
            out = []
            for pid in ("2501.11120", "2407.16314"):
                paper = Paper(id=pid, title="t", abstract="An abstract.")
                out.append(await read_paper(net, paper, None))
            return out, net.services["arxiv"].requests

    readings, requests = run(two_papers())
    assert [r.doc.source for r in readings] == ["abstract", "abstract"]
    assert requests == 2  # two tries for the first page, then arXiv is known to be down
    assert "not retried in this run" in readings[1].fallbacks[0]
