"""Typed models shared by every stage: the day's listing, the paper document, the analysis
and its grounding (the report's own are in report/models.py). Pure data with pure helpers;
no I/O here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, computed_field

from dailypapers.core.kinds import Policy

Source = Literal["html", "pdf", "abstract"]
AnalyserKind = Literal["llm", "no-llm"]
ReportKind = Literal["day", "week", "month", "paper"]
BlockKind = Literal["paragraph", "table", "figure", "equation", "list", "code", "theorem"]
Role = Literal[
    "abstract",
    "introduction",
    "related",
    "method",
    "experiments",
    "conclusion",
    "appendix",
    "references",
    "other",
]


class Paper(BaseModel):
    """One entry of the Hugging Face daily list."""

    id: str
    title: str
    abstract: str = ""
    authors: list[str] = []
    upvotes: int = 0
    num_comments: int = 0
    listed_at: datetime | None = None
    published_at: datetime | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] = []
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None
    organization: str | None = None
    thumbnail: str | None = None  # HF's picture of the paper's first page

    @property
    def hf_url(self) -> str:
        return f"https://huggingface.co/papers/{self.id}"


class Author(BaseModel):
    name: str
    affiliations: list[str] = []


class Block(BaseModel):
    """A unit of body text. `text` is Markdown; tables carry label and caption apart."""

    kind: BlockKind
    text: str = ""
    label: str | None = None
    caption: str | None = None

    def markdown(self) -> str:
        if self.kind == "table":
            head = f"**{self.caption}**" if self.caption else ""
            return "\n\n".join(p for p in (head, self.text) if p)
        if self.kind == "figure":
            head = f"*{self.caption}*" if self.caption else ""
            return "\n\n".join(p for p in (head, self.text) if p)
        if self.kind == "code":
            head = f"**{self.caption}**\n\n" if self.caption else ""
            return f"{head}```\n{self.text}\n```"
        return self.text

    def plain(self) -> str:
        return "\n".join(p for p in (self.caption, self.text) if p)


class Section(BaseModel):
    number: str | None = None
    title: str
    level: int = 1
    role: Role = "other"
    appendix: bool = False
    blocks: list[Block] = []

    @property
    def heading(self) -> str:
        return f"{self.number} {self.title}" if self.number else self.title


class Document(BaseModel):
    """A paper as read from any source; the three sources fill the same fields."""

    arxiv_id: str | None = None
    version: str | None = None
    source: Source
    url: str | None = None
    title: str = ""
    authors: list[Author] = []
    abstract: str = ""
    sections: list[Section] = []
    footnotes: list[str] = []
    bibliography: list[str] = []
    links: list[str] = []
    license: str | None = None
    categories: list[str] = []
    primary_category: str | None = None
    comment: str | None = None
    conversion_errors: int = 0
    hidden_chars: int = 0  # invisible text (hidden, white, zero-size ...) dropped unread
    pages_unread: int = 0  # a PDF's pages past what any analysis can use, not parsed
    figure: str | None = None  # the first figure's image (arXiv HTML), as an https URL

    def markdown(self, *, bibliography: bool = True) -> str:
        parts = [f"# {self.title}"]
        if self.authors:
            parts.append(", ".join(a.name for a in self.authors))
        if self.abstract:
            parts.append(f"## Abstract\n\n{self.abstract}")
        parts.extend(section_markdown(s) for s in self.sections)
        if self.footnotes:
            parts.append("## Footnotes\n\n" + "\n".join(f"- {f}" for f in self.footnotes))
        if bibliography and self.bibliography:
            parts.append("## References\n\n" + "\n".join(f"- {b}" for b in self.bibliography))
        return "\n\n".join(parts) + "\n"

    def body_text(self) -> str:
        """Title, abstract, sections and footnotes: what a claim may be checked against."""
        parts = [self.title, self.abstract]
        for s in self.sections:
            if s.role == "references":
                continue
            parts.append(s.heading)
            parts.extend(b.plain() for b in s.blocks)
        parts.extend(self.footnotes)
        return "\n".join(p for p in parts if p)

    def bibliography_text(self) -> str:
        return "\n".join(self.bibliography)

    def with_role(self, role: Role) -> list[Section]:
        return [s for s in self.sections if s.role == role]

    @property
    def version_label(self) -> str:
        return (
            f"{self.arxiv_id}{self.version}"
            if self.arxiv_id and self.version
            else (self.arxiv_id or "")
        )


def section_markdown(section: Section) -> str:
    """A section under its heading; text before a paper's first section is marked untitled
    rather than run on from the abstract."""
    body = "\n\n".join(b.markdown() for b in section.blocks if b.markdown())
    heading = section.heading or "(untitled)"
    return f"{'#' * min(section.level + 1, 6)} {heading}" + (f"\n\n{body}" if body else "")


_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def estimate_tokens(text: str) -> int:
    """Offline token estimate: ~4 characters per token for Latin text, ~1.5 per CJK character.

    Close enough to BPE tokenisers for budgeting without downloading their tables."""
    cjk = len(_CJK.findall(text))
    return int((len(text) - cjk) / 4 + cjk / 1.5) + 1


_ROLE_PATTERNS: list[tuple[Role, re.Pattern[str]]] = [
    ("references", re.compile(r"^(references|bibliography|works cited)\b", re.I)),
    (
        "introduction",
        re.compile(
            r"^(introduction|background( (and|&) motivation)?|overview|"
            r"motivation)\b",
            re.I,
        ),
    ),
    ("related", re.compile(r"related work|prior work|literature review|preliminar", re.I)),
    (
        "conclusion",
        re.compile(r"conclu|discussion|limitation|future work|summary|broader impact", re.I),
    ),
    (
        "experiments",
        re.compile(
            r"experiment|evaluation|results|benchmark|ablation|empirical|"
            r"analysis|performance|comparison|case stud",
            re.I,
        ),
    ),
    (
        "method",
        re.compile(
            r"method|approach|model|architecture|framework|algorithm|design|"
            r"formulation|system|training|pipeline|proposed|our ",
            re.I,
        ),
    ),
]


def classify_section(title: str, *, appendix: bool = False, parent: Role | None = None) -> Role:
    """Role of a section from its title; subsections inherit the parent's when unclear."""
    if appendix:
        return "appendix"
    for role, pattern in _ROLE_PATTERNS:
        if pattern.search(title.strip()):
            return role
    return parent or "other"


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")
    section: str = Field(description="Section or table of the paper this comes from")
    quote: str = Field(description="A short verbatim quote from the paper supporting the item")


class UsageGuide(BaseModel):
    model_config = ConfigDict(extra="forbid")
    inputs: str = Field(description="What the method takes in: data, prompts, models")
    outputs: str = Field(description="What it produces")
    workflow: list[str] = Field(description="The steps to use it, in order, from the method")
    hardware: str = Field(description="GPUs/compute as stated, or 'not stated in the paper'")
    code: str = Field(description="Code/data/model availability, or 'not stated in the paper'")
    code_urls: list[str] = Field(description="Links to code, data or models the paper gives")
    evidence: list[Evidence] = Field(description="Quotes backing the usage guide")


class Innovation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="A short name for the innovation")
    explanation: str = Field(description="What is new and why it matters, in one or two sentences")
    evidence: Evidence


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid")
    claim: str = Field(description="One result, with its numbers, as the paper reports it")
    benchmark: str | None = Field(description="The dataset or benchmark, as the paper names it")
    metric: str | None = Field(description="The metric, as the paper names it")
    values: list[str] = Field(description="The number(s) exactly as written in the paper")
    baseline: str | None = Field(description="What it is compared with, if anything")
    evidence: Evidence


class Analysis(BaseModel):
    model_config = ConfigDict(extra="forbid")
    translated_title: str = Field(
        default="", description="The title in the report's language; empty when that is English"
    )
    domains: list[str] = Field(description="Application domains, most specific first")
    contribution: str = Field(description="The core contribution in one sentence")
    contribution_evidence: Evidence
    usage: UsageGuide
    innovations: list[Innovation] = Field(description="The main innovations, most important first")
    results: list[Result] = Field(description="Experimental results with their numbers")


VerdictStatus = Literal["verified", "unverified", "copied", "uncheckable"]


class Verdict(BaseModel):
    """The grounding check of one printed field, addressed like `results[2]`.

    `status`: verified (its numbers, names and quote are in the paper, values stated for its
    benchmark), unverified (the lists say why), copied (the no-LLM analyser's verbatim text),
    uncheckable (prose with no number or name to check). `verified` is "no problem found"."""

    item: str
    verified: bool
    status: VerdictStatus = "verified"
    where: str | None = None
    missing_numbers: list[str] = []
    wrong_unit: list[str] = []  # the magnitude is in the paper, as another kind of number
    wrong_sign: list[str] = []
    unbound: list[str] = []  # in the paper, but not for this benchmark (or metric)
    bound_to: str | None = None
    bibliography_only: list[str] = []
    missing_names: list[str] = []
    derived: list[str] = []  # computed by the analysis from numbers that are in the paper
    quote_found: bool = True

    @property
    def reason(self) -> str:
        """In English, for the correction round and the JSON; the report words it itself."""
        parts = []
        if self.missing_numbers:
            parts.append("numbers not in the paper: " + ", ".join(self.missing_numbers))
        if self.wrong_unit:
            parts.append("in the paper only as another unit: " + ", ".join(self.wrong_unit))
        if self.wrong_sign:
            parts.append("sign or direction differs from the paper: " + ", ".join(self.wrong_sign))
        if self.unbound:
            parts.append(f"in the paper, but not for {self.bound_to}: " + ", ".join(self.unbound))
        if self.bibliography_only:
            parts.append("only in the bibliography: " + ", ".join(self.bibliography_only))
        if self.missing_names:
            parts.append("names not in the paper: " + ", ".join(self.missing_names))
        if not self.quote_found:
            parts.append("quote not found in the paper")
        return "; ".join(parts)


class Grounding(BaseModel):
    verdicts: list[Verdict] = []
    dropped: list[str] = []
    policy: Policy = "mark"
    copied: bool = False  # the analysis is the paper's own text (no LLM)

    @property
    def marks(self) -> bool:
        """Whether unverified items carry a visible ⚠ (all policies but `keep`)."""
        return self.policy != "keep"

    def count(self, status: VerdictStatus) -> int:
        return sum(v.status == status for v in self.verdicts)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def score(self) -> float | None:
        """Verified among the items that could be checked; None when there were none (or the
        text is copied from the paper, which proves nothing about checking)."""
        checked = self.count("verified") + self.count("unverified")
        return self.count("verified") / checked if checked else None

    def verdict(self, item: str) -> Verdict | None:
        return next((v for v in self.verdicts if v.item == item), None)

    def unverified(self, item: str) -> Verdict | None:
        """The verdict of an item to mark as unverified, if it is one."""
        v = self.verdict(item)
        return v if v and not v.verified and self.marks else None


class Provenance(BaseModel):
    source: Source
    version: str | None = None
    chars_read: int = 0
    chars_total: int = 0
    tokens_read: int = 0
    tokens_total: int = 0
    cut_sections: list[str] = []
    analyser: AnalyserKind = "no-llm"
    model: str | None = None
    prompt_version: str | None = None
    rung: str | None = None
    analysed_at: datetime | None = None
    # why each better source was not read (archives before 0.2 call it fallback_reasons)
    fallbacks: list[str] = Field(
        default=[], validation_alias=AliasChoices("fallbacks", "fallback_reasons")
    )
    hidden_chars: int = 0  # invisible text the paper carried, never read
    pages_unread: int = 0  # pages past what any analysis can use
    context_limit: int | None = None  # the server's context, which the paper was packed to
    context_since: str | None = None  # when that context was learnt, if in an earlier run
    server_truncated: tuple[int, int] | None = None  # (tokens the server read, tokens sent)
    figure: str | None = None  # the paper's first figure, where what was read has one


class HubRepo(BaseModel):
    id: str  # owner/name
    likes: int = 0
    downloads: int | None = None


class HubResources(BaseModel):
    """Models, datasets and Spaces on the Hub whose cards cite the paper (the Hub tags them
    `arxiv:<id>`), the most liked first."""

    models: list[HubRepo] = []
    datasets: list[HubRepo] = []
    spaces: list[HubRepo] = []

    def __len__(self) -> int:
        return len(self.models) + len(self.datasets) + len(self.spaces)


class PaperResult(BaseModel):
    paper: Paper
    status: Literal["ok", "failed"] = "ok"
    error: str | None = None
    analysis: Analysis | None = None
    grounding: Grounding | None = None
    provenance: Provenance | None = None
    resources: HubResources | None = None  # None: not asked, or the Hub did not answer


@dataclass
class Call:
    """One request to the server, as recorded in the archive."""

    model: str
    prompt_version: str
    rung: str
    input_tokens: int = 0
    output_tokens: int = 0
    latency: float = 0.0
    finish_reason: str | None = None
    error: str | None = None
    sent_tokens: int = 0  # our estimate of the prompt, against which the server's count is read


@dataclass
class ServerProfile:
    """What we learnt of a (server, model): the rung it accepts, the context it stated, and
    how many of its tokens one token of our estimate makes."""

    rung: str | None = None
    context: int | None = None
    token_ratio: float = 1.0
    learnt_at: str | None = None  # when the context was learnt (UTC, ISO 8601)
