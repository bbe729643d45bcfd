"""A report delivered to a channel, recorded part by part in the archive, so that nothing is
sent twice and nothing fails silently:

    planned ──▶ sending ──▶ sent          a second run finds it sent and sends nothing
       │            └─────▶ failed        asked again by the next run (or --resend)
       └─ held (approve = true) ──▶ `dailypapers approve` sends exactly what was held

A part found `sending` (the run stopped while it was being sent) may have arrived: it is
not sent again unless --resend says so. The papers a channel was sent with one period are
not sent as new with another (a "seen before" line names them)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dailypapers.archive.store import Store
from dailypapers.core.config import Channel
from dailypapers.core.errors import DeliveryFailed, NothingToSend
from dailypapers.deliver.chat import messages
from dailypapers.deliver.digest import digest
from dailypapers.deliver.email import email_message, send_email
from dailypapers.deliver.webhooks import post
from dailypapers.report.models import Report
from dailypapers.report.overview import day_overview
from dailypapers.report.results import PaperResults
from dailypapers.sources.net import Clock, Net


@dataclass
class Outcome:
    """What became of a delivery: `sent`, `held` (for approval), `already` (sent before),
    `nothing new` (every paper was sent before), or `dry run` (with `texts`)."""

    channel: str
    status: str
    parts: int = 0
    texts: list[str] = field(default_factory=list)

    def line(self, label: str) -> str:
        said = {
            "sent": f"sent {label} to {self.channel} ({_messages(self.parts)})",
            "held": f"{label} is held for {self.channel}: `dailypapers send {label} --to "
            f"{self.channel} --dry-run` shows it, `dailypapers approve {label} --to "
            f"{self.channel}` sends it",
            "already": f"{label} was already sent to {self.channel} (--resend sends it again)",
            "nothing new": f"nothing new for {self.channel}: every paper of {label} was sent "
            "to it before",
            "dry run": f"{_messages(self.parts)} for {self.channel}, not sent",
        }
        return said[self.status]


def _messages(n: int) -> str:
    return f"{n} message" + ("" if n == 1 else "s")


@dataclass
class Deliverer:
    """Delivers reports through the session's network edge and clock, into its archive."""

    store: Store
    net: Net
    clock: Clock
    wall: Callable[[], float] = time.time  # signatures carry the time of day

    async def deliver(
        self,
        report: Report,
        name: str,
        channel: Channel,
        *,
        resend: bool = False,
        dry_run: bool = False,
        approve: bool = False,
    ) -> Outcome:
        if not report.papers:
            raise NothingToSend(f"no papers were listed on {report.label}: nothing to send")
        key = (name, report.label, report.kind, report.lang)
        rows = self.store.deliveries(*key)
        statuses = {r["status"] for r in rows}
        if approve:
            if "held" not in statuses:
                raise DeliveryFailed(f"nothing of {report.label} is held for {name}")
            return await self._send(key, channel, rows)
        if not (resend or dry_run):
            if rows and statuses == {"sent"}:
                return Outcome(name, "already", len(rows))
            if "sending" in statuses:
                raise DeliveryFailed(
                    f"a message of {report.label} to {name} was being sent when a run stopped: "
                    f"it may have arrived; --resend sends the whole day again"
                )
            if "held" in statuses:
                return Outcome(name, "held", len(rows))
            if "failed" in statuses or "planned" in statuses:  # the rest of an earlier try
                return await self._send(key, channel, rows)
        parts = self.compose(report, name, channel, resend)
        if not parts:
            return Outcome(name, "nothing new")
        if dry_run:
            return Outcome(name, "dry run", len(parts), [text for text, _, _ in parts])
        planned = [(body, ids) for _, body, ids in parts]
        self.store.plan_delivery(*key, planned, "held" if channel.approve else "planned")
        if channel.approve:
            return Outcome(name, "held", len(parts))
        return await self._send(key, channel, self.store.deliveries(*key))

    def compose(
        self, report: Report, name: str, channel: Channel, resend: bool
    ) -> list[tuple[str, str, list[str]]]:
        """Each message as (its text, its body as sent, its papers); none if nothing is new."""
        ids = [p.paper.id for p in report.papers if p.status == "ok"]
        seen = {} if resend else self.store.delivered_before(name, ids, report.label)
        d = digest(report, seen)
        if not d.papers:
            return []
        if channel.kind == "email":  # the report of the papers new to the channel
            papers = [r for r in report.papers if r.status == "ok" and r.paper.id not in seen]
            paragraph = report.overview.paragraph if report.overview else None
            overview = day_overview(papers, paragraph) if report.overview else None
            fresh = report.model_copy(
                update={"papers": PaperResults(papers), "overview": overview, "selection": None}
            )
            mail = email_message(fresh, name, channel, d.title)
            return [(mail.get_body(("plain",)).get_content(), mail.as_string(), d.ids)]  # type: ignore[union-attr]
        return [
            (m.text, json.dumps(m.payload, ensure_ascii=False), list(m.papers))
            for m in messages(channel.kind, d, channel.chat_id)
        ]

    async def _send(
        self, key: tuple[str, str, str, str], channel: Channel, rows: list[sqlite3.Row]
    ) -> Outcome:
        name = key[0]
        for row in rows:
            if row["status"] == "sent":
                continue
            self.store.mark_delivery(*key, row["part"], "sending")
            try:
                if channel.kind == "email":
                    await send_email(name, channel, row["body"])
                else:
                    payload = json.loads(row["body"])
                    await post(self.net, self.clock, self.wall, name, channel, payload)
            except Exception as e:
                self.store.mark_delivery(*key, row["part"], "failed", str(e)[:500])
                if isinstance(e, DeliveryFailed):
                    raise
                raise DeliveryFailed(f"channel {name}: {e}") from None
            self.store.mark_delivery(*key, row["part"], "sent")
        return Outcome(name, "sent", len(rows))
