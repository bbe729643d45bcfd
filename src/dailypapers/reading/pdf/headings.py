"""Headings of a PDF paper, told from prose by style (bold, larger or capitals) as well as by
pattern, numbered ones only where they follow on from the previous one: a bibliography
entry starting "A Askell" is not "Appendix A", a numbered affiliation line is not section 1,
and a printed table of contents cannot restart the numbering."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from dailypapers.reading.pdf.lines import Line
from dailypapers.reading.pdf.parts import CAPTION

_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+([A-Za-z[(“\"'][^\n]{0,120})$")
_ROMAN = re.compile(r"^([IVX]{1,5})\.\s+([A-Z][^\n]{0,120})$")
_LETTERED = re.compile(
    r"^(?:Appendix\s+)?([A-Z](?:\.\d{1,2}){0,2})(?:[.:]\s*|\s+)([A-Z][^\n]{0,120})$"
)
_APPENDIX = re.compile(
    r"(?i)^(appendix|appendices|supplementary materials?)(\s+[A-Z0-9]{1,2})?([.:]\s+\S.{0,80})?$"
)
_NAMED = re.compile(
    r"(?i)^(abstract|introduction|related works?|background|conclusions?|discussion|"
    r"limitations|references|bibliography|acknowledge?ments?|broader impacts?|"
    r"ethics statement|impact statement|reproducibility statement)$"
)
META = re.compile(
    r"(?i)^(ccs concepts|keywords|key words|index terms|additional key words|"
    r"acm reference format|general terms|author keywords)\b"
)
_ROMANS = frozenset(("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"))

Kind = Literal["abstract", "references", "meta", "appendix", "section"]


@dataclass(slots=True)
class Heading:
    kind: Kind
    title: str = ""
    number: str | None = None
    level: int = 1


def _styled(line: Line, body: float) -> bool:
    letters = [c for c in line.text if c.isalpha()]
    upper = len(letters) > 3 and all(c.isupper() for c in letters)
    return line.bold or line.size >= 1.08 * body or upper


def _style(line: Line) -> tuple[float, bool]:
    return round(line.size * 2) / 2, line.bold


class Headings:
    """Recognises headings in reading order, remembering the last number seen."""

    def __init__(self, lines: Sequence[Line], body: float) -> None:
        self.body = body
        self.last: tuple[str, ...] | None = None
        found: Counter[tuple[float, bool]] = Counter()
        for ln in lines:
            m = _NUMBERED.match(ln.text)
            if _styled(ln, body) and ((m and "." not in m.group(1)) or _NAMED.match(ln.text)):
                found[_style(ln)] += 1
        top = {s for s, n in found.items() if n >= 2 and s[0] > body * 1.04}
        self.top_styles = {s for s in top if s[1]} or top
        # APS/REVTeX: unnumbered headings in bold capitals at the size of the text
        self.caps_styles = {
            _style(ln) for ln in lines if _NAMED.match(ln.text) and ln.bold and ln.text.isupper()
        }
        numbered = sum(bool(_NUMBERED.match(ln.text)) and _styled(ln, body) for ln in lines)
        self.unnumbered_paper = numbered < 2 and bool(self.top_styles)
        self.plain_numbers = numbered < 2  # fonts that say nothing of weight, or plain headings

    def match(self, line: Line, *, back: bool, unnumbered: bool = True) -> Heading | None:
        text = line.text.strip().rstrip(":")
        if not _styled(line, self.body):
            return self._plain(line, text, back)
        if (
            not _styled(line, self.body)
            or line.figure
            or len(text.split()) > 16
            or CAPTION.match(text)
            or text.endswith((",", ";"))
        ):
            return None
        if META.match(text):
            return Heading("meta")
        if _NAMED.match(text.rstrip(".")):
            low = text.lower().rstrip(".")
            kind: Kind = (
                "abstract"
                if low == "abstract"
                else "references"
                if low in ("references", "bibliography")
                else "section"
            )
            return Heading(kind, text.rstrip("."))
        if _APPENDIX.match(text):
            return Heading("appendix", text)
        found = self._numbered(text, back)
        return found or (self._unnumbered(line, text) if unnumbered else None)

    def _numbered(self, text: str, back: bool) -> Heading | None:
        m = _NUMBERED.match(text)
        lettered = self.last is not None and not self.last[0].isdigit()
        if (
            m
            and _title_ok(m.group(2))
            and not (back and lettered)
            and _follows(m.group(1), self.last)
        ):
            self.last = tuple(m.group(1).split("."))
            return Heading("section", m.group(2), m.group(1), m.group(1).count(".") + 1)
        m = _ROMAN.match(text)
        if m and not back and _title_ok(m.group(2)) and m.group(1) in _ROMANS:
            self.last = (m.group(1),)
            return Heading("section", m.group(2), m.group(1), 1)
        m = _LETTERED.match(text)
        ieee = self.last is not None and self.last[0] in _ROMANS and not back
        if m and (back or ieee) and _title_ok(m.group(2)) and len(m.group(2).split()) <= 12:
            level = 2 if ieee else m.group(1).count(".") + 1
            if back:
                self.last = tuple(m.group(1).split("."))
            return Heading("appendix" if back else "section", m.group(2), m.group(1), level)
        return None

    def _plain(self, line: Line, text: str, back: bool) -> Heading | None:
        """A heading set like the text: a line that is only "References" (or another
        section name), IEEE's italic "A. Subsection", a numbered subsection that follows on,
        and any numbered heading in a paper whose fonts do not mark headings."""
        named = _NAMED.match(text.rstrip("."))
        if named and not line.figure:
            low = text.lower().rstrip(".")
            if low in ("references", "bibliography"):
                return Heading("references", text.rstrip("."))
            return Heading("abstract" if low == "abstract" else "section", text.rstrip("."))
        if back:
            return None
        m = _NUMBERED.match(text)
        sub = m is not None and "." in m.group(1)  # 3.1: italic in Elsevier's and others' styles
        if (
            (self.plain_numbers or sub)
            and m
            and len(text.split()) <= 8
            and not text.endswith((".", ",", ";", ":"))
            and m.group(2)[0].isupper()
            and _title_ok(m.group(2))
            and _follows(m.group(1), self.last)
        ):
            self.last = tuple(m.group(1).split("."))
            return Heading("section", m.group(2), m.group(1), m.group(1).count(".") + 1)
        return self._ieee_subsection(text)

    def _ieee_subsection(self, text: str) -> Heading | None:
        """IEEE sets "A. Subsection" in italics, no bolder or larger than the text."""
        m = _LETTERED.match(text)
        ieee = self.last is not None and self.last[0] in _ROMANS
        if m and ieee and len(text.split()) <= 8 and not text.endswith("."):
            return Heading("section", m.group(2), m.group(1), 2)
        return None

    def _unnumbered(self, line: Line, text: str) -> Heading | None:
        words = text.split()
        if text.isupper() and _style(line) in self.caps_styles and len(words) <= 10:
            return Heading("section", text)
        if (
            _style(line) in self.top_styles
            and len(words) <= 10
            and text[0].isupper()
            and not text.endswith(".")
            and sum(c.isdigit() for c in text) <= 1
        ):
            return Heading("section", text)
        if (  # AAAI: unnumbered subsections in bold at the size of the text
            self.unnumbered_paper
            and line.bold
            and abs(line.size - self.body) < 0.05 * self.body
            and len(words) <= 8
            and text[0].isupper()
            and not text.endswith((".", ":"))
        ):
            return Heading("section", text, level=2)
        return None


def _title_ok(title: str) -> bool:
    return (
        sum(c.isdigit() for c in title) <= 4
        and not title.rstrip().endswith((",", ";"))
        and not (title.rstrip().endswith(".") and len(title.split()) > 6)
    )


def _follows(number: str, last: tuple[str, ...] | None) -> bool:
    num = [int(x) for x in number.split(".")]
    if last is None or not last[0].isdigit():
        return len(num) == 1 and num[0] <= 2
    prev = [int(x) for x in last]
    if len(num) == len(prev) + 1:
        return num[:-1] == prev and num[-1] in (1, 2)
    depth = len(num)
    if depth > len(prev):
        return False
    return num[:-1] == prev[: depth - 1] and num[-1] - prev[depth - 1] in (1, 2)


def wrapped(lines: Sequence[Line], i: int, heads: Headings) -> list[int]:
    """Lines that continue the heading at i: same style, right below it."""
    out: list[int] = []
    head = lines[i]
    for j in range(i + 1, min(i + 3, len(lines))):
        ln, prev = lines[j], lines[j - 1]
        if (
            ln.page != head.page
            or abs(ln.size - head.size) > 0.3
            or ln.bold != head.bold
            or not 0 < prev.base - ln.base < 1.8 * head.size
            or len(ln.text.split()) > 8
            or CAPTION.match(ln.text)
            or peek(heads, ln, unnumbered=False) is not None
        ):
            break
        out.append(j)
    return out


def peek(heads: Headings, line: Line, unnumbered: bool = True) -> Heading | None:
    """What the line would be, without moving the numbering on."""
    last = heads.last
    found = heads.match(line, back=False, unnumbered=unnumbered)
    heads.last = last
    return found
