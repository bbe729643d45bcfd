"""Who writes the analysis: the LLM, or the deterministic extractor when there is none.
One object for both, so the run never asks which it has."""

from __future__ import annotations

import asyncio

from dailypapers.analysing.extract import analyse_without_llm
from dailypapers.analysing.llm import LLM
from dailypapers.analysing.prompting import (
    analyse_with_llm,
    correct_with_llm,
    load_prompt,
    pack,
    provenance,
)
from dailypapers.archive.store import Store
from dailypapers.core.config import Settings
from dailypapers.core.models import AnalyserKind, Analysis, Call, Document, Paper, Provenance
from dailypapers.core.workers import Workers

EXTRACT_VERSION = "extract-1"


class Analyser:
    """The LLM, or the deterministic extractor when there is none."""

    def __init__(self, settings: Settings, store: Store, llm: LLM | None, workers: Workers) -> None:
        self.settings = settings
        self.store = store
        self.llm = llm
        self.workers = workers
        self.kind: AnalyserKind = "llm" if llm else "no-llm"
        self.model = llm.model if llm else None
        self.sem = asyncio.Semaphore(settings.concurrency)

    @property
    def warnings(self) -> list[str]:
        return list(self.llm.warnings) if self.llm else []

    @property
    def key(self) -> tuple[str, str]:
        """What an archived analysis must match to be reused: model and prompt version."""
        if self.llm is None:
            return "no-llm", EXTRACT_VERSION
        return self.llm.model, load_prompt(self.settings.lang)[1]

    def note(self) -> str | None:
        if self.llm:
            return None
        if self.settings.lang == "zh":
            return (
                "未配置 LLM（或使用了 --no-llm）：各节内容为论文原文的确定性摘录，"
                "设置 OPENAI_API_KEY 或 OPENAI_BASE_URL 可获得 LLM 撰写的分析。"
            )
        return (
            "No LLM configured (or --no-llm): each section is extracted verbatim from the "
            "paper; set OPENAI_API_KEY or OPENAI_BASE_URL for LLM-written analyses."
        )

    async def analyse(self, doc: Document, paper: Paper) -> tuple[Analysis, Provenance, list[Call]]:
        if self.llm is None:
            packed = pack(doc, 10**9)
            lang = self.settings.lang
            analysis = await self.workers.run(analyse_without_llm, doc, paper, lang)
            return analysis, provenance(doc, packed, "no-llm", None, EXTRACT_VERSION, None), []
        async with self.sem:
            return await analyse_with_llm(
                self.llm, doc, paper, self.settings.lang, self.settings.max_input_tokens
            )

    async def correct(
        self, doc: Document, paper: Paper, analysis: Analysis, problems: list[str]
    ) -> tuple[Analysis, list[Call]]:
        assert self.llm is not None
        async with self.sem:
            return await correct_with_llm(
                self.llm,
                doc,
                paper,
                analysis,
                problems,
                self.settings.lang,
                self.settings.max_input_tokens,
            )

    async def close(self) -> None:
        if self.llm:
            await self.llm.close()


def make_analyser(settings: Settings, store: Store, workers: Workers, *, no_llm: bool) -> Analyser:
    use_llm = settings.llm_configured and not no_llm
    return Analyser(settings, store, LLM(settings, store) if use_llm else None, workers)
