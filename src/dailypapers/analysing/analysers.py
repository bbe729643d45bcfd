"""Who writes the analyses: the LLM, or the deterministic extractor when there is none.

Both answer the same questions (analyse a paper, correct flagged items, write the paragraph on
the day), so the run never asks which one it has: what one of them cannot do, it answers with
None. A batch analyser will be a third."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from dailypapers.analysing.extract import analyse_without_llm
from dailypapers.analysing.llm import LLM, ServerMemory
from dailypapers.analysing.paragraph import write_paragraph
from dailypapers.analysing.prompting import (
    analyse_with_llm,
    correct_with_llm,
    load_prompt,
    pack,
    provenance,
)
from dailypapers.analysing.retrying import Sleep
from dailypapers.core.config import Settings
from dailypapers.core.errors import LLMUnavailable
from dailypapers.core.models import (
    AnalyserKind,
    Analysis,
    Call,
    Document,
    Paper,
    PaperResult,
    Provenance,
)
from dailypapers.core.workers import Workers
from dailypapers.report.models import DayParagraph

EXTRACT_VERSION = "extract-2"  # what a stored no-LLM analysis must match to be reused
T = TypeVar("T")


class Analyser(ABC):
    """Writes a paper's analysis; opened once per session, used by every run of it."""

    kind: AnalyserKind
    model: str | None = None
    copied = False  # its text is the paper's own: counted as copied, not as verified

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    @abstractmethod
    def key(self) -> tuple[str, str]:
        """What an archived analysis must match to be reused: model and prompt version."""

    @property
    def warnings(self) -> list[str]:
        """About the whole run (a server that cuts prompts), each said once."""
        return []

    def new_run(self) -> None:
        """What was learnt of a run's mishaps is not held against the next one."""
        return None

    def note(self) -> str | None:
        """What the report says at its top about who wrote it."""
        return None

    @abstractmethod
    async def analyse(
        self, doc: Document, paper: Paper
    ) -> tuple[Analysis, Provenance, list[Call]]: ...

    async def correct(
        self, doc: Document, paper: Paper, analysis: Analysis, problems: list[str]
    ) -> tuple[Analysis, list[Call]] | None:
        """The analysis with its flagged items corrected; None: this analyser cannot."""
        return None

    async def paragraph(
        self, results: Sequence[PaperResult]
    ) -> tuple[DayParagraph, list[Call]] | None:
        """The paragraph on the day; None: this analyser writes none."""
        return None

    async def close(self) -> None:
        return None


class LLMAnalyser(Analyser):
    """Any OpenAI-compatible server, `concurrency` requests at once. Once the server has
    refused us (key, payment, permission, no such model), nothing more is sent to it: the
    papers waiting for a turn fail at once with the same reason."""

    kind: AnalyserKind = "llm"

    def __init__(
        self, settings: Settings, memory: ServerMemory | None, sleep: Sleep = asyncio.sleep
    ) -> None:
        super().__init__(settings)
        self.llm = LLM(settings, memory, sleep)
        self.model = self.llm.model
        self.sem = asyncio.Semaphore(settings.concurrency)
        self.refusal: str | None = None

    async def _ask(self, request: Callable[[], Awaitable[T]]) -> T:
        async with self.sem:
            if self.refusal is not None:
                raise LLMUnavailable(self.refusal)
            try:
                return await request()
            except LLMUnavailable as e:
                self.refusal = self.refusal or str(e)
                raise

    @property
    def key(self) -> tuple[str, str]:
        return self.llm.model, load_prompt(self.settings.lang)[1]

    @property
    def warnings(self) -> list[str]:
        return list(self.llm.warnings)

    def new_run(self) -> None:
        """A refusal or an outage of the last run is asked again (the server may have been
        topped up or be back); what the server accepts and its context stay learnt, and the
        context is tried past once (it may have been enlarged)."""
        self.refusal = None
        self.llm.warnings.clear()
        self.llm.rearm()

    async def analyse(self, doc: Document, paper: Paper) -> tuple[Analysis, Provenance, list[Call]]:
        lang, budget = self.settings.lang, self.settings.max_input_tokens
        return await self._ask(lambda: analyse_with_llm(self.llm, doc, paper, lang, budget))

    async def correct(
        self, doc: Document, paper: Paper, analysis: Analysis, problems: list[str]
    ) -> tuple[Analysis, list[Call]]:
        lang, budget = self.settings.lang, self.settings.max_input_tokens
        return await self._ask(
            lambda: correct_with_llm(self.llm, doc, paper, analysis, problems, lang, budget)
        )

    async def paragraph(self, results: Sequence[PaperResult]) -> tuple[DayParagraph, list[Call]]:
        return await self._ask(lambda: write_paragraph(self.llm, results, self.settings.lang))

    async def close(self) -> None:
        await self.llm.close()


class ExtractAnalyser(Analyser):
    """No LLM: the paper's own sentences, chosen deterministically, in a worker process."""

    kind: AnalyserKind = "no-llm"
    copied = True

    def __init__(self, settings: Settings, workers: Workers) -> None:
        super().__init__(settings)
        self.workers = workers

    @property
    def key(self) -> tuple[str, str]:
        return "no-llm", EXTRACT_VERSION

    def note(self) -> str:
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
        packed = pack(doc, 10**9)
        lang = self.settings.lang
        analysis = await self.workers.run(analyse_without_llm, doc, paper, lang)
        return analysis, provenance(doc, packed, "no-llm", None, EXTRACT_VERSION, None), []


def make_analyser(
    settings: Settings,
    memory: ServerMemory | None,
    workers: Workers,
    *,
    no_llm: bool,
    sleep: Sleep = asyncio.sleep,
) -> Analyser:
    """The LLM when one is configured (and not refused with --no-llm), else the extractor;
    `sleep` is the session's clock, for waiting out a busy server."""
    if settings.llm_configured and not no_llm:
        return LLMAnalyser(settings, memory, sleep)
    return ExtractAnalyser(settings, workers)
