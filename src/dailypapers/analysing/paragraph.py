"""The day in one paragraph, written by the LLM from the day's checked analyses alone (never
from the papers), and checked against those analyses the way an analysis is checked against
its paper: every number and name in the paragraph must stand in them.

A paragraph is kept in the archive under the analyses it was written from, so a re-run of a
finished day, or `show`, finds it without a call."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from dailypapers.analysing.llm import LLM
from dailypapers.analysing.prompting import fence_safe, load_prompt
from dailypapers.checking.grounding import Item, PaperIndex, check_item
from dailypapers.core.models import Block, Call, Document, PaperResult, Section, Verdict
from dailypapers.report.models import DayParagraph
from dailypapers.report.overview import most_upvoted

MAX_RESULTS = 3  # per paper, in what the LLM is given
MAX_PAPERS = 60  # the most upvoted: a month's 1,500 analyses would not fit a context


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    paragraph: str = Field(description="3-5 sentences on the day, from the analyses only")


def material(results: Iterable[PaperResult]) -> list[dict[str, object]]:
    """What the paragraph is written from: the most upvoted papers' analyses, in brief."""
    chosen = most_upvoted(results, MAX_PAPERS)
    return [
        {
            "id": r.paper.id,
            "title": r.paper.title,
            "domains": r.analysis.domains,
            "contribution": r.analysis.contribution,
            "results": [x.claim for x in r.analysis.results[:MAX_RESULTS]],
        }
        for r in chosen
        if r.analysis
    ]


def material_document(given: list[dict[str, object]]) -> Document:
    """The analyses given to the LLM as a document, for checking the paragraph against them."""
    sections = [
        Section(
            title=str(m["title"]),
            level=1,
            blocks=[Block(kind="paragraph", text=json.dumps(m, ensure_ascii=False))],
        )
        for m in given
    ]
    return Document(source="html", title="analyses", sections=sections)


def check(text: str, given: list[dict[str, object]]) -> Verdict:
    return check_item(Item("overview.paragraph", [text]), PaperIndex(material_document(given)))


async def write_paragraph(
    llm: LLM, results: Iterable[PaperResult], lang: str
) -> tuple[DayParagraph, list[Call]]:
    """Ask for the paragraph (one repair round, as for an analysis) and check it."""
    boundary = secrets.token_hex(6)
    template, version = load_prompt(lang, "paragraph")
    given = material(results)
    fenced = fence_safe(json.dumps(given, ensure_ascii=False, indent=1))
    user = (
        f"<<<DAY {boundary}>>>\n{fenced}\n<<<END DAY {boundary}>>>\n\n"
        "Write the paragraph on this day as the JSON object described above."
    )
    outcome = await llm.structured(template.replace("{boundary}", boundary), user, Answer, version)
    text = outcome.value.paragraph.strip()
    written = DayParagraph(text=text, verdict=check(text, given), prompt_version=version)
    return written, outcome.calls
