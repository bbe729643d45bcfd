"""Positioned lines of a PDF → Document: title, authors, abstract, section tree, tables,
captions, footnotes and references, read from fonts and geometry (headings: pdfheadings).
Pure functions."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from dailypapers.core.models import Author, Block, BlockKind, Document, Section, classify_section
from dailypapers.reading.names import AFFILIATION
from dailypapers.reading.pdf.headings import META, Heading, Headings, peek, wrapped
from dailypapers.reading.pdf.lines import Line, Page
from dailypapers.reading.pdf.parts import (
    CAPTION,
    Columns,
    Joiner,
    bare_label,
    body_size,
    drop_contents,
    drop_furniture,
    float_regions,
    footnote_entries,
    footnote_lines,
    line_spacing,
    paragraph_break,
    reference_entries,
    same_column,
    table_markdown,
)

_RUN_IN_ABSTRACT = re.compile(r"(?i)^abstract\s*[—–\-:.]\s*(\S.*)$")
_NOT_A_NAME = re.compile(  # lines set under a title: arxiv.sty's "A PREPRINT" and the like
    r"(?i)^(a )?(preprint|technical report|working paper|draft|under review|extended abstract)"
)
_SMALL_WORDS = {"a", "an", "the", "and", "or", "for", "of", "on", "in", "to", "with", "at", "by"}
_SMALL_WORDS |= {"via", "from", "as", "vs", "into", "is", "are"}
_PARTICLES = {"de", "van", "von", "der", "den", "di", "da", "la", "le", "du", "del", "bin", "al"}


@dataclass
class _Front:
    title: str
    authors: list[str]
    start: int  # first line after the author block


def front_matter(
    lines: Sequence[Line], pages: Sequence[Page], body: float, heads: Headings, meta_title: str
) -> _Front:
    """The title is the first large line in the upper half of the first page (with the lines
    of its size that follow it); the authors are the name-like parts of the lines between it
    and the abstract, the first heading or the first paragraph."""
    first = lines[0].page if lines else 0
    height = next((p.height for p in pages if p.index == first), 792.0)
    t = next(
        (
            i
            for i, ln in enumerate(lines[:60])
            if ln.page == first
            and ln.size >= 1.15 * body
            and len(ln.text) >= 8
            and not ln.figure
            and ln.top > 0.45 * height
        ),
        None,
    )
    end = 0
    title = ""
    if t is not None:
        end = t + 1
        while (
            end < len(lines)
            and lines[end].page == first
            and abs(lines[end].size - lines[t].size) < 0.6
            and lines[end - 1].base - lines[end].base < 2.5 * lines[t].size
        ):
            end += 1
        title = _recase(" ".join(ln.text for ln in lines[t:end]))
    if not title:
        good = len(meta_title) > 8 and not re.search(
            r"(?i)\.(tex|dvi|pdf|docx?)$|untitled|^microsoft", meta_title
        )
        title = meta_title.strip() if good else (lines[0].text if lines else "")
    stop = end
    while stop < len(lines) and stop < end + 40 and lines[stop].page == first:
        ln = lines[stop]
        if (
            heads.match(ln, back=False, unnumbered=False)
            or _RUN_IN_ABSTRACT.match(ln.text)
            or _prose_at(lines, stop)
        ):
            break
        stop += 1
    heads.last = None
    return _Front(title, _names(lines[end:stop]), stop)


def _recase(title: str) -> str:
    """A title set in capitals (arxiv.sty) in title case; short words and words with digits
    keep their capitals, as they are often acronyms (LLM, GPT-4)."""
    if not title.isupper():
        return title
    words = []
    for i, word in enumerate(title.split()):
        parts = []
        for part in word.split("-"):
            low = part.lower()
            if i and low in _SMALL_WORDS:
                parts.append(low)
            elif len(part) <= 3 or any(c.isdigit() for c in part):
                parts.append(part)
            else:
                parts.append(part.capitalize())
        words.append("-".join(parts))
    return " ".join(words)


def _prose_at(lines: Sequence[Line], i: int) -> bool:
    """Two long lines of one size, or two justified ones: a paragraph (an abstract with no
    heading, or the text of a column), not names."""
    nxt = lines[i + 1] if i + 1 < len(lines) else None
    if nxt is None or abs(lines[i].size - nxt.size) >= 0.3 or not same_column(lines[i], nxt):
        return False
    words = min(len(ln.text.split()) for ln in (lines[i], nxt))
    justified = abs(lines[i].x0 - nxt.x0) < 3 and abs(lines[i].x1 - nxt.x1) < 3
    named = any(AFFILIATION.search(ln.text) for ln in (lines[i], nxt))
    return words >= 10 or (words >= 6 and justified and not named)


def _names(lines: Sequence[Line]) -> list[str]:
    """Name-like parts of the author block. A line naming an institution is an affiliation,
    except for the parts before it on a line in the names' size: ACM journals set "NAME,
    Institution, Country" on one line."""
    names: list[str] = []
    size = None
    for ln in lines:
        if ln.marked or ln.figure:
            continue
        affiliation = bool(AFFILIATION.search(ln.text))
        if size is not None and ln.size < size - 0.6:
            continue
        for piece in ln.pieces:
            for part in re.split(r",|;|\band\b|&|\s{2,}", piece):
                if affiliation and AFFILIATION.search(part):
                    break
                name = _name(part.strip(" ∗*†‡§¶"))
                if name and name not in names:
                    names.append(name)
                    size = size or ln.size
    return names


def _name(part: str) -> str | None:
    if _NOT_A_NAME.match(part):
        return None
    if part.isupper():
        part = part.title()
    words = part.split()
    if not 2 <= len(words) <= 5 or any(c.isdigit() for c in part) or AFFILIATION.search(part):
        return None
    for w in words:
        if w.lower() in _PARTICLES:
            continue
        if not w[0].isupper() or not any(c.isalpha() for c in w):
            return None
    return part


@dataclass
class _Walk:
    """The state of one pass over the body lines."""

    joiner: Joiner
    cols: Columns
    spacing: float
    tables: dict[int, list[Line]]
    mode: str = "front"
    sections: list[Section] = field(default_factory=list)
    front: list[str] = field(default_factory=list)
    abstract: list[str] = field(default_factory=list)
    refs: list[Line] = field(default_factory=list)
    para: list[Line] = field(default_factory=list)
    caption_at: int | None = None

    def flush(self) -> None:
        if not self.para:
            return
        text = self.joiner.join(self.para)
        block = self._block(text)
        self.para, self.caption_at = [], None
        if self.mode == "abstract":
            self.abstract.append(text)
        elif self.mode == "front" and not self.sections:
            self.front.append(text)
        elif block is not None:
            if not self.sections:
                self.sections.append(Section(title="", role="other"))
            self.sections[-1].blocks.append(block)

    def _block(self, text: str) -> Block | None:
        m = CAPTION.match(self.para[0].text)
        if self.caption_at is None or not m:
            return Block(kind="paragraph", text=text)
        label = f"{m.group(1).title().replace('Fig.', 'Figure')} {m.group(2)}"
        kind: BlockKind = "table" if label.startswith("Table") else "figure"
        rows = self.tables.get(self.caption_at, [])
        return Block(
            kind=kind, label=label, caption=text, text=table_markdown(rows) if rows else ""
        )

    def add(self, i: int, line: Line) -> None:
        starts_caption = bool(CAPTION.match(line.text))
        after_label = len(self.para) == 1 and bare_label(self.para[0])
        if self.para and (
            starts_caption
            or (not after_label and paragraph_break(self.para[-1], line, self.cols, self.spacing))
        ):
            self.flush()
        if starts_caption:
            self.caption_at = i
        self.para.append(line)

    def open(self, heading: Heading) -> None:
        self.flush()
        appendix = heading.kind == "appendix" or self.mode in ("refs", "back")
        self.mode = "back" if appendix else "body"
        level = heading.level
        parent = next((s.role for s in reversed(self.sections) if s.level < level), None)
        self.sections.append(
            Section(
                number=heading.number,
                title=_title_case(heading.title),
                level=level,
                appendix=appendix,
                role=classify_section(heading.title, appendix=appendix, parent=parent),
            )
        )


def _title_case(title: str) -> str:
    return title.title() if title.isupper() and len(title) > 3 else title


def build_document(
    pages: Sequence[Page],
    meta_title: str,
    *,
    arxiv_id: str | None,
    url: str | None,
    version: str | None,
) -> Document:
    lines = drop_contents(drop_furniture(pages), len(pages))
    body = body_size(lines)
    spacing = line_spacing(lines, body)
    cols = Columns.of(lines, body)
    joiner = Joiner(lines)
    heads = Headings(lines, body)
    front = front_matter(lines, pages, body, heads, meta_title)
    refs_at = next(
        (
            i
            for i in range(front.start, len(lines))
            if (h := peek(heads, lines[i])) and h.kind == "references"
        ),
        len(lines),
    )
    unheaded = _unheaded_references(lines, front.start) if refs_at == len(lines) else None
    refs_at = unheaded if unheaded is not None else refs_at
    notes = footnote_lines(lines, {p.index: p.width / 2 for p in pages}, refs_at)
    tables, figures = float_regions(lines, body, cols, notes)
    rows = {id(r) for rs in tables.values() for r in rs}
    walk = _Walk(joiner, cols, spacing, tables)
    note_lines: list[Line] = []
    consumed: set[int] = set()
    for i in range(front.start, len(lines)):
        ln = lines[i]
        if i == unheaded:
            walk.flush()
            walk.mode = "refs"
        if i in notes:
            note_lines.append(ln)
            continue
        if i in figures or ln.figure or id(ln) in rows:
            continue
        if i in consumed:
            continue
        heading = heads.match(ln, back=walk.mode in ("refs", "back"))
        if heading is None and walk.mode != "refs" and META.match(ln.text):
            heading = Heading("meta")
        if heading is not None:
            for j in wrapped(lines, i, heads):
                heading.title += " " + lines[j].text
                consumed.add(j)
            _enter(walk, heading)
            continue
        run_in = _RUN_IN_ABSTRACT.match(ln.text)
        if run_in and walk.mode == "front":
            walk.flush()
            walk.mode = "abstract"
            ln = dataclasses.replace(ln, text=run_in.group(1))
        if walk.mode == "meta":
            continue
        if walk.mode == "refs":
            walk.refs.append(ln)
        elif (
            walk.mode in ("body", "back")
            and walk.caption_at is None
            and not 0.7 * body <= ln.size <= 1.6 * body
        ):
            continue  # stray large or tiny text: a figure's
        else:
            walk.add(i, ln)
    walk.flush()
    abstract = walk.abstract or walk.front
    if walk.abstract and walk.front:
        walk.sections.insert(
            0,
            Section(
                title="", role="other", blocks=[Block(kind="paragraph", text=t) for t in walk.front]
            ),
        )
    text = "\n".join(ln.text for ln in lines)
    return Document(
        arxiv_id=arxiv_id,
        version=version,
        source="pdf",
        url=url,
        title=front.title,
        authors=[Author(name=a) for a in front.authors],
        abstract=" ".join(abstract),
        sections=walk.sections,
        footnotes=footnote_entries(note_lines, joiner),
        bibliography=reference_entries(walk.refs, joiner, spacing),
        hidden_chars=sum(p.hidden for p in pages),
        links=sorted(
            set(re.findall(r"https?://[\w-]+(?:\.[\w-]+)+(?:/[^\s)\]}>,]*[^\s)\]}>,.])?", text))
        ),
    )


def _unheaded_references(lines: Sequence[Line], start: int) -> int | None:
    """Where a bibliography with no heading begins (APS journals): the last line opening
    "[1]", in the second half of the paper, with a "[2]" soon after it."""
    for i in range(len(lines) - 1, start - 1, -1):
        if lines[i].text.startswith("[1]"):
            follows = any(ln.text.startswith("[2]") for ln in lines[i + 1 : i + 40])
            return i if follows and i > start + (len(lines) - start) // 2 else None
    return None


def _enter(walk: _Walk, heading: Heading) -> None:
    if heading.kind in ("abstract", "references", "meta"):
        walk.flush()
        walk.mode = {"abstract": "abstract", "references": "refs", "meta": "meta"}[heading.kind]
        if heading.kind == "meta" and walk.sections:
            walk.mode = "meta"
        return
    walk.open(heading)
