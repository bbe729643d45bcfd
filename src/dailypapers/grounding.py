"""Check an analysis against the paper it claims to summarise. Pure functions.

Every number of an item must occur in the paper's body (text, tables, captions, footnotes),
allowing for notation: 15% = 15.0% = "15 percent" = 0.15; 1.5x = 1.5× = 1.5-fold = 1.5 倍;
1.75M = 1,750,000 = 1.75 million = 175万. A number found only in the bibliography is no
support. Named benchmarks and baselines must appear too, and every evidence quote must be in
the paper, allowing for whitespace, hyphenation, quotes and math rendering."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .models import Analysis, Document, Grounding, Verdict

_SCALE = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "million": 1e6,
    "mn": 1e6,
    "b": 1e9,
    "billion": 1e9,
    "bn": 1e9,
    "t": 1e12,
    "trillion": 1e12,
    "万": 1e4,
    "亿": 1e8,
    "千": 1e3,
}
_NUM = re.compile(
    r"(?P<approx>(?:约|大约|近|超过|逾|about|approximately|approx\.|around|nearly|roughly|over|"
    r"more than|up to|~|≈)\s*)?"
    r"(?<![\w.\-])(?P<neg>[-−–])?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?P<unit>\s?(?:%|％|percent|per cent|个百分点|pp|p\.p\.|points?|[x×]|-?fold|倍|"
    r"(?:thousand|million|billion|trillion|mn|bn)\b|[kKMBT](?![a-zA-Z])|万|亿|千))?"
    r"(?!\d|\.\d)",
    re.I,
)
_URL = re.compile(r"(?:https?://|www\.)\S+")
_RANGE = re.compile(r"(?<=\d)\s*[-–~～]\s*(?=\d)")
_REFERENCE = re.compile(
    r"(table|figure|fig\.|section|sec\.|eq\.|equation|appendix|表|图|第)"
    r"\s*$",
    re.I,
)


@dataclass(frozen=True)
class Number:
    text: str
    value: float
    percent: bool = False
    approx: bool = False
    decimals: int = 0
    scale: float = 1.0  # 1e6 for "1.75M": how much a unit of the last written digit is worth

    @property
    def tolerance(self) -> float:
        """How far a paper's number may be from an approximate one ("约 15%" ~ 14.7%)."""
        return 0.5 * 10 ** (-self.decimals) * self.scale


def numbers(text: str, *, skip_references: bool = True) -> list[Number]:
    """The numbers of a text with their magnitudes; identifiers such as GPT-4o, H100 or
    Qwen3 and URLs are left alone, and so are references like "Table 2" when
    `skip_references`."""
    out: list[Number] = []
    text = _URL.sub(" ", text)  # a link's digits are not claims
    text = _RANGE.sub(" to ", text)  # both ends of 10-20 / 10–20 / 10~20 count
    for m in _NUM.finditer(text):
        if skip_references and _REFERENCE.search(text[max(0, m.start() - 12) : m.start()]):
            continue
        raw = m.group("num")
        unit = (m.group("unit") or "").strip().lower().lstrip("-")
        scale = _SCALE.get(unit, _SCALE.get(unit.rstrip("s"), 1.0))
        value = float(raw.replace(",", "")) * scale * (-1 if m.group("neg") else 1)
        decimals = len(raw.split(".")[1]) if "." in raw else 0
        percent = unit in ("%", "％", "percent", "per cent", "个百分点", "pp", "p.p.")
        approx = bool(m.group("approx"))
        out.append(Number(m.group(0).strip(), value, percent, approx, decimals, scale))
    return out


class Paper:
    """The paper prepared once for many checks: its numbers by value, its text squashed."""

    def __init__(self, doc: Document) -> None:
        self.values: dict[float, str] = {}  # value → the first place that states it
        for where, text in _places(doc):
            for n in numbers(text, skip_references=False):
                self.values.setdefault(_key(n.value), where)
                self.values.setdefault(_key(abs(n.value)), where)
        self.bib_values = {
            _key(n.value) for n in numbers(doc.bibliography_text(), skip_references=False)
        }
        self.squashed = squash(doc.body_text())

    def find(self, n: Number) -> str | None:
        """Where the paper states this number, if it does."""
        for candidate in _candidates(n):
            where = self.values.get(_key(candidate))
            if where:
                return where
        if n.approx:
            for value, where in self.values.items():
                if abs(value - n.value) <= n.tolerance:
                    return where
        return None

    def in_bibliography(self, n: Number) -> bool:
        return any(_key(c) in self.bib_values for c in _candidates(n))

    def has_name(self, name: str) -> bool:
        if squash(name) and squash(name) in self.squashed:
            return True
        tokens = [
            t
            for t in re.findall(r"[A-Za-z][\w\-.]*\d*|\d+[A-Za-z][\w\-]*", name)
            if re.search(r"[A-Z\d]", t) and len(t) >= 2
        ]
        return bool(tokens) and all(squash(t) in self.squashed for t in tokens)

    def has_quote(self, quote: str) -> bool:
        fragments = [f for f in re.split(r"\.\.\.|…|\[\.\.\.\]", quote) if len(squash(f)) >= 6]
        return all(squash(f) in self.squashed for f in fragments)


def _places(doc: Document) -> list[tuple[str, str]]:
    places = [("Title", doc.title), ("Abstract", doc.abstract)]
    for s in doc.sections:
        if s.role == "references":
            continue
        places.append((s.heading or "Body", s.heading))
        for b in s.blocks:
            places.append((b.label or s.heading or "Body", b.plain()))
    places.extend(("Footnotes", f) for f in doc.footnotes)
    return places


def _key(value: float) -> float:
    return round(value, 6)


def _candidates(n: Number) -> list[float]:
    """A percentage may appear as a ratio, and vice versa."""
    values = [n.value, -n.value]
    if n.percent:
        values.append(n.value / 100)
    elif abs(n.value) <= 1:
        values.append(n.value * 100)
    return values


def squash(text: str) -> str:
    """Text reduced to letters and digits, so line breaks, hyphenation, quotes and TeX
    markup do not hide a match."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"\\[a-z]+|[{}$^_]", "", text)
    return re.sub(r"[^0-9a-z\u4e00-\u9fff]", "", text)


_NOT_STATED = re.compile(r"not stated|论文未说明|未说明|未提及|not mentioned|not specified", re.I)
_NAME_SPLIT = re.compile(r",|/|;|、|，|\band\b|\bvs\.?|\bversus\b|和|与|及")


def ground(analysis: Analysis, doc: Document, paper: Paper | None = None) -> Grounding:
    """A verdict for every item of the analysis."""
    paper = paper or Paper(doc)
    verdicts = [
        _check(item, texts, names, quotes, paper)
        for item, texts, names, quotes in items_of(analysis)
    ]
    return Grounding(verdicts=verdicts)


def items_of(a: Analysis) -> list[tuple[str, list[str], list[str], list[str]]]:
    """(item address, its texts, the names it cites, its evidence quotes) for each item."""
    u = a.usage
    out: list[tuple[str, list[str], list[str], list[str]]] = [
        ("contribution", [a.contribution], [], [a.contribution_evidence.quote]),
        (
            "usage",
            [u.inputs, u.outputs, *u.workflow, u.hardware, u.code],
            [],
            [e.quote for e in u.evidence],
        ),
    ]
    out += [
        (f"innovations[{i}]", [x.name, x.explanation], [], [x.evidence.quote])
        for i, x in enumerate(a.innovations)
    ]
    out += [
        (
            f"results[{i}]",
            [r.claim, *r.values, r.metric or ""],
            [n for n in (r.benchmark, r.baseline) if n],
            [r.evidence.quote],
        )
        for i, r in enumerate(a.results)
    ]
    return out


def _check(
    item: str, texts: list[str], names: list[str], quotes: list[str], paper: Paper
) -> Verdict:
    missing, bib_only, where = [], [], None
    for text in texts:
        if _NOT_STATED.search(text):
            continue
        for n in numbers(text):
            found = paper.find(n)
            if found:
                where = where or found
            elif paper.in_bibliography(n):
                if n.text not in bib_only:
                    bib_only.append(n.text)
            elif n.text not in missing:
                missing.append(n.text)
    missing_names = [
        part.strip()
        for name in names
        for part in _NAME_SPLIT.split(name)
        if _is_name(part) and not paper.has_name(part.strip())
    ]
    quote_found = all(paper.has_quote(q) for q in quotes if q.strip())
    ok = not missing and not bib_only and not missing_names and quote_found
    return Verdict(
        item=item,
        verified=ok,
        where=where,
        missing_numbers=missing,
        missing_names=missing_names,
        quote_found=quote_found,
        bibliography_only=bib_only,
    )


def _is_name(part: str) -> bool:
    """Only proper names are checked: Latin words with a capital or digit, no Chinese prose."""
    part = part.strip()
    return (
        len(part) >= 2
        and not re.search(r"[\u4e00-\u9fff]", part)
        and bool(re.search(r"[A-Z\d]", part))
        and not _NOT_STATED.search(part)
    )
