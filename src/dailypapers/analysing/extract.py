"""The no-LLM analyser: all five sections filled deterministically with the paper's own
sentences. Every item is a verbatim quote, so it is grounded by construction; the report
says plainly that it is extracted, not written."""

from __future__ import annotations

import re

from dailypapers.checking.grounding import numbers
from dailypapers.core.models import (
    Analysis,
    Document,
    Evidence,
    Innovation,
    Paper,
    Result,
    Section,
    UsageGuide,
)

CATEGORIES = {
    "cs.CL": ("Natural Language Processing", "自然语言处理"),
    "cs.CV": ("Computer Vision", "计算机视觉"),
    "cs.LG": ("Machine Learning", "机器学习"),
    "cs.AI": ("Artificial Intelligence", "人工智能"),
    "cs.RO": ("Robotics", "机器人"),
    "cs.IR": ("Information Retrieval", "信息检索"),
    "cs.SD": ("Audio and Speech", "音频与语音"),
    "eess.AS": ("Audio and Speech", "音频与语音"),
    "eess.IV": ("Image and Video Processing", "图像与视频处理"),
    "cs.CR": ("Security", "安全"),
    "cs.HC": ("Human-Computer Interaction", "人机交互"),
    "cs.MA": ("Multi-Agent Systems", "多智能体系统"),
    "cs.SE": ("Software Engineering", "软件工程"),
    "cs.CY": ("Computers and Society", "计算机与社会"),
    "cs.DC": ("Distributed Computing", "分布式计算"),
    "cs.GR": ("Graphics", "图形学"),
    "stat.ML": ("Machine Learning", "机器学习"),
}
_ABBREV = re.compile(
    r"\b(e\.g|i\.e|et al|etc|vs|Fig|Figs|Eq|Eqs|Sec|Tab|cf|resp|approx|"
    r"No|Dr|Mr|Ms|al)\.$"
)
_PROPOSE = re.compile(
    r"\b(we (propose|introduce|present|develop|design|build|release)|"
    r"this (paper|work) (proposes|introduces|presents))\b",
    re.I,
)
_COMPARE = re.compile(
    r"outperform|surpass|improv|achiev|better|higher|lower|reduc|faster|"
    r"speed-?up|gain|boost|state-of-the-art|sota|exceed|beat|compar|"
    r"accuracy|increase|decrease|\bvs\.?\b|relative",
    re.I,
)
_CITATIONS = re.compile(r"\[\d+(?:\s*[,–-]\s*\d+)*\]")  # "[36]", "[1, 4]": references
_RESULT_TABLE = re.compile(
    r"result|accuracy|score|performance|ablation|benchmark|compar|"
    r"error|rate|\bvs\.?\b|%",
    re.I,
)
_HARDWARE = re.compile(
    r"\b(GPUs?|TPUs?|A100|H100|H800|H20|V100|A800|RTX\s?\d+|L40S?|"
    r"GPU[- ]hours?|NPUs?|Ascend)\b"
)
_INPUT = re.compile(
    r"\b(takes? (as input|in\b(?!to))|accepts?\b(?!ed|ance)|inputs? (is|are|consists?)|"
    r"as inputs?|inputs?:|conditioned on|given (a|an|the|only|just|its)|from (a|an) (single|"
    r"few|given|raw|natural[- ]language|text|image|video|audio|speech)|input (image|text|"
    r"video|audio|prompt|query|queries|question|sequence|document|point cloud)s?)\b",
    re.I,
)
_OUTPUT = re.compile(
    r"\b(outputs?|generates? (a|an|the)|produces? (a|an|the)|predicts|returns (a|an|the)|"
    r"yields (a|an|the)|synthesi[sz]es|reconstructs|enabl\w+ (\w+ ){0,3}to (generate|produce|"
    r"predict|answer|render|edit|control))\b",
    re.I,
)
_CODE = re.compile(
    r"\b(code|model|models|data|dataset|weights|checkpoints?) (is|are|will be) "
    r"(publicly |made )?(available|released|open[- ]sourced)",
    re.I,
)


def sentences(text: str) -> list[str]:
    """Split prose into sentences, not breaking after common abbreviations, and also where
    an abstract runs one into the next without a space ("...tasks.We propose"); leave out
    a sentence carrying the author's note to self ("[TODO: ...]") or a placeholder: every
    sentence kept is the paper's own."""
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z(\[\"“])", _spaced(text))
    out: list[str] = []
    for part in parts:
        if out and _ABBREV.search(out[-1]):
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    kept = (_clean(s) for s in out)
    return [s for s in kept if len(s) > 20 and not _PLACEHOLDER.search(s)]


def _spaced(text: str) -> str:
    """A space where one sentence runs into the next ("tasks.We propose"): only before a
    word that starts sentences, so `torch.Tensor` and `et al.Smith` stay whole, and never
    inside a URL. The space falls where the sentences are split: each stays verbatim."""
    pieces = _URL.split(text)
    return "".join(p if i % 2 else _GLUED.sub(r"\1 ", p) for i, p in enumerate(pieces))


def _clean(sentence: str) -> str:
    """LaTeX's leftovers around links: `\\url{https://x}` becomes the link,
    `\\href{https://x}{text}` the text and the link, `https://x{https://x}` the link once."""
    sentence = _URL_MACRO.sub(lambda m: f"{m[2]} ({m[1]})" if m[2] else m[1], sentence)
    return _LINK_BRACES.sub("", sentence).strip()


_URL = re.compile(r"(https?://\S+)")
_STARTERS = (
    "We|Our|This|These|The|In|To|It|Its|However|Moreover|Furthermore|Additionally|Finally|"
    "Specifically|Experiments|Extensive|Results|Code|Unlike|Based|Using|By|With|On|For|As|"
    "Existing|Despite|While|Although|Recent|Compared|Overall|Here|Then|Thus|Therefore"
)
_GLUED = re.compile(rf"([a-z0-9%)]{{2}}[.!?])(?=(?:{_STARTERS})\b)")
_LINK_BRACES = re.compile(r"\{\s*https?://[^{}\s]*\s*\}")
_URL_MACRO = re.compile(r"\\(?:url|href)\{(https?://[^{}\s]*)\}(?:\{([^{}]*)\})?")
_PLACEHOLDER = re.compile(
    r"\[\s*(TODO|TBD|FIXME|XXX|CITE|REF)\b|\b(TODO|FIXME|TBD)\s*:|\?\?\?|lorem ipsum", re.I
)


def _prose(sections: list[Section]) -> list[tuple[str, str]]:
    """(section heading, sentence) for every paragraph sentence of these sections."""
    out: list[tuple[str, str]] = []
    for s in sections:
        for b in s.blocks:
            if b.kind == "paragraph":
                out.extend((s.heading or s.title, x) for x in sentences(b.text))
    return out


def analyse_without_llm(doc: Document, paper: Paper, lang: str) -> Analysis:
    """Each sentence of the paper is used once: the contribution is not also an innovation,
    a result not also the outputs. What the paper does not say is left empty (the report
    says so in its own language)."""
    abstract = [("Abstract", s) for s in sentences(doc.abstract)]
    intro = doc.with_role("introduction") or _opening(doc)
    contribution = _contribution(abstract, intro, paper)
    used = {contribution[1]}
    usage = _usage(doc, paper, abstract, used)  # its patterns are the narrowest: first
    innovations = _innovations(intro, abstract, used)
    used |= {x.evidence.quote for x in innovations}
    results = _results(doc, abstract, used)
    return Analysis(
        domains=_domains(doc, paper, lang),
        contribution=contribution[1],
        contribution_evidence=Evidence(section=contribution[0], quote=contribution[1]),
        usage=usage,
        innovations=innovations,
        results=results,
    )


def _domains(doc: Document, paper: Paper, lang: str) -> list[str]:
    names: list[str] = []
    for cat in doc.categories or ([doc.primary_category] if doc.primary_category else []):
        if cat in CATEGORIES:
            name = CATEGORIES[cat][0 if lang == "en" else 1]
            label = f"{name} ({cat})"
            if not any(n.startswith(name) for n in names):
                names.append(label)
    names.extend(paper.ai_keywords[:3])
    return names or [f"{doc.primary_category}" if doc.primary_category else "—"]


def _contribution(
    abstract: list[tuple[str, str]], intro: list[Section], paper: Paper
) -> tuple[str, str]:
    """The "we propose" sentence; else the abstract's first; else HF's AI summary, whose
    numbers the grounding still checks against the paper."""
    for where, s in abstract + _prose(intro):
        if _PROPOSE.search(s):
            return where, s
    if abstract:
        return abstract[0]
    return "Hugging Face AI summary", paper.ai_summary or paper.title


def _first(
    pool: list[tuple[str, str]], pattern: re.Pattern[str], used: set[str]
) -> tuple[str, str] | None:
    found = next((x for x in pool if pattern.search(x[1]) and x[1] not in used), None)
    if found:
        used.add(found[1])
    return found


def _usage(
    doc: Document, paper: Paper, abstract: list[tuple[str, str]], used: set[str]
) -> UsageGuide:
    method = doc.with_role("method")
    prose = abstract + _prose(method) + _prose(doc.with_role("experiments"))
    everywhere = abstract + _prose(doc.sections)
    inputs = _first(prose, _INPUT, used)
    outputs = _first(prose, _OUTPUT, used)
    hardware = _first(everywhere, _HARDWARE, used)
    code = _first(everywhere, _CODE, used)
    urls = list(
        dict.fromkeys(
            u
            for u in [paper.github_repo, paper.project_page, *doc.links]
            if u and re.search(r"github\.com|gitlab|huggingface\.co|project|\.io/", u)
        )
    )
    steps = _workflow(_prose(method), used) or _workflow(abstract + _prose(method), used, 2)
    found = [x for x in (inputs, outputs, hardware, code, *steps) if x]
    return UsageGuide(
        inputs=inputs[1] if inputs else "",
        outputs=outputs[1] if outputs else "",
        workflow=[s for _, s in steps],
        hardware=hardware[1] if hardware else "",
        code=code[1] if code else "; ".join(urls),
        code_urls=urls,
        evidence=[Evidence(section=w, quote=s) for w, s in found],
    )


def _workflow(
    method: list[tuple[str, str]], used: set[str], at_least: int = 2
) -> list[tuple[str, str]]:
    """The method's own step sentences ("First, we ...", "Then ..."), in the paper's order;
    else its sentences saying what the authors do, else how its parts are put together
    (the abstract's too, when the method says nothing of it). Never section headings."""
    for pattern in (_STEP, _WE_DO, _PARTS):
        steps = [x for x in method if pattern.search(x[1]) and x[1] not in used and len(x[1]) < 400]
        if len(steps) >= at_least:
            picked = list(dict.fromkeys(steps))[:5]
            used.update(s for _, s in picked)
            return picked
    return []


_STEP = re.compile(
    r"^(first(ly)?|second(ly)?|third(ly)?|then|next|finally|lastly|afterwards|subsequently)\b|"
    r"\b(in|at) the (first|second|third|final|next) (step|stage|phase)\b|"
    r"^(step|stage|phase) \d",
    re.I,
)
_PARTS = re.compile(
    r"\b(consists? of|comprises?|composed of|is built (on|upon)|first \w+|then \w+|"
    r"(two|three|four)[- ](stage|step|phase)|(stage|module|component|branch|decoder|encoder)s? "
    r"(that|which|to)\b|pipeline (that|which)?)",
    re.I,
)
_WE_DO = re.compile(
    r"\bwe (first |then |further |also )?(train|fine-?tune|pre-?train|use|apply|compute|feed|"
    r"encode|decode|generate|sample|construct|build|collect|optimi[sz]e|extract|initiali[sz]e|"
    r"concatenate|project|update|select|filter|retrieve|prompt|distill)\w*\b",
    re.I,
)


def _opening(doc: Document) -> list[Section]:
    """With no section called an introduction, the paper opens with its first body section
    (an untitled lead, or a first section named for its subject)."""
    body = [s for s in doc.sections if s.role not in ("references", "appendix") and s.blocks]
    return body[:1]


def _innovations(
    intro: list[Section], abstract: list[tuple[str, str]], used: set[str]
) -> list[Innovation]:
    """The introduction's contribution list when there is one, else its claim sentences."""
    items: list[tuple[str, str]] = []
    for s in intro:
        for b in s.blocks:
            if b.kind == "list":
                items.extend(
                    (s.heading, re.sub(r"^(-|\d+\.)\s*", "", ln))
                    for ln in b.text.splitlines()
                    if len(ln) > 30
                )
        if items:
            break
    if not items:
        items = [
            (w, s)
            for w, s in _prose(intro) + abstract
            if _CLAIM.search(s) and not _CODE.search(s) and "://" not in s
        ]
    if not [x for x in items if x[1] not in used]:
        items = _method_sentences(abstract, used)
    out = []
    fresh = [(w, x) for w, x in dict.fromkeys(items) if x not in used]
    for where, text in fresh[:3]:
        lead = re.match(r"^([^:.;]{3,60}):\s", text)  # "Name: explanation" list items
        name = lead.group(1).strip() if lead else ""
        if len(name.split()) > 6 or re.search(r"follow", name, re.I):
            name = ""  # a sentence that ends in a colon, not a name
        explanation = text[lead.end() :] if name and lead else text  # the name is not repeated
        out.append(
            Innovation(
                name=name, explanation=explanation, evidence=Evidence(section=where, quote=text)
            )
        )
    return out


_CLAIM = re.compile(
    r"\b(we (first |further |also )?(propose|introduce|present|show|find|demonstrate|develop|"
    r"design|construct|release|build|curate|identify|reveal|establish|formulate|devise)|"
    r"novel|first|our (method|approach|framework|model|contribution|key)|"
    r"(key|main|core) (idea|insight|component|contribution)|"
    r"^(specifically|in particular|to this end|to address this|unlike|in contrast)\b)",
    re.I,
)
_FINDING = re.compile(
    r"\b(experiments?|results?|evaluations?|empirical(ly)?|analys[ie]s|studies)\b.{0,120}"
    r"\b(show|demonstrate|indicate|reveal|confirm|suggest|verify|validate)|"
    r"\b(outperform\w*|surpass\w*|state-of-the-art)\b|"
    r"\b(significantly|consistently|substantially|markedly|considerably) (improv|outperform|"
    r"reduc|increas|surpass|boost|enhanc|lower|accelerat|speed)",
    re.I,
)


def _method_sentences(abstract: list[tuple[str, str]], used: set[str]) -> list[tuple[str, str]]:
    """An abstract with no claim words: what follows its contribution sentence and comes
    before its results says what the method is."""
    after = False
    found = []
    for where, s in abstract:
        if s in used:
            after = True
            continue
        if _FINDING.search(s) or _CODE.search(s) or "://" in s:
            break
        if after:
            found.append((where, s))
    return found


def _result_sections(doc: Document) -> list[Section]:
    """Experiments by their titles first, then sections whose titles say nothing."""
    return doc.with_role("experiments") + doc.with_role("other")


def _results(doc: Document, abstract: list[tuple[str, str]], used: set[str]) -> list[Result]:
    pool = abstract + _prose(_result_sections(doc)) + _prose(doc.with_role("conclusion"))
    picked: list[Result] = []
    for where, s in pool:
        if s in used:
            continue
        found = [n.text for n in numbers(_CITATIONS.sub(" ", s)) if _meaningful(n.text)]
        if found and _COMPARE.search(s) and not any(r.claim == s for r in picked):
            picked.append(
                Result(
                    claim=s,
                    benchmark=None,
                    metric=None,
                    values=found[:6],
                    baseline=None,
                    evidence=Evidence(section=where, quote=s),
                )
            )
        if len(picked) == 5:
            break
    return (
        picked
        or _table_results(doc)
        or _findings(abstract + _prose(doc.with_role("conclusion")), used)
    )


def _findings(pool: list[tuple[str, str]], used: set[str]) -> list[Result]:
    """No result with a number: what the abstract and the conclusion say the experiments
    show ("experiments show that X consistently outperforms ..."), as the paper says it."""
    found = [(w, s) for w, s in pool if s not in used and _FINDING.search(s)]
    return [
        Result(
            claim=s,
            benchmark=None,
            metric=None,
            values=[],
            baseline=None,
            evidence=Evidence(section=w, quote=s),
        )
        for w, s in list(dict.fromkeys(found))[:3]
    ]


def _table_results(doc: Document) -> list[Result]:
    """No result sentences: fall back to the captions of the first result tables."""
    out = []
    for s in _result_sections(doc):
        for b in s.blocks:
            if b.kind == "table" and b.caption and _RESULT_TABLE.search(b.caption):
                nums = [n.text for n in numbers(b.text) if _meaningful(n.text)][:4]
                if not nums:
                    continue
                out.append(
                    Result(
                        claim=b.caption,
                        benchmark=None,
                        metric=None,
                        values=nums,
                        baseline=None,
                        evidence=Evidence(section=b.label or s.heading, quote=b.caption),
                    )
                )
    return out[:3]


def _meaningful(number: str) -> bool:
    """Years, single digits and citation-like integers say nothing about results."""
    plain = re.sub(r"^\D+|\D+$", "", number)
    if "%" in number or "x" in number or "×" in number or "." in plain:
        return True
    digits = plain.replace(",", "")
    return digits.isdigit() and len(digits) >= 2 and not (1900 <= int(digits) <= 2100)
