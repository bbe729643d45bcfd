"""The LLM analysis of one paper: pack the paper into the context budget, fence it as
untrusted data, and ask for the five-section analysis."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources

from dailypapers.analysing.answers import strict_schema
from dailypapers.analysing.llm import LLM, Outcome
from dailypapers.core.errors import ContextTooLong, LLMError
from dailypapers.core.models import (
    AnalyserKind,
    Analysis,
    Call,
    Document,
    Paper,
    Provenance,
    Role,
    Section,
    estimate_tokens,
    section_markdown,
)
from dailypapers.reading.invisible import strip_format_chars

# What goes in first when a paper is longer than the budget; references never go in.
PRIORITY: dict[Role, int] = {
    "abstract": 0,
    "introduction": 1,
    "method": 2,
    "experiments": 3,
    "conclusion": 4,
    "other": 5,
    "related": 6,
    "appendix": 7,
}
PROMPT_OVERHEAD = 400  # the user message's own framing, in tokens
MIN_PAPER_TOKENS = 1000  # less than this of a paper is not worth analysing
_CATEGORY = re.compile(r"[a-z-]+(\.[A-Za-z-]+)?")


@dataclass
class Packed:
    text: str
    cut: list[str]
    chars_read: int
    chars_total: int
    tokens_read: int
    tokens_total: int


@cache
def load_prompt(lang: str, name: str = "analysis") -> tuple[str, str]:
    """(system prompt, its version) from the versioned prompt file `{name}.{lang}.md`."""
    text = (
        resources.files("dailypapers.analysing.prompts")
        .joinpath(f"{name}.{lang}.md")
        .read_text(encoding="utf-8")
    )
    m = re.match(r"<!-- prompt-version: (\S+) -->\n", text)
    if not m:
        raise ValueError(f"prompt file {name}.{lang}.md has no version line")
    return text[m.end() :], m.group(1)


def pack(doc: Document, budget: int) -> Packed:
    """The paper as Markdown within `budget` tokens, sections in priority order.

    A paper that fits goes in whole; otherwise whole sections are taken by priority while
    they fit, the most important one that did not fit is cut at a paragraph boundary to
    fill what is left, and the rest are listed as cut. The output keeps the paper's order."""
    head = f"# {doc.title}\n\n## Abstract\n\n{doc.abstract}".strip()
    body = [s for s in doc.sections if s.role not in ("references", "abstract") and s.blocks]
    pieces = [(s, section_markdown(s)) for s in body]
    notes = "## Footnotes\n\n" + "\n".join(doc.footnotes) if doc.footnotes else ""
    whole = "\n\n".join([head, *(md for _, md in pieces), notes]).strip()
    total_tokens = estimate_tokens(whole)
    if total_tokens <= budget:
        return Packed(whole, [], len(whole), len(whole), total_tokens, total_tokens)
    left = budget - estimate_tokens(head)
    chosen: dict[int, str] = {}
    skipped: list[int] = []
    for i in sorted(range(len(pieces)), key=lambda i: PRIORITY[pieces[i][0].role]):
        need = estimate_tokens(pieces[i][1])
        if need <= left:
            chosen[i], left = pieces[i][1], left - need
        else:
            skipped.append(i)
    cut = []
    for i in skipped:  # the most important section left out is cut to fill what remains
        section = pieces[i][0]
        if left > 200 and PRIORITY[section.role] <= PRIORITY["conclusion"]:
            chosen[i] = _truncate(section, left - 20)
            left = 0
            cut.append(f"{section.heading or 'untitled'} (truncated)")
        else:
            cut.append(section.heading or "untitled")
    if notes:
        cut.append("Footnotes")
    text = "\n\n".join([head, *(chosen[i] for i in sorted(chosen))])
    return Packed(text, cut, len(text), len(whole), estimate_tokens(text), total_tokens)


def _truncate(section: Section, budget: int) -> str:
    kept = section.model_copy(update={"blocks": []})
    for block in section.blocks:
        if estimate_tokens(section_markdown(kept)) + estimate_tokens(block.markdown()) > budget:
            break
        kept.blocks.append(block)
    return section_markdown(kept) + "\n\n[… section cut to fit the context budget …]"


def user_message(doc: Document, paper: Paper, packed: Packed, boundary: str) -> str:
    """Only what we checked ourselves outside the fence; everything the authors wrote (the
    comment, repository and project links, the paper) inside it, where it is data."""
    trusted = {
        "arxiv_id": doc.version_label or paper.id,
        "source_read": doc.source,
        "categories": [c for c in doc.categories if _CATEGORY.fullmatch(c)],
    }
    supplied = {
        "github_repo": paper.github_repo,
        "project_page": paper.project_page,
        "arxiv_comment": doc.comment,
    }
    note = (
        "" if not packed.cut else f"\nSections left out to fit the budget: {', '.join(packed.cut)}."
    )
    fenced = fence_safe(
        "Links and comment given by the authors: "
        + json.dumps({k: v for k, v in supplied.items() if v}, ensure_ascii=False)
        + "\n\n"
        + packed.text
    )
    return (
        f"Metadata (checked by the tool):\n{json.dumps(trusted, ensure_ascii=False)}{note}\n\n"
        f"<<<PAPER {boundary}>>>\n{fenced}\n<<<END PAPER {boundary}>>>\n\n"
        "Write the analysis of this paper as the JSON object described above."
    )


def fence_safe(text: str) -> str:
    """Paper text that cannot forge a marker, with no invisible format characters (Unicode
    tags can spell out instructions no reader sees)."""
    return strip_format_chars(text).replace("<<<", "‹‹‹").replace(">>>", "›››")


def system_prompt(lang: str, boundary: str) -> tuple[str, str]:
    template, version = load_prompt(lang)
    return template.replace("{boundary}", boundary), version


async def analyse_with_llm(
    llm: LLM, doc: Document, paper: Paper, lang: str, max_input_tokens: int
) -> tuple[Analysis, Provenance, list[Call]]:
    boundary = secrets.token_hex(6)
    system, version = system_prompt(lang, boundary)
    overhead = estimate_tokens(system) + estimate_tokens(json.dumps(strict_schema(Analysis)))
    outcome, packed = await ask_within_context(
        llm,
        doc,
        (system, version),
        lambda packed: user_message(doc, paper, packed, boundary),
        max_input_tokens,
        overhead,
    )
    prov = provenance(doc, packed, "llm", llm.model, version, outcome.rung)
    if llm.context_limit and llm.input_budget(max_input_tokens) < max_input_tokens:
        prov.context_limit = llm.context_limit
        prov.context_since = llm.learnt_at
    prov.server_truncated = outcome.truncated
    return outcome.value, prov, outcome.calls


async def ask_within_context(
    llm: LLM,
    doc: Document,
    prompt: tuple[str, str],
    make_request: Callable[[Packed], str],
    max_input_tokens: int,
    overhead: int,
) -> tuple[Outcome, Packed]:
    """The answer for the paper packed into what the server's context leaves; a context
    error re-packs it to the limit the server stated and tries once more. A limit learnt in
    an earlier run is tried past once a session, with the configured budget: a server that
    was enlarged takes it, and the limit is forgotten; one that was not says so again."""
    system, version = prompt
    calls: list[Call] = []
    for attempt in (1, 2):
        fits = llm.input_budget(max_input_tokens) - overhead - PROMPT_OVERHEAD
        retest = attempt == 1 and llm.claim_retest()  # past a limit of an earlier run, once
        room = max_input_tokens - overhead - PROMPT_OVERHEAD if retest else fits
        if room < MIN_PAPER_TOKENS:
            raise LLMError(
                f"the LLM server's context ({llm.context_limit or 0:,} tokens) leaves no room "
                f"for the paper beside an answer of {llm.settings.max_output_tokens:,} tokens: "
                "raise the server's context or lower DAILYPAPERS_MAX_OUTPUT_TOKENS",
            )
        packed = pack(doc, room)
        try:
            outcome = await llm.structured(system, make_request(packed), Analysis, version)
        except LLMError as e:
            e.calls = calls + e.calls
            if not isinstance(e, ContextTooLong) or attempt == 2:
                raise
            calls = e.calls
            continue
        outcome.calls = calls + outcome.calls
        if retest and packed.tokens_read > fits:
            llm.outgrown(outcome)  # more than the remembered limit let through went through
        elif retest:
            llm.retest_due = True  # this paper fit anyway: a longer one will tell
        return outcome, packed
    raise AssertionError("unreachable")


def provenance(
    doc: Document,
    packed: Packed,
    analyser: AnalyserKind,
    model: str | None,
    prompt_version: str | None,
    rung: str | None,
) -> Provenance:
    return Provenance(
        source=doc.source,
        version=doc.version,
        chars_read=packed.chars_read,
        chars_total=packed.chars_total,
        tokens_read=packed.tokens_read,
        tokens_total=packed.tokens_total,
        cut_sections=packed.cut,
        analyser=analyser,
        model=model,
        prompt_version=prompt_version,
        rung=rung,
        analysed_at=datetime.now(UTC),
        hidden_chars=doc.hidden_chars,
        pages_unread=doc.pages_unread,
        figure=doc.figure,
    )


async def correct_with_llm(
    llm: LLM,
    doc: Document,
    paper: Paper,
    analysis: Analysis,
    problems: list[str],
    lang: str,
    max_input_tokens: int,
) -> tuple[Analysis, list[Call]]:
    """Send the unverified items back once, asking for a correction from the paper."""
    boundary = secrets.token_hex(6)
    system, version = system_prompt(lang, boundary)
    overhead = estimate_tokens(system) + 2 * estimate_tokens(analysis.model_dump_json())

    def request(packed: Packed) -> str:
        return (
            user_message(doc, paper, packed, boundary)
            + "\n\nYour previous analysis was:\n"
            + analysis.model_dump_json()
            + "\n\nThese items could not be verified against the paper:\n- "
            + "\n- ".join(problems)
            + "\n\nCorrect them using only numbers, names and quotes that appear in the "
            "paper, or remove an item the paper does not support. Return the complete "
            "corrected analysis as the JSON object described above."
        )

    outcome, _ = await ask_within_context(
        llm, doc, (system, version), request, max_input_tokens, overhead
    )
    return outcome.value, outcome.calls
