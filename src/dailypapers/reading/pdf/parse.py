"""PDF → Document, for papers arXiv has no usable HTML for.

PDFium (pypdfium2) gives every character with its box, font size, weight and the text object
it was drawn by; this module turns them into positioned lines (`pdflines.Line`) and drops
what no reader sees. The structure (title, authors, sections, tables, footnotes, references)
is read from those lines by `pdflayout`, a pure function of them. PDFium was chosen over
pypdf and pdfminer.six by measurement (see bench/parse_eval.py): per page it is 3-5x faster
than pypdf's plain text and 4-6x faster than pdfminer's layout analysis, and unlike pypdf's
text it keeps the geometry that tells a heading, a footnote or a table from prose."""

from __future__ import annotations

import ctypes
import math
import threading

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from dailypapers.core.errors import ParseError
from dailypapers.core.models import Document
from dailypapers.reading.pdf.layout import build_document
from dailypapers.reading.pdf.lines import Line, Page, Run

# PDFium is not thread-safe: one document is open at a time in this process.
PDFIUM = threading.Lock()
Box = tuple[float, float, float, float]  # left, bottom, right, top

_INVISIBLE_MODES = (3, 7)  # text render modes that paint nothing
_BOLD_NAMES = ("bold", "medi", "cmbx", "black", "heavy", "semibold", "demi", "tb", "-b")
_FORCE_BOLD = 1 << 18  # PDF font descriptor flag


# The two calls made for every character, declared to take and return plain addresses: the
# library's typed pointers cost a conversion per call.
def _address(function: object) -> int:
    return ctypes.cast(function, ctypes.c_void_p).value or 0  # type: ignore[arg-type]


_TEXT_OBJECT = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)(
    _address(pdfium_c.FPDFText_GetTextObject)
)
_DOUBLE_P = ctypes.POINTER(ctypes.c_double)
_CHAR_BOX = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.c_void_p, ctypes.c_int, _DOUBLE_P, _DOUBLE_P, _DOUBLE_P, _DOUBLE_P
)(_address(pdfium_c.FPDFText_GetCharBox))
_OCR_PAGE = 200  # a page with fewer visible characters than this and hidden text is a scan
# Pages read at most: an analysis packs ~24k tokens (~30 dense pages) by priority, and papers
# with appendices run to 60-100 pages; a 1,200-page volume costs minutes of CPU for nothing.
MAX_PAGES = 150


def parse_pdf(
    data: bytes, *, arxiv_id: str | None = None, url: str | None = None, version: str | None = None
) -> Document:
    name = arxiv_id or url
    with PDFIUM:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as e:
            if pdfium_c.FPDF_GetLastError() == pdfium_c.FPDF_ERR_PASSWORD:
                raise ParseError(f"the PDF of {name} is protected by a password", url=url) from None
            raise ParseError(f"cannot read the PDF of {name}: {e}", url=url) from None
        try:
            meta_title = str(pdf.get_metadata_value("Title") or "")
            total = len(pdf)
            pages = [read_page(pdf, i) for i in range(min(total, MAX_PAGES))]
        except pdfium.PdfiumError as e:
            raise ParseError(f"cannot read the PDF of {name}: {e}", url=url) from None
        finally:
            pdf.close()
    if sum(len(ln.text) for p in pages for ln in p.lines) < 500:
        raise ParseError(f"the PDF of {name} has no extractable text (scanned?)", url=url)
    doc = build_document(pages, meta_title, arxiv_id=arxiv_id, url=url, version=version)
    doc.pages_unread = max(0, total - MAX_PAGES)
    return doc


def read_page(pdf: pdfium.PdfDocument, index: int) -> Page:
    page = pdf[index]
    try:
        width, height = page.get_size()
        figures = _figure_boxes(page, width * height)
        textpage = pdfium_c.FPDFText_LoadPage(page.raw)
        try:
            reader = _CharReader(textpage, width, height, figures)
            visible, hidden = reader.lines()
        finally:
            pdfium_c.FPDFText_ClosePage(textpage)
    finally:
        page.close()
    for ln in visible + hidden:
        ln.page = index
    shown = sum(len(ln.text) for ln in visible)
    if hidden and shown < _OCR_PAGE:  # a scan's OCR layer is drawn invisible: it is the text
        return Page(index, width, height, visible + hidden, 0)
    return Page(index, width, height, visible, sum(len(ln.text) for ln in hidden))


def _figure_boxes(page: pdfium.PdfPage, area: float) -> list[Box]:
    """Boxes of embedded images and form XObjects (an included PDF figure): text drawn inside
    them is figure text, not prose. A form covering most of the page is a page wrapper."""
    boxes = []
    kinds = (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM)
    for obj in page.get_objects(filter=kinds, max_depth=1):
        left, bottom, right, top = obj.get_bounds()
        if (right - left) * (top - bottom) < 0.6 * area and right - left > 20 and top - bottom > 20:
            boxes.append((left, bottom, right, top))
    return boxes


class _CharReader:
    """Walks a text page's characters once, grouping them into runs (one font, one size)
    and runs into lines at PDFium's line breaks."""

    def __init__(self, textpage: object, width: float, height: float, figures: list[Box]) -> None:
        self.tp = textpage
        self.width, self.height, self.figures = width, height, figures
        self.fonts: dict[int | None, tuple[float, bool, bool, bool]] = {}
        self.box = [ctypes.c_double() for _ in range(4)]
        self.refs = [ctypes.byref(b) for b in self.box]

    def text(self) -> str:
        n = pdfium_c.FPDFText_CountChars(self.tp)
        if n <= 0:
            return ""
        buf = (ctypes.c_ushort * (n + 1))()
        pdfium_c.FPDFText_GetText(self.tp, 0, n, buf)
        text = bytes(buf)[: 2 * n].decode("utf-16-le", "replace")
        if len(text) != n:  # characters beyond the BMP: one code point per character index
            text = "".join(chr(pdfium_c.FPDFText_GetUnicode(self.tp, i)) for i in range(n))
        return text

    def font(self, i: int, obj: int | None) -> tuple[float, bool, bool, bool]:
        """(size, bold, hidden, rotated) of text object `obj`, which drew character i."""
        tp = self.tp
        size = pdfium_c.FPDFText_GetFontSize(tp, i)
        name = ctypes.create_string_buffer(128)
        flags = ctypes.c_int(0)
        pdfium_c.FPDFText_GetFontInfo(tp, i, name, 128, ctypes.byref(flags))
        weight = pdfium_c.FPDFText_GetFontWeight(tp, i)
        lowered = name.value.decode("latin-1").lower().split("+")[-1]
        bold = (
            weight >= 600
            or bool(flags.value & _FORCE_BOLD)
            or any(b in lowered for b in _BOLD_NAMES)
        )
        rgba = [ctypes.c_uint(0) for _ in range(4)]
        pdfium_c.FPDFText_GetFillColor(tp, i, *(ctypes.byref(c) for c in rgba))
        r, g, b, a = (c.value for c in rgba)
        handle = ctypes.cast(obj or 0, pdfium_c.FPDF_PAGEOBJECT)
        mode = pdfium_c.FPDFTextObj_GetTextRenderMode(handle) if obj else 0
        hidden = mode in _INVISIBLE_MODES or min(r, g, b) >= 250 or a == 0 or size < 1
        angle = pdfium_c.FPDFText_GetCharAngle(tp, i)
        rotated = angle > 0 and min(angle, abs(2 * math.pi - angle)) > 0.05
        return size, bold, hidden, rotated

    def lines(self) -> tuple[list[Line], list[Line]]:
        """(visible lines, hidden lines) of the page, in the order they were drawn."""
        visible: list[Line] = []
        hidden: list[Line] = []
        builders = {False: _LineBuilder(visible), True: _LineBuilder(hidden)}
        left, right, bottom, top = self.box
        tp = ctypes.cast(self.tp, ctypes.c_void_p)  # type: ignore[arg-type]
        get_box = _CHAR_BOX
        object_of = _TEXT_OBJECT
        fonts = self.fonts
        figures = self.figures
        width, height = self.width, self.height
        refs = self.refs
        for i, ch in enumerate(self.text()):
            if ch in "\r\n":
                builders[False].newline()
                builders[True].newline()
                continue
            if ch == "\ufffe":  # PDFium's mark for a hyphen that ends a line
                builders[False].end(hyphen=True)
                continue
            if ch.isspace():
                builders[False].space()
                builders[True].space()
                continue
            obj = object_of(tp, i)
            font = fonts.get(obj)
            if font is None:
                font = fonts[obj] = self.font(i, obj)
            size, bold, is_hidden, rotated = font
            if rotated:  # arXiv's margin stamp, rotated axis labels
                continue
            get_box(tp, i, *refs)
            x0, x1, y0, y1 = left.value, right.value, bottom.value, top.value
            if x1 < 0 or x0 > width or y1 < 0 or y0 > height:
                is_hidden = True
            in_figure = bool(figures) and any(
                f[0] <= x0 and x1 <= f[2] and f[1] <= y0 and y1 <= f[3] for f in figures
            )
            builders[is_hidden].char(ch, x0, x1, y0, y1, size, bold, in_figure)
        builders[False].end()
        builders[True].end()
        return visible, hidden


class _LineBuilder:
    def __init__(self, out: list[Line]) -> None:
        self.out = out
        self.runs: list[Run] = []
        self.gap = False
        self.pending = False  # PDFium broke the line here; the next character decides

    def space(self) -> None:
        self.gap = True

    def newline(self) -> None:
        self.pending = bool(self.runs)

    def _continues(self, x0: float, y0: float, y1: float, size: float) -> bool:
        """PDFium also breaks at a raised footnote mark or a subscript: a character to the
        right of the line and overlapping it vertically is still on it."""
        last = self.runs[-1]
        low = min(r.y0 for r in self.runs)
        high = max(r.y1 for r in self.runs)
        return last.x1 - 1 <= x0 < last.x1 + 3 * size and y0 < high and y1 > low

    def char(
        self,
        ch: str,
        x0: float,
        x1: float,
        y0: float,
        y1: float,
        size: float,
        bold: bool,
        in_figure: bool,
    ) -> None:
        if self.pending:
            self.pending = False
            if not self._continues(x0, y0, y1, size):
                self.end()
        runs = self.runs
        last = runs[-1] if runs else None
        if last is not None and x0 < last.x0 - 2 * size:  # drawn back at the left: a new line
            self.end()
            last = None
        if (
            last is not None
            and last.size == size
            and last.bold == bold
            and x0 - last.x1 < 0.9 * size
            and abs(y0 - last.y0) < 0.3 * size
        ):
            if self.gap:
                last.text += " "
            last.text += ch
            if x1 > last.x1:
                last.x1 = x1
            if y1 > last.y1:
                last.y1 = y1
            last.figure += in_figure
        else:
            spaced = self.gap or (last is not None and x0 - last.x1 > 0.2 * max(size, last.size))
            runs.append(Run(ch, x0, x1, y0, y1, size, bold, int(in_figure), spaced))
        self.gap = False

    def end(self, hyphen: bool = False) -> None:
        if self.runs:
            self.out.append(Line.of(self.runs, hyphen))
        self.runs = []
        self.gap = False
        self.pending = False
