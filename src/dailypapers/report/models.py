"""The report's models: the day at a glance and the report itself, over the papers' results
(core/models.py) kept packed (results.py). Pure data; no I/O here."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, computed_field

from dailypapers.core.kinds import Lang
from dailypapers.core.models import AnalyserKind, ReportKind, Verdict
from dailypapers.report.files import file_name
from dailypapers.report.results import PaperResults


class Theme(BaseModel):
    name: str  # as the analyses name it; empty for the papers of themes too small to show
    papers: list[str]  # ids, in report order
    other: bool = False


class MustRead(BaseModel):
    id: str
    upvotes: int
    why: str  # the paper's own core contribution, as analysed and checked


class DayParagraph(BaseModel):
    """The LLM's paragraph on the day (analysing/paragraph.py), and its check against the
    analyses."""

    text: str
    verdict: Verdict
    prompt_version: str


class Overview(BaseModel):
    """The day at a glance (see overview.py)."""

    paragraph: DayParagraph | None = None  # with an LLM
    themes: list[Theme] = []
    must_reads: list[MustRead] = []


class Selection(BaseModel):
    """The filter a report was asked for: the papers it shows are not the whole listing."""

    top: int | None = None  # the N most upvoted
    min_upvotes: int | None = None
    listed: int  # papers on the listing before the filter

    @property
    def slug(self) -> str:
        """For the file name, so a filtered report never replaces the full one."""
        parts = [f"min{self.min_upvotes}"] if self.min_upvotes is not None else []
        return "-".join(parts + ([f"top{self.top}"] if self.top is not None else []))


class Report(BaseModel):
    label: str
    kind: ReportKind = "day"
    lang: Lang = "zh"
    generated_at: datetime
    analyser: AnalyserKind
    model: str | None = None
    note: str | None = None
    selection: Selection | None = None
    overview: Overview | None = None  # for a period, not for one paper
    papers: PaperResults = Field(default_factory=PaperResults)  # in report order

    @computed_field  # type: ignore[prop-decorator]
    @property
    def grounding_score(self) -> float | None:
        """Verified among all checked items of the report (copied text is not counted)."""
        verified = checked = 0
        for p in self.papers:  # one at a time: a month's papers are kept packed
            if p.grounding and p.status == "ok":
                ok = p.grounding.count("verified")
                verified, checked = verified + ok, checked + ok + p.grounding.count("unverified")
        return verified / checked if checked else None

    def file_name(self, fmt: str) -> str:
        """One name per period, language, analyser and filter (see `file_name`)."""
        slug = self.selection.slug if self.selection else None
        return file_name(self.label, self.analyser, slug, self.lang, fmt)

    @property
    def source_url(self) -> str:
        if self.kind == "paper":
            return f"https://huggingface.co/papers/{self.label}"
        path = {"day": "date", "week": "week", "month": "month"}[self.kind]
        return f"https://huggingface.co/papers/{path}/{self.label}"
