"""Politeness, measured at the server: request starts per service are spaced by the service's
pacing even when many papers ask at once, and one service's back-off never slows another."""

from __future__ import annotations

import asyncio
import time

from dailypapers.config import Settings, load_settings
from dailypapers.net import Net

from servers import LocalServer, Reply


def arrivals(delays: dict[str, str], monkeypatch, calls: list[tuple[str, str]], reply=None):
    """Send `calls` (service, path) all at once; the server's arrival time of each, by path."""
    seen: dict[str, float] = {}

    def handle(path: str, query, body) -> Reply:
        seen[path] = time.monotonic()
        return reply(path) if reply else Reply(200, b"ok")

    server = LocalServer(handle)
    for var, value in delays.items():
        monkeypatch.setenv(var, value)

    async def go() -> None:
        async with Net(load_settings()) as net:
            await asyncio.gather(*(net.get(svc, f"{server.url}{path}") for svc, path in calls))

    try:
        asyncio.run(go())
    finally:
        server.close()
    return seen


def gaps(times: list[float]) -> list[float]:
    times = sorted(times)
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def test_the_arxiv_api_is_asked_once_every_3_seconds_by_default() -> None:
    assert Settings.model_fields["arxiv_api_delay"].default == 3.0
    assert Settings.model_fields["arxiv_delay"].default == 1.0
    assert Settings.model_fields["hf_delay"].default * 500 <= 300  # 500 calls per 5 minutes


def test_requests_made_at_once_are_spaced_by_their_service_pacing(monkeypatch) -> None:
    calls = [("arxiv_api", f"/api/{i}") for i in range(5)] + [
        ("arxiv", f"/html/{i}") for i in range(6)
    ]
    seen = arrivals(
        {"DAILYPAPERS_ARXIV_API_DELAY": "0.3", "DAILYPAPERS_ARXIV_DELAY": "0.1"},
        monkeypatch,
        calls,
    )
    api = gaps([t for p, t in seen.items() if p.startswith("/api/")])
    pages = gaps([t for p, t in seen.items() if p.startswith("/html/")])
    # starts are paced; arrival adds a little connection jitter on a busy machine
    assert len(api) == 4 and min(api) >= 0.2 and sum(api) >= 4 * 0.3 - 0.05, api
    assert len(pages) == 5 and min(pages) >= 0.05 and sum(pages) >= 5 * 0.1 - 0.05, pages


def test_a_back_off_on_one_service_leaves_the_others_alone(monkeypatch) -> None:
    def reply(path: str) -> Reply:
        if path == "/html/slow" and not reply.done:
            reply.done = True
            return Reply(429, b"slow down", {"Retry-After": "1"})
        return Reply(200, b"ok")

    reply.done = False
    start = time.monotonic()
    seen = arrivals(
        {"DAILYPAPERS_ARXIV_DELAY": "0", "DAILYPAPERS_HF_DELAY": "0"},
        monkeypatch,
        [("arxiv", "/html/slow"), *[("hf", f"/api/daily_papers/{i}") for i in range(3)]],
        reply,
    )
    assert seen["/html/slow"] - start >= 0.95  # retried after Retry-After
    assert max(t for p, t in seen.items() if p.startswith("/api/")) - start < 0.5
