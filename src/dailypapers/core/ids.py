"""arXiv identifiers: what is one, its version apart, and the id inside what a user pastes
(an arXiv abs, HTML or PDF link, a Hugging Face paper page, `arXiv:2501.11120`). Kept free
of imports so that commands that only look at the archive start at once."""

from __future__ import annotations

import re

ARXIV_ID = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?$")
_PASTED = re.compile(
    r"^(?:arxiv:\s*"
    r"|(?:https?://)?(?:www\.)?(?:export\.)?arxiv\.org/(?:abs|html|pdf)/"
    r"|(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co|hf-mirror\.com)/papers/)"
    r"(?P<id>[^?#\s]+?)(?:\.pdf)?/?(?:[?#].*)?$",
    re.I,
)


def split_version(arxiv_id: str) -> tuple[str, str | None]:
    m = re.fullmatch(r"(.*?)(v\d+)?", arxiv_id.strip(), re.S)
    return (m.group(1), m.group(2)) if m else (arxiv_id, None)


def valid_id(arxiv_id: str) -> bool:
    return bool(ARXIV_ID.match(arxiv_id.strip()))


def id_in(pasted: str) -> str | None:
    """The arXiv id a user gave, however they gave it; None if there is none."""
    text = pasted.strip()
    m = _PASTED.match(text)
    found = m.group("id") if m else text
    return found if valid_id(found) else None
