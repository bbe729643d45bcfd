"""Every fixture paper, PDF and HTML, read as tests/parse_expectations.py says, and with the
numbers the grounding checker finds in it pinned: a faster reader or number scanner must find
the same numbers. After a deliberate change to what is found, rewrite the pins with
`python tests/test_parse_eval.py` and say why in the commit."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections import Counter

import pytest

from dailypapers.checking.grounding import PaperIndex
from dailypapers.core.models import Document

from parse_expectations import EXPECTED, FIXTURES, check, parse

PINS = FIXTURES / "numbers_pinned.json"

read = functools.cache(parse)  # each fixture read once per process; nothing here changes it


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda e: e.file)
def test_fixture_read_as_expected(expected) -> None:
    doc = read(expected.file)
    failed = [name for name, ok in check(doc, expected).items() if not ok]
    assert not failed, (
        failed,
        doc.title,
        len(doc.authors),
        [s.heading for s in doc.sections if s.level == 1],
        len(doc.bibliography),
    )


def numbers_found(doc: Document) -> dict:
    """What the checker finds in a paper: counts to read and a digest of every occurrence."""
    paper = PaperIndex(doc)
    found = [
        {**dataclasses.asdict(o.number), "where": o.where, "context": o.context} for o in paper.all
    ]
    return {
        "numbers": len(found),
        "kinds": dict(sorted(Counter(f["kind"] for f in found).items())),
        "approx": sum(f["approx"] for f in found),
        "decrease": sum(f["decrease"] for f in found),
        "in_bibliography": len(paper.bib_values),
        "sha256": hashlib.sha256(json.dumps(found, ensure_ascii=False).encode()).hexdigest(),
    }


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda e: e.file)
def test_fixture_numbers_are_pinned(expected) -> None:
    assert numbers_found(read(expected.file)) == json.loads(PINS.read_text())[expected.file]


if __name__ == "__main__":
    pins = {e.file: numbers_found(parse(e.file)) for e in EXPECTED}
    PINS.write_text(json.dumps(pins, indent=1, ensure_ascii=False) + "\n")
