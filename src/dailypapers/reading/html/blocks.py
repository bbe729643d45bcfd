"""A section's blocks: paragraphs, figures and their captions, tables as Markdown, lists,
equations and theorems, as LaTeXML marks them."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from dailypapers.core.models import Block
from dailypapers.reading.html.tree import (
    child_with,
    find,
    find_first,
    has_any,
    has_class,
    text_of,
    text_without,
    under,
)


def blocks_of(el: etree._Element) -> list[Block]:
    """Blocks of one content element, recursing through containers."""
    if el.tag == "nav" or has_class(el, "ltx_TOC"):  # the paper's own \tableofcontents
        return []
    if has_class(el, "ltx_p") or (el.tag == "p" and not any(c.tag == "div" for c in el)):
        text = text_of(el)
        return [Block(kind="paragraph", text=text)] if text else []
    if el.tag == "figure" or has_any(el, ("ltx_figure", "ltx_table")):
        return [figure(el)]
    if has_any(el, ("ltx_equation", "ltx_equationgroup")):
        text = text_of(el)
        return [Block(kind="equation", text=text)] if text else []
    if has_class(el, "ltx_listing") or el.tag == "pre":
        lines = list(find(el, "ltx_listingline"))
        code = "\n".join(text_of(ln) for ln in lines) if lines else "".join(el.itertext())
        code = code.replace("\u2423", " ")  # listings' visible space "␣" is a space
        return [Block(kind="code", text=code.strip("\n"))] if code.strip() else []
    if has_any(el, ("ltx_itemize", "ltx_enumerate", "ltx_description")):
        return [list_block(el)]
    if has_any(el, ("ltx_theorem", "ltx_proof")):
        return [Block(kind="theorem", text=theorem(el))]
    if el.tag == "table" and has_class(el, "ltx_tabular"):
        return [Block(kind="table", text=table_markdown(el))]
    out: list[Block] = []
    if (el.text or "").strip() and not len(el):
        out.append(Block(kind="paragraph", text=text_of(el)))
    for child in el.iterchildren(etree.Element):
        out.extend(blocks_of(child))
    return out


def is_tabular(el: etree._Element) -> bool:
    return el.tag == "table" and has_class(el, "ltx_tabular")


def figure(el: etree._Element) -> Block:
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
    tag = text_of(find_first(caption_el, "ltx_tag"))
    label = tag.rstrip(": .") or None
    tables = [t for t in el.iterdescendants("table") if is_tabular(t) and not under(t, is_tabular)]
    is_table = has_class(el, "ltx_table") or (label or "").lower().startswith("table")
    if is_table and tables:
        body = "\n\n".join(table_markdown(t) for t in tables)
        return Block(kind="table", text=body, label=label, caption=caption)
    lines = list(find(el, "ltx_listingline"))
    if lines:  # an algorithm float: its steps are method, not decoration
        code = "\n".join(text_of(ln) for ln in lines).replace("\u2423", " ")
        return Block(kind="code", text=code, label=label, caption=caption)
    return Block(kind="figure", label=label, caption=caption, text=figure_text(el, caption_el))


def figure_text(el: etree._Element, caption: etree._Element | None) -> str:
    """Text set inside a figure (a boxed example, a prompt), apart from its caption: the
    innermost paragraphs, none inside a caption."""
    paras = list(find(el, "ltx_p"))
    enclosing = {a for p in paras for a in p.iterancestors()}
    texts = [
        text_of(p)
        for p in paras
        if p not in enclosing and not under(p, lambda a: a.tag == "figcaption" or a is caption)
    ]
    return "\n\n".join(t for t in texts if t)


def table_rows(el: etree._Element) -> Iterator[etree._Element]:
    """The rows of a tabular, in order, leaving out those of tabulars nested in it."""
    for child in el.iterchildren(etree.Element):
        if is_tabular(child):
            continue
        if child.tag == "tr" or has_class(child, "ltx_tr"):
            yield child
        yield from table_rows(child)


def table_markdown(table: etree._Element) -> str:
    """A LaTeXML tabular as a Markdown table; spanned cells repeat as empty cells."""
    rows: list[list[str]] = []
    for tr in table_rows(table):
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


def list_block(el: etree._Element) -> Block:
    ordered = has_class(el, "ltx_enumerate")
    items = []
    entries = (c for c in el.iterchildren(etree.Element) if c.tag in ("li", "dt", "dd"))
    for n, li in enumerate(entries, 1):
        tags = {c for c in li.iterchildren(etree.Element) if has_class(c, "ltx_tag")}
        text = " ".join(text_without(li, tags).split())
        items.append(f"{n}. {text}" if ordered else f"- {text}")
    return Block(kind="list", text="\n".join(items))


def theorem(el: etree._Element) -> str:
    title_el = child_with(el, "ltx_title")
    title = text_of(title_el)
    body = " ".join(text_of(p) for p in find(el, "ltx_p"))
    return f"**{title}** {body}".strip() if title else body
