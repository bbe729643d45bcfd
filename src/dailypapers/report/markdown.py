"""The report as Markdown, in the reference structure, one identical layout for every paper."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from dailypapers.core.escape import markdown_text
from dailypapers.core.models import Analysis, PaperResult, Result, Verdict
from dailypapers.report.labels import (
    LABELS,
    SEPARATOR,
    analyser_label,
    facts_line,
    grounding_line,
    heading_label,
    hub_links,
    is_web_url,
    provenance_line,
    reason_text,
    reason_words,
    selection_line,
    short_title,
    source_name,
    what_was_read,
)
from dailypapers.report.models import Overview, Report


def markdown_chunks(report: Report) -> Iterator[str]:
    """The heading and overview, then a paper at a time."""
    t = LABELS[report.lang]
    lines = [
        f"# {t['title']}",
        f"**{heading_label(report, t)}**: {report.label}",
        f"**{t['source_url']}**: {report.source_url}",
        f"**{t['papers']}**: {len(report.papers)} · **{t['analyser']}**: "
        f"{analyser_label(report, t)}" + _score(report, t),
    ]
    if chosen := selection_line(report, t):
        lines.append(f"**{t['filter']}**: {chosen}")
    if report.note:
        lines += ["", f"> {report.note}"]
    if report.overview and report.papers:
        lines += ["", overview_markdown(report.overview, report.papers, t)]
    yield "\n".join(lines) + "\n\n" + SEPARATOR + "\n\n"
    for i, p in enumerate(report.papers):
        yield ("\n" + SEPARATOR + "\n\n" if i else "") + paper_markdown(p, t)


def overview_markdown(overview: Overview, papers: Sequence[PaperResult], t: dict[str, str]) -> str:
    """Themes with their papers, then the must-reads: the day in thirty seconds."""
    by_id = {r.paper.id: r.paper for r in papers}

    def link(pid: str) -> str:
        return f"[{markdown_text(short_title(by_id[pid].title))}]({by_id[pid].hf_url})"

    lines = [f"## {t['overview']}", ""]
    if overview.paragraph:
        lines += [
            markdown_text(overview.paragraph.text)
            + _verdict_mark(overview.paragraph.verdict, t, "analyses"),
            "",
        ]
    lines += [f"**{t['themes']}**", ""]
    for theme in overview.themes:
        name = t["other_theme"] if theme.other else markdown_text(theme.name)
        count = t["n_papers"].format(n=len(theme.papers))
        links = " · ".join(link(pid) for pid in theme.papers if pid in by_id)
        lines.append(f"- **{name}**{t['open']}{count}{t['close']}{t['colon']}{links}")
    if overview.must_reads:
        lines += ["", f"**{t['must_reads']}**", ""]
        lines += [
            f"{i}. {link(m.id)} ▲ {m.upvotes} — {markdown_text(m.why)}"
            for i, m in enumerate(overview.must_reads, 1)
            if m.id in by_id
        ]
    return "\n".join(lines)


def _score(report: Report, t: dict[str, str]) -> str:
    score = report.grounding_score
    return "" if score is None else f" · **{t['report_score']}**: {score:.0%}"


def paper_markdown(result: PaperResult, t: dict[str, str]) -> str:
    """Markdown viewers pass raw HTML and links through: the paper's text stays text."""
    return markdown_text(_paper_markdown(result, t))


def _paper_markdown(result: PaperResult, t: dict[str, str]) -> str:
    paper = result.paper
    facts = " · ".join(
        f"{text} {link}" if is_web_url(link) else text for text, link in facts_line(paper, t)
    )
    translated = result.analysis.translated_title.strip() if result.analysis else ""
    head = [
        f"## 📄 {paper.title}",
        "",
        *([f"- **{t['translated_title']}**: {translated}"] if translated else []),
        f"- **{t['link']}**: {paper.hf_url}",
        f"- **{t['facts']}**: {facts}",
        *_hub_line(result, t),
        f"- **{t['read_from']}**: {source_name(result)}",
    ]
    if result.provenance:
        head.append(f"- **{t['provenance']}**: {provenance_line(result.provenance, t)}")
    if result.status == "failed" or result.analysis is None:
        head.append(f"- **{t['status']}**: ❌ {t['failed']}: {reason_words(result.error or '', t)}")
        return "\n".join(head) + "\n"
    if result.grounding:
        head.append(f"- **{t['grounding']}**: {grounding_line(result.grounding, t)}")
    if result.provenance and result.provenance.source == "abstract":
        head += ["", f"> ⚠️ {t['abstract_only']}"]
    return "\n".join(head) + "\n\n" + analysis_markdown(result.analysis, result, t)


def _hub_line(result: PaperResult, t: dict[str, str]) -> list[str]:
    """The Hub repositories citing the paper, as bare URLs like every link of a paper's block
    (the block's brackets are escaped: paper text never makes a link)."""
    kinds = [
        f"{t[key]} " + ", ".join(f"{url} ♥ {likes}" for _, url, likes in repos)
        for key, repos in hub_links(result.resources)
    ]
    return [f"- **{t['hub']}**: " + " · ".join(kinds)] if kinds else []


def _mark(result: PaperResult, item: str, t: dict[str, str]) -> str:
    verdict = result.grounding.unverified(item) if result.grounding else None
    return "" if verdict is None else _verdict_mark(verdict, t, what_was_read(result))


def _verdict_mark(verdict: Verdict, t: dict[str, str], read: str) -> str:
    if verdict.verified:
        return ""
    return f" ⚠️ *{t['unverified']}: {reason_text(verdict, t, read)}*"


def analysis_markdown(a: Analysis, result: PaperResult, t: dict[str, str]) -> str:
    u = a.usage
    c, h = t["colon"], t["colon"].rstrip()  # h ends a section heading's line
    workflow = "\n".join(f"    {i}. {step}" for i, step in enumerate(u.workflow, 1))
    code = said(u.code, t) + (
        f" ({', '.join(u.code_urls)})"
        if u.code_urls and not all(x in u.code for x in u.code_urls)
        else ""
    )

    def usage(key: str, text: str) -> str:
        return f"*   **{t[key]}**{c}{said(text, t)}{_mark(result, f'usage.{key}', t)}"

    parts = [
        f"1. **{t['domains']}**{h}\n{t['list_sep'].join(a.domains)}{_mark(result, 'domains', t)}",
        f"2. **{t['contribution']}**{h}\n{a.contribution}{_mark(result, 'contribution', t)}",
        f"3. **{t['usage']}**{h}\n"
        + "\n".join(
            [
                usage("inputs", u.inputs),
                usage("outputs", u.outputs),
                f"*   **{t['workflow']}**{h if workflow else c}{_mark(result, 'usage.workflow', t)}"
                + (f"\n{workflow}" if workflow else t["not_stated"]),
                usage("hardware", u.hardware),
                f"*   **{t['code']}**{c}{code}{_mark(result, 'usage.code', t)}",
            ]
        ),
        f"4. **{t['innovations']}**{h}\n"
        + (
            "\n".join(
                f"*   {f'**{x.name}**{c}' if x.name else ''}{x.explanation}"
                f"{_mark(result, f'innovations[{i}]', t)}"
                for i, x in enumerate(a.innovations)
            )
            or f"*   {t['none']}"
        ),
        f"5. **{t['results']}**{h}\n"
        + (
            "\n".join(
                f"*   {strong(result_parts(r, t))}{_mark(result, f'results[{i}]', t)}"
                for i, r in enumerate(a.results)
            )
            or f"*   {t['no_results']}"
        ),
    ]
    return "\n\n".join(parts) + "\n"


def said(text: str, t: dict[str, str]) -> str:
    """What the analysis says, or that the paper does not say it."""
    return text.strip() or t["not_stated"]


def strong(parts: list[tuple[str, bool]]) -> str:
    """Pieces as Markdown, the bold ones between ** (with a space where CommonMark would not
    see a bold number that ends in punctuation and runs into a Chinese character)."""
    out = ""
    for i, (text, bold) in enumerate(parts):
        if not bold:
            out += text
            continue
        after = parts[i + 1][0][:1] if i + 1 < len(parts) else ""
        before = out[-1:]
        pad_before = " " if _PUNCT.match(text[:1]) and _WORDY.match(before) else ""
        pad_after = " " if _PUNCT.match(text[-1:]) and _WORDY.match(after) else ""
        out += f"{pad_before}**{text}**{pad_after}"
    return out


_PUNCT = re.compile(r"[^\w\s]")
_WORDY = re.compile(r"\w")


def result_parts(r: Result, t: dict[str, str]) -> list[tuple[str, bool]]:
    """A result as (text, bold) pieces: the claim with its metric and numbers in bold, then
    what the claim does not already say (benchmark, metric, values, baseline)."""
    terms = [v for v in r.values if v.strip()] + ([r.metric] if r.metric else [])
    parts = emphasise(r.claim, terms)
    details: list[list[tuple[str, bool]]] = []
    if r.benchmark and r.benchmark not in r.claim:
        details.append([(r.benchmark, False)])
    if r.metric and r.metric.lower() not in r.claim.lower():
        details.append([(r.metric, True)])
    missing = [v for v in r.values if v not in r.claim]
    if missing:
        details.append(_joined([[(v, True)] for v in missing], ", "))
    if r.baseline and r.baseline not in r.claim:
        details.append([(f"{t['vs']} {r.baseline}", False)])
    if details:
        parts += [(t["open"], False), *_joined(details, " · "), (t["close"], False)]
    return parts


def _joined(groups: list[list[tuple[str, bool]]], sep: str) -> list[tuple[str, bool]]:
    """The groups' pieces, one after another, with `sep` between groups."""
    out: list[tuple[str, bool]] = []
    for i, group in enumerate(groups):
        out += ([(sep, False)] if i else []) + group
    return out


def emphasise(text: str, terms: list[str]) -> list[tuple[str, bool]]:
    """`text` cut into pieces, the terms (numbers, a metric name) marked bold wherever they
    stand alone (3.2% is not bolded inside 13.2%)."""
    words = sorted({x.strip() for x in terms if x.strip()}, key=len, reverse=True)
    if not words:
        return [(text, False)]
    pattern = re.compile(  # Latin letters and digits join a term; a Chinese character does not
        r"(?<![A-Za-z0-9_.])(" + "|".join(re.escape(w) for w in words) + r")(?![A-Za-z0-9_]|\.\d)",
        re.I,
    )
    parts: list[tuple[str, bool]] = []
    at = 0
    for m in pattern.finditer(text):
        if m.start() > at:
            parts.append((text[at : m.start()], False))
        parts.append((m.group(1), True))
        at = m.end()
    if at < len(text):
        parts.append((text[at:], False))
    return parts
