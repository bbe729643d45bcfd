"""Check an analysis against the paper it claims to summarise, claim by claim. Pure functions.

Every printed field is checked: its numbers must be in the paper with the same kind (a
percentage is not a count of GPUs) and sign ("drops by 3.2" is −3.2); its specific names
(H100, GPT-4o, ImageNet, a GitHub URL) must be in the paper; its evidence quote must be in the
paper. A result that names a benchmark (or, failing that, a metric) must find each value where
the paper states it *for that benchmark*: the same sentence or the one before, the same table
row, the column under a header naming it, or a caption naming it. A number found only in the
bibliography is no support; a number the item says it derived (a difference, a ratio) is
accepted when its inputs are found. Each item ends verified, unverified (with the reasons),
copied (the no-LLM analyser's verbatim text) or not checkable (prose with nothing to check)."""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import permutations

from dailypapers.checking.quantities import (
    MULTIPLIER_CONTEXT,
    Number,
    compatible,
    numbers,
    sign_agrees,
)
from dailypapers.core.models import Analysis, Document, Grounding, Verdict

__all__ = ["PaperIndex", "ground", "items_of", "numbers", "squash"]

_NOT_STATED = re.compile(r"not stated|论文未说明|未说明|未提及|not mentioned|not specified", re.I)
_NAME_SPLIT = re.compile(r",|/|;|、|，|\band\b|\bvs\.?|\bversus\b|和|与|及")
_CLAUSE = re.compile(r"[；;。，\n]|,(?!\d{3})|(?<=\D)\.\s")
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+(?=[A-Z(\[\d])|\n+")
_TOKEN = re.compile(r"(?<![\w.\-])[A-Za-z][A-Za-z0-9]*(?:[-_.@/][A-Za-z0-9]+)*")
_URL = re.compile(r"(?:https?://|www\.)[^\s)）\]，,;；]+")
_DERIVED = re.compile(
    r"derived|comput|calculat|difference|relative|差值|计算|相对|相当于|换算|折合|由.*得", re.I
)
# Acronyms an analysis may use for what a paper spells out; everything else with a capital
# inside or a digit is a name the paper must contain.
_GENERIC = {
    "ai", "agi", "llm", "llms", "vlm", "vlms", "mllm", "mllms", "lmm", "lmms", "nlp", "cv",
    "ml", "dl", "rl", "rlhf", "sft", "sota", "gpu", "gpus", "cpu", "cpus", "api", "apis",
    "json", "url", "pdf", "html", "kv", "moe", "cot", "rag", "qa", "ocr", "asr", "tts", "ui",
    "io", "os", "ok", "id", "ids", "2d", "3d", "4d", "i/o", "q&a", "arxiv", "hf",
}  # fmt: skip


@dataclass(frozen=True)
class Occurrence:
    number: Number
    where: str
    context: str  # squashed text the number is stated with: its sentence, row, column, caption


class PaperIndex:
    """The paper prepared once for many checks: every number with the context that says what
    it measures, the bibliography's numbers, and the text squashed for names and quotes."""

    def __init__(self, doc: Document, trusted: tuple[str, ...] = ()) -> None:
        self.by_value: dict[float, list[Occurrence]] = defaultdict(list)
        self.all: list[Occurrence] = []
        for where, text, context, hint in _contexts(doc):
            for n in _stated(text):
                if n.kind == "plain" and MULTIPLIER_CONTEXT.search(hint):
                    n = replace(n, kind="multiplier")
                occurrence = Occurrence(n, where, context)
                self.all.append(occurrence)
                self.by_value[_key(abs(n.value))].append(occurrence)
        self.bib_values = {
            _key(abs(n.value)) for n in numbers(doc.bibliography_text(), skip_references=False)
        }
        text = _normalise(" ".join([doc.body_text(), *doc.links, *trusted]))
        self.squashed = _NOT_WORD.sub("", text)
        words = set(_WORD_BREAK.split(_NOT_WORD_OR_BREAK.sub("", text)))
        self.words = sorted(words | {w.lstrip("0123456789") for w in words})  # 80GB, 10000BC

    def occurrences(self, n: Number) -> list[Occurrence]:
        """Where the paper states this magnitude, in any notation (0.15 for 15%, ...)."""
        found = [o for k in _keys(n) for o in self.by_value.get(k, [])]
        if n.approx:
            found += [o for o in self.all if abs(abs(o.number.value) - abs(n.value)) <= n.tolerance]
        return found

    def in_bibliography(self, n: Number) -> bool:
        return bool(_keys(n) & self.bib_values)

    def has_name(self, name: str) -> bool:
        """Whether the paper names it: as written (any spacing, case, hyphens), or each of its
        name tokens as the start of a word ("ImageNet" in "ImageNet-1K", not "RTX" in
        "matrix")."""
        if len(squash(name)) >= 4 and squash(name) in self.squashed:
            return True
        tokens = [t for t in _TOKEN.findall(name) if re.search(r"[A-Z\d]", t) and len(t) >= 2]
        return bool(tokens) and all(self._word_start(squash(t)) for t in tokens)

    def _word_start(self, token: str) -> bool:
        i = bisect.bisect_left(self.words, token)
        return i < len(self.words) and self.words[i].startswith(token)

    def has_quote(self, quote: str) -> bool:
        fragments = [f for f in re.split(r"\.\.\.|…|\[\.\.\.\]", quote) if len(squash(f)) >= 6]
        return all(squash(f) in self.squashed for f in fragments)


Context = tuple[str, str, str, str]  # where, text, binding context (squashed), kind hint


def _contexts(doc: Document) -> list[Context]:
    """(where, text, binding context, hint) for each sentence, table cell and caption; the
    hint is the text that says what a bare number measures (its column header, its sentence)."""
    out = [("Title", doc.title, squash(doc.title), "")]
    out += _sentences("Abstract", doc.abstract)
    for s in doc.sections:
        if s.role == "references":
            continue
        out.append((s.heading or "Body", s.heading, squash(s.heading), ""))
        for b in s.blocks:
            where = b.label or s.heading or "Body"
            if b.kind == "table":
                out += _table(where, b.caption or "", b.text)
            else:
                if b.caption:
                    out.append((where, b.caption, squash(b.caption), ""))
                out += _sentences(where, b.text)
    out += [c for f in doc.footnotes for c in _sentences("Footnotes", f)]
    return out


def _sentences(where: str, text: str) -> list[Context]:
    """Each sentence, bound with the one before it ("On COCO, ... . It reaches 45.2 AP.").
    (Squashing joined texts is joining squashed ones: each part is squashed once.)"""
    parts = [p for p in _SENTENCE.split(text) if p.strip()]
    squashed = [squash(p) for p in parts]
    return [
        (where, part, (squashed[i - 1] if i else "") + squashed[i], "")
        for i, part in enumerate(parts)
    ]


def _table(where: str, caption: str, text: str) -> list[Context]:
    """Each cell with its row, the header cells above its column, and the caption."""
    rows = [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.strip().startswith("|") and not re.fullmatch(r"[|\s:\-]+", line.strip())
    ]
    if not rows:
        return [(where, caption + "\n" + text, squash(caption + " " + text), caption)]
    numeric = [any(_stated(c) for c in r[1:]) for r in rows]
    headers = [i for i, has in enumerate(numeric) if not has] or [0]
    cells = [[squash(c) for c in r] for r in rows]
    caption_squashed = squash(caption)
    out = [(where, caption, caption_squashed, caption)]
    for r, row_cells in zip(rows, cells, strict=True):
        row = caption_squashed + "".join(row_cells)
        for j, cell in enumerate(r):
            column = " ".join(rows[h][j] for h in headers if j < len(rows[h]))
            column_squashed = "".join(cells[h][j] for h in headers if j < len(rows[h]))
            out.append((where, cell, row + column_squashed, f"{column} {r[0] if r else ''}"))
    return out


@lru_cache(maxsize=8192)
def _stated(text: str) -> tuple[Number, ...]:
    """The numbers a text of the paper states, found once: a table cell is asked twice (is
    its row a header? what does it state?), and cells repeat ("-", "✓", "0.5")."""
    return tuple(numbers(text, skip_references=False))


def _key(value: float) -> float:
    return round(value, 6)


def _keys(n: Number) -> set[float]:
    """A magnitude in every notation it may be written in (15% as 0.15, 0.15 as 15%)."""
    return {_key(abs(n.value)), _key(abs(n.value) / 100), _key(abs(n.value) * 100)}


_TEX = re.compile(r"\\[a-z]+|[{}$^_]")
_NOT_WORD = re.compile(r"[^0-9a-z\u4e00-\u9fff]+")
_NOT_WORD_OR_BREAK = re.compile(r"[^0-9a-z\u4e00-\u9fff\s,;:()\[\]@%/+=<>|\"'“”‘’]+")
_WORD_BREAK = re.compile(r"[\s,;:()\[\]@%/+=<>|\"'“”‘’]+")


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return _TEX.sub("", text) if any(c in text for c in "\\{}$^_") else text


def squash(text: str) -> str:
    """Text reduced to letters and digits, so line breaks, hyphenation, quotes and TeX
    markup do not hide a match."""
    return _NOT_WORD.sub("", _normalise(text))


def ground(
    analysis: Analysis, doc: Document, paper: PaperIndex | None = None, *, copied: bool = False
) -> Grounding:
    """A verdict for every item of the analysis; `copied` for the no-LLM analyser's text."""
    paper = paper or PaperIndex(doc)
    return Grounding(
        verdicts=[_check(item, paper, copied) for item in items_of(analysis)], copied=copied
    )


@dataclass
class Item:
    """One printed field: its texts, the names it cites, where its values must be bound."""

    address: str
    texts: list[str]
    names: tuple[str, ...] = ()
    quotes: tuple[str, ...] = ()
    benchmark: str | None = None
    metric: str | None = None
    values: tuple[str, ...] = ()  # what must be stated for the benchmark
    free_names: bool = True  # whether names in its prose must be in the paper


def items_of(a: Analysis) -> list[Item]:
    u = a.usage
    usage_quotes = tuple(e.quote for e in u.evidence)
    out = [
        Item("domains", list(a.domains), free_names=False),  # field names, not the paper's
        Item("contribution", [a.contribution], quotes=(a.contribution_evidence.quote,)),
        Item("usage.inputs", [u.inputs], quotes=usage_quotes),
        Item("usage.outputs", [u.outputs]),
        Item("usage.workflow", list(u.workflow)),
        Item("usage.hardware", [u.hardware]),
        Item("usage.code", [u.code, *u.code_urls]),
    ]
    out += [
        Item(f"innovations[{i}]", [x.name, x.explanation], quotes=(x.evidence.quote,))
        for i, x in enumerate(a.innovations)
    ]
    out += [
        Item(
            f"results[{i}]",
            [r.claim, *r.values],
            names=tuple(n for n in (r.benchmark, r.baseline) if n),
            quotes=(r.evidence.quote,),
            benchmark=r.benchmark,
            metric=r.metric,
            values=tuple(r.values),
        )
        for i, r in enumerate(a.results)
    ]
    return out


def check_item(item: Item, paper: PaperIndex) -> Verdict:
    """One text checked against a paper (or anything read as one), as written by an LLM."""
    return _check(item, paper, copied=False)


def _check(item: Item, paper: PaperIndex, copied: bool) -> Verdict:
    v = Verdict(item=item.address, verified=True)
    clauses = [c for t in item.texts for c in _CLAUSE.split(t) if c and not _NOT_STATED.search(c)]
    stated = [n for c in clauses for n in numbers(c)]
    binding = _binding(item, paper)
    values = {_key(abs(n.value)) for text in item.values for n in numbers(text)}
    found: list[Number] = []
    for n in stated:
        bound = binding if _key(abs(n.value)) in values else []  # the result's own values
        problem, where = _locate(n, paper, bound)
        if problem is None:
            found.append(n)
            v.where = v.where or where
        elif n.text not in getattr(v, problem):
            getattr(v, problem).append(n.text)
    _accept_derived(v, item, stated, found)
    names = [p.strip() for n in item.names for p in _NAME_SPLIT.split(n) if _is_name(p)]
    if item.free_names:
        names += [t for c in clauses for t in specific_names(c)]
    v.missing_names = list(dict.fromkeys(n for n in names if not paper.has_name(n)))
    v.quote_found = all(paper.has_quote(q) for q in item.quotes if q.strip())
    if v.unbound:
        v.bound_to = item.benchmark or item.metric
    v.verified = not v.reason  # no problem of any kind
    if not v.verified:
        v.status = "unverified"
    elif copied:
        v.status = "copied"
    elif not (stated or names):
        v.status = "uncheckable"
    return v


def _binding(item: Item, paper: PaperIndex) -> list[str]:
    """The squashed words a result's value must be stated with: its benchmark, else its
    metric (abbreviated as papers do: "Acc" for accuracy). Names not in the paper at all are
    reported as such, not as unbound values."""
    if item.benchmark:  # "MMLU (5-shot)" is stated with "MMLU"; any of its names will do
        parts = [p for p in _NAME_SPLIT.split(item.benchmark) if _is_name(p)]
        words = [squash(t) for p in parts for t in specific_names(p) if len(squash(t)) >= 3]
        words = [w for w in words if w in paper.squashed]
        return words or [squash(p) for p in parts if paper.has_name(p)]
    if item.metric:
        tokens = [t for t in _TOKEN.findall(item.metric) if len(t) >= 2]
        return [squash(t)[:4] for t in tokens if squash(t)[:4] in paper.squashed]
    return []


def _locate(n: Number, paper: PaperIndex, binding: list[str]) -> tuple[str | None, str | None]:
    """(None, where) if the paper states this number for what the item says; else which
    problem it is: missing_numbers, wrong_unit, wrong_sign, unbound, bibliography_only."""
    same = paper.occurrences(n)
    kind_ok = [o for o in same if compatible(n, o.number)]
    signed = [o for o in kind_ok if sign_agrees(n, o.number)]
    bound = [o for o in signed if not binding or any(b in o.context for b in binding)]
    if bound:
        return None, bound[0].where
    if signed:
        return "unbound", None
    if kind_ok:
        return "wrong_sign", None
    if any(_key(abs(n.value)) == _key(abs(o.number.value)) for o in same):
        return "wrong_unit", None
    if paper.in_bibliography(n):
        return "bibliography_only", None
    return "missing_numbers", None


def _accept_derived(v: Verdict, item: Item, stated: list[Number], found: list[Number]) -> None:
    """A difference or ratio the item says it computed is fine when its inputs are found."""
    if not v.missing_numbers or not any(_DERIVED.search(t) for t in item.texts):
        return
    results: set[float] = set()
    for a, b in permutations([n.value for n in found], 2):
        candidates = [abs(a - b)] + ([a / b, (a - b) / b * 100] if b else [])
        results |= {round(c, d) for c in candidates for d in (1, 2)}
    v.derived = [
        n.text
        for n in stated
        if n.text in v.missing_numbers
        and (round(abs(n.value), 1) in results or round(abs(n.value), 2) in results)
    ]
    v.missing_numbers = [t for t in v.missing_numbers if t not in v.derived]


def specific_names(text: str) -> list[str]:
    """Names in free text that the paper must contain: tokens with a digit (H100, GPT-4o),
    an inner capital (ImageNet, LLaMA) or two capitals (COCO), but not generic acronyms.
    URLs count by their host and path."""
    names = [u.rstrip(".") for u in _URL.findall(text)]
    text = _URL.sub(" ", text)
    for token in _TOKEN.findall(text):
        letters = sum(c.isalpha() for c in token)
        upper = sum(c.isupper() for c in token)
        digit = any(c.isdigit() for c in token)
        if token.lower() in _GENERIC or letters + digit < 2:
            continue
        if (digit and letters >= 1) or upper >= 2 or (upper and token[1:] != token[1:].lower()):
            names.append(token)
    return names


def _is_name(part: str) -> bool:
    """Only proper names are checked: Latin words with a capital or digit, no Chinese prose."""
    part = part.strip()
    return (
        len(part) >= 2
        and not re.search(r"[\u4e00-\u9fff]", part)
        and bool(re.search(r"[A-Z\d]", part))
        and not _NOT_STATED.search(part)
    )
