"""What both sides of the archive ask it: the listings, the stored analyses, the paragraph on
a day, the Hub line. The run's `Store` writes and migrates; the read side's `Archive` only
reads. Every SQLite failure leaves as one of our StorageErrors, with the file's path."""

from __future__ import annotations

import errno
import json
import sqlite3
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from dailypapers.core.errors import ArchiveUnusable, DiskFull, NotWritable, StorageError

if TYPE_CHECKING:  # imported where rows become models: `history` never builds the models
    from dailypapers.core.models import HubResources, Paper, PaperResult
    from dailypapers.report.models import DayParagraph


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def unpack(blob: bytes) -> str:
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


class Connection(sqlite3.Connection):
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


ANALYSER = "CASE WHEN a.model = 'no-llm' THEN 'no-llm' ELSE 'llm' END"  # an analyses row `a`


class Queries:
    """The reads both sides share, over `db`: the one connection of a `Store`, or the
    calling thread's own connection of an `Archive`."""

    db: sqlite3.Connection

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def listing(self, period: str, kind: str) -> list[Paper] | None:
        row = self.db.execute(
            "SELECT papers FROM listings WHERE period=? AND kind=?", (period, kind)
        ).fetchone()
        from dailypapers.core.models import Paper

        return [Paper.model_validate(p) for p in json.loads(row[0])] if row else None

    def listings(self) -> list[sqlite3.Row]:
        """Every archived period with its paper count, and for each language and analyser
        that wrote any of its papers' analyses, how many it wrote (a period nobody analysed
        yet has one row, with lang and analyser NULL). Each listing's JSON is read once."""
        rows: list[sqlite3.Row] = self.db.execute(
            "SELECT l.period, l.kind, l.fetched_at, l.n, d.lang, d.analyser, d.analysed FROM "
            "(SELECT period, kind, fetched_at, json_array_length(papers) AS n FROM listings) AS l "
            f"LEFT JOIN (SELECT l2.period, l2.kind, a.lang, {ANALYSER} AS analyser, "
            "count(DISTINCT a.id) AS analysed FROM listings AS l2, json_each(l2.papers) AS p "
            "JOIN analyses AS a ON a.id = json_extract(p.value, '$.id') "
            "GROUP BY l2.period, l2.kind, a.lang, analyser) AS d "
            "ON d.period = l.period AND d.kind = l.kind"
        ).fetchall()
        return rows

    def _newest(self, columns: str, arxiv_id: str) -> sqlite3.Row | None:
        """The newest stored document row of a paper (highest version, then latest parse)."""
        row: sqlite3.Row | None = self.db.execute(
            f"SELECT {columns} FROM documents WHERE id=? ORDER BY "
            "CAST(substr(version, 2) AS INTEGER) DESC, parsed_at DESC LIMIT 1",
            (arxiv_id,),
        ).fetchone()
        return row

    def analysis(
        self,
        paper: Paper,
        version: str | None,
        model: str | None,
        prompt_version: str | None,
        lang: str,
        analyser: str | None = None,
    ) -> PaperResult | None:
        """A stored analysis; with model None, the newest of any model for that language
        (of that `analyser`, llm or no-llm, when given)."""
        sql = "SELECT analysis, grounding, provenance FROM analyses AS a WHERE id=? AND lang=?"
        args: list[Any] = [paper.id, lang]
        if analyser is not None:
            sql += f" AND {ANALYSER}=?"
            args.append(analyser)
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

    def analysed(self, ids: list[str], lang: str, analyser: str) -> int:
        """How many of these papers have an analysis in this language by this analyser."""
        found = 0
        for start in range(0, len(ids), 500):  # SQLite's limit on parameters
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found += self.db.execute(
                f"SELECT count(DISTINCT id) FROM analyses AS a WHERE id IN ({marks}) AND lang=? "
                f"AND {ANALYSER}=?",
                [*chunk, lang, analyser],
            ).fetchone()[0]
        return found

    def last_failures(self, period: str, kind: str, lang: str, analyser: str) -> dict[str, str]:
        """The papers the last run of this period, language and analyser failed on, with
        their reasons."""
        rows = self.db.execute(
            "SELECT paper_id, error FROM run_papers WHERE status='failed' AND run_id=(SELECT "
            "max(id) FROM runs WHERE period=? AND kind=? AND lang=? AND analyser=?)",
            (period, kind, lang, analyser),
        ).fetchall()
        return {r[0]: r[1] or "" for r in rows}

    def paragraph(self, key: str) -> DayParagraph | None:
        row = self.db.execute("SELECT body FROM day_paragraphs WHERE key=?", (key,)).fetchone()
        from dailypapers.report.models import DayParagraph

        return DayParagraph.model_validate_json(row[0]) if row else None

    def hub_resources(self, arxiv_id: str) -> HubResources | None:
        row = self.db.execute("SELECT body FROM hub_resources WHERE id=?", (arxiv_id,)).fetchone()
        from dailypapers.core.models import HubResources

        return HubResources.model_validate_json(row[0]) if row else None
