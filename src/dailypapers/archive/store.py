"""The archive's write side: one SQLite database (WAL) recording everything that happened.

Listings, fetched sources (compressed), parsed documents, analyses, every LLM call and every
run. Each write commits at once, so a killed run loses only the papers still in flight.
Opening it applies the migrations it lacks (migrations.py); the reads it shares with the
read-only `Archive` are in queries.py."""

from __future__ import annotations

import json
import sqlite3
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dailypapers.archive.migrations import MIGRATIONS
from dailypapers.archive.queries import Connection, Queries, now, storage_error, unpack

if TYPE_CHECKING:  # imported where rows become models: `history` never builds the models
    from dailypapers.core.models import (
        Call,
        Document,
        HubResources,
        Paper,
        PaperResult,
        ServerProfile,
    )
    from dailypapers.report.models import DayParagraph


@dataclass
class Stored:
    """A parsed document as archived, with what is needed to decide whether to read again."""

    doc: Document
    fallbacks: list[str]
    transient: bool
    rereads: int

    @property
    def reread_due(self) -> bool:
        return reread_due(self.transient, self.rereads)


MAX_REREADS = 1  # a paper read after a transient failure is read again once, on a later run


def reread_due(transient: bool, rereads: int) -> bool:
    """Read from a worse source after a passing failure, and not yet read again for it."""
    return transient and rereads < MAX_REREADS


def pack_source(kind: str, body: bytes | None) -> bytes | None:
    """A fetched body as stored: zlib data, or None when there is none to keep. A PDF's
    streams are compressed already (deflating one again costs ~30 ms a MB and saves 8%), so
    it is stored, not deflated (level 0). Packing is pure and lets go of the interpreter's
    lock: the run does it in a thread."""
    return zlib.compress(body, 0 if kind == "pdf" else 6) if body else None


def pack_document(doc: Document) -> bytes:
    return zlib.compress(doc.model_dump_json().encode(), 6)


class Store(Queries):
    """The archive as a run writes it (one connection, shared by the run's threads)."""

    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, factory=Connection
            )
        except (OSError, sqlite3.Error) as e:
            raise storage_error(e, path) or e from None
        assert isinstance(db, Connection)
        db.path = path
        self.db = db
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA busy_timeout=10000")  # first: other runs may be creating it
        self._wal()
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.migrate()

    def _wal(self) -> None:
        """WAL mode, waiting out another process that is creating the archive at the same
        moment (SQLite answers "locked" at once there, whatever the busy timeout)."""
        for attempt in range(200):
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) and "busy" not in str(e) or attempt == 199:
                    raise
                time.sleep(0.05)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def migrate(self) -> None:
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, "
            "applied_at TEXT NOT NULL)"
        )
        for migration in MIGRATIONS:
            with self.tx() as db:  # checked inside: another process may have just applied it
                name = migration.__name__
                if db.execute("SELECT 1 FROM _migrations WHERE name=?", (name,)).fetchone():
                    continue
                migration(db)
                db.execute("INSERT INTO _migrations VALUES (?, ?)", (name, now()))

    # listings
    def save_listing(self, period: str, kind: str, papers: list[Paper]) -> None:
        data = json.dumps([p.model_dump(mode="json") for p in papers])
        self.db.execute(
            "INSERT OR REPLACE INTO listings VALUES (?, ?, ?, ?)", (period, kind, now(), data)
        )

    def listing_look(self, period: str) -> tuple[list[str], float] | None:
        """A day's listing as last looked at: its paper ids, and how many minutes ago."""
        row = self.db.execute(
            "SELECT papers, fetched_at FROM listings WHERE period=? AND kind='day'", (period,)
        ).fetchone()
        if row is None:
            return None
        ago = datetime.now(UTC) - datetime.fromisoformat(row[1])
        return [p["id"] for p in json.loads(row[0])], ago.total_seconds() / 60

    # sources and documents
    def save_source(
        self, arxiv_id: str, version: str | None, kind: str, url: str | None, blob: bytes | None
    ) -> None:
        """`blob` is the body as `pack_source` packs it, or None to record only the URL."""
        self.db.execute(
            "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?)",
            (arxiv_id, version or "", kind, url, now(), blob),
        )

    def save_document(
        self,
        doc: Document,
        blob: bytes,
        fallbacks: list[str],
        transient: bool = False,
        rereads: int = 0,
    ) -> None:
        """`blob` is the document as `pack_document` packs it."""
        self.db.execute(
            "INSERT OR REPLACE INTO documents (id, version, source, parsed_at, fallbacks, body, "
            "transient, rereads) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                doc.arxiv_id,
                doc.version or "",
                doc.source,
                now(),
                json.dumps(fallbacks),
                blob,
                int(transient),
                rereads,
            ),
        )

    def document(self, arxiv_id: str) -> Stored | None:
        """The newest stored document of a paper."""
        row = self._newest("body, fallbacks, transient, rereads", arxiv_id)
        if not row:
            return None
        from dailypapers.core.models import Document

        doc = Document.model_validate_json(unpack(row[0]))
        return Stored(doc, json.loads(row[1]), bool(row[2]), row[3])

    def needs_reading(self, arxiv_id: str) -> bool:
        """Never read, or a re-read is due (without unpacking the document)."""
        return self.read_as(arxiv_id) is None

    def read_as(self, arxiv_id: str) -> tuple[str, str] | None:
        """(version, source) of the newest stored reading, from the index alone, unless a
        re-read is due: enough to find a stored analysis without unpacking the document."""
        row = self._newest("version, source, transient, rereads", arxiv_id)
        if row is None or reread_due(bool(row[2]), row[3]):
            return None
        return row[0], row[1]

    # analyses
    def save_analysis(
        self, result: PaperResult, model: str, prompt_version: str, lang: str
    ) -> None:
        assert result.analysis and result.provenance and result.grounding
        self.db.execute(
            "INSERT OR REPLACE INTO analyses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                result.paper.id,
                result.provenance.version or "",
                model,
                prompt_version,
                lang,
                now(),
                result.analysis.model_dump_json(),
                result.grounding.model_dump_json(),
                result.provenance.model_dump_json(),
            ),
        )

    def save_hub_resources(self, arxiv_id: str, resources: HubResources) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO hub_resources VALUES (?, ?, ?)",
            (arxiv_id, now(), resources.model_dump_json()),
        )

    def save_paragraph(self, key: str, paragraph: DayParagraph) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO day_paragraphs VALUES (?, ?, ?)",
            (key, now(), paragraph.model_dump_json()),
        )

    # runs and calls
    def start_run(self, period: str, kind: str, lang: str, analyser: str, model: str | None) -> int:
        cur = self.db.execute(
            "INSERT INTO runs (started_at, period, kind, lang, analyser, model, status) "
            "VALUES (?, ?, ?, ?, ?, ?, 'running')",
            (now(), period, kind, lang, analyser, model),
        )
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, stats: dict[str, Any]) -> None:
        self.db.execute(
            "UPDATE runs SET finished_at=?, status=?, stats=? WHERE id=?",
            (now(), status, json.dumps(stats), run_id),
        )

    def record_paper(self, run_id: int, paper_id: str, status: str, error: str | None) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO run_papers VALUES (?, ?, ?, ?)",
            (run_id, paper_id, status, error),
        )

    def record_calls(self, run_id: int | None, paper_id: str, calls: list[Call]) -> None:
        with self.tx() as db:
            db.executemany(
                "INSERT INTO llm_calls (run_id, paper_id, created_at, model, prompt_version, "
                "rung, input_tokens, output_tokens, latency, finish_reason, error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        run_id,
                        paper_id,
                        now(),
                        c.model,
                        c.prompt_version,
                        c.rung,
                        c.input_tokens,
                        c.output_tokens,
                        c.latency,
                        c.finish_reason,
                        c.error,
                    )
                    for c in calls
                ],
            )

    def llm_server(self, base_url: str, model: str) -> ServerProfile:
        """What we learnt of a server: the rung it accepted, the context it stated."""
        row = self.db.execute(
            "SELECT rung, context, token_ratio, learnt_at FROM llm_servers WHERE base_url=? "
            "AND model=?",
            (base_url, model),
        ).fetchone()
        from dailypapers.core.models import ServerProfile

        return ServerProfile(row[0] or None, *row[1:]) if row else ServerProfile()

    def save_llm_server(self, base_url: str, model: str, profile: ServerProfile) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO llm_servers (base_url, model, rung, context, token_ratio, "
            "learnt_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                base_url,
                model,
                profile.rung or "",
                profile.context,
                profile.token_ratio,
                profile.learnt_at,
            ),
        )

    def llm_servers(self) -> list[sqlite3.Row]:
        """Everything remembered of every server, for `dailypapers servers`."""
        rows: list[sqlite3.Row] = self.db.execute(
            "SELECT base_url, model, rung, context, token_ratio, learnt_at FROM llm_servers "
            "ORDER BY base_url, model"
        ).fetchall()
        return rows

    def forget_llm_server(self, base_url: str) -> int:
        """Forget what was learnt of a server (every model of it): how many were."""
        cur = self.db.execute(
            "DELETE FROM llm_servers WHERE rtrim(base_url, '/') = rtrim(?, '/')", (base_url,)
        )
        return cur.rowcount

    # deliveries
    def deliveries(self, channel: str, period: str, kind: str, lang: str) -> list[sqlite3.Row]:
        """The parts of a period's delivery to a channel, in order."""
        rows: list[sqlite3.Row] = self.db.execute(
            "SELECT part, parts, status, text, body, papers, error FROM deliveries WHERE "
            "channel=? AND period=? AND kind=? AND lang=? ORDER BY part",
            (channel, period, kind, lang),
        ).fetchall()
        return rows

    def plan_delivery(
        self,
        key: tuple[str, str, str, str],
        parts: list[tuple[str, str, list[str]]],
        status: str,
        *,
        append: bool = False,
    ) -> None:
        """The messages of a delivery (text, body, papers): replacing those not sent, or
        after those sent (papers analysed since)."""
        where = "channel=? AND period=? AND kind=? AND lang=?"
        with self.tx() as db:
            if not append:
                db.execute(f"DELETE FROM deliveries WHERE {where}", key)
            first = db.execute(
                f"SELECT coalesce(max(part), 0) FROM deliveries WHERE {where}", key
            ).fetchone()[0]
            db.executemany(
                "INSERT INTO deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                [
                    (*key, first + n, len(parts), status, text, body, json.dumps(ids), now())
                    for n, (text, body, ids) in enumerate(parts, 1)
                ],
            )

    def mark_delivery(
        self,
        channel: str,
        period: str,
        kind: str,
        lang: str,
        part: int,
        status: str,
        error: str | None = None,
    ) -> None:
        """A part's new state; once `sent`, its papers count as sent to the channel."""
        with self.tx() as db:
            db.execute(
                "UPDATE deliveries SET status=?, error=?, updated_at=? WHERE channel=? AND "
                "period=? AND kind=? AND lang=? AND part=?",
                (status, error, now(), channel, period, kind, lang, part),
            )
            if status != "sent":
                return
            row = db.execute(
                "SELECT papers FROM deliveries WHERE channel=? AND period=? AND kind=? AND "
                "lang=? AND part=?",
                (channel, period, kind, lang, part),
            ).fetchone()
            db.executemany(
                "INSERT OR IGNORE INTO delivered_papers VALUES (?, ?, ?, ?)",
                [(channel, pid, period, now()) for pid in json.loads(row[0])],
            )

    def delivered_before(self, channel: str, ids: list[str], period: str) -> dict[str, str]:
        """Which of these papers the channel was sent with another period: id -> period."""
        found: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for pid, when in self.db.execute(
                f"SELECT paper_id, period FROM delivered_papers WHERE channel=? AND period!=? "
                f"AND paper_id IN ({marks})",
                [channel, period, *chunk],
            ):
                found[pid] = when
        return found
