"""Text a reader of the paper cannot see never reaches the analysis.

A paper can hide instructions for an LLM in text no human sees: `display:none`, hidden
attributes, zero opacity or size, white text, text moved off-screen or clipped away, script
and style contents, comments. They are removed from the HTML tree before anything reads it;
how many characters went is counted for the provenance. LaTeXML's own `\\phantom` (a hidden
span that only takes space) goes the same way, which is what a reader sees too."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from lxml import etree

_NEVER_SHOWN = {"script", "style", "template", "noscript", "iframe", "object", "embed"}
_LENGTH = re.compile(r"^(-?\d*\.?\d+)\s*(px|pt|em|rem|%|ex|ch|vw|vh|mm|cm|in)?$")
_PX = {"px": 1, "pt": 4 / 3, "em": 16, "rem": 16, "%": 0.16, "ex": 8, "ch": 8, "mm": 3.78,
       "cm": 37.8, "in": 96, "vw": 10, "vh": 10, None: 1}  # fmt: skip
_WHITE = re.compile(
    r"^(white|#fff|#ffffff|#fffffe|"
    r"rgba?\(\s*25[0-5]\s*,\s*25[0-5]\s*,\s*25[0-5]\s*(,\s*(1|1\.0*|0?\.9\d*)\s*)?\))$"
)
_TRANSPARENT = re.compile(
    r"^(transparent|rgba\([^)]*,\s*0?\.?0*\s*\)|#[0-9a-f]{6}00|#[0-9a-f]{3}0)$"
)
_CLIPPED = re.compile(r"rect\(\s*0|inset\(\s*50%|circle\(\s*0")
_SCALED_AWAY = re.compile(r"scale[xy]?\(\s*0*\.?0*\s*[,)]")
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SIMPLE_SELECTOR = re.compile(r"^\s*([.#])([\w-]+)\s*$")


def declarations(style: str) -> dict[str, str]:
    """`a: b; c: d` as a dict, names and values lower-cased, `!important` dropped."""
    out = {}
    for part in style.split(";"):
        name, _, value = part.partition(":")
        if value.strip():
            out[name.strip().lower()] = value.replace("!important", "").strip().lower()
    return out


def _px(value: str | None) -> float | None:
    m = _LENGTH.match(value or "")
    return float(m.group(1)) * _PX[m.group(2)] if m else None


def hides(decl: dict[str, str]) -> bool:
    """Whether these CSS declarations make an element's text invisible wherever it is."""
    opacity = _px(decl.get("opacity"))
    size = _px(decl.get("font-size"))
    offsets = [_px(decl.get(k)) for k in ("left", "top", "right", "text-indent", "margin-left")]
    return (
        decl.get("display") == "none"
        or decl.get("visibility") in ("hidden", "collapse")
        or (opacity is not None and opacity < 0.05)
        or (size is not None and size < 2)
        or any(o is not None and o <= -500 for o in offsets)
        or bool(_CLIPPED.match(decl.get("clip") or decl.get("clip-path") or ""))
        or bool(_SCALED_AWAY.match(decl.get("transform", "")))
        or (
            decl.get("overflow") == "hidden"
            and any(_px(decl.get(k)) == 0 for k in ("width", "height", "max-width", "max-height"))
        )
        or bool(_TRANSPARENT.match(decl.get("color", "")))
    )


def _colour(el: etree._Element, decl: dict[str, str]) -> str:
    return decl.get("color") or (el.get("color") or el.get("mathcolor") or "").lower()


def _on_dark(el: etree._Element) -> bool:
    """White text is visible on a coloured background set by the element or an ancestor."""
    for node in [el, *el.iterancestors()]:
        decl = declarations(node.get("style") or "")
        background = decl.get("background-color") or decl.get("background") or ""
        background = background or (node.get("bgcolor") or node.get("mathbackground") or "")
        if background and not _WHITE.match(background) and not _TRANSPARENT.match(background):
            return True
    return False


def _stylesheet_rules(tree: etree._Element) -> tuple[set[str], set[str]]:
    """Classes and ids that the page's own `<style>` blocks hide."""
    classes: set[str] = set()
    ids: set[str] = set()
    for style in tree.iter("style"):
        css = re.sub(r"/\*.*?\*/", "", style.text or "", flags=re.S)
        for selectors, body in _RULE.findall(css):
            decl = declarations(body)
            if not hides(decl) and not _WHITE.match(decl.get("color", "")):
                continue
            for selector in selectors.split(","):
                m = _SIMPLE_SELECTOR.match(selector)
                if m:
                    (classes if m.group(1) == "." else ids).add(m.group(2))
    return classes, ids


def invisible(el: etree._Element, classes: set[str], ids: set[str]) -> bool:
    if not isinstance(el.tag, str):
        return True  # comments and processing instructions
    if el.tag.lower() in _NEVER_SHOWN or el.get("hidden") is not None:
        return True
    if el.get("id") in ids or classes.intersection((el.get("class") or "").split()):
        return True
    style = el.get("style") or ""
    hidden, colour = _style(style)
    if hidden:
        return True
    colour = colour or (el.get("color") or el.get("mathcolor") or "").lower()
    return bool(_WHITE.match(colour)) and not _on_dark(el)


@lru_cache(maxsize=4096)
def _style(style: str) -> tuple[bool, str]:
    """(hides, colour) of a style attribute; pages repeat a few styles thousands of times."""
    decl = declarations(style)
    return hides(decl), decl.get("color", "")


def find_invisible(tree: etree._Element, root: etree._Element) -> list[etree._Element]:
    """The outermost invisible nodes under `root` (what is inside them goes with them).
    Candidates come from one XPath query (in C); only they are judged in Python."""
    classes, ids = _stylesheet_rules(tree)
    marked = "@style or @hidden or @color or @mathcolor" + (" or @class" if classes else "")
    query = " | ".join(
        [f".//*[{marked}{' or @id' if ids else ''}]", ".//comment()"]
        + [f".//{tag}" for tag in _NEVER_SHOWN]
        + [".//processing-instruction()"]
    )
    found: list[etree._Element] = []
    gone: set[etree._Element] = set()
    for el in root.xpath(query):
        if not invisible(el, classes, ids) or any(a in gone for a in el.iterancestors()):
            continue
        found.append(el)
        gone.add(el)
    return found


def hidden_text(el: etree._Element) -> str:
    return el.text or "" if not isinstance(el.tag, str) else "".join(el.itertext())


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def strip_format_chars(text: str) -> str:
    """Without invisible format characters: zero-width ones, bidi controls, Unicode tags.
    Only the runs of non-ASCII characters are looked at (a paper is mostly ASCII)."""
    if text.isascii():
        return text
    return _NON_ASCII.sub(_visible, text)


def _visible(run: re.Match[str]) -> str:
    return "".join(ch for ch in run.group() if unicodedata.category(ch) != "Cf")
