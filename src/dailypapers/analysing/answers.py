"""The JSON a model is asked for and the JSON it answers: a schema every server accepts,
and the object found in an answer past what servers wrap around it. Pure."""

from __future__ import annotations

import copy
import functools
import json
import re
from typing import Any

from pydantic import BaseModel


@functools.cache
def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A JSON schema every server accepts: refs inlined, all fields required, nullable via
    a type list, no additional properties, no length/pattern/format keywords. Made once per
    model (pydantic takes milliseconds to build it) and shared: callers never change it."""
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

    fixed: dict[str, Any] = fix(raw)
    return fixed


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
    try:
        return json.loads(text[start : end + 1])
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None
