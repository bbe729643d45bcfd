r"""TeX in an analysis (`$\Delta a$`, `\(x^2\)`) as MathML for the HTML report: drawn by the
browser itself, with no script and no CDN.

latex2mathml's output is not trusted (it copies `\text{<script>}` through and turns `\href`
into an attribute): it is parsed again and kept only when every element and attribute is
plain presentation MathML; otherwise the TeX is shown as text."""

from __future__ import annotations

import re

from latex2mathml.converter import convert
from lxml import etree
from markupsafe import Markup, escape

# $…$ with TeX inside (a backslash, ^, _, braces or =), or a short symbol ($k$); "$5 and $10"
# is money, not math. \(…\) is always math.
_MATH = re.compile(r"(?<![\\$])\$(?!\s)([^$\n]{1,300}?)(?<!\s)\$(?!\d)|\\\((.{1,300}?)\\\)")
_TEXISH = re.compile(r"[\\^_{}=]|^\w{1,3}$")
_NS = "{http://www.w3.org/1998/Math/MathML}"
_ELEMENTS = {
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub", "msubsup",
    "mfrac", "msqrt", "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd",
    "mstyle", "mpadded", "mphantom", "menclose", "merror", "mmultiscripts", "mprescripts",
    "none",
}  # fmt: skip
_ATTRIBUTES = {
    "display", "mathvariant", "stretchy", "fence", "separator", "lspace", "rspace", "accent",
    "accentunder", "columnalign", "rowspacing", "columnspacing", "columnlines", "rowlines",
    "frame", "width", "height", "depth", "linethickness", "minsize", "maxsize",
    "movablelimits", "notation", "scriptlevel", "displaystyle", "form", "largeop",
    "symmetric", "align", "rowalign", "voffset",
}  # fmt: skip


def with_math(text: str) -> Markup:
    """`text` escaped for HTML, its TeX spans as MathML where they convert cleanly."""
    out = Markup("")
    at = 0
    for m in _MATH.finditer(text):
        tex = m.group(1) if m.group(1) is not None else m.group(2)
        if m.group(1) is not None and not _TEXISH.search(tex):
            continue
        mathml = to_mathml(tex)
        if mathml is None:
            continue
        out += escape(text[at : m.start()]) + mathml
        at = m.end()
    return out + escape(text[at:])


def to_mathml(tex: str) -> Markup | None:
    """Clean MathML for a TeX formula, or None."""
    try:
        tree = etree.fromstring(convert(tex).encode())
    except Exception:  # latex2mathml raises many kinds on broken TeX; lxml on its output
        return None
    for node in tree.iter():
        if not isinstance(node.tag, str) or not node.tag.startswith(_NS):
            return None  # a comment, a processing instruction, a foreign element
        if node.tag[len(_NS) :] not in _ELEMENTS or set(node.attrib) - _ATTRIBUTES:
            return None
    return Markup(etree.tostring(tree, encoding="unicode"))
