"""The archive's read side: what `show`, `history` and the web server use. It opens the
database read-only and never migrates it (an archive written by an earlier release is read
as it is: what it lacks reads as absent), and it is safe to share across threads: each
thread gets its own connection. No network, no LLM, none of their imports."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from dailypapers.archive.queries import Connection, Queries, storage_error, unpack

if TYPE_CHECKING:  # `history` never builds the models
    from dailypapers.core.kinds import Lang
    from dailypapers.core.models import HubResources, Paper, PaperResult, Provenance, ReportKind
    from dailypapers.report.models import DayParagraph, Report


@dataclass(frozen=True)
class ArchivedPeriod:
    """An archived period, as `history` lists it."""

    label: str
    kind: str
    papers: int
    analysed: int
    listed_at: str


class Archive(Queries):
    """Read-only; one connection per thread, opened when the thread first asks."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self.tables: set[str] = set()

    @property
    def exists(self) -> bool:
        return self.path.exists()

    @property
    def db(self) -> sqlite3.Connection:  # type: ignore[override]
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._open()
            self._local.db = db
        return db

    def _open(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(  # used by its thread only; closed by whichever closes
                f"{self.path.resolve().as_uri()}?mode=ro",
                uri=True,
                factory=Connection,
                check_same_thread=False,
            )
        except sqlite3.Error as e:
            raise storage_error(e, self.path) or e from None
        assert isinstance(db, Connection)
        db.path = self.path
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA busy_timeout=10000")  # a run may be writing
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        self.tables = tables
        with self._lock:
            self._all.append(db)
        return db

    def close(self) -> None:
        with self._lock:
            for db in self._all:
                db.close()
            self._all.clear()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def has(self, table: str) -> bool:
        self.db  # noqa: B018  (opening reads the tables)
        return table in self.tables

    def hub_resources(self, arxiv_id: str) -> HubResources | None:
        return super().hub_resources(arxiv_id) if self.has("hub_resources") else None

    def paragraph(self, key: str) -> DayParagraph | None:
        return super().paragraph(key) if self.has("day_paragraphs") else None

    def periods(self) -> Iterator[ArchivedPeriod]:
        """Every archived period, newest first, with how many of its papers are analysed."""
        if not self.exists:
            return
        for r in self.listings():
            yield ArchivedPeriod(r["period"], r["kind"], r["n"], r["analysed"], r["fetched_at"])

    def report(self, label: str, kind: ReportKind, lang: Lang) -> Report | None:
        """A period's report rebuilt from the archive alone."""
        from dailypapers.core.models import PaperResult
        from dailypapers.report.models import Report
        from dailypapers.report.overview import day_overview, material_key
        from dailypapers.report.results import PaperResults

        papers = self.listing(label, kind) if self.exists else None
        if papers is None:
            return None
        provenances: list[Provenance] = []

        def stored(paper: Paper) -> PaperResult:
            found = self.analysis(paper, None, None, None, lang)
            if found is None:
                error = f"not analysed yet: run `dailypapers report {label}`"
                return PaperResult(paper=paper, status="failed", error=error)
            if found.provenance:
                provenances.append(found.provenance)
            return found

        results = PaperResults(map(stored, papers))  # packed one by one, as a run keeps them
        kinds = {p.analyser for p in provenances}
        models = {p.model for p in provenances if p.model}
        return Report(
            label=label,
            kind=kind,
            lang=lang,
            generated_at=datetime.now(UTC),
            analyser="llm" if "llm" in kinds else "no-llm",
            model=", ".join(sorted(models)) or None,
            overview=day_overview(results, self.paragraph(material_key(results, lang))),
            papers=results,
        )

    def paper_report(self, arxiv_id: str, lang: Lang) -> Report | None:
        """One archived paper's analysis as a report."""
        from dailypapers.core.models import Document, Paper
        from dailypapers.report.models import Report
        from dailypapers.report.results import PaperResults

        if not self.exists:
            return None
        row = self._newest("body", arxiv_id)
        title = Document.model_validate_json(unpack(row[0])).title if row else arxiv_id
        hit = self.analysis(Paper(id=arxiv_id, title=title or arxiv_id), None, None, None, lang)
        if hit is None or hit.provenance is None:
            return None
        return Report(
            label=arxiv_id,
            kind="paper",
            lang=lang,
            generated_at=datetime.now(UTC),
            analyser=hit.provenance.analyser,
            model=hit.provenance.model,
            papers=PaperResults([hit]),
        )
