"""Polite HTTP: one httpx client, with pacing, a connection limit and retries per service.

Each service (HF, arXiv pages, arXiv API, and any a caller registers, such as a chat
platform's webhook) keeps its own clock, so a 429 from one slows only that one.
`Retry-After` is honoured up to `max_retry_after`; beyond that we give up
with RateLimited rather than sleep for an hour. Redirects are followed only within the host
asked, a loop is an error, and no body may exceed its kind's size cap: a hostile or broken
server cannot send us elsewhere or fill the memory.

Time comes from a `Clock` (monotonic now, and sleep) passed to `Net`, so tests run pacing and
back-off in virtual milliseconds; retries are tenacity's. `expect` is the one place where a
final HTTP status becomes an error."""

from __future__ import annotations

import asyncio
import email.utils
import functools
import json as _json
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from dailypapers.core.config import Settings
from dailypapers.core.errors import (
    BadResponse,
    DeliveryUnconfirmed,
    FetchError,
    NotFound,
    RateLimited,
    ServiceUnreachable,
)

log = logging.getLogger("dailypapers")
MB = 1 << 20
MAX_REDIRECTS = 10
Params = dict[str, str | int]  # a query string


@functools.cache
def tls() -> ssl.SSLContext:
    """One TLS context per process: each loads the CA bundle (20-40 ms of CPU), and a run
    opens clients for HF and arXiv and for the LLM."""
    return httpx.create_ssl_context()


class Clock(Protocol):
    """Monotonic time in seconds, and a way to wait."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def backoff(attempt: int) -> float:
    """Seconds before retry `attempt` when the server did not say: 2, 4, 8 ... up to 30."""
    return min(2.0**attempt, 30.0)


def expect(
    resp: httpx.Response,
    what: str,
    *,
    missing: str,
    not_found: type[FetchError] = NotFound,
    paper_id: str | None = None,
) -> httpx.Response:
    """A final answer that must be 200: 404 becomes `not_found` saying `missing`, any other
    status a FetchError naming `what`, the status and the URL."""
    url = str(resp.url)
    if resp.status_code == 404:
        raise not_found(missing, url=url, status=404, paper_id=paper_id)
    if resp.status_code != 200:
        raise FetchError(
            f"{what}: HTTP {resp.status_code} at {url}",
            url=url,
            status=resp.status_code,
            paper_id=paper_id,
        )
    return resp


@dataclass(frozen=True)
class Outgoing:
    """A request as it is sent on each try: GETs are asked again after any failure; a POST
    only when it cannot have arrived (no connection) or the server said so (429, 5xx)."""

    method: str
    url: str
    params: Params | None = None
    body: bytes | None = None
    headers: dict[str, str] | None = None

    @property
    def idempotent(self) -> bool:
        return self.method == "GET"


@dataclass
class Service:
    name: str
    interval: float
    connections: int
    clock: Clock
    max_bytes: int = MB  # the largest answer read
    hint: str = "check the network or the base URL"  # what to do when it cannot be reached
    secret_url: bool = False  # the URL carries a key (a webhook's): shown as its host only
    next_slot: float = 0.0
    requests: int = 0
    retries: int = 0
    down: str | None = None  # why we could not connect, once we could not
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.sem = asyncio.Semaphore(self.connections)

    async def wait_turn(self) -> None:
        """Space request starts at least `interval` apart."""
        async with self._lock:
            now = self.clock.now()
            delay = self.next_slot - now
            self.next_slot = max(now, self.next_slot) + self.interval
        if delay > 0:
            await self.clock.sleep(delay)

    def shown(self, url: str) -> str:
        """The URL as logs and messages may show it."""
        if not self.secret_url:
            return url
        parts = httpx.URL(url)
        return f"{parts.scheme}://{parts.host}/…"

    def back_off(self, seconds: float) -> None:
        """Nobody asks this service again for `seconds` (its 429 or 503 said so)."""
        self.next_slot = max(self.next_slot, self.clock.now() + seconds)


def _within_host(svc: Service, request: httpx.Request, target: httpx.Request) -> httpx.Request:
    """Follow a redirect only to the host and port we asked (http may become https, not
    back)."""
    same_port = target.url.port == request.url.port or (
        request.url.scheme == "http" and target.url.scheme == "https" and target.url.port is None
    )
    if (
        target.url.host != request.url.host
        or not same_port
        or (request.url.scheme == "https" and target.url.scheme != "https")
    ):
        asked = svc.shown(str(request.url))
        raise BadResponse(
            f"{svc.name} redirected {asked} to {target.url.host or 'another place'}; "
            "redirects off the configured host are not followed",
            url=asked,
        )
    return target


async def _read_capped(resp: httpx.Response, max_bytes: int) -> httpx.Response:
    """The body, read only up to `max_bytes` (decoded), as an ordinary response."""
    declared = resp.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        await resp.aclose()
        raise _too_large(resp, max_bytes)
    chunks, size = [], 0
    try:
        async for chunk in resp.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(resp, max_bytes)
            chunks.append(chunk)
    finally:
        await resp.aclose()
    headers = [
        (k, v)
        for k, v in resp.headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        resp.status_code, headers=headers, content=b"".join(chunks), request=resp.request
    )


def _too_large(resp: httpx.Response, max_bytes: int) -> BadResponse:
    return BadResponse(
        f"{resp.request.url} is larger than {max_bytes // MB} MB; not read",
        url=str(resp.request.url),
        status=resp.status_code,
    )


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` is either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class Net:
    """The network edge. Pass `transport` to run the whole stack against something else."""

    def __init__(
        self,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
    ):
        self.settings = settings
        self.clock = clock or SystemClock()
        self.client = httpx.AsyncClient(
            transport=transport,
            headers={"User-Agent": settings.user_agent},
            timeout=httpx.Timeout(settings.http_timeout),
            follow_redirects=False,  # followed by hand, within the host
            limits=httpx.Limits(max_connections=16),
            verify=tls(),
        )
        self.services: dict[str, Service] = {}
        self.waiting: Callable[[str], None] = lambda why: None  # told of every wait to retry
        hf_hint = (
            "check the network, or set HF_ENDPOINT to a mirror (e.g. HF_ENDPOINT="
            "https://hf-mirror.com)"
        )
        arxiv_hint = "check the network, or set {} to a mirror of arXiv"
        self.register(
            "hf", "Hugging Face", settings.hf_delay, connections=4, max_bytes=20 * MB, hint=hf_hint
        )
        # arXiv's PDFs are at most 50 MB
        self.register(
            "arxiv",
            "arXiv",
            settings.arxiv_delay,
            connections=4,
            max_bytes=60 * MB,
            hint=arxiv_hint.format("DAILYPAPERS_ARXIV_URL"),
        )
        self.register(
            "arxiv_api",
            "arXiv API",
            settings.arxiv_api_delay,
            max_bytes=10 * MB,
            hint=arxiv_hint.format("DAILYPAPERS_ARXIV_API_URL"),
        )

    def register(
        self,
        key: str,
        name: str,
        interval: float,
        *,
        connections: int = 1,
        max_bytes: int = MB,
        hint: str = "check the network or the base URL",
        secret_url: bool = False,
    ) -> None:
        """A service with its own pacing (requests start `interval` s apart), connection
        limit, answer size cap and back-off: a delivery channel registers its platform.
        `hint` says what to do when it cannot be reached."""
        self.services[key] = Service(
            name, interval, connections, self.clock, max_bytes, hint, secret_url
        )

    async def __aenter__(self) -> Net:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.client.aclose()

    def new_run(self) -> None:
        """A service found down in the last run is tried again in this one."""
        for svc in self.services.values():
            svc.down = None

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.services.values())

    @property
    def retries(self) -> int:
        return sum(s.retries for s in self.services.values())

    async def get(
        self, service: str, url: str, params: Params | None = None, max_bytes: int | None = None
    ) -> httpx.Response:
        """GET with pacing and bounded retries; the caller judges any final status."""
        return await self.send(service, Outgoing("GET", url, params), max_bytes)

    async def post(
        self,
        service: str,
        url: str,
        *,
        json: Any = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: Params | None = None,
    ) -> httpx.Response:
        """POST `json` (or `body`) with the service's pacing; retried only where it cannot
        arrive twice (see `Outgoing`). The caller judges the final status."""
        if json is not None:
            body = _json.dumps(json, ensure_ascii=False).encode()
            headers = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return await self.send(service, Outgoing("POST", url, params, body, headers))

    async def send(
        self, service: str, out: Outgoing, max_bytes: int | None = None
    ) -> httpx.Response:
        """A service we could not connect to at all is not tried again in this run, so a day
        with arXiv down falls back to abstracts at once instead of retrying every paper."""
        svc = self.services[service]
        url = svc.shown(out.url)  # for messages; the request goes to out.url
        if svc.down:
            raise ServiceUnreachable(f"{svc.down} (not retried in this run)", url=url)
        cap = max_bytes or svc.max_bytes

        def before_sleep(state: RetryCallState) -> None:
            again = _again(state)
            svc.retries += 1
            if again.response is not None:  # the server asked everyone to wait
                svc.back_off(again.wait)
            self.waiting(f"{svc.name} {again}")

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.http_retries + 1),
            retry=retry_if_exception(lambda e: isinstance(e, _Again) and not e.final),
            wait=lambda state: _again(state).wait,
            sleep=self.clock.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    n = attempt.retry_state.attempt_number
                    return await self._attempt(svc, out, cap, n)
        except _Again as last:
            if last.unsure:  # a POST that may have arrived
                said = type(last.error).__name__ if last.error else f"HTTP {last.status}"
                raise DeliveryUnconfirmed(
                    f"{svc.name} did not confirm {out.method} {url} ({said}); it may have "
                    "arrived: not sent again by itself",
                    url=url,
                ) from None
            return self._give_up(svc, url, last)
        raise AssertionError("unreachable")  # tenacity returns or raises

    async def _attempt(self, svc: Service, out: Outgoing, cap: int, n: int) -> httpx.Response:
        """Try `n`: the response if it is final, else _Again saying how long to wait."""
        try:
            resp = await self._send(svc, out, cap)
        except (httpx.TimeoutException, httpx.TransportError) as e:
            unsent = isinstance(e, httpx.ConnectError | httpx.ConnectTimeout)
            unsure = not (out.idempotent or unsent)
            raise _Again(backoff(n), error=e, final=unsure, unsure=unsure) from None
        if resp.status_code in (429, 503):
            told = retry_after_seconds(resp.headers.get("Retry-After"))
            wait = told if told is not None else backoff(n)
            raise _Again(wait, response=resp, final=wait > self.settings.max_retry_after)
        if resp.status_code >= 500:  # a gateway's 502 or 504 may hide a delivered POST
            unsure = not out.idempotent and resp.status_code in (502, 504)
            raise _Again(backoff(n), response=resp, final=unsure, unsure=unsure)
        return resp

    def _give_up(self, svc: Service, url: str, last: _Again) -> httpx.Response:
        if last.error is not None:
            raise self._unreachable(svc, url, last.error)
        assert last.response is not None
        if last.response.status_code not in (429, 503):
            return last.response  # a server error: the caller reports its status
        raise RateLimited(
            f"{svc.name} is rate-limiting us (HTTP {last.response.status_code}) at {url}; "
            "try again later",
            url=url,
            status=last.response.status_code,
            retry_after=last.wait,
        )

    async def _send(self, svc: Service, out: Outgoing, max_bytes: int) -> httpx.Response:
        url = svc.shown(out.url)
        async with svc.sem:
            await svc.wait_turn()
            svc.requests += 1
            log.debug("%s: %s at %.3f s: %s", svc.name, out.method, self.clock.now(), url)
            request = self.client.build_request(
                out.method, out.url, params=out.params, content=out.body, headers=out.headers
            )
            seen = {str(request.url)}
            for _ in range(MAX_REDIRECTS):
                resp = await self.client.send(request, stream=True)
                if resp.next_request is None:
                    return await _read_capped(resp, max_bytes)
                await resp.aclose()
                request = _within_host(svc, request, resp.next_request)
                if str(request.url) in seen:
                    raise BadResponse(f"{svc.name}: redirect loop at {url}", url=url)
                seen.add(str(request.url))
            raise BadResponse(f"{svc.name}: more than {MAX_REDIRECTS} redirects", url=url)

    @staticmethod
    def _unreachable(svc: Service, url: str, e: Exception) -> ServiceUnreachable:
        kind = "timed out" if isinstance(e, httpx.TimeoutException) else "unreachable"
        message = f"{svc.name} {kind} at {url}: {svc.hint}"
        if isinstance(e, httpx.ConnectError):
            svc.down = message
        return ServiceUnreachable(message, url=url)


class _Again(Exception):
    """A try that may be repeated after `wait` seconds (`final`: not worth waiting for)."""

    def __init__(
        self,
        wait: float,
        *,
        response: httpx.Response | None = None,
        error: Exception | None = None,
        final: bool = False,
        unsure: bool = False,
    ) -> None:
        why = f"HTTP {response.status_code}" if response is not None else type(error).__name__
        super().__init__(f"{why}, asked again in {wait:.0f} s")
        self.wait, self.response, self.error, self.final = wait, response, error, final
        self.unsure = unsure  # sent, and perhaps received: a POST not to be sent again
        self.status = response.status_code if response is not None else None


def _again(state: RetryCallState) -> _Again:
    error = state.outcome.exception() if state.outcome else None
    assert isinstance(error, _Again)
    return error
