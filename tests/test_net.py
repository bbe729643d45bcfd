"""Politeness, in virtual milliseconds: request starts per service are spaced by the service's
pacing even when many papers ask at once, Retry-After and back-off are honoured, and one
service's back-off never slows another. The requests go to a local server over real HTTP;
only waiting is virtual (a fake clock passed to Net)."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from dailypapers.core.config import Settings, load_settings
from dailypapers.core.errors import RateLimited, Unconfirmed
from dailypapers.sources.net import Net

from servers import FakeClock, LocalServer, Reply


def starts(caplog, service: str) -> list[int]:
    """Virtual start times (ms) of the requests to a service, from Net's debug log."""
    return [
        round(r.args[2] * 1000)
        for r in caplog.records
        if r.msg.startswith("%s: %s at") and r.args[0] == service
    ]


def run(calls: list[tuple[str, str]], reply=None, **env: object) -> list[str]:
    """Send `calls` (service, path) at once under a fake clock; the paths served."""
    served: list[str] = []

    def handle(path: str, query, body) -> Reply:
        served.append(path)
        return reply(path) if reply else Reply(200, b"ok")

    server = LocalServer(handle)

    async def go() -> None:
        settings = load_settings().model_copy(update=env)
        async with Net(settings, clock=FakeClock()) as net:
            await asyncio.gather(*(net.get(svc, f"{server.url}{path}") for svc, path in calls))

    try:
        asyncio.run(go())
    finally:
        server.close()
    return served


def test_default_pacing_respects_each_service(caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="dailypapers")
    defaults = Settings.model_fields
    assert defaults["arxiv_api_delay"].default == 3.0  # arXiv's API: one request every 3 s
    assert defaults["hf_delay"].default * 500 <= 300  # HF: 500 calls per 5 minutes
    api = [("arxiv_api", f"/api/{i}") for i in range(5)]
    pages = [("arxiv", f"/html/{i}") for i in range(4)]
    served = run(
        api + pages,
        arxiv_api_delay=defaults["arxiv_api_delay"].default,
        arxiv_delay=defaults["arxiv_delay"].default,
    )
    assert len(served) == 9
    assert starts(caplog, "arXiv API") == [0, 3000, 6000, 9000, 12000]
    assert starts(caplog, "arXiv") == [0, 1000, 2000, 3000]


def test_retry_after_is_honoured_and_slows_only_its_service(caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="dailypapers")

    def reply(path: str) -> Reply:
        if path == "/html/slow" and not reply.done:
            reply.done = True
            return Reply(429, b"slow down", {"Retry-After": "7"})
        return Reply(200, b"ok")

    reply.done = False
    calls = [("arxiv", "/html/slow"), *[("hf", f"/api/daily_papers/{i}") for i in range(3)]]
    served = run(calls, reply, arxiv_delay=0.0, hf_delay=0.25)
    assert served.count("/html/slow") == 2
    first, retry = starts(caplog, "arXiv")
    assert retry - first >= 7000  # retried after Retry-After
    assert starts(caplog, "Hugging Face") == [0, 250, 500]  # HF kept its own pace


def test_server_errors_back_off_2_then_4_seconds(caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="dailypapers")

    def reply(path: str) -> Reply:
        reply.n += 1
        return Reply(503 if reply.n <= 2 else 200, b"busy")

    reply.n = 0
    served = run([("arxiv", "/html/x")], reply, arxiv_delay=0.0, http_retries=3)
    assert len(served) == 3
    assert starts(caplog, "arXiv") == [0, 2000, 6000]


def test_a_retry_after_too_long_is_not_waited_for() -> None:
    reply = lambda path: Reply(429, b"later", {"Retry-After": "7200"})  # noqa: E731
    with pytest.raises(RateLimited) as caught:
        run([("hf", "/api/daily_papers")], reply, hf_delay=0.0, max_retry_after=60.0)
    assert caught.value.status == 429 and caught.value.retry_after == 7200


def post_to(replies: list[Reply], posts: int, timeout: float = 5.0) -> tuple[list, list, float]:
    """`posts` JSON messages to a registered service (2 s apart) whose server answers
    `replies` first, then 200: the bodies it received, the results, the virtual time."""
    received: list[dict] = []

    def handle(path: str, query, body: bytes) -> Reply:
        received.append(json.loads(body))
        return replies.pop(0) if replies else Reply(200, b'{"ok": true}')

    server = LocalServer(handle)
    clock = FakeClock()

    async def go() -> list:
        settings = load_settings().model_copy(update={"http_timeout": timeout})
        async with Net(settings, clock=clock) as net:
            net.register("chat", "Chat", 2.0)
            sent = [
                net.post("chat", f"{server.url}/hook", json={"n": i, "text": "今日论文"})
                for i in range(posts)
            ]
            return await asyncio.gather(*sent, return_exceptions=True)

    try:
        results = asyncio.run(go())
    finally:
        server.close()
    return received, results, clock.t


def test_post_to_a_registered_service_is_paced_and_retried_on_429() -> None:
    replies = [Reply(429, b"too frequent", {"Retry-After": "5"})]
    received, results, elapsed = post_to(replies, 3)
    assert [r.status_code for r in results] == [200, 200, 200]
    assert sorted(m["n"] for m in received) == [0, 0, 1, 2]  # the refused one once more
    assert received[0]["text"] == "今日论文"
    assert elapsed >= 5  # the Retry-After, in virtual time


def test_a_post_without_an_answer_is_not_sent_again() -> None:
    """It may have arrived: a second copy in a chat group is worse than a missing one."""
    received, results, _ = post_to([Reply(200, b"{}", delay=1.5)], 1, timeout=0.5)
    assert len(received) == 1
    assert isinstance(results[0], Unconfirmed) and "not sent again" in str(results[0])
