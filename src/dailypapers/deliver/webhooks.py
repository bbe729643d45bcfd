"""Posting a message to a chat platform the way it asks: signed where it signs (Feishu in the
body, DingTalk in the URL), paced to its rate limit (DingTalk and WeCom: 20 messages a
minute), and judged by its own answer: these platforms answer HTTP 200 with an error code, and
their "too frequent" codes are waited out like a 429. The webhook's URL carries its key: it
is never logged or shown, only its host."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from dailypapers.core.config import Channel
from dailypapers.core.errors import DeliveryFailed
from dailypapers.sources.net import Clock, Net

log = logging.getLogger("dailypapers")
PACING = {"feishu": 0.6, "dingtalk": 3.0, "wecom": 3.0, "slack": 1.0, "discord": 0.5}
PACING["telegram"] = 3.0  # a group: 20 messages a minute
TOO_FREQUENT = {"feishu": {11232}, "dingtalk": {130101, 130102}, "wecom": {45009}}
TRIES = 4


def sign(
    kind: str, url: str, payload: dict[str, Any], secret: str | None, now: float
) -> tuple[str, dict[str, Any]]:
    """The URL and body as the platform checks them (`now`: seconds since the epoch)."""
    if kind == "telegram":
        url = url.rstrip("/") + "/sendMessage"
    if not secret:
        return url, payload
    if kind == "feishu":
        stamp = str(int(now))
        key = f"{stamp}\n{secret}".encode()
        signature = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        return url, {"timestamp": stamp, "sign": signature, **payload}
    if kind == "dingtalk":
        stamp = str(int(now * 1000))
        digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256)
        query = urlencode({"timestamp": stamp, "sign": base64.b64encode(digest.digest())})
        return url + ("&" if "?" in url else "?") + query, payload
    return url, payload


def verdict(kind: str, resp: httpx.Response) -> tuple[bool, bool, str]:
    """(delivered, worth waiting and trying again, what the platform said)."""
    if resp.status_code >= 300:
        return False, False, f"HTTP {resp.status_code}: {resp.text[:200]}"
    if kind in ("slack", "discord"):
        return True, False, "ok"
    try:
        answer = resp.json()
    except ValueError:
        return False, False, f"an answer that is not JSON: {resp.text[:200]}"
    if kind == "telegram":
        return bool(answer.get("ok")), False, str(answer.get("description", ""))[:200]
    code = answer.get("code", answer.get("errcode", answer.get("StatusCode", 0)))
    said = answer.get("msg", answer.get("errmsg", answer.get("StatusMessage", "")))
    if code in (0, None):
        return True, False, "ok"
    return False, code in TOO_FREQUENT.get(kind, ()), f"error {code}: {str(said)[:200]}"


async def post(
    net: Net,
    clock: Clock,
    wall: Callable[[], float],
    name: str,
    channel: Channel,
    payload: dict[str, Any],
) -> None:
    """One message, paced and retried; a refusal is one line naming the channel."""
    url = channel.value("url")
    if channel.kind == "telegram" and not channel.chat_id:
        raise DeliveryFailed(f"telegram channel {name} needs chat_id in [deliver.{name}]")
    if not url:
        raise DeliveryFailed(
            f"channel {name} has no URL: set url (or url_env) in [deliver.{name}] of config.toml"
        )
    service = f"deliver:{name}"
    if service not in net.services:
        host = urlsplit(url).hostname or "the webhook"
        net.register(
            service,
            f"{channel.kind} channel {name} ({host})",
            PACING.get(channel.kind, 1.0),
            hint="check the network and the channel's url in config.toml",
            secret_url=True,
        )
    said = ""
    for attempt in range(1, TRIES + 1):
        target, body = sign(channel.kind, url, payload, channel.value("secret"), wall())
        resp = await net.post(service, target, json=body)
        ok, again, said = verdict(channel.kind, resp)
        if ok:
            return
        if not again:
            break
        log.info("%s: %s, asked again (%d)", name, said, attempt)
        await clock.sleep(min(2.0**attempt, 30.0))
    raise DeliveryFailed(f"{channel.kind} channel {name} refused the message: {said}")
