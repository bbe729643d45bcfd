"""Reports rebuilt from the archive alone: no network, no LLM, none of their imports."""

from __future__ import annotations

from datetime import UTC, datetime

from .models import Lang, Paper, PaperResult, Report, ReportKind
from .overview import day_overview, material_key
from .results import PaperResults
from .store import Store


def from_archive(store: Store, label: str, kind: ReportKind, lang: Lang) -> Report | None:
    """A report rebuilt from the archive alone: no network, no LLM."""
    papers = store.listing(label, kind)
    if papers is None:
        return None
    results = PaperResults(  # packed one by one: a month does not sit in memory as objects
        store.analysis(p, None, None, None, lang)
        or PaperResult(
            paper=p, status="failed", error=f"not analysed yet: run `dailypapers report {label}`"
        )
        for p in papers
    )
    provenances = [r.provenance for r in results if r.provenance]
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
