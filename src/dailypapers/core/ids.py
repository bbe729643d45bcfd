"""arXiv identifiers: what is one, and its version apart. Kept free of imports so that
commands that only look at the archive start at once."""

from __future__ import annotations

import re

ARXIV_ID = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?$")


def split_version(arxiv_id: str) -> tuple[str, str | None]:
    m = re.match(r"^(.*?)(v\d+)?$", arxiv_id.strip())
    assert m
    return m.group(1), m.group(2)


def valid_id(arxiv_id: str) -> bool:
    return bool(ARXIV_ID.match(arxiv_id.strip()))
