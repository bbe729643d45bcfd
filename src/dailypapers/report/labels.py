"""The words of the report in each language; section names follow the reference report."""

from __future__ import annotations

import re

from dailypapers.core.models import Grounding, HubResources, Paper, PaperResult, Provenance, Verdict
from dailypapers.report.models import Report

LABELS = {
    "zh": {
        "title": "Hugging Face Daily Papers Report",
        "page_title": "Hugging Face 每日论文报告",
        "page_day": "日期",
        "page_week": "周",
        "page_month": "月份",
        "page_paper": "论文",
        "page_source": "来源",
        "authors": "作者",
        "translated_title": "中文标题",
        "hub": "Hub",
        "hub_models": "模型",
        "hub_datasets": "数据集",
        "hub_spaces": "Spaces",
        "overview": "概览",
        "themes": "主题",
        "must_reads": "必读",
        "other_theme": "其他",
        "n_papers": "{n} 篇",
        "colon": "：",
        "reason_sep": "；",
        "open": "（",
        "close": "）",
        "not_stated": "论文未说明",
        "filter": "筛选",
        "filter_top": "赞数最高的 {n} 篇",
        "filter_min": "赞数 ≥ {n}",
        "filter_listed": "共列出 {n} 篇",
        "facts": "概况",
        "et_al": " 等",
        "comments": "评论",
        "project": "项目主页",
        "date": "Date",
        "week": "Week",
        "month": "Month",
        "paper": "Paper",
        "source_url": "Source URL",
        "link": "链接",
        "read_from": "阅读来源",
        "domains": "应用领域",
        "contribution": "一句话核心贡献",
        "usage": "使用指南",
        "innovations": "主要创新点",
        "results": "实验效果",
        "inputs": "输入",
        "outputs": "输出",
        "workflow": "流程",
        "hardware": "硬件/算力",
        "code": "代码与资源",
        "failed": "分析失败",
        "status": "状态",
        "provenance": "出处",
        "grounding": "核验",
        "unverified": "未核验",
        "verified_items": "项已核验",
        "papers": "论文数",
        "analyser": "分析方式",
        "no_llm": "无 LLM 抽取（内容为论文原文摘录）",
        "abstract_only": "仅根据摘要分析：以下结果只来自摘要，未读到正文。",
        "read": "读取",
        "chars": "字符",
        "cut": "因篇幅省略",
        "model": "模型",
        "prompt": "提示词",
        "none": "无",
        "vs": "对比",
        "contents": "目录",
        "upvotes": "赞",
        "dropped": "已删除未核验项",
        "fallback": "降级原因",
        "no_results": "论文中未找到带数字的实验结果。",
        "list_sep": "、",
        "report_score": "全报告核验率",
        "context_fit": "按服务器上下文 {limit:,} tokens 打包",
        "context_since": "（{since} 记下的上限）",
        "hidden": "已丢弃不可见文本 {n:,} 字符",
        "pages_unread": "另有 {n:,} 页未读取（超出任何分析可用的长度）",
        "checked": "{verified}/{checked} 项已核验 ({pct})",
        "copied": "{n} 项为论文原文摘录（非 LLM 撰写，不计入核验率）",
        "uncheckable": "{n} 项无可核验的数字或名称",
        "why_missing_numbers": "{read}中没有这些数字：{x}",
        "why_wrong_unit": "{read}中该数值的单位或类型不同：{x}",
        "why_wrong_sign": "正负或增减方向与{read}不符：{x}",
        "why_unbound": "{read}中有该数值，但不是 {bound} 的结果：{x}",
        "why_bibliography_only": "只出现在参考文献中：{x}",
        "why_missing_names": "{read}中没有这些名称：{x}",
        "why_quote": "引文在{read}中找不到",
        "read_paper": "论文",
        "read_abstract": "摘要",
        "read_analyses": "当日分析",
        "seen_before": "此前已发送",
        "unread": "{label} 列出的 {total} 篇论文中有 {n} 篇尚未分析：运行 `{command}`",
        "server_truncated": "⚠️ 服务器静默截断了提示词：只读取了 {read:,}/~{sent:,} tokens",
    },
    "en": {
        "title": "Hugging Face Daily Papers Report",
        "page_title": "Hugging Face Daily Papers Report",
        "page_day": "Date",
        "page_week": "Week",
        "page_month": "Month",
        "page_paper": "Paper",
        "page_source": "Source URL",
        "authors": "Authors",
        "translated_title": "Title",
        "hub": "On the Hub",
        "hub_models": "models",
        "hub_datasets": "datasets",
        "hub_spaces": "Spaces",
        "overview": "Overview",
        "themes": "Themes",
        "must_reads": "Must reads",
        "other_theme": "Other",
        "n_papers": "{n} papers",
        "colon": ": ",
        "reason_sep": "; ",
        "open": " (",
        "close": ")",
        "not_stated": "not stated in the paper",
        "filter": "Filter",
        "filter_top": "the {n} most upvoted",
        "filter_min": "{n}+ upvotes",
        "filter_listed": "of {n} listed",
        "facts": "At a glance",
        "et_al": " et al.",
        "comments": "comments",
        "project": "project page",
        "date": "Date",
        "week": "Week",
        "month": "Month",
        "paper": "Paper",
        "source_url": "Source URL",
        "link": "Link",
        "read_from": "Read from",
        "domains": "Application domain",
        "contribution": "Core contribution",
        "usage": "Usage guide",
        "innovations": "Main innovations",
        "results": "Results",
        "inputs": "Inputs",
        "outputs": "Outputs",
        "workflow": "Workflow",
        "hardware": "Hardware/compute",
        "code": "Code and resources",
        "failed": "analysis failed",
        "status": "Status",
        "provenance": "Provenance",
        "grounding": "Grounding",
        "unverified": "unverified",
        "verified_items": "items verified",
        "papers": "Papers",
        "analyser": "Analysed by",
        "no_llm": "no-LLM extraction (verbatim sentences of the paper)",
        "abstract_only": "Read from the abstract only: the results below come from the abstract.",
        "read": "read",
        "chars": "characters",
        "cut": "left out for length",
        "model": "model",
        "prompt": "prompt",
        "none": "none",
        "vs": "vs",
        "contents": "Contents",
        "upvotes": "upvotes",
        "dropped": "unverified items dropped",
        "fallback": "fallbacks",
        "no_results": "No results with numbers were found in the paper.",
        "list_sep": ", ",
        "report_score": "report grounding",
        "context_fit": "packed to the server's {limit:,}-token context",
        "context_since": " (remembered since {since})",
        "hidden": "{n:,} characters of invisible text dropped",
        "pages_unread": "{n:,} more pages not read (beyond what any analysis can use)",
        "checked": "{verified}/{checked} items verified ({pct})",
        "copied": "{n} items copied from the paper (not written by an LLM, not scored)",
        "uncheckable": "{n} items with no number or name to check",
        "why_missing_numbers": "numbers not in the {read}: {x}",
        "why_wrong_unit": "in the {read} only with another unit or kind: {x}",
        "why_wrong_sign": "sign or direction differs from the {read}: {x}",
        "why_unbound": "in the {read}, but not for {bound}: {x}",
        "why_bibliography_only": "only in the bibliography: {x}",
        "why_missing_names": "names not in the {read}: {x}",
        "why_quote": "quote not found in the {read}",
        "read_paper": "paper",
        "read_abstract": "abstract",
        "read_analyses": "day's analyses",
        "seen_before": "Sent before",
        "unread": "{n} of the {total} papers listed on {label} are not analysed yet: run "
        "`{command}`",
        "server_truncated": "⚠️ prompt cut by the server (it read {read:,} of ~{sent:,} tokens)",
    },
}
SOURCE_NAMES = {"html": "HTML", "pdf": "PDF", "abstract": "ArXiv Abs"}
SEPARATOR = "=" * 60


def source_name(result: PaperResult) -> str:
    return SOURCE_NAMES[result.provenance.source] if result.provenance else "—"


# The reasons the tool gives in English (errors carry them), worded for the Chinese report.
# What no pattern knows stays as it was said.
_REASONS_ZH = [
    (re.compile(r"^(html|pdf): "), lambda m: {"html": "HTML：", "pdf": "PDF："}[m[1]]),
    (re.compile(r"arXiv has no (HTML|PDF) for (\S+)"), lambda m: f"arXiv 没有 {m[2]} 的 {m[1]}"),
    (
        re.compile(r"arXiv HTML of \S+ is mostly conversion errors \((\d+) of (\d+) paragraphs\)"),
        lambda m: f"arXiv 的 HTML 转换失败（{m[2]} 段中 {m[1]} 段是转换错误）",
    ),
    (
        re.compile(r"the PDF of \S+ has no extractable text \(scanned\?\)"),
        lambda m: "PDF 中没有可提取的文字（扫描件？）",
    ),
    (re.compile(r"the PDF of \S+ is protected by a password"), lambda m: "PDF 有密码保护"),
    (
        re.compile(
            r"(arXiv[\w ]*|Hugging Face) timed out at (\S+) — check the network or the base URL"
        ),
        lambda m: f"{m[1]} 超时（{m[2]}）",
    ),
    (
        re.compile(
            r"(arXiv[\w ]*|Hugging Face) unreachable at (\S+) — check the network or the base URL"
        ),
        lambda m: f"无法连接 {m[1]}（{m[2]}）",
    ),
]


def reason_words(reason: str, t: dict[str, str]) -> str:
    """A reason the tool gave, in the report's language where it has the words."""
    if t is not LABELS["zh"]:
        return reason
    for pattern, words in _REASONS_ZH:
        reason = pattern.sub(words, reason)
    return reason


def provenance_line(p: Provenance, t: dict[str, str]) -> str:
    """The compact provenance of one paper; the JSON has all of it."""
    version = f" {p.version}" if p.version else ""
    parts = [
        f"{SOURCE_NAMES[p.source]}{version}",
        f"{t['read']} {p.chars_read:,}/{p.chars_total:,} {t['chars']} (~{p.tokens_read:,} tokens)",
    ]
    if p.cut_sections:  # the JSON lists them all
        shown = p.cut_sections[:3] + (["…"] if len(p.cut_sections) > 3 else [])
        parts.append(f"{t['cut']} ({len(p.cut_sections)}): {', '.join(shown)}")
    if p.fallbacks:
        reasons = t["reason_sep"].join(reason_words(r, t) for r in p.fallbacks)
        parts.append(f"{t['fallback']}: {reasons}")
    if p.hidden_chars:
        parts.append(t["hidden"].format(n=p.hidden_chars))
    if p.pages_unread:
        parts.append(t["pages_unread"].format(n=p.pages_unread))
    if p.context_limit:
        since = t["context_since"].format(since=p.context_since[:10]) if p.context_since else ""
        parts.append(t["context_fit"].format(limit=p.context_limit) + since)
    if p.server_truncated:
        read, sent = p.server_truncated
        parts.append(t["server_truncated"].format(read=read, sent=sent))
    if p.analyser == "llm":
        parts.append(f"{t['model']} {p.model} · {t['prompt']} {p.prompt_version}")
    else:
        parts.append(t["no_llm"])
    if p.analysed_at:
        parts.append(p.analysed_at.strftime("%Y-%m-%d %H:%M UTC"))
    return " · ".join(parts)


def grounding_line(g: Grounding, t: dict[str, str]) -> str:
    """How much of a paper's analysis was checked, and how much could not be."""
    verified, unverified = g.count("verified"), g.count("unverified")
    parts = []
    if verified + unverified:
        pct = f"{verified / (verified + unverified):.0%}"
        parts.append(t["checked"].format(verified=verified, checked=verified + unverified, pct=pct))
    for status in ("copied", "uncheckable"):
        if g.count(status):
            parts.append(t[status].format(n=g.count(status)))
    if g.dropped:
        parts.append(f"{t['dropped']}: {len(g.dropped)}")
    return " · ".join(parts)


def reason_text(v: Verdict, t: dict[str, str], read: str = "paper") -> str:
    """Why an item is unverified, in the report's language, naming what was `read` (the
    paper, or its abstract alone, or the day's analyses)."""
    sep, where = t["list_sep"], t.get(f"read_{read}", read)
    parts = [
        t[f"why_{field}"].format(x=sep.join(getattr(v, field)), bound=v.bound_to, read=where)
        for field in (
            "missing_numbers",
            "wrong_unit",
            "wrong_sign",
            "unbound",
            "bibliography_only",
            "missing_names",
        )
        if getattr(v, field)
    ]
    if not v.quote_found:
        parts.append(t["why_quote"].format(read=where))
    return t["reason_sep"].join(parts)


def heading_label(report: Report, t: dict[str, str]) -> str:
    """The Markdown header's label, as the reference report writes it (`**Date**`)."""
    return t[{"day": "date", "week": "week", "month": "month", "paper": "paper"}[report.kind]]


def page_heading_label(report: Report, t: dict[str, str]) -> str:
    """The web page's, in the report's language."""
    return t[f"page_{report.kind}"]


def short_title(title: str) -> str:
    """A paper's name for an index: the part before its colon ("DLLM-Searcher"), else the
    title, cut at 70 characters."""
    head = title.split(":", 1)[0].strip()
    name = head if ":" in title and 2 <= len(head) <= 40 else title.strip()
    return name if len(name) <= 70 else name[:69].rstrip() + "…"


HUB_PATHS = {"models": "", "datasets": "datasets/", "spaces": "spaces/"}


def hub_links(resources: HubResources | None) -> list[tuple[str, list[tuple[str, str, int]]]]:
    """(label key, [(repository, its Hub URL, likes)]) for each kind the Hub has."""
    if not resources:
        return []
    return [
        (f"hub_{kind}", [(r.id, f"https://huggingface.co/{path}{r.id}", r.likes) for r in repos])
        for kind, path in HUB_PATHS.items()
        if (repos := getattr(resources, kind))
    ]


def is_web_url(value: object) -> bool:
    """Only http(s) links become links, never javascript: or a local file."""
    return isinstance(value, str) and value.lower().startswith(("https://", "http://"))


def key_figure(result: PaperResult) -> str | None:
    """HF's picture of the paper, else the first figure of what was read; https only, as the
    HTML report's page loads no other image."""
    found = [result.paper.thumbnail, result.provenance.figure if result.provenance else None]
    return next((u for u in found if u and u.lower().startswith("https://")), None)


def selection_line(report: Report, t: dict[str, str]) -> str | None:
    """What a filtered report shows, and of how many listed papers."""
    chosen = report.selection
    if chosen is None:
        return None
    parts = []
    if chosen.top is not None:
        parts.append(t["filter_top"].format(n=chosen.top))
    if chosen.min_upvotes is not None:
        parts.append(t["filter_min"].format(n=chosen.min_upvotes))
    listed = t["filter_listed"].format(n=chosen.listed)
    return f"{' · '.join(parts)}{t['open']}{listed}{t['close']}"


def facts_line(paper: Paper, t: dict[str, str]) -> list[tuple[str, str | None]]:
    """The paper at a glance, as (text, link) pieces: first authors, organisation, upvotes,
    comments, code with its stars, project page. Only what the listing says."""
    parts: list[tuple[str, str | None]] = []
    if paper.authors:
        shown = t["list_sep"].join(paper.authors[:3])
        parts.append((shown + (t["et_al"] if len(paper.authors) > 3 else ""), None))
    if paper.organization:
        parts.append((paper.organization, None))
    parts.append((f"▲ {paper.upvotes}", None))
    if paper.num_comments:
        parts.append((f"💬 {paper.num_comments} {t['comments']}", None))
    if paper.github_repo:
        stars = f" ★ {paper.github_stars:,}" if paper.github_stars else ""
        parts.append((f"GitHub{stars}", paper.github_repo))
    if paper.project_page:
        parts.append((t["project"], paper.project_page))
    return parts


def analyser_label(report: Report, t: dict[str, str]) -> str:
    return t["no_llm"] if report.analyser == "no-llm" else f"{report.model}"


def what_was_read(result: PaperResult) -> str:
    """`abstract` when the analysis had the abstract alone, else `paper`: what a mark names."""
    return "abstract" if result.provenance and result.provenance.source == "abstract" else "paper"
