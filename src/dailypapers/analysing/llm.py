"""Any OpenAI-compatible chat server, asked for JSON that validates against a pydantic model.

Structured output is a ladder of rungs: `json_schema` (strict) → `json_object` with the schema
in the prompt → a plain prompt. Negotiated once per (server, model), whatever the concurrency:

    unknown ── one request at a time ── HTTP 200 ──▶ confirmed: requests run freely
       ▲                │ format rejected                  │ format rejected
       └── best rung not rejected in this run ◀────────────┘ (requests in flight retry there)

Only a rejection *of the format* steps down. A context-length error is ContextTooLong: the
caller re-packs the paper to the limit the server stated (remembered for later papers). The
confirmed rung and the context limit are kept in the archive for the next run. Answers are
cleaned of what servers wrap around JSON (reasoning blocks, code fences) and validated; one
repair round sends the error back. Retries on 429/5xx/timeouts wait on the session's clock
(retrying.py)."""

from __future__ import annotations

import asyncio
import functools
import importlib
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from dailypapers.analysing.answers import extract_json, strict_schema
from dailypapers.analysing.refusals import (
    api_message,
    context_error,
    error_detail,
    format_rejection,
    stated_context,
)
from dailypapers.analysing.retrying import Sleep, quota_spent, with_retries
from dailypapers.core.config import Settings
from dailypapers.core.errors import ContextTooLong, LLMError, LLMOutputError, LLMUnavailable
from dailypapers.core.models import Call, ServerProfile, estimate_tokens

if TYPE_CHECKING:
    import openai

RUNGS = ("json_schema", "json_object", "plain")
MAX_ANSWER_CHARS = 200_000  # ~50k tokens: ten times any analysis, never a 33 MB report
M = TypeVar("M", bound=BaseModel)
JSON = dict[str, Any]


@dataclass
class Outcome:
    value: Any
    rung: str
    calls: list[Call] = field(default_factory=list)
    truncated: tuple[int, int] | None = None  # (tokens the server read, tokens we sent)


class ServerMemory(Protocol):
    """Where a server's profile outlives the run (the archive)."""

    def llm_server(self, base_url: str, model: str) -> ServerProfile: ...

    def save_llm_server(self, base_url: str, model: str, profile: ServerProfile) -> None: ...


class LLM:
    def __init__(
        self,
        settings: Settings,
        memory: ServerMemory | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        # The SDK takes ~0.4 s to import (`show`, `history` and --help never do): it is
        # imported in a thread while the run lists and reads its first papers.
        threading.Thread(target=importlib.import_module, args=("openai",), daemon=True).start()
        self._client: openai.AsyncOpenAI | None = None
        self.settings = settings
        self.sleep = sleep
        self.model = settings.llm_model
        self.params: dict[str, Any] = {
            "temperature": settings.temperature,
            "max_tokens": settings.max_output_tokens,
        }
        self.memory = memory
        known = memory.llm_server(settings.llm_base_url, self.model) if memory else None
        known = known or ServerProfile()
        self.rung = known.rung if known.rung in RUNGS else RUNGS[0]
        self.confirmed = known.rung in RUNGS  # a remembered rung is used until it stops working
        self.rejected: set[str] = set()  # rungs this server refused in this run
        self.negotiation = asyncio.Lock()
        self.context_limit = known.context
        self.token_ratio = known.token_ratio
        self.learnt_at = known.learnt_at
        self.retest_due = False
        self.rearm()
        self.cap: int | None = None  # a budget that fits, when the server states no limit
        self.warnings: list[str] = []  # said once per run, whatever the number of papers

    @property
    def client(self) -> openai.AsyncOpenAI:
        if self._client is None:
            import openai

            from dailypapers.sources.net import tls

            settings = self.settings
            self._client = openai.AsyncOpenAI(
                base_url=settings.llm_base_url,
                api_key=settings.openai_api_key or "not-needed",  # local servers want no key
                timeout=settings.llm_timeout,
                max_retries=0,  # retried on the session's clock (retrying.py)
                default_headers={"User-Agent": settings.user_agent},
                # a redirect elsewhere would take the paper with it: none is followed
                http_client=openai.DefaultAsyncHttpxClient(verify=tls(), follow_redirects=False),
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()

    def input_budget(self, max_input_tokens: int) -> int:
        """The prompt budget (in estimated tokens) that fits this server's context."""
        budget = max_input_tokens
        if self.context_limit:
            room = self.context_limit - self.settings.max_output_tokens - CONTEXT_MARGIN
            budget = min(budget, int(room / self.token_ratio))
        if self.cap:
            budget = min(budget, self.cap)
        return budget

    async def structured(
        self, system: str, user: str, schema_model: type[M], prompt_version: str
    ) -> Outcome:
        """Ask for an instance of `schema_model`; one repair round, then LLMOutputError.

        Every request is recorded in the outcome's calls, or on the error as `.calls`."""
        schema = strict_schema(schema_model)
        calls: list[Call] = []
        truncated: tuple[int, int] | None = None
        try:
            messages, content = await self._first_answer(
                system, user, schema, prompt_version, calls
            )
            for repaired in (False, True):
                truncated = truncated or self._truncation(calls[-1])
                result = self._check(content, calls[-1], schema_model)
                if isinstance(result, BaseModel):
                    return Outcome(result, calls[-1].rung, calls, truncated)
                calls[-1].error = result
                if repaired:
                    raise LLMOutputError(f"invalid answer after a repair round: {result}")
                messages += [
                    {"role": "assistant", "content": content or ""},
                    {"role": "user", "content": _repair_note(result)},
                ]
                content = await self._ask(messages, schema, calls[-1].rung, prompt_version, calls)
        except LLMError as e:
            e.calls = calls
            raise
        raise AssertionError("unreachable")

    async def _first_answer(
        self, system: str, user: str, schema: JSON, prompt_version: str, calls: list[Call]
    ) -> tuple[list[JSON], str | None]:
        """The first answer on the best rung the server accepts (see the module's diagram)."""
        while True:
            rung = self.rung
            messages = self._messages(system, user, schema, rung)
            if self.confirmed:
                try:
                    return messages, await self._ask(messages, schema, rung, prompt_version, calls)
                except _Rejected:
                    self._reject(rung)
                    continue
            async with self.negotiation:
                if self.confirmed or self.rung != rung:
                    continue  # settled while we waited
                try:
                    content = await self._ask(messages, schema, rung, prompt_version, calls)
                except _Rejected:
                    self._reject(rung)
                    continue
                self.confirmed = True
                self._remember()
                return messages, content

    def _reject(self, rung: str) -> None:
        self.rejected.add(rung)
        if self.rung == rung:
            self.rung = next(r for r in RUNGS if r not in self.rejected)  # plain is never
            self.confirmed = False

    def _remember(self) -> None:
        if self.memory:
            profile = ServerProfile(
                self.rung if self.confirmed else None,
                self.context_limit,
                self.token_ratio,
                self.learnt_at,
            )
            self.memory.save_llm_server(self.settings.llm_base_url, self.model, profile)

    def rearm(self) -> None:
        """A limit learnt in an earlier run is tried past once in this one: the server may
        have been enlarged since."""
        self.retest_due = self.context_limit is not None or self.token_ratio > 1.0

    def claim_retest(self) -> bool:
        """Whether this request is the one that tries the configured budget past a limit
        remembered from an earlier run (once a run)."""
        due, self.retest_due = self.retest_due, False
        return due

    def outgrown(self, outcome: Outcome) -> None:
        """The configured budget went through unshortened: the remembered limit is gone."""
        if outcome.truncated is not None:
            return  # a server that cuts silently proves nothing
        call = outcome.calls[-1]
        ratio = call.input_tokens / call.sent_tokens if call.sent_tokens else 1.0
        self.context_limit, self.cap, self.learnt_at = None, None, None
        self.token_ratio = max(1.0, min(ratio, 3.0))
        self._remember()
        self.warnings.append(
            f"the LLM server at {self.settings.llm_base_url} now takes the whole "
            f"{self.settings.max_input_tokens:,}-token budget: its remembered context is forgotten"
        )

    def _messages(self, system: str, user: str, schema: JSON, rung: str) -> list[JSON]:
        if rung != "json_schema":
            system += (
                "\n\nReply with one JSON object, and nothing else, that matches this "
                f"JSON Schema:\n{json.dumps(schema, ensure_ascii=False)}"
            )
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def _check(self, content: str | None, call: Call, model: type[M]) -> M | str:
        if call.finish_reason == "length":
            return (
                "the answer was cut off at the output token limit; "
                "answer again, more concisely, as complete JSON"
            )
        if not (content or "").strip():
            return "the answer was empty"
        if len(content or "") > MAX_ANSWER_CHARS:  # no analysis is this long: a runaway
            return (
                f"the answer was {len(content or ''):,} characters long; answer again, as one "
                "concise JSON object"
            )
        try:
            return model.model_validate(extract_json(content or ""))
        except (ValueError, ValidationError) as e:
            return _short_error(e)

    def _truncation(self, call: Call) -> tuple[int, int] | None:
        """A server that read far less than we sent cut the prompt without saying so (Ollama
        does past its context); said once per run, with what to change."""
        sent = call.sent_tokens
        if not call.input_tokens or sent < 1000 or call.input_tokens >= TRUNCATION_RATIO * sent:
            return None
        if not self.warnings:
            self.warnings.append(
                f"the LLM server at {self.settings.llm_base_url} read only "
                f"{call.input_tokens:,} of the ~{sent:,} prompt tokens we sent: it cuts prompts "
                "silently (Ollama does past its context). Raise its context (Ollama: "
                "OLLAMA_CONTEXT_LENGTH=32768, or num_ctx in the Modelfile) or lower "
                f"--max-input-tokens to about {max(1000, call.input_tokens - 2500):,}"
            )
        return call.input_tokens, sent

    async def _ask(
        self,
        messages: list[JSON],
        schema: JSON,
        rung: str,
        prompt_version: str,
        calls: list[Call],
    ) -> str | None:
        """One request on one rung, recorded in `calls` whatever happens to it."""
        sent = estimate_tokens("".join(m["content"] for m in messages))
        call = Call(self.model, prompt_version, rung, sent_tokens=sent)
        calls.append(call)
        start = time.monotonic()
        try:
            resp = await self._send(self._request(messages, schema, rung), rung, sent)
            choice = self._choice(resp)
        except (LLMError, _Rejected) as e:
            call.error = str(e) or f"the server does not support {rung}"
            raise
        finally:
            call.latency = time.monotonic() - start
        if resp.usage:
            call.input_tokens = resp.usage.prompt_tokens or 0
            call.output_tokens = resp.usage.completion_tokens or 0
        self._learn_ratio(call)
        if choice is None:
            return None
        call.finish_reason = choice.finish_reason
        content: str | None = choice.message.content
        return content

    def _choice(self, resp: Any) -> Any:
        """The first choice, or an error: a body that is not a chat completion stops the run."""
        url = self.settings.llm_base_url
        if isinstance(resp, str):
            kind = "an event stream" if resp.lstrip().startswith("data:") else "a web page"
            raise LLMUnavailable(
                f"the LLM server at {url} answered with {kind}, not the chat API: check "
                "OPENAI_BASE_URL (an OpenAI-compatible API usually ends in /v1)"
            )
        if getattr(resp, "choices", None) is None:
            error = (resp.model_extra or {}).get("error")
            if error:
                message = error.get("message") if isinstance(error, dict) else error
                raise LLMError(f"the LLM server answered an error: {str(message)[:200]}")
            raise LLMUnavailable(
                f"the LLM server at {url} answered JSON that is not a chat completion: "
                "check OPENAI_BASE_URL"
            )
        return resp.choices[0] if resp.choices else None

    def _learn_ratio(self, call: Call) -> None:
        """How the server counts tokens against our estimate, for fitting its context."""
        sent = call.sent_tokens
        if call.input_tokens and sent >= 1000 and call.input_tokens >= TRUNCATION_RATIO * sent:
            self.token_ratio = max(self.token_ratio, min(call.input_tokens / sent, 3.0))

    def _request(self, messages: list[JSON], schema: JSON, rung: str) -> JSON:
        kwargs: dict[str, Any] = {"model": self.model, "messages": messages, **self.params}
        if rung == "json_schema":
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "analysis", "strict": True, "schema": schema},
            }
        elif rung == "json_object":
            kwargs["response_format"] = {"type": "json_object"}
        if "qwen" in self.model.lower():  # Qwen3 refuses JSON modes while thinking
            kwargs["extra_body"] = {
                "enable_thinking": False,
                "chat_template_kwargs": {"enable_thinking": False},
            }
        return kwargs

    async def _create(self, kwargs: dict[str, Any]) -> Any:
        """Create a completion, adapting once to servers that refuse a parameter: reasoning
        models want `max_completion_tokens` and reject `temperature`."""
        import openai

        while True:
            try:
                return await with_retries(
                    functools.partial(self.client.chat.completions.create, **kwargs),
                    self.settings.llm_retries,
                    self.sleep,
                    self.settings.max_retry_after,
                )
            except openai.BadRequestError as e:
                message = api_message(e).lower()
                if context_error(message):
                    raise
                refused = any(w in message for w in ("unsupported", "not support", "only the"))
                if refused and "max_tokens" in message and "max_tokens" in self.params:
                    self.params["max_completion_tokens"] = self.params.pop("max_tokens")
                elif refused and "temperature" in message and "temperature" in self.params:
                    del self.params["temperature"]
                else:
                    raise
                kwargs = {
                    **{k: v for k, v in kwargs.items() if k not in ("max_tokens", "temperature")},
                    **self.params,
                }

    async def _send(self, kwargs: dict[str, Any], rung: str, sent: int) -> Any:
        """The request, with the SDK's errors turned into ours."""
        import openai

        url = self.settings.llm_base_url
        try:
            return await self._create(kwargs)
        except openai.APIStatusError as e:
            message = api_message(e)
            if context_error(message.lower()) or e.status_code == 413:
                raise self._context_error(e, sent) from None
            if isinstance(e, openai.BadRequestError | openai.UnprocessableEntityError):
                if rung != "plain" and format_rejection(message.lower()):
                    raise _Rejected(f"the server does not support {rung}: {message}") from e
                raise LLMError(f"the LLM server refused the request: {message}") from None
            raise self._status_error(e, message) from None
        except openai.APITimeoutError:
            raise LLMError(
                f"the LLM did not answer within {self.settings.llm_timeout:.0f}s (after retries)"
            ) from None
        except openai.APIConnectionError:
            raise LLMUnavailable(
                f"cannot reach the LLM server at {url}: check OPENAI_BASE_URL"
            ) from None

    def _unstated_cap(self, sent: int) -> int:
        """A budget for a server that refused without stating its limit: the largest usual
        context size (4k, 8k, 16k, ...) below what it refused, less the answer, with room for
        a tokeniser denser than our estimate."""
        refused = min(self.cap or sent, sent) * self.token_ratio
        size = 4096
        while size * 2 < refused:
            size *= 2
        room = size - self.settings.max_output_tokens - CONTEXT_MARGIN
        return max(int(room / (self.token_ratio * UNKNOWN_TOKENISER)), int(refused * 0.3))

    def _status_error(self, e: openai.APIStatusError, message: str) -> LLMError:
        url = self.settings.llm_base_url
        status = e.status_code
        if status == 401:
            return LLMUnavailable(f"the LLM server at {url} refused our key: check OPENAI_API_KEY")
        if status == 402:
            return LLMUnavailable(
                f"the LLM server at {url} wants payment (HTTP 402: {message}): top up the "
                "account or use another OPENAI_API_KEY"
            )
        if status == 403:
            return LLMUnavailable(
                f"the LLM server at {url} forbids us (HTTP 403: {message}): check the key's "
                "permissions, the region, or OPENAI_BASE_URL"
            )
        if status == 404:
            return LLMUnavailable(
                f"the LLM server has no model {self.model!r} (or no chat endpoint at {url}): "
                "set DAILYPAPERS_MODEL or check OPENAI_BASE_URL"
            )
        if status == 429 and quota_spent(e):
            return LLMUnavailable(
                f"the account at {url} has no quota left (HTTP 429: {message}): add credit "
                "or use another OPENAI_API_KEY"
            )
        if status == 429:
            return LLMError("the LLM server kept rate-limiting us (HTTP 429)")
        return LLMError(f"the LLM server failed: HTTP {status}: {message}")

    def _context_error(self, e: openai.APIStatusError, sent: int) -> ContextTooLong:
        """Learn the limit the server states, so this paper and the next are packed to fit."""
        message = api_message(e)
        limit, used = stated_context(message, error_detail(e))
        if used:
            self.token_ratio = max(self.token_ratio, min(used / sent, 3.0))
        if limit:
            self.context_limit = limit
            self.learnt_at = datetime.now(UTC).isoformat(timespec="seconds")
            self._remember()
        else:
            self.cap = self._unstated_cap(sent)
        stated = f" of {limit:,} tokens" if limit else ""
        return ContextTooLong(
            f"the paper does not fit the LLM server's context{stated}: {message}",
            limit=limit,
            prompt_tokens=used,
        )


class _Rejected(Exception):
    """The server does not support this rung of structured output."""


CONTEXT_MARGIN = 256  # tokens kept free besides the answer, for the chat template
UNKNOWN_TOKENISER = 1.3  # how much denser than our estimate an unseen tokeniser may count
TRUNCATION_RATIO = 0.5  # a server that counts under half our estimate did not read it all


def _short_error(e: Exception) -> str:
    if isinstance(e, ValidationError):
        parts = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()[:5]]
        return "the JSON does not match the schema: " + "; ".join(parts)
    return f"the answer is not valid JSON: {e}"


def _repair_note(problem: str) -> str:
    return (
        f"Your previous answer could not be used: {problem}. Reply again with only the "
        "corrected JSON object, matching the schema exactly."
    )
