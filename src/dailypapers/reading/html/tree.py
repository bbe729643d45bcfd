"""LaTeXML's page as a tree: elements found by class, their text, and an index of the article
made in one walk that every stage of the reader asks instead of querying the page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator

from lxml import etree


def has_class(el: etree._Element, name: str) -> bool:
    return name in (el.get("class") or "").split()


def has_any(el: etree._Element, names: tuple[str, ...]) -> bool:
    classes = el.get("class")
    return bool(classes) and any(c in names for c in classes.split())


def find(el: etree._Element, *names: str) -> Iterator[etree._Element]:
    """Descendants of `el` with any of these classes, in document order."""
    for node in el.iterdescendants(etree.Element):
        if has_any(node, names):
            yield node


def find_first(el: etree._Element | None, *names: str) -> etree._Element | None:
    return None if el is None else next(find(el, *names), None)


def child_with(el: etree._Element, name: str) -> etree._Element | None:
    return next((c for c in el.iterchildren(etree.Element) if has_class(c, name)), None)


def under(el: etree._Element, test: Callable[[etree._Element], bool]) -> bool:
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


class Index:
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
        drop(el)
        self.dropped.add(el)


def drop(el: etree._Element) -> None:
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
