"""The archive's read side: what `show`, `history` and the web server use. It opens the
database read-only and never migrates it (an archive written by an earlier release is read
as it is: what it lacks reads as absent), and it is safe to share across threads: each
thread gets its own connection. No network, no LLM, none of their imports."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from dailypapers.archive.queries import Connection, Queries, storage_error, unpack
from dailypapers.core.periods import first_day

if TYPE_CHECKING:  # `history` never builds the models
    from dailypapers.core.kinds import Lang
    from dailypapers.core.models import (
        AnalyserKind,
        HubResources,
        Paper,
        PaperResult,
        Provenance,
        ReportKind,
    )
    from dailypapers.report.models import DayParagraph, Report


@dataclass(frozen=True)
class ArchivedPeriod:
    """An archived period in one language by one analyser, as `history` lists it (lang and
    analyser are None for a period listed but not analysed yet)."""

    label: str
    kind: str
    listed_at: str
    papers: int
    lang: str | None
    analyser: str | None
    analysed: int
    failed: int


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
            self._local = threading.local()  # used again, each thread opens anew

    def has(self, table: str) -> bool:
        self.db  # noqa: B018  (opening reads the tables)
        return table in self.tables

    def hub_resources(self, arxiv_id: str) -> HubResources | None:
        return super().hub_resources(arxiv_id) if self.has("hub_resources") else None

    def paragraph(self, key: str) -> DayParagraph | None:
        return super().paragraph(key) if self.has("day_paragraphs") else None

    def periods(self) -> list[ArchivedPeriod]:
        """Every archived period, newest first (days, weeks and months by their first day),
        once per language and analyser that analysed its papers."""
        if not self.exists:
            return []
        found = []
        for r in self.listings():
            lang: str | None = r["lang"]
            analyser: str | None = r["analyser"] if lang else None
            failed = (
                len(self.last_failures(r["period"], r["kind"], lang, analyser))
                if lang and analyser
                else 0
            )
            period = r["period"], r["kind"], r["fetched_at"], r["n"]
            found.append(
                ArchivedPeriod(*period, lang, analyser, r["analysed"] if lang else 0, failed)
            )
        order = {"day": 0, "week": 1, "month": 2}
        return sorted(
            found,
            key=lambda p: (first_day(p.label, p.kind), -order.get(p.kind, 0), p.lang or ""),
            reverse=True,
        )

    def which(self, ids: list[str], lang: Lang, analyser: AnalyserKind | None) -> AnalyserKind:
        """The analyser asked for, else the LLM's analyses when there are any, else the
        extractor's."""
        if analyser is not None or not self.exists:
            return analyser or "llm"
        return "llm" if self.analysed(ids, lang, "llm") or not ids else "no-llm"

    def report(
        self, label: str, kind: ReportKind, lang: Lang, analyser: AnalyserKind | None = None
    ) -> Report | None:
        """A period's report rebuilt from the archive alone (None: never listed), from the
        analyses of `analyser` (see `which`). A paper its last run failed on shows with the
        reason; papers never analysed (a `--top` run) are left out, and the report's note
        says how many and the command that analyses them."""
        from dailypapers.core.models import PaperResult
        from dailypapers.report.models import Report
        from dailypapers.report.overview import day_overview, material_key
        from dailypapers.report.results import PaperResults

        papers = self.listing(label, kind) if self.exists else None
        if papers is None:
            return None
        chosen = self.which([p.id for p in papers], lang, analyser)
        provenances: list[Provenance] = []
        failures = self.last_failures(label, kind, lang, chosen)
        unread: list[str] = []

        def stored(paper: Paper) -> PaperResult | None:
            found = self.analysis(paper, None, None, None, lang, chosen)
            if found is None:
                if paper.id in failures:
                    return PaperResult(paper=paper, status="failed", error=failures[paper.id])
                unread.append(paper.id)
                return None
            if found.provenance:
                provenances.append(found.provenance)
            return found

        kept = (r for r in map(stored, papers) if r is not None)
        results = PaperResults(kept)  # packed one by one, as a run keeps them
        note = None
        if unread:
            from dailypapers.report.labels import LABELS

            command = report_command(label, kind, lang, chosen)
            note = LABELS[lang]["unread"].format(
                n=len(unread), total=len(papers), label=label, command=command
            )
        models = {p.model for p in provenances if p.model}
        return Report(
            label=label,
            kind=kind,
            lang=lang,
            generated_at=datetime.now(UTC),
            analyser=chosen,
            model=", ".join(sorted(models)) or None,
            note=note,
            overview=day_overview(results, self.paragraph(material_key(results, lang))),
            papers=results,
        )

    def paper_report(
        self, arxiv_id: str, lang: Lang, analyser: AnalyserKind | None = None
    ) -> Report | None:
        """One archived paper's analysis as a report (see `which`)."""
        from dailypapers.core.models import Document, Paper
        from dailypapers.report.models import Report
        from dailypapers.report.results import PaperResults

        if not self.exists:
            return None
        row = self._newest("body", arxiv_id)
        title = Document.model_validate_json(unpack(row[0])).title if row else arxiv_id
        chosen = self.which([arxiv_id], lang, analyser)
        paper = Paper(id=arxiv_id, title=title or arxiv_id)
        hit = self.analysis(paper, None, None, None, lang, chosen)
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


def report_command(label: str, kind: str, lang: str, analyser: str) -> str:
    """The command that makes this period's analyses in this language by this analyser."""
    period = label if kind == "day" else f"--{kind} {label}"
    return f"dailypapers report {period} --lang {lang}" + (
        " --no-llm" if analyser == "no-llm" else ""
    )
