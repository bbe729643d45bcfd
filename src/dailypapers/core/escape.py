"""Paper text is hostile input: how it is made harmless in each output.

Terminal: no escape or control sequences (window titles, hyperlinks, cursor moves) and no
rich markup (`[/x]` would crash the printer, `[bold]` would vanish). Markdown: no raw HTML,
no link or image syntax (so no `javascript:` link, no remote image); bare http(s) URLs stay
as text that viewers may link. HTML is escaped by the template engine."""

from __future__ import annotations

import re

from rich.text import Text

# Escape sequences, 7-bit and 8-bit (CSI, OSC up to BEL or ST, two-character ones), then the
# remaining C0 and C1 controls except tab and newline.
_SEQUENCE = re.compile(
    r"(\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(\x1b\]|\x9d)[^\x07\x1b\x9c]*(\x07|\x1b\\|\x9c)?"
    r"|\x1b[@-Z\\-_]?"
)
# ... and the bidirectional controls, which can make a line read otherwise than it is
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_TAG = re.compile(r"<(?=[A-Za-z/!?])")
_LINK_SYNTAX = re.compile(r"([\[\]])")


def strip_controls(text: str) -> str:
    return _CONTROL.sub("", _SEQUENCE.sub("", text))


def terminal(text: str, style: str = "") -> Text:
    """Outside text for a rich console: printed as written, minus control sequences."""
    return Text(strip_controls(text), style=style)


def markdown_text(text: str) -> str:
    """A block of Markdown made from paper text: tag openings and link brackets escaped, so
    `p<0.05` reads as written but `<script>` and `[x](javascript:…)` stay text."""
    return _LINK_SYNTAX.sub(r"\\\1", _TAG.sub("&lt;", strip_controls(text)))
