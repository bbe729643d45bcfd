"""A checked corpus for grounding: analysis items built from the fixture papers' own tables and
sentences, each either correct or carrying one planted error of a known class. Deterministic;
used by tests/test_grounding_eval.py and bench/grounding_eval.py."""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

from dailypapers.checking.grounding import PaperIndex, ground, specific_names, squash
from dailypapers.checking.quantities import numbers
from dailypapers.core.models import Analysis, Document
from dailypapers.reading.html.parse import parse_html
from dailypapers.reading.pdf.parse import parse_pdf

from servers import FIXTURES

PAPERS = [
    "arxiv_html/2501.11120v1.html",
    "arxiv_html/2407.16314v1.html",
    "arxiv_html/2508.08468v6.html",
    "latexml_html/Melodiz_RBPO_icml2025.html",
    "latexml_html/TudorAndrei_dontpatronizeme-Semeval2022_acl.html",
    "latexml_html/nooralahzadeh_ATLAS-PTQ_iclr2025.html",
    "latexml_html/jinensetpal_contrastive-optimization_neurips2025.html",
    "pdf/2206.10883v3.pdf",
    "pdf/2304.02623v1.pdf",
]
CLASSES = [
    "wrong benchmark",
    "wrong unit",
    "wrong sign",
    "invented hardware",
    "invented number: domains",
    "invented number: contribution",
    "invented number: usage",
    "invented number: innovation",
    "invented number: result",
]
GPUS = ["H100", "A100", "V100", "H800", "RTX 4090", "MI300X", "TPU v5e", "L40S"]


@dataclass
class Case:
    paper: str
    item: str  # the address of the item under test
    analysis: Analysis
    planted: str | None  # the error class, or None for a correct item


@cache
def document(name: str) -> Document:
    data = (FIXTURES / name).read_bytes()
    return parse_pdf(data) if name.endswith(".pdf") else parse_html(data)


def skeleton(**fields) -> Analysis:
    base = {
        "domains": [],
        "contribution": "",
        "contribution_evidence": {"section": "", "quote": ""},
        "usage": {
            "inputs": "",
            "outputs": "",
            "workflow": [],
            "hardware": "",
            "code": "",
            "code_urls": [],
            "evidence": [],
        },
        "innovations": [],
        "results": [],
    }
    for key, value in fields.items():
        if key.startswith("usage_"):
            base["usage"][key.removeprefix("usage_")] = value
        else:
            base[key] = value
    return Analysis.model_validate(base)


def result(claim: str, values: list[str], benchmark=None, metric=None, quote: str = "") -> dict:
    return {
        "claim": claim,
        "benchmark": benchmark,
        "metric": metric,
        "values": values,
        "baseline": None,
        "evidence": {"section": "", "quote": quote},
    }


def table_cells(doc: Document) -> list[tuple[str, str, str, str]]:
    """(row label, column header, cell number, caption) of every numeric table cell."""
    out = []
    for s in doc.sections:
        for b in s.blocks:
            if b.kind != "table":
                continue
            rows = [
                [c.strip() for c in line.strip().strip("|").split("|")]
                for line in b.text.splitlines()
                if line.startswith("|") and not re.fullmatch(r"[|\s:\-]+", line)
            ]
            if len(rows) < 2:
                continue
            header = rows[0]
            for row in rows[1:]:
                for j, cell in enumerate(row[1:], 1):
                    found = numbers(cell)
                    if len(found) == 1 and j < len(header) and found[0].text == cell.strip():
                        out.append((row[0], header[j], cell.strip(), b.caption or ""))
    return out


def sentences(doc: Document) -> list[str]:
    text = "\n".join(b.text for s in doc.sections if s.role != "references" for b in s.blocks
                     if b.kind == "paragraph")  # fmt: skip
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z])|\n+", doc.abstract + "\n" + text)
    return [p for p in parts if 40 <= len(p) <= 400 and "$" not in p and "|" not in p]


def absent_number(index: PaperIndex, rng: random.Random) -> str:
    while True:
        text = f"{rng.uniform(10, 99):.2f}"
        if not index.occurrences(numbers(text)[0]) and not index.in_bibliography(numbers(text)[0]):
            return text


def cases_for(name: str, rng: random.Random) -> list[Case]:
    doc = document(name)
    index = PaperIndex(doc)
    out: list[Case] = []
    cells = [c for c in table_cells(doc) if specific_names(c[1]) or c[1]]
    rng.shuffle(cells)
    benchmarks = sorted({n for _, h, _, _ in cells for n in specific_names(h) if index.has_name(n)})
    for k, (row, header, value, _) in enumerate(cells[:8]):
        bench = next(iter(specific_names(header)), None)
        shown = value
        if k % 2 and "." in value and "%" not in value and float(value) < 100:
            shown = value + "%"  # analyses add the % a table's header implies
        r = result(f"{row} 在 {header} 上达到 {shown}", [shown], bench, None if bench else header)
        out.append(Case(name, "results[0]", skeleton(results=[r]), None))
        if "%" in value or float(value.replace(",", "")) > 1:
            times = value.rstrip("%") + " 倍"
            r = result(f"{row} 提升到原来的 {times}", [times], bench)
            out.append(Case(name, "results[0]", skeleton(results=[r]), "wrong unit"))
        others = [
            b for b in benchmarks if squash(b) not in squash(header + row)
            and not _bound(index, value, b)
        ]  # fmt: skip
        if others:
            wrong = rng.choice(others)
            r = result(f"在 {wrong} 上达到 {value}", [value], wrong)
            out.append(Case(name, "results[0]", skeleton(results=[r]), "wrong benchmark"))
    out += _sentence_cases(name, doc, index, rng)
    out += _field_cases(name, doc, index, rng)
    return out


def _bound(index: PaperIndex, value: str, benchmark: str) -> bool:
    n = numbers(value)[0]
    return any(squash(benchmark) in o.context for o in index.occurrences(n))


def _sentence_cases(name: str, doc: Document, index: PaperIndex, rng) -> list[Case]:
    out: list[Case] = []
    picked = 0
    for sentence in sentences(doc):
        found = [
            n
            for n in numbers(sentence)
            if n.kind in ("percent", "plain") and n.value > 0 and not 1900 <= n.value <= 2100
        ]
        names = [n for n in specific_names(sentence) if index.has_name(n)]
        if not found or not names or picked >= 6:
            continue
        n, bench = found[0], names[0]
        quote = " ".join(sentence.split()[:10])
        if any(o.number.value < 0 or o.number.decrease for o in index.occurrences(n)):
            continue  # the paper itself states a decrease of it somewhere
        picked += 1
        r = result(f"在 {bench} 上，论文报告 {n.text}", [n.text], bench, quote=quote)
        out.append(Case(name, "results[0]", skeleton(results=[r]), None))
        r = result(f"在 {bench} 上下降了 -{n.text}", [f"-{n.text}"], bench, quote=quote)
        out.append(Case(name, "results[0]", skeleton(results=[r]), "wrong sign"))
        if picked == 1:  # a difference the analysis says it computed from two true values
            others = [m for m in numbers(sentence) if m is not n and m.kind == n.kind]
            if others:
                diff = f"{abs(n.value - others[0].value):.2f}".rstrip("0").rstrip(".")
                claim = f"在 {bench} 上 {n.text} 对比 {others[0].text}，差值为 {diff}（由两者计算）"
                r = result(claim, [n.text, others[0].text], bench, quote=quote)
                out.append(Case(name, "results[0]", skeleton(results=[r]), None))
    counts = [
        n
        for s in sentences(doc)
        for n in numbers(s)
        if n.kind == "count" and n.scale == 1 and n.value >= 2 and n.value == int(n.value)
    ]
    for n in counts[:3]:
        if any(o.number.kind in ("percent", "plain") for o in index.occurrences(n)):
            continue
        value = f"{int(n.value)}%"
        r = result(f"准确率提升 {value}", [value])
        out.append(Case(name, "results[0]", skeleton(results=[r]), "wrong unit"))
    return out


def _field_cases(name: str, doc: Document, index: PaperIndex, rng) -> list[Case]:
    out: list[Case] = []
    x = absent_number(index, rng)
    title_names = [n for n in specific_names(doc.title) if index.has_name(n)] or ["该方法"]
    method = title_names[0]
    plants = {
        "invented number: domains": ("domains", {"domains": [f"NLP - 准确率 {x}%"]}),
        "invented number: contribution": (
            "contribution",
            {"contribution": f"提出 {method}，性能提升 {x}%。"},
        ),
        "invented number: usage": ("usage.inputs", {"usage_inputs": f"最长 {x} 万字的文本"}),
        "invented number: innovation": (
            "innovations[0]",
            {
                "innovations": [
                    {
                        "name": method,
                        "explanation": f"将误差降低 {x}%。",
                        "evidence": {"section": "", "quote": ""},
                    }
                ]
            },
        ),
        "invented number: result": (
            "results[0]",
            {"results": [result(f"{method} 的得分为 {x}", [x])]},
        ),
    }
    for planted, (item, fields) in plants.items():
        out.append(Case(name, item, skeleton(**fields), planted))
    gpu = next(g for g in rng.sample(GPUS, len(GPUS)) if not index.has_name(g))
    out.append(
        Case(
            name,
            "usage.hardware",
            skeleton(usage_hardware=f"需要 8 张 {gpu} GPU"),
            "invented hardware",
        )  # fmt: skip
    )
    out.append(
        Case(name, "contribution", skeleton(contribution=f"提出 {method}，{_fact(doc)}"), None)
    )
    present = [g for g in GPUS if index.has_name(g)]
    if present:
        hardware = f"论文使用 {present[0]} GPU；显存需求论文未说明"
        out.append(Case(name, "usage.hardware", skeleton(usage_hardware=hardware), None))
    for sentence in sentences(doc):
        counted = [n for n in numbers(sentence) if n.kind == "count" and n.scale == 1]
        if counted:  # "8 张 ..." for the paper's "8 A100 GPUs", a count stays a count
            n = counted[0]
            usage = f"论文中提到 {int(abs(n.value)) if n.value == int(n.value) else n.text} 个单位"
            out.append(Case(name, "usage.inputs", skeleton(usage_inputs=usage), None))
            break
    out.append(Case(name, "usage.code", skeleton(usage_code="论文未说明；代码未开源"), None))
    return out


def _fact(doc: Document) -> str:
    """A number of the abstract, restated the way an analysis would."""
    found = [n for n in numbers(doc.abstract) if n.kind in ("percent", "multiplier")]
    return f"在摘要所述设置下取得 {found[0].text} 的结果。" if found else "解决了论文提出的问题。"


def corpus(seed: int = 7) -> list[Case]:
    rng = random.Random(seed)
    return [c for name in PAPERS for c in cases_for(name, rng)]


def evaluate() -> tuple[Counter, Counter, Counter, list]:
    """(cases per class, caught per class, false alarms per paper, the false alarms)."""
    total, caught, alarms = Counter(), Counter(), Counter()
    missed_or_false = []
    indexes = {}
    for case in corpus():
        if case.paper not in indexes:
            indexes[case.paper] = PaperIndex(document(case.paper))
        index = indexes[case.paper]
        verdict = ground(case.analysis, document(case.paper), index).verdict(case.item)
        flagged = verdict is not None and verdict.status == "unverified"
        key = case.planted or "correct"
        total[key] += 1
        if case.planted and flagged:
            caught[key] += 1
        if not case.planted and flagged:
            alarms[key] += 1
        if flagged != bool(case.planted):
            missed_or_false.append((case, verdict))
    return total, caught, alarms, missed_or_false
