"""Any OpenAI-compatible chat server, asked for JSON that validates against a pydantic model.

Structured output is a ladder: `json_schema` (strict) → `json_object` with the schema in the
prompt → a plain prompt. A server that rejects a rung is stepped down and remembered, so the
next paper starts on the rung that works. Answers are cleaned of what servers wrap around
JSON (reasoning blocks, code fences) and validated; one repair round sends the error back.
Retries on 429/5xx/timeouts are the openai SDK's own (it honours Retry-After)."""

from __future__ import annotations

import copy
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, TypeVar

import openai
from pydantic import BaseModel, ValidationError

from .config import Settings
from .errors import LLMError, LLMOutputError, LLMUnavailable

RUNGS = ("json_schema", "json_object", "plain")
M = TypeVar("M", bound=BaseModel)


@dataclass
class Call:
    """One request to the server, as recorded in the archive."""

    model: str
    prompt_version: str
    rung: str
    input_tokens: int = 0
    output_tokens: int = 0
    latency: float = 0.0
    finish_reason: str | None = None
    error: str | None = None


@dataclass
class Outcome:
    value: Any
    rung: str
    calls: list[Call] = field(default_factory=list)


def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A JSON schema every server accepts: refs inlined, all fields required, nullable via
    a type list, no additional properties, no length/pattern/format keywords."""
    raw = model.model_json_schema()
    defs = raw.pop("$defs", {})

    def fix(node: Any) -> Any:
        if isinstance(node, list):
            return [fix(n) for n in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return fix(copy.deepcopy(defs[node["$ref"].split("/")[-1]]))
        node = {k: fix(v) for k, v in node.items() if k not in _DROP}
        options = node.get("anyOf")
        if options and len(options) == 2 and {"type": "null"} in options:
            other = next(o for o in options if o != {"type": "null"})
            node.pop("anyOf")
            if "type" in other and isinstance(other["type"], str) and len(other) == 1:
                node["type"] = [other["type"], "null"]
            else:
                node["anyOf"] = [other, {"type": "null"}]
        if node.get("type") == "object" and "properties" in node:
            node["required"] = list(node["properties"])
            node["additionalProperties"] = False
        return node

    return fix(raw)


_DROP = {
    "title",
    "default",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minItems",
    "maxItems",
    "minimum",
    "maximum",
    "examples",
}


def extract_json(content: str) -> Any:
    """The JSON object in an answer, past `<think>` blocks, code fences and chatter."""
    text = re.sub(r"<think>.*?</think>", "", content, flags=re.S | re.I)
    text = re.sub(r"^.*?</think>", "", text, flags=re.S | re.I)  # opening tag in the prompt
    fence = re.search(r"```(?:json)?\s*(\{.*\})\s*```", text, flags=re.S)
    if fence:
        text = fence.group(1)
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise ValueError("no JSON object in the answer")
    return json.loads(text[start : end + 1])


class LLM:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.model = settings.llm_model
        self.client = openai.AsyncOpenAI(
            base_url=settings.llm_base_url,
            api_key=settings.openai_api_key or "not-needed",  # local servers want no key
            timeout=settings.llm_timeout,
            max_retries=settings.llm_retries,
            default_headers={"User-Agent": settings.user_agent},
        )
        self.rung_index = 0  # the best rung this server has accepted
        self.params: dict[str, Any] = {
            "temperature": settings.temperature,
            "max_tokens": settings.max_output_tokens,
        }

    async def _create(self, kwargs: dict[str, Any]) -> Any:
        """Create a completion, adapting once to servers that refuse a parameter: reasoning
        models want `max_completion_tokens` and reject `temperature`."""
        while True:
            try:
                return await self.client.chat.completions.create(**kwargs)
            except openai.BadRequestError as e:
                message = _api_message(e).lower()
                if "max_tokens" in message and "max_tokens" in self.params:
                    self.params["max_completion_tokens"] = self.params.pop("max_tokens")
                elif "temperature" in message and "temperature" in self.params:
                    del self.params["temperature"]
                else:
                    raise
                kwargs = {
                    **{k: v for k, v in kwargs.items() if k not in ("max_tokens", "temperature")},
                    **self.params,
                }

    @property
    def rung(self) -> str:
        return RUNGS[self.rung_index]

    async def close(self) -> None:
        await self.client.close()

    async def structured(
        self, system: str, user: str, schema_model: type[M], prompt_version: str
    ) -> Outcome:
        """Ask for an instance of `schema_model`; one repair round, then LLMOutputError.

        Every request is recorded in the outcome's calls, or on the error as `.calls`."""
        schema = strict_schema(schema_model)
        calls: list[Call] = []
        try:
            messages, content = await self._first_answer(
                system, user, schema, prompt_version, calls
            )
            for repaired in (False, True):
                result = self._check(content, calls[-1], schema_model)
                if isinstance(result, BaseModel):
                    return Outcome(result, calls[-1].rung, calls)
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
        self, system: str, user: str, schema: dict, prompt_version: str, calls: list[Call]
    ) -> tuple[list[dict], str | None]:
        """Climb down the ladder from the best rung this server has accepted so far."""
        while True:
            messages = self._messages(system, user, schema, self.rung)
            try:
                content = await self._ask(messages, schema, self.rung, prompt_version, calls)
                return messages, content
            except _Rejected:
                self.rung_index += 1  # `plain` is never rejected as _Rejected

    def _messages(self, system: str, user: str, schema: dict, rung: str) -> list[dict]:
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
        try:
            return model.model_validate(extract_json(content or ""))
        except (ValueError, ValidationError) as e:
            return _short_error(e)

    async def _ask(
        self,
        messages: list[dict],
        schema: dict,
        rung: str,
        prompt_version: str,
        calls: list[Call],
    ) -> str | None:
        """One request on one rung, recorded in `calls` whatever happens to it."""
        call = Call(model=self.model, prompt_version=prompt_version, rung=rung)
        calls.append(call)
        start = time.monotonic()
        try:
            resp = await self._send(self._request(messages, schema, rung), rung)
        except (LLMError, _Rejected) as e:
            call.error = str(e) or f"the server does not support {rung}"
            raise
        finally:
            call.latency = time.monotonic() - start
        if resp.usage:
            call.input_tokens = resp.usage.prompt_tokens or 0
            call.output_tokens = resp.usage.completion_tokens or 0
        if not resp.choices:
            return None
        choice = resp.choices[0]
        call.finish_reason = choice.finish_reason
        return choice.message.content

    def _request(self, messages: list[dict], schema: dict, rung: str) -> dict[str, Any]:
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

    async def _send(self, kwargs: dict[str, Any], rung: str) -> Any:
        """The request, with the SDK's errors turned into ours."""
        try:
            return await self._create(kwargs)
        except (openai.BadRequestError, openai.UnprocessableEntityError) as e:
            if rung != "plain":
                raise _Rejected(f"the server does not support {rung}: {_api_message(e)}") from e
            raise LLMError(f"the LLM server refused the request: {_api_message(e)}") from None
        except openai.AuthenticationError:
            raise LLMUnavailable("the LLM server refused our key: check OPENAI_API_KEY") from None
        except openai.NotFoundError:
            raise LLMUnavailable(
                f"the LLM server has no model {self.model!r} (or no chat "
                f"endpoint at {self.settings.llm_base_url}): set DAILYPAPERS_MODEL"
            ) from None
        except openai.APITimeoutError:
            raise LLMError(
                f"the LLM did not answer within {self.settings.llm_timeout:.0f}s (after retries)"
            ) from None
        except openai.RateLimitError:
            raise LLMError("the LLM server kept rate-limiting us (HTTP 429)") from None
        except openai.APIConnectionError:
            raise LLMUnavailable(
                f"cannot reach the LLM server at {self.settings.llm_base_url}: "
                "check OPENAI_BASE_URL"
            ) from None
        except openai.APIStatusError as e:
            raise LLMError(f"the LLM server failed: HTTP {e.status_code}") from None


class _Rejected(Exception):
    """The server does not support this rung of structured output."""


def _api_message(e: openai.APIStatusError) -> str:
    body = e.body if isinstance(e.body, dict) else {}
    return str(body.get("message") or body.get("error") or e.message)[:200]


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
