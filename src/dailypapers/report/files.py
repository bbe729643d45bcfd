"""The names of report files, apart from the report's models: `history` names the files
without building a model."""


def file_name(label: str, analyser: str, slug: str | None, lang: str, fmt: str) -> str:
    """`2026-02-11.zh.md`; `2026-02-11.no-llm.zh.md` for the report without an LLM;
    `2026-02-11.top5.zh.md` for a filtered one: no run replaces another kind of report."""
    parts = [label, "no-llm" if analyser == "no-llm" else None, slug, lang, fmt]
    return ".".join(p for p in parts if p)
