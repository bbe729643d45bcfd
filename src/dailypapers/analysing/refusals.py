"""What OpenAI-compatible servers say when they refuse a request, recognised: a prompt past
their context (and the limit they state), or a structured-output format they do not take.
Pure functions over the error message and body."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the SDK takes half a second to import; only LLM calls need it
    import openai

# What servers say when a prompt exceeds the context: OpenAI and DeepSeek ("maximum context
# length is N tokens"), vLLM (the same, or "max_tokens ... is too large"), llama.cpp
# ("exceeds the available context size", n_ctx), Ollama ("prompt too long"), TGI ("must be
# <= N"), Mistral ("N maximum context length"), DashScope ("input length should be [1, N]").
_CONTEXT_WORDS = (
    "context length",
    "context_length",
    "context size",
    "context window",
    "maximum context",
    "exceed_context",
    "prompt is too long",
    "prompt too long",
    "too many tokens",
    "reduce the length",
    "input length should be",
    "`inputs` tokens",
)
_LIMIT_PATTERNS = [
    re.compile(p, re.I)
    for p in (
        r"maximum context length is (\d+)",
        r"context (?:length|window|size) (?:of|is) (\d+)",
        r"(\d+) maximum context length",
        r"n_ctx\W{0,4}(\d+)",
        r"must be <= (\d+)",
        r"input length should be \[\d+, ?(\d+)\]",
    )
]
_PROMPT_PATTERNS = [
    re.compile(p, re.I)
    for p in (
        r"(\d+) in the messages",
        r"messages resulted in (\d+) tokens",
        r"request has (\d+) input tokens",
        r"given: (\d+) `inputs` tokens",
        r"prompt contains (\d+) tokens",
        r"n_prompt_tokens\W{0,4}(\d+)",
    )
]
# A 400 that names the structured-output format is a rejection of the rung.
_FORMAT_WORDS = (
    "response_format",
    "response format",
    "json_schema",
    "json schema",
    "json_object",
    "json mode",
    "structured output",
    "guided",
    "grammar",
)


def context_error(message: str) -> bool:
    return any(w in message for w in _CONTEXT_WORDS)


def format_rejection(message: str) -> bool:
    return any(w in message for w in _FORMAT_WORDS)


def _first_int(text: str, patterns: list[re.Pattern[str]]) -> int | None:
    for pattern in patterns:
        m = pattern.search(text)
        if m:
            return int(m.group(1))
    return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and value > 0 else None


def error_detail(e: openai.APIStatusError) -> dict[str, Any]:
    """The error object of an error body, wherever the server put it."""
    body = e.body if isinstance(e.body, dict) else {}
    inner = body.get("error")
    return inner if isinstance(inner, dict) else body


def api_message(e: openai.APIStatusError) -> str:
    detail = error_detail(e)
    return str(detail.get("message") or detail.get("error") or e.message)[:300]


def stated_context(message: str, detail: dict[str, Any]) -> tuple[int | None, int | None]:
    """(the server's context, our prompt's size in its tokens), as far as it says them."""
    limit = _first_int(message, _LIMIT_PATTERNS) or _int(detail.get("n_ctx"))
    used = _first_int(message, _PROMPT_PATTERNS) or _int(detail.get("n_prompt_tokens"))
    return limit, used
