"""LaTeXML HTML (arXiv's rendering, any of its page layouts) → Document. Pure functions.

We key on the paper itself, `article.ltx_document` and its `ltx_*` classes, which every
layout shares; the page chrome around it (navbar, header, footer, dialogs, banners) is never
read, except `#infobox`, which is where the newest layout puts version, category and licence."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from lxml import etree

from dailypapers.core.errors import ConversionFailed, ParseError
from dailypapers.core.libxml import LIBXML
from dailypapers.core.models import Author, Block, Document, Role, Section, classify_section
from dailypapers.reading.html.blocks import blocks_of
from dailypapers.reading.html.tree import (
    Index,
    child_with,
    drop,
    find,
    find_first,
    has_any,
    has_class,
    text_of,
    text_without,
    under,
)
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
        if not under(el, lambda a: has_class(a, "ltx_phantom"))
    )
    for el in hidden:
        drop(el)
    index = Index(article)
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


def _key_figure(tree: etree._Element, index: Index, url: str | None) -> str | None:
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


def _strip_errors(index: Index) -> tuple[int, int, int]:
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
        if macro in ("\\AND", "\\And") and under(el, lambda a: has_class(a, "ltx_personname")):
            index.drop(el, _NEXT_AUTHOR)  # arxiv.sty's author separators, undefined
            continue
        nxt = el.getnext()
        if macro == "\\keywords" and nxt is not None and has_class(nxt, "ltx_para"):
            index.drop(nxt)  # the keywords of an undefined \keywords, not a paragraph of the paper
        index.drop(el)
    return len(errors), len(hit), len(paras)


def _links(index: Index) -> list[str]:
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


def _math_to_tex(index: Index) -> None:
    for math in index.maths:
        if not index.attached(math):
            continue
        # LaTeXML keeps the source's line-end comments (`%⏎`) in alttext; they are not math.
        tex = re.sub(r"(?<!\\)%[^\n]*(\n\s*|$)", "", math.get("alttext") or text_of(math))
        tex = _COLOUR_ARG.sub("", _COLOUR.sub("", tex))  # colour is not maths
        tex = " ".join(tex.split())
        block = math.get("display") == "block"
        index.drop(math, f" $${tex}$$ " if block else f"${tex}$")


def _pull_footnotes(index: Index) -> list[str]:
    """Footnotes go to their own list, so they never interrupt a sentence."""
    notes: list[str] = []
    all_notes = set(index.by_class.get("ltx_note", ()))
    outermost = [
        n for n in index.live("ltx_note") if not any(a in all_notes for a in n.iterancestors())
    ]
    for note in outermost:
        content = find_first(note, "ltx_note_content")
        if content is not None and has_class(note, "ltx_role_footnote"):
            for mark in list(find(content, "ltx_note_mark", "ltx_tag_note")):
                drop(mark)
            text = text_of(content)
            if text:
                notes.append(text)
        index.drop(note)
    return notes


def _authors(index: Index) -> list[Author]:
    authors: list[Author] = []
    for creator in index.live("ltx_creator"):
        person = find_first(creator, "ltx_personname")
        if person is None or not has_class(creator, "ltx_role_author"):
            continue
        skip = set(find(person, "ltx_font_typewriter"))  # e-mail addresses
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


def _abstract(index: Index) -> str:
    box = index.first("ltx_abstract")
    if box is None:
        return ""
    paras = list(find(box, "ltx_p")) or [box]
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
        if has_any(child, _SKIPPED):
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
        blocks = [] if has_class(child, "ltx_title") and parent is not None else blocks_of(child)
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
    title_el = child_with(el, "ltx_title")
    number = None
    title = ""
    if title_el is not None:
        tag = find_first(title_el, "ltx_tag")
        number = text_of(tag).removeprefix("Appendix").strip().rstrip(".") or None
        full = text_of(title_el)
        title = full[len(text_of(tag)) :].strip() if tag is not None else full
    appendix = has_class(el, "ltx_appendix") or bool(parent and parent.appendix)
    parent_role: Role | None = parent.role if parent else None
    role = classify_section(title, appendix=appendix, parent=parent_role)
    return Section(
        number=number, title=title or (number or ""), level=level, role=role, appendix=appendix
    )


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
