"""LaTeXML HTML (arXiv's rendering, any of its page layouts) → Document. Pure functions.

We key on the paper itself, `article.ltx_document` and its `ltx_*` classes, which every
layout shares; the page chrome around it (navbar, header, footer, dialogs, banners) is never
read, except `#infobox`, which is where the newest layout puts version, category and licence."""

from __future__ import annotations

import re
import threading
from urllib.parse import urljoin

from lxml import etree
from lxml import html as lxml_html

from .errors import ConversionFailed, ParseError
from .invisible import find_invisible, hidden_text
from .models import Author, Block, Document, Role, Section, classify_section
from .names import AFFILIATION

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


def _xp(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def _first(el: etree._Element, xpath: str) -> etree._Element | None:
    found = el.xpath(xpath)
    return found[0] if found else None


def text_of(el: etree._Element | None) -> str:
    if el is None:
        return ""
    return re.sub(r"\s+", " ", "".join(el.itertext())).strip()


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


def _replace_with_text(el: etree._Element, text: str) -> None:
    el.tail = text + (el.tail or "")
    _drop(el)


LIBXML = threading.Lock()  # one libxml2 tree at a time: its trees must not meet across threads


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
        tree = lxml_html.fromstring(_CONTROLS.sub(b"", raw))
    except (etree.ParserError, ValueError) as e:
        raise ParseError(f"cannot parse HTML of {arxiv_id or url}: {e}", url=url) from None
    article = _first(tree, f"//article[{_xp('ltx_document')}]")
    if article is None:
        raise ConversionFailed(f"no LaTeXML document in the page of {arxiv_id or url}", url=url)
    meta = _page_meta(tree)
    arxiv_id = arxiv_id or meta.get("id")
    hidden = find_invisible(tree, article)
    hidden_chars = sum(  # LaTeXML's \phantom only takes space: not worth a word
        len(hidden_text(el)) for el in hidden if not el.xpath(f"ancestor::*[{_xp('ltx_phantom')}]")
    )
    for el in hidden:
        _drop(el)
    errors, error_paras, paras = _strip_errors(article)
    links = _links(article)
    _math_to_tex(article)
    footnotes = _pull_footnotes(article)
    doc = Document(
        arxiv_id=arxiv_id,
        version=meta.get("version"),
        source="html",
        url=url,
        title=_title(article),
        authors=_authors(article),
        abstract=_abstract(article),
        sections=_sections(article),
        footnotes=footnotes,
        bibliography=_bibliography(article),
        links=links,
        license=meta.get("license"),
        primary_category=meta.get("category"),
        categories=[meta["category"]] if meta.get("category") else [],
        conversion_errors=errors,
        hidden_chars=hidden_chars,
        figure=_key_figure(tree, article, url),
    )
    _check_usable(doc, error_paras, paras)
    return doc


def _key_figure(tree: etree._Element, article: etree._Element, url: str | None) -> str | None:
    """The first figure's image (not a table's), resolved as a browser would: against the
    page's `<base>` where it has one (/html/2501.11120v1/), else the page's URL (the newest
    layout writes "2508.08468v6/fig1.png"). Only an https URL is kept: the report loads no
    other."""
    src = article.xpath(f"string((.//figure[{_xp('ltx_figure')}]//img[@src])[1]/@src)")
    if not src or not url:
        return None
    base = urljoin(url, tree.xpath("string(//base/@href)") or url)  # as a browser resolves
    found = urljoin(base, str(src))
    return found if found.startswith("https://") else None


def _page_meta(tree: etree._Element) -> dict[str, str]:
    """Version, id, licence and category from whichever layout this page has."""
    meta: dict[str, str] = {}
    base = _first(tree, "//base/@href")
    watermark = text_of(_first(tree, "//*[@id='watermark-tr']"))
    back = _first(  # the header's "Back to Abstract", never a citation inside the paper
        tree,
        "//header//a[contains(@href, '/abs/')]/@href | //a[contains(., 'Back to Abstract')]/@href",
    )
    m = _VERSION_IN_PATH.search(str(base or ""))
    wm = re.search(r"arXiv:(\S+?)(v\d+)\s*(?:\[([^\]]+)\])?", watermark)
    if m:
        meta["id"], meta["version"] = m.group(1), m.group(2)
    elif wm:
        meta["id"], meta["version"] = wm.group(1), wm.group(2)
    elif back and (m := _VERSION_IN_PATH.search(str(back))):
        meta["id"], meta["version"] = m.group(1), m.group(2)
    if wm and wm.group(3):
        meta["category"] = wm.group(3)
    lic = text_of(_first(tree, "//*[@id='license-tr']"))
    if lic:
        meta["license"] = re.sub(r"^license:\s*", "", lic, flags=re.I)
    return meta


def _strip_errors(article: etree._Element) -> tuple[int, int, int]:
    """Remove `ltx_ERROR` spans (raw TeX macro names); count them and the paragraphs hit."""
    errors = article.xpath(f".//*[{_xp('ltx_ERROR')}]")
    paras = article.xpath(
        f".//*[{_xp('ltx_para')} or {_xp('ltx_p')}][not(ancestor::*[{_xp('ltx_para')}])]"
    )
    hit = sum(1 for p in paras if p.xpath(f".//*[{_xp('ltx_ERROR')}]"))
    for el in errors:
        macro = text_of(el)
        if macro in ("\\AND", "\\And") and el.xpath(f"ancestor::*[{_xp('ltx_personname')}]"):
            _replace_with_text(el, _NEXT_AUTHOR)  # arxiv.sty's author separators, undefined
            continue
        nxt = el.getnext()
        if macro == "\\keywords" and nxt is not None and has_class(nxt, "ltx_para"):
            _drop(nxt)  # the keywords of an undefined \keywords, not a paragraph of the paper
        _drop(el)
    return len(errors), hit, len(paras)


def _links(article: etree._Element) -> list[str]:
    out: list[str] = []
    for href in article.xpath(".//a/@href"):
        href = str(href).strip()
        if (
            href.startswith(("http://", "https://"))
            and "arxiv.org/html/" not in href
            and href not in out
        ):
            out.append(href)
    return out


def _math_to_tex(article: etree._Element) -> None:
    for math in article.xpath(".//*[local-name()='math']"):
        # LaTeXML keeps the source's line-end comments (`%⏎`) in alttext; they are not math.
        tex = re.sub(r"(?<!\\)%[^\n]*(\n\s*|$)", "", math.get("alttext") or text_of(math))
        tex = _COLOUR_ARG.sub("", _COLOUR.sub("", tex))  # colour is not maths
        tex = re.sub(r"\s+", " ", tex).strip()
        block = math.get("display") == "block"
        _replace_with_text(math, f" $${tex}$$ " if block else f"${tex}$")


def _pull_footnotes(article: etree._Element) -> list[str]:
    """Footnotes go to their own list, so they never interrupt a sentence."""
    notes: list[str] = []
    outermost = f".//*[{_xp('ltx_note')}][not(ancestor::*[{_xp('ltx_note')}])]"
    for note in article.xpath(outermost):
        content = _first(note, f".//*[{_xp('ltx_note_content')}]")
        if content is not None and has_class(note, "ltx_role_footnote"):
            for mark in content.xpath(f".//*[{_xp('ltx_note_mark')} or {_xp('ltx_tag_note')}]"):
                _drop(mark)
            text = text_of(content)
            if text:
                notes.append(text)
        _drop(note)
    return notes


def _title(article: etree._Element) -> str:
    return text_of(_first(article, f".//*[{_xp('ltx_title_document')}]"))


def _authors(article: etree._Element) -> list[Author]:
    authors: list[Author] = []
    for creator in article.xpath(f".//*[{_xp('ltx_creator')} and {_xp('ltx_role_author')}]"):
        person = _first(creator, f".//*[{_xp('ltx_personname')}]")
        if person is None:
            continue
        skip = set(person.xpath(f".//*[{_xp('ltx_font_typewriter')}]"))  # e-mail addresses
        # a line that starts with a superscript marker is an affiliation
        marks = {el: _MARK for el in person.xpath(".//sup")}
        marks.update({el: "\n" for el in person.xpath(".//br")})
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


def _abstract(article: etree._Element) -> str:
    box = _first(article, f".//*[{_xp('ltx_abstract')}]")
    if box is None:
        return ""
    paras = box.xpath(f".//*[{_xp('ltx_p')}]") or [box]
    return "\n\n".join(t for t in (text_of(p) for p in paras) if t)


def _bibliography(article: etree._Element) -> list[str]:
    return [text_of(li) for li in article.xpath(f".//*[{_xp('ltx_bibitem')}]") if text_of(li)]


def _sections(article: etree._Element) -> list[Section]:
    sections: list[Section] = []
    _walk(article, sections, None)
    return sections


def _walk(el: etree._Element, sections: list[Section], parent: Section | None) -> None:
    skip = (
        "ltx_title_document",
        "ltx_authors",
        "ltx_abstract",
        "ltx_bibliography",
        "ltx_pagination",
        "ltx_dates",
        "ltx_classification",
        "ltx_keywords",
    )
    current = parent  # where loose blocks go: the enclosing section, or an untitled opening
    for child in el:
        if not isinstance(child.tag, str) or any(has_class(child, c) for c in skip):
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
        tail = re.sub(r"\s+", " ", child.tail or "").strip()
        if tail:  # text straight after an element, as in an acknowledgements div
            blocks.append(Block(kind="paragraph", text=tail))
        if not blocks:
            continue
        if current is None:
            current = Section(title="", level=1, role="other")  # untitled: no role to claim
            sections.append(current)
        current.blocks.extend(blocks)


def _new_section(el: etree._Element, level: int, parent: Section | None) -> Section:
    title_el = _first(el, f"./*[{_xp('ltx_title')}]")
    number = None
    title = ""
    if title_el is not None:
        tag = _first(title_el, f".//*[{_xp('ltx_tag')}]")
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
    if has_class(el, "ltx_p") or (el.tag == "p" and not len(el.xpath("./*[self::div]"))):
        text = text_of(el)
        return [Block(kind="paragraph", text=text)] if text else []
    if el.tag == "figure" or has_class(el, "ltx_figure") or has_class(el, "ltx_table"):
        return [_figure(el)]
    if has_class(el, "ltx_equation") or has_class(el, "ltx_equationgroup"):
        text = text_of(el)
        return [Block(kind="equation", text=text)] if text else []
    if has_class(el, "ltx_listing") or el.tag == "pre":
        lines = el.xpath(f".//*[{_xp('ltx_listingline')}]")
        code = "\n".join(text_of(ln) for ln in lines) if lines else "".join(el.itertext())
        code = code.replace("\u2423", " ")  # listings' visible space "␣" is a space
        return [Block(kind="code", text=code.strip("\n"))] if code.strip() else []
    if any(has_class(el, c) for c in ("ltx_itemize", "ltx_enumerate", "ltx_description")):
        return [_list(el)]
    if has_class(el, "ltx_theorem") or has_class(el, "ltx_proof"):
        return [Block(kind="theorem", text=_theorem(el))]
    if el.tag == "table" and has_class(el, "ltx_tabular"):
        return [Block(kind="table", text=table_markdown(el))]
    out: list[Block] = []
    if (el.text or "").strip() and not len(el):
        out.append(Block(kind="paragraph", text=text_of(el)))
    for child in el:
        if isinstance(child.tag, str):
            out.extend(_blocks(child))
    return out


def _figure(el: etree._Element) -> Block:
    caption_el = _first(el, f"./figcaption | ./*[{_xp('ltx_caption')}]")
    if caption_el is None:
        caption_el = _first(el, ".//figcaption")
    caption = text_of(caption_el) or None
    tag = text_of(_first(caption_el, f".//*[{_xp('ltx_tag')}]")) if caption_el is not None else ""
    label = tag.rstrip(": .") or None
    tables = el.xpath(f".//table[{_xp('ltx_tabular')}][not(ancestor::table[{_xp('ltx_tabular')}])]")
    is_table = has_class(el, "ltx_table") or (label or "").lower().startswith("table")
    if is_table and tables:
        body = "\n\n".join(table_markdown(t) for t in tables)
        return Block(kind="table", text=body, label=label, caption=caption)
    lines = el.xpath(f".//*[{_xp('ltx_listingline')}]")
    if lines:  # an algorithm float: its steps are method, not decoration
        code = "\n".join(text_of(ln) for ln in lines).replace("\u2423", " ")
        return Block(kind="code", text=code, label=label, caption=caption)
    return Block(kind="figure", label=label, caption=caption, text=_figure_text(el, caption_el))


def _figure_text(el: etree._Element, caption: etree._Element | None) -> str:
    """Text set inside a figure (a boxed example, a prompt), apart from its caption."""
    paras = el.xpath(f".//*[{_xp('ltx_p')}][not(.//*[{_xp('ltx_p')}])][not(ancestor::figcaption)]")
    texts = [text_of(p) for p in paras if caption is None or caption not in p.iterancestors()]
    return "\n\n".join(t for t in texts if t)


def table_markdown(table: etree._Element) -> str:
    """A LaTeXML tabular as a Markdown table; spanned cells repeat as empty cells."""
    rows: list[list[str]] = []
    for tr in table.xpath(f".//*[self::tr or {_xp('ltx_tr')}]"):
        if tr.xpath(f"ancestor::table[{_xp('ltx_tabular')}][1]")[0] is not table:
            continue
        row: list[str] = []
        for cell in tr.xpath(f"./*[self::td or self::th or {_xp('ltx_td')}]"):
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
    for n, li in enumerate(el.xpath("./li | ./dt | ./dd"), 1):
        text = re.sub(
            r"\s+", " ", text_without(li, set(li.xpath(f"./*[{_xp('ltx_tag')}]")))
        ).strip()
        items.append(f"{n}. {text}" if ordered else f"- {text}")
    return Block(kind="list", text="\n".join(items))


def _theorem(el: etree._Element) -> str:
    title = text_of(_first(el, f"./*[{_xp('ltx_title')}]"))
    body = " ".join(text_of(p) for p in el.xpath(f".//*[{_xp('ltx_p')}]"))
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
