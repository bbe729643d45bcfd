"""Reports rebuilt from the archive alone: no network, no LLM, none of their imports."""

from __future__ import annotations

from datetime import UTC, datetime

from dailypapers.archive.store import Store
from dailypapers.core.models import Lang, Paper, PaperResult, Provenance, Report, ReportKind
from dailypapers.report.overview import day_overview, material_key
from dailypapers.report.results import PaperResults


def from_archive(store: Store, label: str, kind: ReportKind, lang: Lang) -> Report | None:
    """A report rebuilt from the archive alone: no network, no LLM."""
    papers = store.listing(label, kind)
    if papers is None:
        return None
    provenances: list[Provenance] = []

    def stored(paper: Paper) -> PaperResult:
        found = store.analysis(paper, None, None, None, lang)
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
        overview=day_overview(results, store.paragraph(material_key(results, lang))),
        papers=results,
    )


def paper_from_archive(store: Store, arxiv_id: str, lang: Lang) -> Report | None:
    """One archived paper's analysis as a report, without network."""
    found = store.document(arxiv_id)
    paper = Paper(id=arxiv_id, title=found.doc.title if found else arxiv_id)
    hit = store.analysis(paper, None, None, None, lang)
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
