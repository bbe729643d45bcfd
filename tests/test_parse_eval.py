"""Every fixture paper, PDF and HTML, read as tests/parse_expectations.py says."""

from __future__ import annotations

import pytest

from parse_expectations import EXPECTED, check, parse


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda e: e.file)
def test_fixture_read_as_expected(expected) -> None:
    doc = parse(expected.file)
    failed = [name for name, ok in check(doc, expected).items() if not ok]
    assert not failed, (
        failed,
        doc.title,
        len(doc.authors),
        [s.heading for s in doc.sections if s.level == 1],
        len(doc.bibliography),
    )
