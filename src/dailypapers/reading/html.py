"""LaTeXML HTML (arXiv's rendering, any of its page layouts) → Document. Pure functions.

We key on the paper itself, `article.ltx_document` and its `ltx_*` classes, which every
layout shares; the page chrome around it (navbar, header, footer, dialogs, banners) is never
read, except `#infobox`, which is where the newest layout puts version, category and licence."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from urllib.parse import urljoin

from lxml import etree

from dailypapers.core.errors import ConversionFailed, ParseError
from dailypapers.core.libxml import LIBXML
from dailypapers.core.models import Author, Block, Document, Role, Section, classify_section
from dailypapers.reading.invisible import find_invisible, hidden_text
from dailypapers.reading.names import AFFILIATION

SECTION_LEVELS = {
    "ltx_section": 1,
    "ltx_appendix": 1,
    "ltx_subsection": 2,
    "ltx_subsubsection": 3,
    "ltx_paragraph": 4,
    "ltx_subparagraph": 5,
}
_CONTROLS = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MARK = "\u2063"  # invisible separator: marks where a superscript stood
_NEXT_AUTHOR = "\n&"  # LaTeXML writes \And as "&" at the start of a line of the author block
_COLOUR = re.compile(
    r"\\(?:color|pagecolor)\s*(?:\[[^\]]*\])?\s*\{[^{}]*\}|\\definecolor\s*\{[^{}]*\}\s*\{[^{}]*\}\s*\{[^{}]*\}"
)
_COLOUR_ARG = re.compile(r"\\(?:textcolor|colorbox)\s*(?:\[[^\]]*\])?\s*\{[^{}]*\}")
_VERSION_IN_PATH = re.compile(r"/(?:html|abs|pdf)/([^/?#]+?)(v\d+)(?:[/?#]|$)")


def has_class(el: etree._Element, name: str) -> bool:
    return name in (el.get("class") or "").split()


def _has_any(el: etree._Element, names: tuple[str, ...]) -> bool:
    classes = el.get("class")
    return bool(classes) and any(c in names for c in classes.split())


def _find(el: etree._Element, *names: str) -> Iterator[etree._Element]:
    """Descendants of `el` with any of these classes, in document order."""
    for node in el.iterdescendants(etree.Element):
        if _has_any(node, names):
            yield node


def _find_first(el: etree._Element | None, *names: str) -> etree._Element | None:
    return None if el is None else next(_find(el, *names), None)


def _child(el: etree._Element, name: str) -> etree._Element | None:
    return next((c for c in el.iterchildren(etree.Element) if has_class(c, name)), None)


def _under(el: etree._Element, test: Callable[[etree._Element], bool]) -> bool:
    """Whether an ancestor of `el` passes the test."""
    return any(test(a) for a in el.iterancestors())


def text_of(el: etree._Element | None) -> str:
    if el is None:
        return ""
    return " ".join("".join(el.itertext()).split())


def text_without(
    el: etree._Element,
    skip: set[etree._Element],
    replace: dict[etree._Element, str] | None = None,
) -> str:
    """The text of `el` leaving out the elements in `skip` and putting a string in place of
    those in `replace`, without copying or changing the tree (lxml trees are not to be
    copied across the parsing threads)."""
    replace = replace or {}
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if isinstance(node.tag, str):
            parts.append(node.text or "")
        for child in node:
            if child in replace:
                parts.append(replace[child])
            elif child not in skip and isinstance(child.tag, str):
                walk(child)
            parts.append(child.tail or "")

    walk(el)
    return "".join(parts)


class _Index:
    """The article's elements by class, its maths and its links, from one walk of the tree.

    Every stage asks this instead of querying the page: a dozen XPath passes over the whole
    article, each testing every element's class, were most of a parse. Elements a stage drops
    (error macros, maths turned into TeX, footnotes) are left out of later answers."""

    def __init__(self, article: etree._Element) -> None:
        self.by_class: dict[str, list[etree._Element]] = defaultdict(list)
        self.maths: list[etree._Element] = []
        self.anchors: list[etree._Element] = []
        self.dropped: set[etree._Element] = set()
        for el in article.iterdescendants(etree.Element):
            tag = el.tag
            if tag == "a":
                self.anchors.append(el)
            elif tag.rpartition("}")[2] == "math":
                self.maths.append(el)
            classes = el.get("class")
            if classes:
                for name in classes.split():
                    self.by_class[name].append(el)

    def attached(self, el: etree._Element) -> bool:
        """Still in the article: neither it nor an ancestor was dropped."""
        return not self.dropped or (
            el not in self.dropped and not any(a in self.dropped for a in el.iterancestors())
        )

    def live(self, name: str) -> list[etree._Element]:
        return [el for el in self.by_class.get(name, ()) if self.attached(el)]

    def first(self, name: str) -> etree._Element | None:
        return next((el for el in self.by_class.get(name, ()) if self.attached(el)), None)

    def drop(self, el: etree._Element, text: str = "") -> None:
        """Remove an element, keeping its tail text and putting `text` before it."""
        el.tail = text + (el.tail or "")
        _drop(el)
        self.dropped.add(el)


def _drop(el: etree._Element) -> None:
    """Remove an element but keep its tail text in place."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail or ""
    prev = el.getprevious()
    if prev is not None:
        prev.tail = (prev.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(el)


_PARSER = etree.HTMLParser()  # not thread-safe: used under LIBXML only


def parse_html(
    page: str | bytes, *, arxiv_id: str | None = None, url: str | None = None
) -> Document:
    """Parse a LaTeXML page; raises ConversionFailed for a page that is not the paper.

    Papers are parsed in worker threads; the lock keeps libxml2 to one tree at a time, from
    parsing to freeing (a crash in libxml2's allocator was seen with concurrent parses)."""
    with LIBXML:
        return _parse_html(page, arxiv_id, url)


def _parse_html(page: str | bytes, arxiv_id: str | None, url: str | None) -> Document:
    raw = page.encode() if isinstance(page, str) else page
    try:  # control characters are invalid in HTML and lxml refuses them in text it sets
        tree = etree.fromstring(_CONTROLS.sub(b"", raw), _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as e:
        raise ParseError(f"cannot parse HTML of {arxiv_id or url}: {e}", url=url) from None
    if tree is None:
        raise ParseError(f"cannot parse HTML of {arxiv_id or url}: empty page", url=url)
    article = next((el for el in tree.iter("article") if has_class(el, "ltx_document")), None)
    if article is None:
        raise ConversionFailed(f"no LaTeXML document in the page of {arxiv_id or url}", url=url)
    meta = _page_meta(tree)
    arxiv_id = arxiv_id or meta.get("id")
    hidden = find_invisible(tree, article)
    hidden_chars = sum(  # LaTeXML's \phantom only takes space: not worth a word
        len(hidden_text(el))
        for el in hidden
        if not _under(el, lambda a: has_class(a, "ltx_phantom"))
    )
    for el in hidden:
        _drop(el)
    index = _Index(article)
    errors, error_paras, paras = _strip_errors(index)
    links = _links(index)
    _math_to_tex(index)
    footnotes = _pull_footnotes(index)
    doc = Document(
        arxiv_id=arxiv_id,
        version=meta.get("version"),
        source="html",
        url=url,
        title=text_of(index.first("ltx_title_document")),
        authors=_authors(index),
        abstract=_abstract(index),
        sections=_sections(article),
        footnotes=footnotes,
        bibliography=[t for t in map(text_of, index.live("ltx_bibitem")) if t],
        links=links,
        license=meta.get("license"),
        primary_category=meta.get("category"),
        categories=[meta["category"]] if meta.get("category") else [],
        conversion_errors=errors,
        hidden_chars=hidden_chars,
        figure=_key_figure(tree, index, url),
    )
    _check_usable(doc, error_paras, paras)
    return doc


def _key_figure(tree: etree._Element, index: _Index, url: str | None) -> str | None:
    """The first figure's image (not a table's), resolved as a browser would: against the
    page's `<base>` where it has one (/html/2501.11120v1/), else the page's URL (the newest
    layout writes "2508.08468v6/fig1.png"). Only an https URL is kept: the report loads no
    other."""
    figures = (el for el in index.live("ltx_figure") if el.tag == "figure")
    img = next((i for f in figures for i in f.iter("img") if i.get("src") is not None), None)
    src = img.get("src") if img is not None else None
    if not src or not url:
        return None
    base = urljoin(url, tree.xpath("string(//base/@href)") or url)  # as a browser resolves
    found = urljoin(base, src)
    return found if found.startswith("https://") else None


def _page_meta(tree: etree._Element) -> dict[str, str]:
    """Version, id, licence and category from whichever layout this page has."""
    meta: dict[str, str] = {}
    found = tree.xpath("//base | //*[@id='watermark-tr' or @id='license-tr']")  # one pass
    base = next((el.get("href") for el in found if el.tag == "base" and el.get("href")), "")
    watermark = text_of(next((el for el in found if el.get("id") == "watermark-tr"), None))
    m = _VERSION_IN_PATH.search(base)
    wm = re.search(r"arXiv:(\S+?)(v\d+)\s*(?:\[([^\]]+)\])?", watermark)
    if m:
        meta["id"], meta["version"] = m.group(1), m.group(2)
    elif wm:
        meta["id"], meta["version"] = wm.group(1), wm.group(2)
    elif m := _VERSION_IN_PATH.search(_back_link(tree)):
        meta["id"], meta["version"] = m.group(1), m.group(2)
    if wm and wm.group(3):
        meta["category"] = wm.group(3)
    lic = text_of(next((el for el in found if el.get("id") == "license-tr"), None))
    if lic:
        meta["license"] = re.sub(r"^license:\s*", "", lic, flags=re.I)
    return meta


def _back_link(tree: etree._Element) -> str:
    """The header's "Back to Abstract", never a citation inside the paper (the newest layout's
    only mention of the version; asked last: it reads the text of every link of the page)."""
    back = tree.xpath(
        "//header//a[contains(@href, '/abs/')]/@href | //a[contains(., 'Back to Abstract')]/@href"
    )
    return str(back[0]) if back else ""


def _strip_errors(index: _Index) -> tuple[int, int, int]:
    """Remove `ltx_ERROR` spans (raw TeX macro names); count them and the paragraphs hit."""
    errors = index.live("ltx_ERROR")
    in_para = set(index.by_class.get("ltx_para", ()))
    paras = {
        p
        for name in ("ltx_para", "ltx_p")
        for p in index.by_class.get(name, ())
        if not any(a in in_para for a in p.iterancestors())
    }
    hit = {a for el in errors for a in el.iterancestors() if a in paras}
    for el in errors:
        macro = text_of(el)
        if macro in ("\\AND", "\\And") and _under(el, lambda a: has_class(a, "ltx_personname")):
            index.drop(el, _NEXT_AUTHOR)  # arxiv.sty's author separators, undefined
            continue
        nxt = el.getnext()
        if macro == "\\keywords" and nxt is not None and has_class(nxt, "ltx_para"):
            index.drop(nxt)  # the keywords of an undefined \keywords, not a paragraph of the paper
        index.drop(el)
    return len(errors), len(hit), len(paras)


def _links(index: _Index) -> list[str]:
    out: list[str] = []
    for a in index.anchors:
        href = (a.get("href") or "").strip()
        if (
            href.startswith(("http://", "https://"))
            and "arxiv.org/html/" not in href
            and href not in out
            and index.attached(a)
        ):
            out.append(href)
    return out


def _math_to_tex(index: _Index) -> None:
    for math in index.maths:
        if not index.attached(math):
            continue
        # LaTeXML keeps the source's line-end comments (`%⏎`) in alttext; they are not math.
        tex = re.sub(r"(?<!\\)%[^\n]*(\n\s*|$)", "", math.get("alttext") or text_of(math))
        tex = _COLOUR_ARG.sub("", _COLOUR.sub("", tex))  # colour is not maths
        tex = " ".join(tex.split())
        block = math.get("display") == "block"
        index.drop(math, f" $${tex}$$ " if block else f"${tex}$")


def _pull_footnotes(index: _Index) -> list[str]:
    """Footnotes go to their own list, so they never interrupt a sentence."""
    notes: list[str] = []
    all_notes = set(index.by_class.get("ltx_note", ()))
    outermost = [
        n for n in index.live("ltx_note") if not any(a in all_notes for a in n.iterancestors())
    ]
    for note in outermost:
        content = _find_first(note, "ltx_note_content")
        if content is not None and has_class(note, "ltx_role_footnote"):
            for mark in list(_find(content, "ltx_note_mark", "ltx_tag_note")):
                _drop(mark)
            text = text_of(content)
            if text:
                notes.append(text)
        index.drop(note)
    return notes


def _authors(index: _Index) -> list[Author]:
    authors: list[Author] = []
    for creator in index.live("ltx_creator"):
        person = _find_first(creator, "ltx_personname")
        if person is None or not has_class(creator, "ltx_role_author"):
            continue
        skip = set(_find(person, "ltx_font_typewriter"))  # e-mail addresses
        # a line that starts with a superscript marker is an affiliation
        marks = {el: _MARK for el in person.iterdescendants("sup")}
        marks.update({el: "\n" for el in person.iterdescendants("br")})
        text = text_without(person, skip, marks)
        for block in re.split(r"\n\s*&", "\n" + text):
            lines = [ln.strip() for ln in block.split("\n")]
            names, affiliations = _split_person_lines([ln for ln in lines if ln])
            authors.extend(Author(name=n, affiliations=affiliations) for n in names)
    return authors


def _split_person_lines(lines: list[str]) -> tuple[list[str], list[str]]:
    names: list[str] = []
    affiliations: list[str] = []
    for line in lines:
        if affiliations or line.startswith(_MARK) or AFFILIATION.search(line):
            line = line.replace(_MARK, "  ")
            affiliations.extend(p for p in re.split(r"\s{2,}|\u2003", line) if p.strip())
            continue
        for part in re.split(r",|;|\band\b|\s{2,}|\u2003|\u2002", line.replace(_MARK, "")):
            part = re.sub(r"[\s*∗†‡§]+$", "", part.strip())
            if part and len(part) < 60:
                names.append(re.sub(r"\s+", " ", part))
    return names, [re.sub(r"\s+", " ", a).strip() for a in affiliations]


def _abstract(index: _Index) -> str:
    box = index.first("ltx_abstract")
    if box is None:
        return ""
    paras = list(_find(box, "ltx_p")) or [box]
    return "\n\n".join(t for t in (text_of(p) for p in paras) if t)


def _sections(article: etree._Element) -> list[Section]:
    sections: list[Section] = []
    _walk(article, sections, None)
    return sections


_SKIPPED = (
    "ltx_title_document",
    "ltx_authors",
    "ltx_abstract",
    "ltx_bibliography",
    "ltx_pagination",
    "ltx_dates",
    "ltx_classification",
    "ltx_keywords",
)


def _walk(el: etree._Element, sections: list[Section], parent: Section | None) -> None:
    current = parent  # where loose blocks go: the enclosing section, or an untitled opening
    for child in el.iterchildren(etree.Element):
        if _has_any(child, _SKIPPED):
            continue
        level = next((lv for c, lv in SECTION_LEVELS.items() if has_class(child, c)), None)
        if has_class(child, "ltx_acknowledgements"):  # a titled div, not a section
            level = 1
        elif child.tag != "section":
            level = None
        if level is not None:
            sections.append(_new_section(child, level, parent))
            _walk(child, sections, sections[-1])
            current = parent
            continue
        blocks = [] if has_class(child, "ltx_title") and parent is not None else _blocks(child)
        tail = " ".join((child.tail or "").split())
        if tail:  # text straight after an element, as in an acknowledgements div
            blocks.append(Block(kind="paragraph", text=tail))
        if not blocks:
            continue
        if current is None:
            current = Section(title="", level=1, role="other")  # untitled: no role to claim
            sections.append(current)
        current.blocks.extend(blocks)


def _new_section(el: etree._Element, level: int, parent: Section | None) -> Section:
    title_el = _child(el, "ltx_title")
    number = None
    title = ""
    if title_el is not None:
        tag = _find_first(title_el, "ltx_tag")
        number = text_of(tag).removeprefix("Appendix").strip().rstrip(".") or None
        full = text_of(title_el)
        title = full[len(text_of(tag)) :].strip() if tag is not None else full
    appendix = has_class(el, "ltx_appendix") or bool(parent and parent.appendix)
    parent_role: Role | None = parent.role if parent else None
    role = classify_section(title, appendix=appendix, parent=parent_role)
    return Section(
        number=number, title=title or (number or ""), level=level, role=role, appendix=appendix
    )


def _blocks(el: etree._Element) -> list[Block]:
    """Blocks of one content element, recursing through containers."""
    if el.tag == "nav" or has_class(el, "ltx_TOC"):  # the paper's own \tableofcontents
        return []
    if has_class(el, "ltx_p") or (el.tag == "p" and not any(c.tag == "div" for c in el)):
        text = text_of(el)
        return [Block(kind="paragraph", text=text)] if text else []
    if el.tag == "figure" or _has_any(el, ("ltx_figure", "ltx_table")):
        return [_figure(el)]
    if _has_any(el, ("ltx_equation", "ltx_equationgroup")):
        text = text_of(el)
        return [Block(kind="equation", text=text)] if text else []
    if has_class(el, "ltx_listing") or el.tag == "pre":
        lines = list(_find(el, "ltx_listingline"))
        code = "\n".join(text_of(ln) for ln in lines) if lines else "".join(el.itertext())
        code = code.replace("\u2423", " ")  # listings' visible space "␣" is a space
        return [Block(kind="code", text=code.strip("\n"))] if code.strip() else []
    if _has_any(el, ("ltx_itemize", "ltx_enumerate", "ltx_description")):
        return [_list(el)]
    if _has_any(el, ("ltx_theorem", "ltx_proof")):
        return [Block(kind="theorem", text=_theorem(el))]
    if el.tag == "table" and has_class(el, "ltx_tabular"):
        return [Block(kind="table", text=table_markdown(el))]
    out: list[Block] = []
    if (el.text or "").strip() and not len(el):
        out.append(Block(kind="paragraph", text=text_of(el)))
    for child in el.iterchildren(etree.Element):
        out.extend(_blocks(child))
    return out


def _is_tabular(el: etree._Element) -> bool:
    return el.tag == "table" and has_class(el, "ltx_tabular")


def _figure(el: etree._Element) -> Block:
    caption_el = next(
        (
            c
            for c in el.iterchildren(etree.Element)
            if c.tag == "figcaption" or has_class(c, "ltx_caption")
        ),
        None,
    )
    if caption_el is None:
        caption_el = next(el.iterdescendants("figcaption"), None)
    caption = text_of(caption_el) or None
    tag = text_of(_find_first(caption_el, "ltx_tag"))
    label = tag.rstrip(": .") or None
    tables = [
        t for t in el.iterdescendants("table") if _is_tabular(t) and not _under(t, _is_tabular)
    ]
    is_table = has_class(el, "ltx_table") or (label or "").lower().startswith("table")
    if is_table and tables:
        body = "\n\n".join(table_markdown(t) for t in tables)
        return Block(kind="table", text=body, label=label, caption=caption)
    lines = list(_find(el, "ltx_listingline"))
    if lines:  # an algorithm float: its steps are method, not decoration
        code = "\n".join(text_of(ln) for ln in lines).replace("\u2423", " ")
        return Block(kind="code", text=code, label=label, caption=caption)
    return Block(kind="figure", label=label, caption=caption, text=_figure_text(el, caption_el))


def _figure_text(el: etree._Element, caption: etree._Element | None) -> str:
    """Text set inside a figure (a boxed example, a prompt), apart from its caption: the
    innermost paragraphs, none inside a caption."""
    paras = list(_find(el, "ltx_p"))
    enclosing = {a for p in paras for a in p.iterancestors()}
    texts = [
        text_of(p)
        for p in paras
        if p not in enclosing and not _under(p, lambda a: a.tag == "figcaption" or a is caption)
    ]
    return "\n\n".join(t for t in texts if t)


def _rows(el: etree._Element) -> Iterator[etree._Element]:
    """The rows of a tabular, in order, leaving out those of tabulars nested in it."""
    for child in el.iterchildren(etree.Element):
        if _is_tabular(child):
            continue
        if child.tag == "tr" or has_class(child, "ltx_tr"):
            yield child
        yield from _rows(child)


def table_markdown(table: etree._Element) -> str:
    """A LaTeXML tabular as a Markdown table; spanned cells repeat as empty cells."""
    rows: list[list[str]] = []
    for tr in _rows(table):
        row: list[str] = []
        for cell in tr.iterchildren(etree.Element):
            if cell.tag in ("td", "th") or has_class(cell, "ltx_td"):
                row.append(text_of(cell).replace("|", "\\|"))
                row.extend([""] * (int(cell.get("colspan") or 1) - 1))
        if any(c for c in row):
            rows.append(row)
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
    lines.extend("| " + " | ".join(r) + " |" for r in rows[1:])
    return "\n".join(lines)


def _list(el: etree._Element) -> Block:
    ordered = has_class(el, "ltx_enumerate")
    items = []
    entries = (c for c in el.iterchildren(etree.Element) if c.tag in ("li", "dt", "dd"))
    for n, li in enumerate(entries, 1):
        tags = {c for c in li.iterchildren(etree.Element) if has_class(c, "ltx_tag")}
        text = " ".join(text_without(li, tags).split())
        items.append(f"{n}. {text}" if ordered else f"- {text}")
    return Block(kind="list", text="\n".join(items))


def _theorem(el: etree._Element) -> str:
    title_el = _child(el, "ltx_title")
    title = text_of(title_el)
    body = " ".join(text_of(p) for p in _find(el, "ltx_p"))
    return f"**{title}** {body}".strip() if title else body


def _check_usable(doc: Document, error_paras: int, paras: int) -> None:
    """A page of conversion errors, or with nothing after the abstract, is not the paper."""
    body = sum(len(b.text) + len(b.caption or "") for s in doc.sections for b in s.blocks)
    who = doc.arxiv_id or doc.url or "page"
    if paras and error_paras / paras > 0.5:
        raise ConversionFailed(
            f"arXiv HTML of {who} is mostly conversion errors "
            f"({error_paras} of {paras} paragraphs)",
            url=doc.url,
        )
    if body < 500:
        raise ConversionFailed(
            f"arXiv HTML of {who} has no text after the abstract ({body} characters)", url=doc.url
        )
