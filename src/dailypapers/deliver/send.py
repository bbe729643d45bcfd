"""A report delivered to a channel, recorded part by part in the archive, so that nothing is
sent twice and nothing fails silently:

    planned ──▶ sending ──▶ sent          a second run finds it sent and sends nothing
       │            ├─────▶ failed        refused: sent by the next run (or --resend)
       │            └ (stays sending)     no answer, or the run stopped: it may have arrived
       └─ held (approve = true) ──▶ `dailypapers approve` sends exactly what was held

A part left `sending` is not sent again unless --resend says so. The papers a channel was
sent with one period are not sent as new with another (a "seen before" line names them);
papers of a period analysed after it was sent go out as parts of their own."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dailypapers.archive.store import Store
from dailypapers.core.config import Channel
from dailypapers.core.errors import DeliveryFailed, NothingToSend, Unconfirmed
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
        if "sending" in statuses and not resend:
            raise DeliveryFailed(
                f"a message of {report.label} to {name} went out without an answer (or a run "
                "stopped while it was sent): it may have arrived; --resend sends the day again"
            )
        if "held" in statuses and not resend:
            if dry_run:  # exactly what approving would send
                held = [r["text"] for r in rows if r["status"] == "held"]
                return Outcome(name, "dry run", len(held), held)
            if approve:
                return await self._send(key, channel, rows)
            return Outcome(name, "held", len(rows))
        if approve:
            raise DeliveryFailed(f"nothing of {report.label} is held for {name}")
        if not (resend or dry_run) and statuses - {"sent"}:  # the rest of an earlier try
            return await self._send(key, channel, rows)
        fresh = bool(rows) and not resend and not dry_run  # papers analysed since it was sent
        parts = self.compose(report, name, channel, resend, this_period_too=fresh)
        if not parts:
            return Outcome(name, "already" if rows else "nothing new", len(rows))
        if dry_run:
            return Outcome(name, "dry run", len(parts), [text for text, _, _ in parts])
        status = "held" if channel.approve else "planned"
        self.store.plan_delivery(key, parts, status, append=fresh)
        if channel.approve:
            return Outcome(name, "held", len(parts))
        return await self._send(key, channel, self.store.deliveries(*key))

    def compose(
        self,
        report: Report,
        name: str,
        channel: Channel,
        resend: bool,
        *,
        this_period_too: bool = False,
    ) -> list[tuple[str, str, list[str]]]:
        """Each message as (its text, its body as sent, its papers); none if nothing is new.
        `this_period_too`: the papers already sent with this period count as seen."""
        ids = [p.paper.id for p in report.papers if p.status == "ok"]
        period = "" if this_period_too else report.label
        seen = {} if resend else self.store.delivered_before(name, ids, period)
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
            text = mail.get_body(("plain",))
            shown = text.get_content() if text is not None else d.title
            return [(shown, mail.as_string(), d.ids)]
        return [
            (m.text, json.dumps(m.payload, ensure_ascii=False), list(m.papers))
            for m in messages(channel.kind, d, channel.chat_id)
        ]

    async def _send(
        self, key: tuple[str, str, str, str], channel: Channel, rows: list[sqlite3.Row]
    ) -> Outcome:
        """The parts not sent yet, in order; one that went out unanswered stays `sending`
        (it may have arrived), one refused is `failed` (the next run sends it)."""
        name = key[0]
        for row in rows:
            if row["status"] == "sent":
                continue
            self.store.mark_delivery(*key, row["part"], "sending")
            refused: list[str] = []
            try:
                if channel.kind == "email":
                    refused = await send_email(name, channel, row["body"])
                else:
                    payload = json.loads(row["body"])
                    await post(self.net, self.clock, self.wall, name, channel, payload)
            except Unconfirmed:
                raise  # left `sending`: not sent again by itself
            except Exception as e:
                self.store.mark_delivery(*key, row["part"], "failed", str(e)[:500])
                if isinstance(e, DeliveryFailed):
                    raise
                raise DeliveryFailed(f"channel {name}: {e}") from None
            self.store.mark_delivery(*key, row["part"], "sent")
            if refused:  # the others have it: recorded as sent, and said loudly
                raise DeliveryFailed(
                    f"channel {name}'s email was refused for {', '.join(refused)}; the other "
                    "recipients have it"
                )
        return Outcome(name, "sent", len(rows))
