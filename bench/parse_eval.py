"""Reading quality and speed on every fixture paper.

Prints the pass table of tests/parse_expectations.py (one row per fixture, one column per
criterion), then the parse time: per page for PDFs, per MB for HTML, medians of 3 runs,
beside what the alternatives take on the same files (pypdf's and pdfminer.six's plain text
for PDFs, lxml's text_content() for HTML). Targets: HTML <= 0.3 s per MB, PDF <= 0.1 s per page.

    python bench/parse_eval.py
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from lxml import html as lxml_html  # noqa: E402

from parse_expectations import EXPECTED, FIXTURES, check, parse  # noqa: E402

RUNS = 3


def median_time(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def pass_table() -> int:
    names = list(check(parse(EXPECTED[0].file), EXPECTED[0]))
    print(f"{'fixture':62} " + " ".join(f"{n[:6]:>6}" for n in names))
    failures = 0
    for exp in EXPECTED:
        result = check(parse(exp.file), exp)
        failures += not all(result.values())
        marks = " ".join(f"{'pass' if ok else 'FAIL':>6}" for ok in result.values())
        print(f"{exp.file:62} {marks}")
    print(f"{len(EXPECTED) - failures} of {len(EXPECTED)} fixtures pass every criterion\n")
    return failures


def pypdf_text(data: bytes) -> None:
    from pypdf import PdfReader

    for page in PdfReader(io.BytesIO(data)).pages:
        page.extract_text()


def pdfminer_text(data: bytes) -> None:
    from pdfminer.high_level import extract_text

    extract_text(io.BytesIO(data))


def other(fn: Callable[[], object], pages: int) -> str:
    """ms per page of a library we compare with, or why it is not measured."""
    try:
        return f"{median_time(fn) / pages * 1000:.1f}"
    except ImportError:
        return "pip .[bench]"


def speed() -> None:
    import pypdfium2

    print(f"{'PDF':28} {'pages':>5} {'ours ms/p':>10} {'pypdf ms/p':>11} {'pdfminer ms/p':>14}")
    for exp in EXPECTED:
        if not exp.file.endswith(".pdf"):
            continue
        data = (FIXTURES / exp.file).read_bytes()
        pages = len(pypdfium2.PdfDocument(data))
        ours = median_time(lambda: parse(exp.file)) / pages * 1000  # noqa: B023
        plain = other(lambda: pypdf_text(data), pages)  # noqa: B023
        layout = other(lambda: pdfminer_text(data), pages)  # noqa: B023
        print(f"{Path(exp.file).name:28} {pages:5} {ours:10.1f} {plain:>11} {layout:>14}")
    print()
    print(f"{'HTML':52} {'MB':>5} {'ours s/MB':>9} {'MB/s':>6} {'lxml text s/MB':>14}")
    for exp in EXPECTED:
        if exp.file.endswith(".pdf"):
            continue
        data = (FIXTURES / exp.file).read_bytes()
        mb = len(data) / 1e6
        ours = median_time(lambda: parse(exp.file)) / mb  # noqa: B023
        base = median_time(lambda: lxml_html.fromstring(data).text_content()) / mb  # noqa: B023
        print(f"{Path(exp.file).name[:52]:52} {mb:5.2f} {ours:9.3f} {1 / ours:6.1f} {base:14.3f}")


def main() -> None:
    failures = pass_table()
    speed()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
