"""Positioned text lines of a PDF page: what `pdf` extracts and `pdflayout` reads.

Coordinates are PDF points with the origin at the bottom left, so a larger y is higher."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

_LIGATURES = str.maketrans(
    {"ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "\u00ad": ""}
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff\ue000-\uf8ff]")
_MARK = re.compile(r"^[\d,∗*†‡§¶♦♣♠♥□⋄◇○•♭♮♯#a-e]{1,6}$")
_MATH_LETTERS = re.compile(r"[\U0001D400-\U0001D7FF]")  # 𝑝, 𝜒: italic maths letters
CELL_GAP = 0.9  # a gap of this many ems between two runs separates table cells


def clean(text: str) -> str:
    """Ligatures spelt out; control, private-use and lone surrogate characters dropped (PDFium
    gives a character beyond the BMP as two surrogates)."""
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").replace("\ufffd", "")
    text = _MATH_LETTERS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return _CONTROL.sub("", text.translate(_LIGATURES))


@dataclass(slots=True)
class Run:
    """Characters of one size and weight drawn next to each other."""

    text: str
    x0: float
    x1: float
    y0: float
    y1: float
    size: float
    bold: bool
    figure: int  # characters inside an embedded figure's box
    spaced: bool  # a space separates it from the run before


@dataclass(slots=True)
class Line:
    text: str  # footnote marks (raised small digits and symbols) left out
    x0: float
    x1: float
    base: float  # bottom of the line's main-size characters
    top: float
    size: float
    bold: bool
    figure: bool
    marked: bool  # starts with a raised mark: a footnote or an affiliation
    hyphen: bool  # ends with a hyphen PDFium joined across the line break
    pieces: list[str] = field(default_factory=list)  # text split at marks and wide gaps
    cells: list[tuple[float, float, str]] = field(default_factory=list)
    page: int = 0

    @classmethod
    def of(cls, runs: list[Run], hyphen: bool = False) -> Line:
        weights: Counter[float] = Counter()
        for r in runs:
            weights[round(r.size, 1)] += len(r.text)
        size = weights.most_common(1)[0][0]
        main = [r for r in runs if abs(r.size - size) < 0.25] or runs
        base = sorted(r.y0 for r in main)[len(main) // 2]
        chars = sum(len(r.text) for r in runs)
        text, piece = "", ""
        pieces: list[str] = []
        cells: list[tuple[float, float, str]] = []
        for i, r in enumerate(runs):
            raised = r.size < 0.85 * size and r.y0 > base + 0.2 * size
            wide = i > 0 and r.x0 - runs[i - 1].x1 >= CELL_GAP * size
            if wide or (raised and _MARK.match(r.text.strip())):
                if piece.strip():
                    pieces.append(piece.strip())
                piece = ""
                if raised and _MARK.match(r.text.strip()):
                    continue
            sep = " " if r.spaced and text and not text.endswith(" ") else ""
            text += sep + r.text
            piece += sep + r.text
            if wide or not cells:
                cells.append((r.x0, r.x1, r.text))
            else:
                x0, _, cell = cells[-1]
                cells[-1] = (x0, r.x1, cell + sep + r.text)
        if piece.strip():
            pieces.append(piece.strip())
        first = runs[0]
        return cls(
            text=clean(text.strip()),
            x0=min(r.x0 for r in runs),
            x1=max(r.x1 for r in runs),
            base=base,
            top=max(r.y1 for r in runs),
            size=size,
            bold=sum(len(r.text) for r in runs if r.bold) >= 0.6 * chars,
            figure=sum(r.figure for r in runs) >= 0.5 * chars,
            marked=first.size < 0.85 * size and first.y0 > base + 0.2 * size,
            hyphen=hyphen,
            pieces=[clean(p) for p in pieces],
            cells=[(a, b, clean(c.strip())) for a, b, c in cells],
        )


@dataclass(slots=True)
class Page:
    index: int
    width: float
    height: float
    lines: list[Line]
    hidden: int  # characters of invisible text dropped
