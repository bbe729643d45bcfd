"""The archive: one SQLite database (WAL) recording everything that happened.

Listings, fetched sources (compressed), parsed documents, analyses, every LLM call and every
run. Each write commits at once, so a killed run loses only the papers still in flight.
Migrations are named functions, applied in order and recorded in `_migrations`."""

from __future__ import annotations

import errno
import json
import sqlite3
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dailypapers.core.errors import ArchiveUnusable, DiskFull, NotWritable, StorageError

if TYPE_CHECKING:  # imported where rows become models: `history` never builds the models
    from dailypapers.core.models import (
        Call,
        DayParagraph,
        Document,
        HubResources,
        Paper,
        PaperResult,
        ServerProfile,
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _script(db: sqlite3.Connection, sql: str) -> None:
    """Statement by statement: executescript() would commit the migration's transaction."""
    for statement in sql.split(";"):
        if statement.strip():
            db.execute(statement)


def m001_initial(db: sqlite3.Connection) -> None:
    _script(
        db,
        """
        CREATE TABLE listings (
            period TEXT NOT NULL, kind TEXT NOT NULL, fetched_at TEXT NOT NULL,
            papers TEXT NOT NULL, PRIMARY KEY (period, kind));
        CREATE TABLE sources (
            id TEXT NOT NULL, version TEXT NOT NULL, kind TEXT NOT NULL, url TEXT,
            fetched_at TEXT NOT NULL, body BLOB, PRIMARY KEY (id, version, kind));
        CREATE TABLE documents (
            id TEXT NOT NULL, version TEXT NOT NULL, source TEXT NOT NULL,
            parsed_at TEXT NOT NULL, fallbacks TEXT NOT NULL, body BLOB NOT NULL,
            PRIMARY KEY (id, version));
        CREATE TABLE analyses (
            id TEXT NOT NULL, version TEXT NOT NULL, model TEXT NOT NULL,
            prompt_version TEXT NOT NULL, lang TEXT NOT NULL, created_at TEXT NOT NULL,
            analysis TEXT NOT NULL, grounding TEXT NOT NULL, provenance TEXT NOT NULL,
            PRIMARY KEY (id, version, model, prompt_version, lang));
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT,
            period TEXT, kind TEXT, lang TEXT, analyser TEXT, model TEXT,
            status TEXT NOT NULL, stats TEXT);
        CREATE TABLE run_papers (
            run_id INTEGER NOT NULL REFERENCES runs(id), paper_id TEXT NOT NULL,
            status TEXT NOT NULL, error TEXT, PRIMARY KEY (run_id, paper_id));
        CREATE TABLE llm_calls (
            id INTEGER PRIMARY KEY, run_id INTEGER, paper_id TEXT, created_at TEXT NOT NULL,
            model TEXT, prompt_version TEXT, rung TEXT, input_tokens INTEGER,
            output_tokens INTEGER, latency REAL, finish_reason TEXT, error TEXT);
        CREATE TABLE llm_servers (
            base_url TEXT NOT NULL, model TEXT NOT NULL, rung TEXT NOT NULL,
            PRIMARY KEY (base_url, model));
    """,
    )


def m002_server_context_and_transient_reads(db: sqlite3.Connection) -> None:
    """A server's stated context; a document read after a transient failure of a better
    source, and how many times it has been re-read since."""
    _script(
        db,
        """
        ALTER TABLE llm_servers ADD COLUMN context INTEGER;
        ALTER TABLE llm_servers ADD COLUMN token_ratio REAL NOT NULL DEFAULT 1.0;
        ALTER TABLE documents ADD COLUMN transient INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE documents ADD COLUMN rereads INTEGER NOT NULL DEFAULT 0
    """,
    )


def m003_hub_resources(db: sqlite3.Connection) -> None:
    """The Hub repositories citing each paper, as last asked."""
    _script(
        db,
        """
        CREATE TABLE hub_resources (
            id TEXT PRIMARY KEY, fetched_at TEXT NOT NULL, body TEXT NOT NULL)
    """,
    )


def m004_day_paragraphs(db: sqlite3.Connection) -> None:
    """The LLM's paragraph on a day, under the analyses it was written from."""
    _script(
        db,
        """
        CREATE TABLE day_paragraphs (
            key TEXT PRIMARY KEY, created_at TEXT NOT NULL, body TEXT NOT NULL)
    """,
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    m001_initial,
    m002_server_context_and_transient_reads,
    m003_hub_resources,
    m004_day_paragraphs,
]


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


def _unpack(blob: bytes) -> str:
    return zlib.decompress(blob).decode()


def storage_error(e: BaseException, path: Path | None = None) -> StorageError | None:
    """What a failure of the disk or of SQLite means for the user, in one line."""
    if isinstance(e, StorageError):
        return e
    where = f" {path}" if path else ""
    message = str(e).lower()
    full = isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT)
    if full or "database or disk is full" in message:
        return DiskFull(
            f"the disk holding{where or ' the data folder'} is full: free some space and run "
            "again (what was finished is saved)"
        )
    if "readonly database" in message or "read-only" in message:
        return ArchiveUnusable(
            f"the archive{where} is read-only: make it writable (chmod u+w) or set "
            "DAILYPAPERS_HOME to a writable folder"
        )
    if "not a database" in message or "malformed" in message or "corrupt" in message:
        return ArchiveUnusable(
            f"the archive{where} is corrupt ({e}): move it aside (mv{where} {path}.broken) and "
            f"run again; `sqlite3 {path}.broken .recover` may save what it holds"
        )
    if "unable to open database" in message or (
        isinstance(e, OSError)
        and e.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR)
    ):
        target = path or getattr(e, "filename", None) or "the data folder"
        return NotWritable(
            f"cannot write {target}: set DAILYPAPERS_HOME (or -o) to a writable place"
        )
    return None


class _Connection(sqlite3.Connection):
    """Every SQLite failure leaves as one of our StorageErrors, with the file's path."""

    path: Path | None = None

    def execute(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        try:
            return super().execute(*args, **kwargs)
        except sqlite3.Error as e:
            raise storage_error(e, self.path) or e from None

    def executemany(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        try:
            return super().executemany(*args, **kwargs)
        except sqlite3.Error as e:
            raise storage_error(e, self.path) or e from None


class Store:
    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, factory=_Connection
            )
        except (OSError, sqlite3.Error) as e:
            raise storage_error(e, path) or e from None
        assert isinstance(db, _Connection)
        db.path = path
        self.db = db
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA busy_timeout=10000")  # first: other runs may be creating it
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.migrate()

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
                db.execute("INSERT INTO _migrations VALUES (?, ?)", (name, _now()))

    # listings
    def save_listing(self, period: str, kind: str, papers: list[Paper]) -> None:
        data = json.dumps([p.model_dump(mode="json") for p in papers])
        self.db.execute(
            "INSERT OR REPLACE INTO listings VALUES (?, ?, ?, ?)", (period, kind, _now(), data)
        )

    def listing(self, period: str, kind: str) -> list[Paper] | None:
        row = self.db.execute(
            "SELECT papers FROM listings WHERE period=? AND kind=?", (period, kind)
        ).fetchone()
        from dailypapers.core.models import Paper

        return [Paper.model_validate(p) for p in json.loads(row[0])] if row else None

    def listings(self) -> list[sqlite3.Row]:
        """Every archived period with its paper count and how many of those are analysed."""
        return self.db.execute(
            "SELECT period, kind, fetched_at, json_array_length(papers) AS n, "
            "(SELECT count(DISTINCT a.id) FROM json_each(papers) AS p JOIN analyses AS a "
            " ON a.id = json_extract(p.value, '$.id')) AS analysed "
            "FROM listings ORDER BY period DESC"
        ).fetchall()

    # sources and documents
    def save_source(
        self, arxiv_id: str, version: str | None, kind: str, url: str | None, blob: bytes | None
    ) -> None:
        """`blob` is the body as `pack_source` packs it, or None to record only the URL."""
        self.db.execute(
            "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?)",
            (arxiv_id, version or "", kind, url, _now(), blob),
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
                _now(),
                json.dumps(fallbacks),
                blob,
                int(transient),
                rereads,
            ),
        )

    def _newest(self, columns: str, arxiv_id: str) -> sqlite3.Row | None:
        """The newest stored document row of a paper (highest version, then latest parse)."""
        return self.db.execute(
            f"SELECT {columns} FROM documents WHERE id=? ORDER BY "
            "CAST(substr(version, 2) AS INTEGER) DESC, parsed_at DESC LIMIT 1",
            (arxiv_id,),
        ).fetchone()

    def document(self, arxiv_id: str) -> Stored | None:
        """The newest stored document of a paper."""
        row = self._newest("body, fallbacks, transient, rereads", arxiv_id)
        if not row:
            return None
        from dailypapers.core.models import Document

        doc = Document.model_validate_json(_unpack(row[0]))
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
                _now(),
                result.analysis.model_dump_json(),
                result.grounding.model_dump_json(),
                result.provenance.model_dump_json(),
            ),
        )

    def analysis(
        self,
        paper: Paper,
        version: str | None,
        model: str | None,
        prompt_version: str | None,
        lang: str,
    ) -> PaperResult | None:
        """A stored analysis; with model None, the newest of any model for that language."""
        sql = "SELECT analysis, grounding, provenance FROM analyses WHERE id=? AND lang=?"
        args: list[Any] = [paper.id, lang]
        for column, value in (
            ("version", version),
            ("model", model),
            ("prompt_version", prompt_version),
        ):
            if value is not None:
                sql += f" AND {column}=?"
                args.append(value)
        sql += " ORDER BY CAST(substr(version, 2) AS INTEGER) DESC, created_at DESC LIMIT 1"
        row = self.db.execute(sql, args).fetchone()
        if not row:
            return None
        from dailypapers.core.models import Analysis, Grounding, PaperResult, Provenance

        return PaperResult(
            paper=paper,
            analysis=Analysis.model_validate_json(row[0]),
            grounding=Grounding.model_validate_json(row[1]),
            provenance=Provenance.model_validate_json(row[2]),
            resources=self.hub_resources(paper.id),
        )

    def save_hub_resources(self, arxiv_id: str, resources: HubResources) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO hub_resources VALUES (?, ?, ?)",
            (arxiv_id, _now(), resources.model_dump_json()),
        )

    def save_paragraph(self, key: str, paragraph: DayParagraph) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO day_paragraphs VALUES (?, ?, ?)",
            (key, _now(), paragraph.model_dump_json()),
        )

    def paragraph(self, key: str) -> DayParagraph | None:
        row = self.db.execute("SELECT body FROM day_paragraphs WHERE key=?", (key,)).fetchone()
        from dailypapers.core.models import DayParagraph

        return DayParagraph.model_validate_json(row[0]) if row else None

    def hub_resources(self, arxiv_id: str) -> HubResources | None:
        row = self.db.execute("SELECT body FROM hub_resources WHERE id=?", (arxiv_id,)).fetchone()
        from dailypapers.core.models import HubResources

        return HubResources.model_validate_json(row[0]) if row else None

    # runs and calls
    def start_run(self, period: str, kind: str, lang: str, analyser: str, model: str | None) -> int:
        cur = self.db.execute(
            "INSERT INTO runs (started_at, period, kind, lang, analyser, model, status) "
            "VALUES (?, ?, ?, ?, ?, ?, 'running')",
            (_now(), period, kind, lang, analyser, model),
        )
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, stats: dict[str, Any]) -> None:
        self.db.execute(
            "UPDATE runs SET finished_at=?, status=?, stats=? WHERE id=?",
            (_now(), status, json.dumps(stats), run_id),
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
                        _now(),
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
            "SELECT rung, context, token_ratio FROM llm_servers WHERE base_url=? AND model=?",
            (base_url, model),
        ).fetchone()
        from dailypapers.core.models import ServerProfile

        return ServerProfile(row[0] or None, row[1], row[2]) if row else ServerProfile()

    def save_llm_server(self, base_url: str, model: str, profile: ServerProfile) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO llm_servers (base_url, model, rung, context, token_ratio) "
            "VALUES (?, ?, ?, ?, ?)",
            (base_url, model, profile.rung or "", profile.context, profile.token_ratio),
        )
