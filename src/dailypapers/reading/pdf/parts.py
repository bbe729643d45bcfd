"""The smaller pieces of a PDF page's layout, as pure functions over lines: page furniture,
a printed table of contents, columns, paragraphs and their hyphens, tables, footnotes and
the entries of a bibliography."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dailypapers.reading.pdf.lines import Line, Page

_STAMP = re.compile(r"arXiv:\s?\d{4}\.\d{4,5}(v\d+)?\s*\[[\w.\- ]+\]\s*\d{1,2}\s+\w{3}\s+\d{4}")
_PAGE_NUMBER = re.compile(r"(?i)(page\s+)?(\d{1,4}|[ivxl]{1,6})(\s+(of|/)\s+\d{1,4})?")
_COPYRIGHT_START = re.compile(r"^(Permission to make digital or hard copies|Copyright ©|©\s?\d{4})")
_COPYRIGHT_LINE = re.compile(
    r"^(©\s?\d{4}|ACM ISBN|https://doi\.org/10\.1145|Publication rights licensed|"
    r"Copyright \d{4} by|Copyright held by|This work is licensed under)"
)
_CONTENTS_ENTRY = re.compile(r"^(.*[A-Za-z].*?)(?:\s*(?:\.\s*){2,}|\s+)(\d{1,3})$")
_MARKER = re.compile(r"^[\d∗*†‡§¶]")
CAPTION = re.compile(
    r"^(Table|TABLE|Figure|FIGURE|Fig\.|Algorithm|Listing)\s*(\d+|[A-Z]\.?\d+|[IVXL]+)"
    r"(\s*[:.|]|$)"  # "Table 2:", "Fig. 3." or IEEE's "TABLE II" alone on its line
)


def bare_label(line: Line) -> bool:
    """A caption's label on a line of its own (IEEE): the caption's text is the next line."""
    m = CAPTION.match(line.text)
    return m is not None and not line.text[m.end() :].strip()


_HEADING_NUMBER = re.compile(r"^\d{1,2}(\.\d{1,2}){0,3}\.?\s+[A-Z]")


def edge_lines(page: Page, k: int = 3) -> list[int]:
    """Indexes of the k highest and k lowest lines of a page: where headers and footers live."""
    order = sorted(range(len(page.lines)), key=lambda i: -page.lines[i].base)
    return order[:k] + order[-k:]


def _edge_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.strip().lower())


def drop_furniture(pages: Sequence[Page]) -> list[Line]:
    """All lines of the paper in reading order, without running headers and footers, page
    numbers, arXiv's margin stamp and a publisher's copyright block."""
    seen: Counter[str] = Counter()
    for page in pages:
        _attach_marks(page)
        seen.update({_edge_key(page.lines[i].text) for i in edge_lines(page)})
    threshold = max(2, round(0.25 * len(pages)))
    title = _title_key(pages)
    out: list[Line] = []
    for page in pages:
        edges = set(edge_lines(page))
        copyright_block = False
        for i, line in enumerate(page.lines):
            text = _STAMP.sub("", line.text).strip()
            if not text:
                continue
            if i in edges and (
                _PAGE_NUMBER.fullmatch(text)
                or (seen[_edge_key(line.text)] >= threshold and len(text) > 1)
                or (page is not pages[0] and title and _key(text).startswith(title))
            ):
                continue
            if _COPYRIGHT_START.match(text):
                copyright_block = True
            if copyright_block or _COPYRIGHT_LINE.match(text):
                copyright_block = copyright_block and "doi.org/" not in text
                continue
            line.text = text
            out.append(line)
    return out


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _title_key(pages: Sequence[Page]) -> str:
    """The start of the first page's largest line: a header repeating the title on a later
    page is furniture even when the paper is too short for it to repeat often."""
    lines = [ln for ln in pages[0].lines if len(ln.text) > 10] if pages else []
    if not lines:
        return ""
    return _key(max(lines, key=lambda ln: ln.size).text)[:24]


def _attach_marks(page: Page) -> None:
    """A footnote's mark that PDFium put on a line of its own goes back onto its line."""
    keep: list[Line] = []
    for i, ln in enumerate(page.lines):
        nxt = page.lines[i + 1] if i + 1 < len(page.lines) else None
        if (
            nxt is not None
            and len(ln.text) <= 3
            and _MARKER.match(ln.text)
            and ln.size < 0.85 * nxt.size
            and 0 <= nxt.x0 - ln.x1 < nxt.size
            and abs(nxt.top - ln.top) < nxt.size
        ):
            nxt.marked = True
            continue
        keep.append(ln)
    page.lines[:] = keep


def drop_contents(lines: list[Line], pages: int) -> list[Line]:
    """A printed table of contents ("1 Introduction ..... 3"): four or more entries in a row
    ending with page numbers that never go down. Its lines would pass for headings."""
    drop: set[int] = set()
    run: list[int] = []
    last = 0  # the page number the run's last entry points to
    for i, line in enumerate([*lines, None]):
        m = _contents_entry(line) if line is not None and line.page < 8 else None
        page = int(m.group(2)) if m else -1
        if m and 0 < page <= pages and (not run or page >= last):
            run.append(i)
            last = page
            continue
        if len(run) >= 4:
            drop.update(run)
            first = run[0]
            if first and re.fullmatch(r"(?i)(table of )?contents", lines[first - 1].text.strip()):
                drop.add(first - 1)
        run, last = ([i], page) if m and 0 < page <= pages else ([], 0)
    return [ln for i, ln in enumerate(lines) if i not in drop]


def _contents_entry(line: Line) -> re.Match[str] | None:
    text = line.text
    return _CONTENTS_ENTRY.match(text) if text[-1:].isdigit() and len(text) < 150 else None


@dataclass(slots=True)
class Columns:
    """Left and right edges of the text columns on each page, from the lines of body size."""

    lefts: dict[int, list[float]]
    rights: dict[int, list[float]]

    @classmethod
    def of(cls, lines: Sequence[Line], body: float) -> Columns:
        lefts: dict[int, Counter[int]] = {}
        rights: dict[int, Counter[int]] = {}
        for ln in lines:
            if abs(ln.size - body) < 0.1 * body:
                lefts.setdefault(ln.page, Counter())[round(ln.x0)] += 1
                rights.setdefault(ln.page, Counter())[round(ln.x1)] += 1

        def edges(counts: dict[int, Counter[int]]) -> dict[int, list[float]]:
            return {p: sorted(float(x) for x, n in c.items() if n >= 3) for p, c in counts.items()}

        return cls(edges(lefts), edges(rights))

    def left(self, line: Line) -> float:
        return max(
            (e for e in self.lefts.get(line.page, []) if e <= line.x0 + 1.5), default=line.x0
        )

    def right(self, line: Line) -> float:
        return min(
            (e for e in self.rights.get(line.page, []) if e >= line.x1 - 1.5), default=line.x1
        )


def same_column(a: Line, b: Line) -> bool:
    return a.page == b.page and a.x0 < b.x1 and b.x0 < a.x1


def body_size(lines: Sequence[Line]) -> float:
    sizes: Counter[float] = Counter()
    for ln in lines:
        sizes[round(ln.size * 2) / 2] += len(ln.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def line_spacing(lines: Sequence[Line], body: float) -> float:
    gaps = sorted(
        a.base - b.base
        for a, b in zip(lines, lines[1:], strict=False)
        if a.page == b.page and abs(a.size - body) < 0.5 and 0.8 * body < a.base - b.base < 2 * body
    )
    return gaps[len(gaps) // 2] if gaps else 1.2 * body


def paragraph_break(prev: Line, cur: Line, cols: Columns, spacing: float) -> bool:
    """Whether `cur` starts a new paragraph after `prev`: a wider gap, a first-line indent,
    a change of size, or a short line that ended a sentence."""
    size = cur.size
    ended = prev.text.rstrip().endswith((".", "!", "?", ":"))
    short = prev.x1 < cols.right(prev) - 2.5 * size
    if abs(prev.size - cur.size) > 0.15 * max(prev.size, cur.size):
        return True
    left = prev.x0 if same_column(prev, cur) and prev.base > cur.base else cols.left(cur)
    if 0.7 * size < cur.x0 - left < 6 * size:  # a first-line indent
        return True
    if same_column(prev, cur) and prev.base - cur.base > 1.5 * spacing:
        return True
    return ended and short


class Joiner:
    """Joins lines into running text, deciding each line-end hyphen from the paper's own
    words: "classifi-cation" is joined when "classification" occurs in the paper or the
    halves are no words, "knowledge-generating" keeps its hyphen when both halves are."""

    def __init__(self, lines: Sequence[Line]) -> None:
        parts = []
        for prev, ln in zip([None, *lines], lines, strict=False):
            text = ln.text.lower()
            if ln.hyphen or text.endswith("-"):  # the halves of a broken word are no words
                text = text.rsplit(" ", 1)[0] if " " in text else ""
            if prev is not None and (prev.hyphen or prev.text.endswith("-")):
                text = text.split(" ", 1)[1] if " " in text else ""
            parts.append(text)
        text = " ".join(parts)
        self.words = set(re.findall(r"[a-z]+", text))
        self.hyphenated = set(re.findall(r"[a-z]+-[a-z]+", text))

    def join(self, lines: Sequence[Line]) -> str:
        text = ""
        for i, ln in enumerate(lines):
            part = ln.text.strip()
            if not text:
                text = part
                continue
            prev = lines[i - 1]
            if prev.hyphen or (text.endswith("-") and not text.endswith(" -")):
                text = self._hyphen(text.removesuffix("-"), part)
            else:
                text = f"{text} {part}"
        return text

    def _hyphen(self, left: str, right: str) -> str:
        head = re.search(r"([A-Za-z]+)$", left)
        tail = re.match(r"([A-Za-z]+)", right)
        if not head or not tail:
            return f"{left}-{right}"
        a, b = head.group(1), tail.group(1)
        whole = (a + b).lower()
        if f"{a}-{b}".lower() in self.hyphenated:
            return f"{left}-{right}"
        if whole in self.words:
            return left + right
        if b[0].isupper():  # "Sync-Net", "PaSa-GPT"
            return f"{left}-{right}"
        halves = a.lower() in self.words and (b.lower() in self.words or len(b) >= 5)
        if len(a) >= 4 and len(b) >= 4 and halves:  # "knowledge-generating", "-intensive"
            return f"{left}-{right}"
        return left + right


_NUMERIC = re.compile(r"^[-+−±(]?[\d.,]+[%)×x]?$|^[-–—✓✗×]$")


def tabular(line: Line) -> bool:
    """A table row: cells apart with none of them a run of prose, or mostly numbers."""
    lengths = sorted(len(c) for _, _, c in line.cells)
    if len(lengths) == 2 and _HEADING_NUMBER.match(line.text):
        return False  # "2 RELATED WORK": a heading's number set apart
    if len(lengths) >= 2 and lengths[-1] <= 45 and lengths[len(lengths) // 2] <= 25:
        return True
    tokens = line.text.split()
    numbers = sum(bool(_NUMERIC.match(t)) for t in tokens)
    return numbers >= 3 and numbers >= 0.5 * len(tokens)


def _words(cell: tuple[float, float, str]) -> list[tuple[float, float, str]]:
    """A cell's words, each placed in proportion to its offset in the cell."""
    x0, x1, text = cell
    step = (x1 - x0) / max(len(text), 1)
    out, at = [], 0
    for word in text.split():
        at = text.index(word, at)
        out.append((x0 + at * step, x0 + (at + len(word)) * step, word))
        at += len(word)
    return out


def _row(line: Line) -> list[tuple[float, float, str]]:
    """A row's cells; a cell of numbers set closer than the cell gap is split at its spaces."""
    out = []
    for cell in line.cells:
        tokens = cell[2].split()
        if len(tokens) > 1 and sum(bool(_NUMERIC.match(t)) for t in tokens) >= len(tokens) - 1:
            out.extend(_words(cell))
        else:
            out.append(cell)
    return out


def table_markdown(rows: Sequence[Line]) -> str:
    """Rows of cells as a Markdown table; columns come from the rows with the most common
    number of cells, other rows' cells go to the nearest column."""
    cells = [_row(r) for r in rows]
    counts = Counter(len(c) for c in cells)
    width = max(n for n, c in counts.items() if c == max(counts.values()))
    model = next(c for c in cells if len(c) == width)
    centres = [(a + b) / 2 for a, b, _ in model]
    table: list[list[str]] = []
    for row in cells:
        out = [""] * width
        if len(row) == width:
            out = [c for _, _, c in row]
        else:  # fewer cells (a header set close): each word goes to its nearest column
            for a, b, c in (w for cell in row for w in _words(cell)):
                col = min(range(width), key=lambda k: abs(centres[k] - (a + b) / 2))
                out[col] = f"{out[col]} {c}".strip()
        table.append([c.replace("|", "\\|") for c in out])
    lines = ["| " + " | ".join(table[0]) + " |", "|" + "---|" * width]
    lines.extend("| " + " | ".join(row) + " |" for row in table[1:])
    return "\n".join(lines)


def column_of(line: Line, middle: float) -> int:
    """0 left, 1 right, 2 across the middle of the page."""
    return 0 if line.x1 < middle + 5 else 1 if line.x0 > middle - 5 else 2


def footnote_lines(lines: Sequence[Line], middles: dict[int, float], end: int) -> set[int]:
    """Indexes of footnote lines before `end`: the lines at the foot of a column smaller than
    the column's text, the highest of which starts with a mark."""
    halves: Counter[tuple[int, int]] = Counter()
    for ln in lines[:end]:
        if len(ln.text) > 30:
            halves[(ln.page, column_of(ln, middles[ln.page]))] += 1
    columns: dict[tuple[int, int], list[int]] = {}
    for i in range(end):
        ln = lines[i]
        two = halves[(ln.page, 0)] >= 5 and halves[(ln.page, 1)] >= 5
        columns.setdefault((ln.page, column_of(ln, middles[ln.page]) if two else 2), []).append(i)
    notes: set[int] = set()
    for idxs in columns.values():
        if len(idxs) < 3:
            continue
        sizes = sorted(lines[i].size for i in idxs)
        text = sizes[len(sizes) // 2]
        foot: list[int] = []
        for i in sorted(idxs, key=lambda i: lines[i].base):
            if lines[i].size > 0.93 * text:
                break
            foot.append(i)
        if foot and len(foot) < len(idxs) // 2 + 1:
            top = foot[-1]
            if lines[top].marked or _MARKER.match(lines[top].text):
                notes.update(foot)
    return notes


def footnote_entries(lines: Sequence[Line], joiner: Joiner) -> list[str]:
    entries: list[list[Line]] = []
    for ln in lines:
        if ln.marked or _MARKER.match(ln.text) or not entries:
            entries.append([ln])
        else:
            entries[-1].append(ln)
    return [joiner.join(e) for e in entries]


def reference_entries(lines: Sequence[Line], joiner: Joiner, spacing: float) -> list[str]:
    """Split a bibliography into entries: by their numbers ([1] or 1.), else by the hanging
    indent of continuation lines, else by the wider gap between entries."""
    if not lines:
        return []
    starts = [i for i, ln in enumerate(lines) if re.match(r"^\[\d{1,3}\]", ln.text)]
    if len(starts) < 3:
        starts = _numbered_starts(lines)
    if len(starts) < 3:
        starts = _hanging_starts(lines)
    if len(starts) < 3:
        starts = [0] + [
            i
            for i in range(1, len(lines))
            if lines[i - 1].page != lines[i].page
            or lines[i - 1].base - lines[i].base > 1.25 * spacing
            or lines[i].base > lines[i - 1].base
        ]
    bounds = sorted({0, *starts}) + [len(lines)]
    return [joiner.join(lines[a:b]) for a, b in zip(bounds, bounds[1:], strict=False) if a < b]


def _numbered_starts(lines: Sequence[Line]) -> list[int]:
    starts, expect = [], 1
    for i, ln in enumerate(lines):
        m = re.match(r"^(\d{1,3})\.?\s+\S", ln.text)
        if m and int(m.group(1)) == expect:
            starts.append(i)
            expect += 1
    return starts


def _hanging_starts(lines: Sequence[Line]) -> list[int]:
    lefts: dict[int, list[float]] = {}
    for ln in sorted(lines, key=lambda ln: ln.x0):
        edges = lefts.setdefault(ln.page, [])
        if not edges or ln.x0 - edges[-1] > 25:
            edges.append(ln.x0)

    def flush(ln: Line) -> bool:
        left = max((e for e in lefts[ln.page] if e <= ln.x0), default=ln.x0)
        return ln.x0 - left < 0.4 * ln.size

    starts = [i for i, ln in enumerate(lines) if flush(ln)]
    return starts if len(lines) - len(starts) >= 0.2 * len(lines) else []


def float_regions(
    lines: Sequence[Line], body: float, cols: Columns, skip: set[int]
) -> tuple[dict[int, list[Line]], set[int]]:
    """Rows of each table (keyed by its caption's index) and the lines that are text inside
    figures: the tabular lines next to a table caption, the non-prose lines before a figure's."""
    tables: dict[int, list[Line]] = {}
    used: set[int] = set()
    for i, ln in enumerate(lines):
        m = CAPTION.match(ln.text)
        if not m or i in skip:
            continue
        end = i + 1 if bare_label(ln) and i + 1 < len(lines) else i
        while (
            end + 1 < len(lines)
            and not _starts_rows(lines, end + 1)
            and not paragraph_break(lines[end], lines[end + 1], cols, body * 1.2)
        ):
            end += 1
        if m.group(1).lower().startswith("tab"):
            before = _run(lines, i, -1, tabular, skip | used)
            after = _run(lines, end, 1, tabular, skip | used)
            rows = before if len(before) >= len(after) else after
            if len(rows) >= 2:
                tables[i] = [lines[j] for j in sorted(rows)]
                used.update(rows)
        else:

            def figure_text(x: Line) -> bool:
                width = cols.right(x) - cols.left(x)
                prose = abs(x.size - body) <= 0.1 * body and x.x1 - x.x0 >= 0.6 * width
                return x.figure or not (prose or x.text.endswith("."))

            used.update(_run(lines, i, -1, figure_text, skip | used))
    figures = {j for j in used if not any(lines[j] in rows for rows in tables.values())}
    return tables, figures


def _run(
    lines: Sequence[Line], at: int, step: int, ok: Callable[[Line], bool], skip: set[int]
) -> list[int]:
    out: list[int] = []
    j = at + step
    page = lines[at].page
    while 0 <= j < len(lines) and lines[j].page == page and j not in skip and len(out) < 80:
        if ok(lines[j]):
            out.append(j)
        elif 0 <= j + step < len(lines) and ok(lines[j + step]) and _bridge(lines[j]):
            out.append(j)  # a one-cell row (a spanning header) between two tabular rows
        else:
            break
        j += step
    return out


def _starts_rows(lines: Sequence[Line], i: int) -> bool:
    """Rows begin at line i: it is tabular, or a header set close above a tabular row."""
    nxt = lines[i + 1] if i + 1 < len(lines) else None
    return tabular(lines[i]) or (nxt is not None and _bridge(lines[i]) and tabular(nxt))


def _bridge(line: Line) -> bool:
    """A row set close (a header, a spanning label) may sit next to tabular rows; a heading
    or the end of a sentence not."""
    text = line.text.strip()
    return (
        len(text.split()) <= 8
        and not text.endswith((".", ":"))
        and not _HEADING_NUMBER.match(text)
        and not CAPTION.match(text)
    )
