"""Waiting out an LLM server that is busy: 429, 5xx, a timeout or a dropped connection is
asked again, after the `Retry-After` it gives or a back-off of 0.5, 1, 2 … 8 s; a server
that asks for more than `max_retry_after` is not waited for (nor is a 408 or 409 retried
more often than the rest). The waits are the session's clock's (the SDK's own retries sleep in real
time, so they are off), which is what lets a whole run be tested in virtual time. A 429 that
says the account's quota is spent is not retried: it will not pass by waiting."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from dailypapers.analysing.refusals import api_message, error_detail
from dailypapers.sources.net import retry_after_seconds

if TYPE_CHECKING:
    import openai

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


def quota_spent(e: openai.APIStatusError) -> bool:
    """OpenAI's and DeepSeek's word for an account with no credit left, sent as a 429."""
    detail = error_detail(e)
    words = f"{api_message(e)} {detail.get('code', '')} {detail.get('type', '')}".lower()
    return "insufficient_quota" in words or "exceeded your current quota" in words


def backoff(attempt: int) -> float:
    """0.5, 1, 2, 4, 8 s, less up to a quarter so that many papers do not come back at once."""
    return min(0.5 * 2.0**attempt, 8.0) * (1 - 0.25 * random.random())


def told_wait(e: openai.APIStatusError) -> float | None:
    millis = e.response.headers.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    return retry_after_seconds(e.response.headers.get("retry-after"))


async def with_retries(
    send: Callable[[], Awaitable[T]], retries: int, sleep: Sleep, max_wait: float
) -> T:
    import openai

    for attempt in range(retries + 1):
        try:
            return await send()
        except (openai.APIStatusError, openai.APIConnectionError) as e:
            status = e.status_code if isinstance(e, openai.APIStatusError) else None
            if status is not None and status not in (408, 409, 429) and status < 500:
                raise  # the request itself is refused: asking again changes nothing
            if attempt == retries or (isinstance(e, openai.RateLimitError) and quota_spent(e)):
                raise
            told = told_wait(e) if isinstance(e, openai.APIStatusError) else None
            if told is not None and told > max_wait:
                raise
            await sleep(backoff(attempt) if told is None else told)
    raise AssertionError("unreachable")
