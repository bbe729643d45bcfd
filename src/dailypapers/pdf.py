"""PDF → Document, for papers arXiv has no usable HTML for. Pure functions over bytes.

pypdf gives us the text page by page; the structure comes from heuristics: running headers
and footers are lines repeated at the page edges, section headings are numbered lines whose
numbers follow on from the previous heading (which rules out list items and table rows)."""

from __future__ import annotations

import io
import re
from collections import Counter

from pypdf import PageObject, PdfReader
from pypdf.errors import DependencyError, PdfReadError

from .errors import ParseError
from .models import Author, Block, BlockKind, Document, Section, classify_section

_LIGATURES = str.maketrans({"ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "\u00ad": ""})
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+([A-Z][^\n]{1,90})$")
_LETTERED = re.compile(r"^(?:Appendix\s+)?([A-H](?:\.\d{1,2}){0,2})\.?\s+([A-Z][^\n]{1,90})$")
_NAMED = re.compile(
    r"^(abstract|introduction|related work|background|conclusions?|discussion|limitations|"
    r"references|bibliography|acknowledge?ments?|appendix|broader impacts?|ethics statement)"
    r"\s*$",
    re.I,
)
_CAPTION = re.compile(r"^(Table|Figure|Fig\.)\s+(\d+|[A-Z]\d+)\s*[:.]")
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|\band\b|[†‡♦♣□⋄∗*§¶♠♥]|\d+|\s{2,})\s*")


def parse_pdf(
    data: bytes, *, arxiv_id: str | None = None, url: str | None = None, version: str | None = None
) -> Document:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):  # permissions-only PDFs open
            raise ParseError(f"the PDF of {arxiv_id or url} is protected by a password", url=url)
        read = [visible_text(p) for p in reader.pages]
        pages = [text.translate(_LIGATURES) for text, _ in read]
        meta_title = str(reader.metadata.get("/Title") or "").strip() if reader.metadata else ""
    except (PdfReadError, ValueError, KeyError, TypeError, DependencyError) as e:
        raise ParseError(f"cannot read the PDF of {arxiv_id or url}: {e}", url=url) from None
    lines = strip_running_lines([p.splitlines() for p in pages])
    if sum(len(ln) for ln in lines) < 500:
        raise ParseError(
            f"the PDF of {arxiv_id or url} has no extractable text (scanned?)", url=url
        )
    title, authors, start = _front_matter(lines, meta_title)
    sections, abstract, bibliography = _sections(lines[start:])
    return Document(
        arxiv_id=arxiv_id,
        version=version,
        source="pdf",
        url=url,
        title=title,
        authors=[Author(name=a) for a in authors],
        abstract=abstract,
        sections=sections,
        bibliography=bibliography,
        hidden_chars=sum(hidden for _, hidden in read),
        links=sorted(
            set(
                re.findall(
                    r"https?://[\w-]+(?:\.[\w-]+)+(?:/[^\s)\]}>,]*[^\s)\]}>,.])?", "\n".join(lines)
                )
            )
        ),
    )


_WHITE_FILL = {(1.0,), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0, 0.0)}  # g, rg, k
_INVISIBLE_MODES = (3, 7)  # text render modes that paint nothing


def visible_text(page: PageObject) -> tuple[str, int]:
    """The page's text without what no reader sees: white, invisible-mode, sub-point or
    off-page text; (text, characters dropped). A page whose only text is invisible is a
    scanned page's OCR layer, which is the paper's text, so it is kept. Position is judged
    only for text drawn by the page itself: pypdf reports a figure's text (a form XObject)
    in the form's own coordinates."""
    stack: list[tuple[tuple[float, ...], int]] = [((0.0,), 0)]
    hidden: list[str] = []
    shown = 0
    forms = 0  # how deep inside form XObjects we are
    box = page.mediabox

    def after(op: bytes, args: list, cm: list, tm: list) -> None:
        nonlocal forms
        if op == b"Do":
            forms -= 1

    def operand(op: bytes, args: list, cm: list, tm: list) -> None:
        nonlocal forms
        fill, mode = stack[-1]
        if op == b"Do":
            forms += 1
        elif op == b"q":
            stack.append(stack[-1])
        elif op == b"Q" and len(stack) > 1:
            stack.pop()
        elif op == b"Tr" and args:
            stack[-1] = (fill, int(args[0]))
        elif op in (b"g", b"rg", b"k", b"sc", b"scn") and all(
            isinstance(a, int | float) for a in args
        ):
            stack[-1] = (tuple(round(float(a), 2) for a in args), mode)

    def text(chunk: str, cm: list, tm: list, font: object, size: float) -> None:
        nonlocal shown
        if not chunk.strip():
            return
        fill, mode = stack[-1]
        scale = (abs(tm[0] * tm[3] - tm[1] * tm[2]) * abs(cm[0] * cm[3] - cm[1] * cm[2])) ** 0.5
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        off_page = not forms and not (
            box.left - 72 <= x <= box.right and box.bottom - 72 <= y <= box.top + 72
        )
        if fill in _WHITE_FILL or mode in _INVISIBLE_MODES or size * scale < 1 or off_page:
            hidden.append(chunk.strip())
        else:
            shown += len(chunk)

    out = (
        page.extract_text(
            visitor_operand_before=operand, visitor_operand_after=after, visitor_text=text
        )
        or ""
    )
    if not hidden or shown < 200:
        return out, 0
    for chunk in hidden:
        out = out.replace(chunk, "", 1)
    return out, sum(len(c) for c in hidden)


def _edge_key(line: str) -> str:
    return re.sub(r"\d+", "#", line.strip().lower())


def strip_running_lines(pages: list[list[str]]) -> list[str]:
    """Drop page numbers and the headers/footers that repeat at page edges; join the pages."""
    edges: Counter[str] = Counter()
    for page in pages:
        body = [ln for ln in page if ln.strip()]
        for ln in {_edge_key(x) for x in body[:2] + body[-2:]}:
            edges[ln] += 1
    threshold = max(2, int(0.3 * len(pages)))
    running = {k for k, n in edges.items() if n >= threshold and len(k) > 1}
    out: list[str] = []
    for page in pages:
        body = [ln.rstrip() for ln in page if ln.strip()]
        for i, ln in enumerate(body):
            at_edge = i < 2 or i >= len(body) - 2
            if at_edge and (_edge_key(ln) in running or re.fullmatch(r"\s*\d{1,4}\s*", ln)):
                continue
            out.append(ln)
    return out


def _front_matter(lines: list[str], meta_title: str) -> tuple[str, list[str], int]:
    """Title (metadata, else the first lines), author names, and where the body starts."""
    i = 0
    title_lines: list[str] = []
    while i < min(len(lines), 4) and not re.search(r"[†‡♦♣□⋄∗*@,]|\d$", lines[i]):
        title_lines.append(lines[i].strip())
        i += 1
    title = meta_title if len(meta_title) > 8 else " ".join(title_lines) or "Untitled"
    authors: list[str] = []
    while (
        i < len(lines)
        and not _NAMED.match(lines[i].strip())
        and not _NUMBERED.match(lines[i].strip())
    ):
        line = lines[i]
        if re.search(r"@|univ|institut|college|lab\b|research|inc\b|school", line, re.I):
            i += 1
            continue
        authors.extend(p for p in _AUTHOR_SPLIT.split(line) if _looks_like_name(p))
        i += 1
    if i >= len(lines):
        return title, authors, len(title_lines)
    return title, authors, i


def _looks_like_name(part: str) -> bool:
    words = part.split()
    return 2 <= len(words) <= 5 and all(w[0].isupper() for w in words if w[0].isalpha())


def _heading(line: str, last: tuple[str, ...] | None, in_back: bool) -> tuple[str | None, str]:
    """(number, title) if the line is a section heading that follows on from `last`."""
    text = line.strip()
    if _NAMED.match(text):
        return None, text
    m = _NUMBERED.match(text) or (_LETTERED.match(text) if in_back else None)
    if not m or len(m.group(2).split()) > 12 or m.group(2).rstrip().endswith((".", ",", ";")):
        return "", ""
    if sum(c.isdigit() for c in m.group(2)) > 4:
        return "", ""
    number = m.group(1)
    if number[0].isdigit() and not _follows(tuple(number.split(".")), last):
        return "", ""
    return number, m.group(2).strip()


def _follows(num: tuple[str, ...], last: tuple[str, ...] | None) -> bool:
    if last is None or not last[0].isdigit():
        return num == ("1",) or (len(num) == 1 and int(num[0]) <= 2)
    ints = [int(x) for x in num]
    prev = [int(x) for x in last]
    if len(ints) == len(prev) + 1:
        return ints[:-1] == prev and ints[-1] == 1
    depth = len(ints)
    if depth > len(prev):
        return False
    return ints[:-1] == prev[: depth - 1] and ints[-1] == prev[depth - 1] + 1


def _sections(lines: list[str]) -> tuple[list[Section], str, list[str]]:
    sections: list[Section] = []
    bodies: list[list[str]] = []  # the lines of each section, turned into blocks at the end
    abstract_lines: list[str] = []
    bib_lines: list[str] = []
    current: list[str] | None = None
    last: tuple[str, ...] | None = None
    mode = "front"
    lines = _merge_wrapped_headings(lines)
    for line in lines:
        number, title = _heading(line, last, mode in ("refs", "appendix"))
        if title:
            low = title.lower()
            if low == "abstract":
                mode, current = "abstract", abstract_lines
                continue
            if low in ("references", "bibliography"):
                mode, current = "refs", bib_lines
                continue
            appendix = mode in ("refs", "appendix") and (
                not (number or "1")[0].isdigit() or low.startswith("appendix")
            )
            mode = "appendix" if appendix else "body"
            if number:
                last = tuple(number.split("."))
            level = number.count(".") + 1 if number else 1
            parent = next((s.role for s in reversed(sections) if s.level < level), None)
            sections.append(
                Section(
                    number=number,
                    title=_title_case(title),
                    level=level,
                    appendix=appendix,
                    role=classify_section(title, appendix=appendix, parent=parent),
                )
            )
            current = []
            bodies.append(current)
            continue
        if current is None:
            current = abstract_lines if mode == "front" else []
        current.append(line)
    for section, body in zip(sections, bodies, strict=True):
        section.blocks = to_blocks(body)
    return sections, " ".join(_paragraphs(abstract_lines)), _bib_entries(bib_lines)


def _merge_wrapped_headings(lines: list[str]) -> list[str]:
    """ACM-style upper-case headings wrap onto a second upper-case line; rejoin them."""
    out: list[str] = []
    for line in lines:
        prev = out[-1] if out else ""
        if (
            line.isupper()
            and len(line.split()) <= 6
            and prev.isupper()
            and _NUMBERED.match(prev.strip())
        ):
            out[-1] = f"{prev.strip()} {line.strip()}"
        else:
            out.append(line)
    return out


def _title_case(title: str) -> str:
    return title.title() if title.isupper() and len(title) > 3 else title


def _join(lines: list[str]) -> str:
    text = ""
    for ln in lines:
        ln = ln.strip()
        if text.endswith("-") and ln[:1].islower():
            text = text[:-1] + ln
        else:
            text = f"{text} {ln}" if text else ln
    return text


def _paragraphs(lines: list[str]) -> list[str]:
    """Group lines into paragraphs: a short line ending a sentence closes one."""
    if not lines:
        return []
    width = sorted(len(ln) for ln in lines)[len(lines) // 2]
    paras: list[str] = []
    buf: list[str] = []
    for ln in lines:
        if buf and _CAPTION.match(ln.strip()):
            paras.append(_join(buf))
            buf = []
        buf.append(ln)
        if ln.rstrip().endswith((".", ":", "?", "!")) and len(ln) < 0.75 * width:
            paras.append(_join(buf))
            buf = []
    if buf:
        paras.append(_join(buf))
    return [p for p in paras if p]


def to_blocks(lines: list[str]) -> list[Block]:
    blocks: list[Block] = []
    for para in _paragraphs(lines):
        m = _CAPTION.match(para)
        if m:
            label = f"{m.group(1)} {m.group(2)}"
            kind: BlockKind = "table" if m.group(1) == "Table" else "figure"
            blocks.append(Block(kind=kind, label=label, caption=para))
        else:
            blocks.append(Block(kind="paragraph", text=para))
    return blocks


def _bib_entries(lines: list[str]) -> list[str]:
    entries: list[list[str]] = []
    for ln in lines:
        if re.match(r"^\s*\[\d+\]", ln) or not entries:
            entries.append([ln])
        else:
            entries[-1].append(ln)
    if len(entries) <= 1:
        return _paragraphs(lines)
    return [_join(e) for e in entries]
