"""The archive's schema, as named migrations applied in order and recorded in `_migrations`
once applied: an archive written by any earlier release is brought up to date when a run
opens it for writing (`Store`); the read side (`Archive`) never changes it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable


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


def m005_deliveries(db: sqlite3.Connection) -> None:
    """Every message sent to a channel, part by part (held for approval, being sent, sent,
    failed), and which papers each channel has been sent, so none is sent twice."""
    _script(
        db,
        """
        CREATE TABLE deliveries (
            channel TEXT NOT NULL, period TEXT NOT NULL, kind TEXT NOT NULL, lang TEXT NOT NULL,
            part INTEGER NOT NULL, parts INTEGER NOT NULL, status TEXT NOT NULL,
            text TEXT NOT NULL, body TEXT NOT NULL, papers TEXT NOT NULL, error TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (channel, period, kind, lang, part));
        CREATE TABLE delivered_papers (
            channel TEXT NOT NULL, paper_id TEXT NOT NULL, period TEXT NOT NULL,
            sent_at TEXT NOT NULL, PRIMARY KEY (channel, paper_id))
    """,
    )


def m006_server_limits_dated(db: sqlite3.Connection) -> None:
    """When a server's context was learnt: a remembered limit is tried past once a run."""
    _script(db, "ALTER TABLE llm_servers ADD COLUMN learnt_at TEXT")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    m001_initial,
    m002_server_context_and_transient_reads,
    m003_hub_resources,
    m004_day_paragraphs,
    m005_deliveries,
    m006_server_limits_dated,
]
