"""A period's results are kept packed and the report is written in pieces: what is read back
and what is written are exactly what a whole, unpacked report gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from test_overview import result

from dailypapers.core.models import Paper, PaperResult
from dailypapers.report.models import Report
from dailypapers.report.overview import day_overview, most_upvoted
from dailypapers.report.render import PIECE, render, render_pieces
from dailypapers.report.results import PaperResults


def month(n: int) -> list[PaperResult]:
    out = [result(f"2602.{i:05d}", ["CV", "NLP-x", "语音"][i % 3], upvotes=i % 7) for i in range(n)]
    if n > 1:  # a failed paper among them
        out[1] = PaperResult(paper=Paper(id="2602.00001", title="t"), status="failed", error="x")
    return out


def report_of(results: list[PaperResult]) -> Report:
    return Report(
        label="2026-02",
        kind="month",
        generated_at=datetime.now(UTC),
        analyser="llm",
        overview=day_overview(results),
        papers=results,
    )


def test_packed_results_read_back_as_they_were() -> None:
    results = month(40)
    packed = PaperResults(results)
    assert len(packed) == 40 and list(packed) == results and packed == results
    assert packed[3] == results[3] and packed[-1] == results[-1] and packed[5:8] == results[5:8]
    assert report_of(results).papers == results  # a report packs the list it is given
    assert Report.model_validate_json(report_of(results).model_dump_json()).papers == results


def test_the_most_upvoted_first_listed_first_among_equals() -> None:
    results = month(30)
    top = most_upvoted(PaperResults(results), 5)
    assert [r.paper.id for r in top] == ["2602.00006", "2602.00013", "2602.00020", "2602.00027",
                                          "2602.00005"]  # fmt: skip
    assert day_overview(PaperResults(results)) == day_overview(results)


def test_every_format_written_in_pieces_is_the_whole_report() -> None:
    for n in (0, 1, 120):
        report = report_of(month(n))
        whole = report.model_dump_json(indent=2) + "\n"
        assert (
            render(report, "json") == whole
            and json.loads(whole)["papers"] == json.loads(report.model_dump_json())["papers"]
        )
    big = report_of(month(300))
    for fmt in ("md", "html", "json"):
        pieces = list(render_pieces(big, fmt))
        assert len(pieces) > 1 and all(len(p) < 2 * PIECE for p in pieces[:-1]), fmt
        assert "".join(pieces) == render(big, fmt)
    md = render(big, "md")
    assert md.count("## 📄") == 300 and md.index("2602.00000") < md.index("2602.00299")
