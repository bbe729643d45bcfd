"""The numbers of a text with what they measure: their value, their kind (a percentage, a
multiplier, a count of something, or a bare number), their sign and whether the words around
them say a decrease. Pure functions.

Notation is undone: 15% = 15.0% = "15 percent"; 1.5x = 1.5× = 1.5-fold = 1.5 倍 = 1.5 times;
1.75M = 1,750,000 = 1.75 million = 175万. Identifiers (GPT-4o, H100, Qwen3), URLs and
references ("Table 2") are not numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["percent", "multiplier", "count", "plain"]

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
_PERCENT = {"%", "％", "percent", "per cent", "个百分点", "pp", "p.p.", "points", "point"}
_MULTIPLIER = {"x", "×", "fold", "倍", "times"}
# The number itself, then what is written right after it. The approximation words are looked
# up before the match, not inside the pattern, which keeps the scan fast.
_NUM = re.compile(
    r"(?<![\w.\-])(?P<neg>[-−–])?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?P<unit>\s?(?:%|％|percent|per cent|个百分点|pp|p\.p\.|points?|[x×](?![a-zA-Z])|-?fold|"
    r"倍|times|(?:thousand|million|billion|trillion|mn|bn)\b|[kKMBT](?![a-zA-Z])|万|亿|千))?"
    r"(?!\d|\.\d)",
    re.I,
)
_APPROX = re.compile(
    r"(约|大约|近|超过|逾|about|approximately|approx\.|around|nearly|roughly|over|more than|"
    r"up to|~|≈)\s*$",
    re.I,
)
_URL = re.compile(r"(?:https?://|www\.)\S+")
_DIGIT = re.compile(r"\d")
_MODEL_NUMBER = re.compile(r"\b[A-Z][A-Za-z]*[A-Z][A-Za-z]* $")
_RANGE = re.compile(r"(?<=\d)\s*[-–~～]\s*(?=\d)")
_REFERENCE = re.compile(
    r"(table|tab\.|figure|fig\.|section|sec\.|eq\.|equation|appendix|algorithm|表|图|第)\s*$",
    re.I,
)
# A noun right after an integer makes it a count of things, not a score.
_COUNT_NOUN = re.compile(
    r"^\s*(?:[×x]\s*)?(?:张|个|块|台|卡|层|次|轮|步|篇|条|项|种|名|位|小时|天|秒|分钟|"
    r"[A-Z]?\w*?(?:GPUs?|TPUs?|CPUs?|cores?|nodes?|machines?|layers?|heads?|samples?|"
    r"examples?|images?|videos?|tokens?|words?|steps?|epochs?|iterations?|runs?|seeds?|"
    r"hours?|days?|minutes?|seconds?|ms|s\b|GB|MB|TB|params?|parameters?|languages?|tasks?|"
    r"datasets?|benchmarks?|models?|questions?|prompts?|users?|participants?|papers?|"
    r"documents?|pages?|queries|query|instances?|categories|classes|shots?|rounds?|turns?|"
    r"agents?|experts?|trials?|episodes?|frames?|points\b(?! higher| lower| of))|[A-Z]\d{2,3})",
)
_DECREASE = re.compile(
    r"decreas|drop|reduc|lower|fall|fell|declin|down|worse|degrad|less|fewer|shrink|cut|"
    r"下降|降低|减少|减小|缩短|缩减|低于|少于|跌|降",
    re.I,
)


@dataclass(frozen=True)
class Number:
    text: str
    value: float  # signed
    kind: Kind = "plain"
    approx: bool = False
    decimals: int = 0
    scale: float = 1.0  # 1e6 for "1.75M": how much a unit of the last written digit is worth
    signed: bool = False  # written with a minus sign
    decrease: bool = False  # the words just before it speak of a decrease

    @property
    def tolerance(self) -> float:
        """How far a paper's number may be from an approximate one ("约 15%" ~ 14.7%)."""
        return float(0.5 * 10 ** (-self.decimals) * self.scale)


def numbers(text: str, *, skip_references: bool = True) -> list[Number]:
    """The numbers of a text, with their kind, sign and magnitude."""
    out: list[Number] = []
    if not _DIGIT.search(text):
        return out
    if "://" in text or "www." in text:  # (the patterns are slow where nothing matches)
        text = _URL.sub(" ", text)  # a link's digits are not claims
    if any(dash in text for dash in "-–~～"):
        text = _RANGE.sub(" to ", text)  # both ends of 10-20 / 10–20 / 10~20 count
    for m in _NUM.finditer(text):
        before = text[max(0, m.start() - 40) : m.start()]
        if skip_references and _REFERENCE.search(before[-14:]):
            continue
        whole = m.group(0)
        if len(whole) >= 3 and whole.isdecimal() and _MODEL_NUMBER.search(before[-12:]):
            continue  # RTX 4090, GTX 1080, COCO 2017: part of a name
        raw = m.group("num")
        unit = (m.group("unit") or "").strip().lower().lstrip("-")
        scale = _SCALE.get(unit, _SCALE.get(unit.rstrip("s"), 1.0))
        value = float(raw.replace(",", "")) * scale * (-1 if m.group("neg") else 1)
        out.append(
            Number(
                text=whole.strip(),
                value=value,
                kind=_kind(unit, raw, text[m.end() : m.end() + 30], before[-24:]),
                approx=bool(_APPROX.search(before[-16:])),
                decimals=len(raw.split(".")[1]) if "." in raw else 0,
                scale=scale,
                signed=bool(m.group("neg")),
                decrease=bool(_DECREASE.search(before[-30:])),
            )
        )
    return out


def _kind(unit: str, raw: str, after: str, before: str) -> Kind:
    if unit in _PERCENT:
        return "percent"
    if unit in _MULTIPLIER or _SPEEDUP.search(before):
        return "multiplier"
    if unit in _SCALE or (_COUNT_NOUN.match(after) and "." not in raw):
        return "count"
    return "plain"


_SPEEDUP = re.compile(r"(speed-?up|faster|slower|加速)\s*(of|by|to|了|为|达)?\s*$", re.I)
MULTIPLIER_CONTEXT = re.compile(r"speed-?up|faster|slower|times|fold|[×x]\s*$|倍|加速", re.I)


def compatible(claim: Number, paper: Number) -> bool:
    """Whether the paper's number can be the one the claim states, in value and in kind:
    a percentage is a percentage, a bare score or a ratio (0.xx), never a count of things;
    a multiplier is a multiplier (a bare number under a "Speedup" header is one); a count
    is never a percentage."""
    if claim.kind == "percent":
        if paper.kind == "percent" or (paper.kind == "plain" and _same(claim, paper.value)):
            return _same(claim, paper.value)
        return paper.kind == "plain" and abs(paper.value) <= 1 and _same(claim, paper.value * 100)
    if claim.kind == "multiplier":  # a bare number is a multiplier where its context says so
        return paper.kind == "multiplier" and _same(claim, paper.value)
    if claim.kind == "count":
        return paper.kind != "percent" and _same(claim, paper.value)
    if paper.kind == "percent" and abs(claim.value) <= 1 and _same(claim, paper.value / 100):
        return True  # a ratio stated as a percentage
    return _same(claim, paper.value)


def _same(claim: Number, value: float) -> bool:
    """Equal in magnitude (signs are judged apart), within rounding for approximations."""
    a, b = abs(claim.value), abs(value)
    if round(a, 6) == round(b, 6):
        return True
    return claim.approx and abs(a - b) <= claim.tolerance


def sign_agrees(claim: Number, paper: Number) -> bool:
    """A minus on either side needs a minus or a decrease on the other: "drops by 3.2" is
    −3.2, but "+3.2" is not "−3.2"."""
    if claim.value < 0 and not (paper.value < 0 or paper.decrease):
        return False
    return not (paper.value < 0 and not (claim.value < 0 or claim.decrease))
