"""What the report without an LLM gives a reader, measured on two corpora: every full-text
fixture paper (tests/parse_expectations.py), and the recorded day 2026-02-11 read from its
listing's abstracts alone (what a day with arXiv unreachable gets).

Prints, per corpus: the usage guide's fields filled (inputs, outputs, workflow, hardware,
code: five a paper), papers with no innovation and with no result, items per paper, and the
defects that must never be printed (sentences glued at a full stop, LaTeX link leftovers,
TODO and placeholder lines).

    python bench/no_llm_eval.py
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from dailypapers.analysing.extract import analyse_without_llm  # noqa: E402
from dailypapers.core.models import Analysis, Paper  # noqa: E402
from dailypapers.run.read import abstract_document  # noqa: E402
from dailypapers.sources.hf import parse_listing  # noqa: E402

from parse_expectations import EXPECTED, parse  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
DEFECTS = {
    "glued sentences": re.compile(r"[a-z]{2}[.!?][A-Z][a-z]{2}"),
    "LaTeX link leftovers": re.compile(r"\{https?://|https?://\S*\{"),
    "TODO or placeholder": re.compile(r"\[\s*TODO|\bTODO:|\bTBD\b|\bXXX\b|\?\?\?|[Ll]orem ipsum"),
}


def strip_urls(text: str, defect: str) -> str:
    """A URL's own dots and capitals are not glued sentences."""
    return text if defect == "LaTeX link leftovers" else re.sub(r"https?://\S+", "", text)


def texts(a: Analysis) -> list[str]:
    u = a.usage
    out = [a.contribution, u.inputs, u.outputs, u.hardware, u.code, *u.workflow, *u.code_urls]
    out += [f"{x.name} {x.explanation}" for x in a.innovations]
    return out + [x.claim for x in a.results]


def measure(name: str, analyses: list[Analysis]) -> None:
    n = len(analyses)
    filled = sum(
        bool(a.usage.inputs)
        + bool(a.usage.outputs)
        + bool(a.usage.workflow)
        + bool(a.usage.hardware)
        + bool(a.usage.code)
        for a in analyses
    )
    no_inn = sum(not a.innovations for a in analyses)
    no_res = sum(not a.results for a in analyses)
    inn = sum(len(a.innovations) for a in analyses) / n
    res = sum(len(a.results) for a in analyses) / n
    print(f"\n{name}: {n} papers")
    print(f"  usage fields filled   {filled}/{5 * n} ({filled / (5 * n):.0%})")
    for field in ("inputs", "outputs", "workflow", "hardware", "code"):
        count = sum(bool(getattr(a.usage, field)) for a in analyses)
        print(f"    {field:<10}          {count}/{n}")
    print(f"  no innovation         {no_inn}/{n}   ({inn:.1f} innovations a paper)")
    print(f"  no result             {no_res}/{n}   ({res:.1f} results a paper)")
    for defect, pattern in DEFECTS.items():
        found = [t for a in analyses for t in texts(a) if pattern.search(strip_urls(t, defect))]
        print(f"  {defect:<22}{len(found)}" + (f"  e.g. {found[0][:90]!r}" if found else ""))


def main() -> None:
    full = []
    for exp in EXPECTED:
        doc = parse(exp.file)
        full.append(analyse_without_llm(doc, Paper(id="x", title=doc.title or "x"), "zh"))
    measure("full-text fixture papers", full)
    listing = json.loads((FIXTURES / "hf_api/daily_papers_2026-02-11.json").read_bytes())
    papers = parse_listing(listing)
    abstracts = [analyse_without_llm(abstract_document(p, None), p, "zh") for p in papers]
    measure("2026-02-11 from the listing's abstracts", abstracts)


if __name__ == "__main__":
    main()
