"""The day at a glance, built from the analyses alone: the papers grouped by theme, and the
must-reads. Pure; the same for a fresh run and a report rebuilt from the archive.

A theme is the head of a paper's first application domain ("NLP-扩散大语言模型 (Diffusion
LLMs)" → "NLP", "计算机视觉 (cs.CV)" → "计算机视觉"), so papers the analyser named alike fall
together; themes of a single paper are gathered under "other" when the day has many."""

from __future__ import annotations

import hashlib
import heapq
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator

from dailypapers.core.models import PaperResult
from dailypapers.report.models import DayParagraph, MustRead, Overview, Theme

MAX_THEMES = 8
MUST_READS = 5
_HEAD = re.compile(r"\s*[-—–/:：、,，;；|]\s*|\s*[(（\[]")


def day_overview(results: Iterable[PaperResult], paragraph: DayParagraph | None = None) -> Overview:
    """In one pass over the results: a month's are decoded one at a time (see results.py)."""
    named: list[tuple[str, str | None]] = []
    top: list[PaperResult] = []
    for r in results:
        named.append((r.paper.id, theme_of(r)))
        top = most_upvoted([*top, r], MUST_READS)
    return Overview(paragraph=paragraph, themes=themes(named), must_reads=must_reads(top))


def analysed(results: Iterable[PaperResult]) -> Iterator[PaperResult]:
    return (r for r in results if r.status == "ok" and r.analysis)


def most_upvoted(results: Iterable[PaperResult], n: int) -> list[PaperResult]:
    """The n most upvoted analysed papers, the first listed first among equals; only n are
    held at a time (a month's results are decoded one by one, see results.py)."""
    return heapq.nlargest(n, analysed(results), key=lambda r: r.paper.upvotes)


def material_key(results: Iterable[PaperResult], lang: str) -> str:
    """What a paragraph on the day is written from: the analyses, by content. The archive
    keeps the paragraph under it, so a re-run or `show` finds it without asking again."""
    digest = hashlib.sha256(lang.encode())
    for r in analysed(results):
        digest.update(r.paper.id.encode())
        digest.update(r.analysis.model_dump_json().encode() if r.analysis else b"")
    return digest.hexdigest()


def theme_of(result: PaperResult) -> str | None:
    """The head of the first application domain; None for a paper without one."""
    if result.analysis is None or not result.analysis.domains:
        return None
    head = _HEAD.split(result.analysis.domains[0].strip(), maxsplit=1)[0].strip()
    return head if head and any(c.isalnum() for c in head) else None


def themes(named: Iterable[tuple[str, str | None]]) -> list[Theme]:
    """Themes of (paper id, theme) by number of papers (then first appearance), each paper
    under exactly one: papers with no domain (failed ones too), and singletons once there are
    more themes than fit a glance, go to `other`."""
    groups: dict[str, list[str]] = defaultdict(list)
    names: dict[str, str] = {}
    unnamed: list[str] = []
    for pid, name in named:
        if name is None:
            unnamed.append(pid)
            continue
        key = name.casefold()
        names.setdefault(key, name)
        groups[key].append(pid)
    ranked = sorted(groups, key=lambda k: -len(groups[k]))  # stable: first seen first
    kept = [k for k in ranked if len(groups[k]) > 1 or len(ranked) <= MAX_THEMES]
    kept = kept[:MAX_THEMES]
    out = [Theme(name=names[k], papers=groups[k]) for k in kept]
    rest = [pid for k in ranked if k not in kept for pid in groups[k]] + unnamed
    if rest:
        out.append(Theme(name="", papers=rest, other=True))
    return out


def must_reads(results: Iterable[PaperResult]) -> list[MustRead]:
    """The most upvoted analysed papers, each with what it contributes (its own grounded
    sentence) as the reason to read it."""
    ranked = most_upvoted(results, MUST_READS)
    return [
        MustRead(id=r.paper.id, upvotes=r.paper.upvotes, why=r.analysis.contribution)
        for r in ranked
        if r.analysis
    ]
