"""The refusals OpenRouter (or the upstream) gives before any generation (pure functions).

- Context length: the prompt plus the requested output does not fit the model's context
  window. OpenRouter answers 400 with "This endpoint's maximum context length is N tokens.
  However, you requested about M tokens (...)" and ``metadata.previous_errors``; an
  embeddings input longer than the model's context is refused the same way.
- Tool definitions the upstream rejects (a name outside ``[a-zA-Z0-9_-]{1,64}``, a parameter
  whose ``type`` is not a JSON schema type): OpenRouter relays the upstream's 400 as
  "Provider returned error" with the upstream's own message in ``metadata.raw``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Refusal", "context_refusal", "embeddings_refusal", "tools_refusal"]

_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_JSON_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})


@dataclass(frozen=True)
class Refusal:
    """An error answer: HTTP status, ``error.message`` and ``error.metadata``."""

    status: int
    message: str
    metadata: Mapping[str, Any]


def _context_message(limit: int, parts: Mapping[str, int]) -> str:
    total = sum(parts.values())
    detail = ", ".join(f"{n} {what}" for what, n in parts.items() if n)
    return (
        f"This endpoint's maximum context length is {limit} tokens. However, you requested "
        f"about {total} tokens ({detail}). Please reduce the length of either one, or use the "
        '"context-compression" plugin to compress your prompt automatically.'
    )


def _context_length(model: Mapping[str, Any]) -> int | None:
    top = model.get("top_provider")
    value = top.get("context_length") if isinstance(top, Mapping) else None
    value = value or model.get("context_length")
    return value if isinstance(value, int) and value > 0 else None


def _refusal(limit: int, parts: Mapping[str, int]) -> Refusal:
    message = _context_message(limit, parts)
    metadata = {"provider_name": None, "previous_errors": [{"code": 400, "message": message}]}
    return Refusal(400, message, metadata)


def context_refusal(
    model: Mapping[str, Any], *, text_tokens: int, tool_tokens: int, output_tokens: int
) -> Refusal | None:
    """The 400 for a chat request that does not fit the model's context window, if it does not.

    Args:
        model: The catalog entry serving the request.
        text_tokens: Prompt tokens of the messages.
        tool_tokens: Prompt tokens of the tool definitions.
        output_tokens: The ``max_tokens`` asked for (``0`` when absent).
    """
    limit = _context_length(model)
    if limit is None or text_tokens + tool_tokens + output_tokens <= limit:
        return None
    parts = {
        "of text input": text_tokens,
        "of tool input": tool_tokens,
        "in the output": output_tokens,
    }
    return _refusal(limit, parts)


def embeddings_refusal(model: Mapping[str, Any], input_tokens: int) -> Refusal | None:
    """The 400 for an embeddings input longer than the model's context, if it is."""
    limit = _context_length(model)
    if limit is None or input_tokens <= limit:
        return None
    return _refusal(limit, {"of text input": input_tokens})


def _bad_types(schema: Any, path: str) -> Iterator[tuple[str, str]]:
    if not isinstance(schema, Mapping):
        return
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
    for value in kinds:
        if not isinstance(value, str) or value not in _JSON_TYPES:
            yield path, str(value)
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        for name, sub in properties.items():
            yield from _bad_types(sub, f"{path}.properties.{name}")
    items = schema.get("items")
    if isinstance(items, Mapping):
        yield from _bad_types(items, f"{path}.items")
    for key in ("anyOf", "oneOf", "allOf"):
        for index, sub in enumerate(schema.get(key) or ()):
            yield from _bad_types(sub, f"{path}.{key}.{index}")


def _upstream_error(family: str, where: str, message: str) -> str:
    """The upstream's own error body, as OpenRouter relays it in ``metadata.raw`` (a string)."""
    if family == "anthropic":
        body: dict[str, Any] = {
            "type": "error",
            "error": {"type": "invalid_request_error", "message": f"{where}: {message}"},
        }
    elif family == "google":
        body = {
            "error": {
                "code": 400,
                "message": f"* GenerateContentRequest.{where}: {message}\n",
                "status": "INVALID_ARGUMENT",
            }
        }
    else:
        body = {
            "error": {
                "message": f"Invalid '{where}': {message}",
                "type": "invalid_request_error",
                "param": where,
                "code": "invalid_value",
            }
        }
    return json.dumps(body)


def tools_refusal(body: Mapping[str, Any], *, family: str, provider: str) -> Refusal | None:
    """The relayed upstream 400 for tool definitions the upstream rejects, if any.

    Args:
        body: The request body.
        family: The model family (``anthropic``, ``google``, ``openai``...), which shapes the
            upstream's message.
        provider: The provider display name (``metadata.provider_name``).
    """
    for index, tool in enumerate(body.get("tools") or ()):
        if not isinstance(tool, Mapping) or tool.get("type", "function") != "function":
            continue
        function = tool.get("function")
        function = function if isinstance(function, Mapping) else {}
        name = function.get("name")
        where = f"tools[{index}].function"
        if not isinstance(name, str) or not _TOOL_NAME.match(name):
            message = (
                f"string does not match pattern. Expected a string that matches the pattern "
                f"'^[a-zA-Z0-9_-]{{1,64}}$', got {name!r}."
            )
            raw = _upstream_error(family, f"{where}.name", message)
            return Refusal(400, "Provider returned error", {"raw": raw, "provider_name": provider})
        for path, value in _bad_types(function.get("parameters"), f"{where}.parameters"):
            message = f"{value!r} is not valid under any of the given schemas (type)"
            raw = _upstream_error(family, path, message)
            return Refusal(400, "Provider returned error", {"raw": raw, "provider_name": provider})
    return None
