"""The report as Markdown, in the reference structure, one identical layout for every paper."""

from __future__ import annotations

from ..escape import markdown_text
from ..models import Analysis, PaperResult, Report, Result
from .labels import (
    LABELS,
    SEPARATOR,
    analyser_label,
    grounding_line,
    heading_label,
    provenance_line,
    reason_text,
    source_name,
)


def render_markdown(report: Report) -> str:
    t = LABELS[report.lang]
    lines = [
        f"# {t['title']}",
        f"**{heading_label(report, t)}**: {report.label}",
        f"**{t['source_url']}**: {report.source_url}",
        f"**{t['papers']}**: {len(report.papers)} · **{t['analyser']}**: "
        f"{analyser_label(report, t)}" + _score(report, t),
    ]
    if report.note:
        lines += ["", f"> {report.note}"]
    out = "\n".join(lines) + "\n\n" + SEPARATOR + "\n\n"
    out += ("\n" + SEPARATOR + "\n\n").join(paper_markdown(p, t) for p in report.papers)
    return out


def _score(report: Report, t: dict[str, str]) -> str:
    score = report.grounding_score
    return "" if score is None else f" · **{t['report_score']}**: {score:.0%}"


def paper_markdown(result: PaperResult, t: dict[str, str]) -> str:
    """Markdown viewers pass raw HTML and links through: the paper's text stays text."""
    return markdown_text(_paper_markdown(result, t))


def _paper_markdown(result: PaperResult, t: dict[str, str]) -> str:
    paper = result.paper
    head = [
        f"## 📄 {paper.title}",
        "",
        f"- **{t['link']}**: {paper.hf_url}",
        f"- **{t['read_from']}**: {source_name(result)}",
    ]
    if result.provenance:
        head.append(f"- **{t['provenance']}**: {provenance_line(result.provenance, t)}")
    if result.status == "failed" or result.analysis is None:
        head.append(f"- **{t['status']}**: ❌ {t['failed']}: {result.error}")
        return "\n".join(head) + "\n"
    if result.grounding:
        head.append(f"- **{t['grounding']}**: {grounding_line(result.grounding, t)}")
    if result.provenance and result.provenance.source == "abstract":
        head += ["", f"> ⚠️ {t['abstract_only']}"]
    return "\n".join(head) + "\n\n" + analysis_markdown(result.analysis, result, t)


def _mark(result: PaperResult, item: str, t: dict[str, str]) -> str:
    verdict = result.grounding.unverified(item) if result.grounding else None
    if verdict is None:
        return ""
    return f" ⚠️ *{t['unverified']}: {reason_text(verdict, t)}*"


def analysis_markdown(a: Analysis, result: PaperResult, t: dict[str, str]) -> str:
    u = a.usage
    workflow = "\n".join(f"    {i}. {step}" for i, step in enumerate(u.workflow, 1))
    code = u.code + (
        f" ({', '.join(u.code_urls)})"
        if u.code_urls and not all(x in u.code for x in u.code_urls)
        else ""
    )
    parts = [
        f"1. **{t['domains']}**：\n{t['list_sep'].join(a.domains)}{_mark(result, 'domains', t)}",
        f"2. **{t['contribution']}**：\n{a.contribution}{_mark(result, 'contribution', t)}",
        f"3. **{t['usage']}**：\n"
        f"*   **{t['inputs']}**：{u.inputs}{_mark(result, 'usage.inputs', t)}\n"
        f"*   **{t['outputs']}**：{u.outputs}{_mark(result, 'usage.outputs', t)}\n"
        f"*   **{t['workflow']}**：{_mark(result, 'usage.workflow', t)}"
        + (f"\n{workflow}" if workflow else t["none"])
        + f"\n*   **{t['hardware']}**：{u.hardware}{_mark(result, 'usage.hardware', t)}\n"
        f"*   **{t['code']}**：{code}{_mark(result, 'usage.code', t)}",
        f"4. **{t['innovations']}**：\n"
        + (
            "\n".join(
                f"*   {f'**{x.name}**：' if x.name else ''}{x.explanation}"
                f"{_mark(result, f'innovations[{i}]', t)}"
                for i, x in enumerate(a.innovations)
            )
            or f"*   {t['none']}"
        ),
        f"5. **{t['results']}**：\n"
        + (
            "\n".join(
                f"*   {result_line(r, t)}{_mark(result, f'results[{i}]', t)}"
                for i, r in enumerate(a.results)
            )
            or f"*   {t['no_results']}"
        ),
    ]
    return "\n\n".join(parts) + "\n"


def result_line(r: Result, t: dict[str, str]) -> str:
    details = [x for x in (r.benchmark, r.metric) if x]
    if r.values and not all(v in r.claim for v in r.values):
        details.append(", ".join(r.values))
    if r.baseline:
        details.append(f"{t['vs']} {r.baseline}")
    return r.claim + (f"（{' · '.join(details)}）" if details else "")
