"""The emulator's deterministic generic model and scripted-reply completions (pure functions).

Generic model rules, in order (no logic is keyed to any particular prompt):

1. ``tools`` offered, ``tool_choice`` not ``"none"`` and the last message is not a tool result:
   call the named tool (``{"type": "function", "function": {"name": ...}}``), else the first
   tool, with arguments built from its JSON schema and values from the last user message (see
   :mod:`openrouter_core.testing._schema`). ``finish_reason`` ``tool_calls``.
2. ``response_format`` ``json_schema``: the content is a valid instance of the schema.
3. ``response_format`` ``json_object``: ``{"response": <the text of rule 5>}``.
4. Last message is a tool result: a text quoting every trailing tool result.
5. Otherwise: ``"You said: <last user text>"`` (first 200 characters), a line listing
   attachments, and :data:`GENERIC_SENTENCE`.

Text content is then cut at the first ``stop`` sequence (``finish_reason`` ``stop``) and to
``4 * max_tokens`` characters when longer (``finish_reason`` ``length``; reasoning is not part of
this budget). Reasoning, when requested (or, without any reasoning parameter, when the catalog
entry's ``reasoning.default_enabled`` is true, as for ``openai/gpt-5-mini``) and supported by the
model, is a short deterministic text in the model family's ``reasoning_details`` format; excluded
reasoning is still counted.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from openrouter_core.testing._catalog import Route
from openrouter_core.testing._render import Completion, ToolCall
from openrouter_core.testing._schema import hints_from_text, instance_for_schema
from openrouter_core.testing._usage import message_text, text_tokens

__all__ = [
    "GENERIC_SENTENCE",
    "ReasoningRequest",
    "completion_tokens",
    "generic_completion",
    "native_finish_reason",
    "reasoning_details_for",
    "reasoning_request",
    "reasoning_text_of",
    "service_tier_for",
]

GENERIC_SENTENCE: Final = "This is a deterministic reply from the OpenRouter emulator."
"""The fixed sentence ending every generic text answer."""

_SNIPPET_CHARS = 200
_TOOL_RESULT_CHARS = 500

NewCallId = Callable[[str, int], str]
"""``(function name, call index) -> tool-call id``."""

_NATIVE: Final[Mapping[str, Mapping[str, str]]] = {
    "anthropic": {
        "stop": "end_turn",
        "stop_sequence": "stop_sequence",
        "length": "max_tokens",
        "tool_calls": "tool_use",
    },
    "openai": {"stop": "stop", "stop_sequence": "stop", "length": "length"},
    "openai-reasoning": {
        "stop": "completed",
        "stop_sequence": "completed",
        "length": "max_output_tokens",
        "tool_calls": "completed",
    },
    "google": {
        "stop": "STOP",
        "stop_sequence": "STOP",
        "length": "MAX_TOKENS",
        "tool_calls": "STOP",
        "content_filter": "SAFETY",
    },
    "other": {"stop_sequence": "stop"},
}


def native_finish_reason(
    family: str, finish_reason: str | None, *, stop_sequence: bool = False
) -> str | None:
    """Map a normalized finish reason to the provider's raw value for a model family.

    Args:
        family: ``anthropic``, ``openai``, ``openai-reasoning``, ``google`` or ``other``.
        finish_reason: The normalized finish reason.
        stop_sequence: The answer stopped on a ``stop`` sequence.

    Returns:
        The native finish reason (``None`` when ``finish_reason`` is ``None``).
    """
    if finish_reason is None:
        return None
    table = _NATIVE.get(family, _NATIVE["other"])
    key = "stop_sequence" if stop_sequence and finish_reason == "stop" else finish_reason
    return table.get(key, finish_reason)


def service_tier_for(provider: str) -> str | None:
    """Return the ``service_tier`` reported for a provider (``"default"`` for OpenAI/Azure)."""
    return "default" if provider in {"OpenAI", "Azure"} else None


@dataclass(frozen=True)
class ReasoningRequest:
    """What a request asks for in terms of reasoning.

    Attributes:
        enabled: The model should reason.
        exclude: Reasoning is counted but not returned.
        max_tokens: Reasoning budget, if any.
        specified: The request mentions reasoning at all (otherwise the model default applies).
    """

    enabled: bool = False
    exclude: bool = False
    max_tokens: int | None = None
    specified: bool = True


def reasoning_request(body: Mapping[str, Any]) -> ReasoningRequest:
    """Read ``reasoning`` / ``include_reasoning`` / ``reasoning_effort`` from a request.

    ``reasoning: {}`` or any effort other than ``"none"`` enables reasoning; ``enabled: false``
    or ``effort: "none"`` disables it; ``exclude: true`` (or ``include_reasoning: false``) keeps
    it enabled but hidden.

    Args:
        body: The parsed request body.

    Returns:
        The reasoning request.
    """
    config = body.get("reasoning")
    effort = body.get("reasoning_effort")
    include = body.get("include_reasoning")
    if isinstance(config, Mapping):
        enabled = config.get("enabled") is not False and config.get("effort") != "none"
        exclude = bool(config.get("exclude")) or include is False
        budget = config.get("max_tokens")
        return ReasoningRequest(
            enabled=enabled,
            exclude=exclude,
            max_tokens=budget if isinstance(budget, int) and budget > 0 else None,
        )
    if isinstance(effort, str):
        return ReasoningRequest(enabled=effort != "none", exclude=include is False)
    if isinstance(include, bool):
        return ReasoningRequest(enabled=True, exclude=not include)
    return ReasoningRequest(specified=False)


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\x00".join(parts).encode()).digest()


def reasoning_details_for(family: str, text: str) -> tuple[dict[str, Any], ...]:
    """Return ``reasoning_details`` for a reasoning text in a model family's format.

    Anthropic: one ``reasoning.text`` with a base64 ``signature`` (``anthropic-claude-v1``).
    OpenAI: ``reasoning.summary`` plus ``reasoning.encrypted`` (``openai-responses-v1``).
    Google: ``reasoning.text`` (``google-gemini-v1``). Others: ``reasoning.text`` (``unknown``).

    Args:
        family: The model family.
        text: The reasoning text.

    Returns:
        The details (deterministic for a given text).
    """
    if family == "anthropic":
        signature = base64.b64encode(_digest("sig", text) + _digest("sig2", text)).decode()
        return (
            {
                "type": "reasoning.text",
                "text": text,
                "format": "anthropic-claude-v1",
                "index": 0,
                "signature": signature,
            },
        )
    if family in {"openai", "openai-reasoning"}:
        blob = _digest("enc", text) + _digest("enc2", text) + _digest("enc3", text)
        return (
            {
                "type": "reasoning.summary",
                "summary": text,
                "format": "openai-responses-v1",
                "index": 0,
            },
            {
                "type": "reasoning.encrypted",
                "data": "gAAAAAB" + base64.urlsafe_b64encode(blob).decode(),
                "id": "rs_" + hashlib.sha256(("id" + text).encode()).hexdigest()[:50],
                "format": "openai-responses-v1",
                "index": 0,
            },
        )
    fmt = "google-gemini-v1" if family == "google" else "unknown"
    return ({"type": "reasoning.text", "text": text, "format": fmt, "index": 0},)


def reasoning_text_of(details: Sequence[Mapping[str, Any]]) -> str | None:
    """Join the readable text of ``reasoning_details`` (``text`` / ``summary``), or ``None``."""
    texts = [
        str(d.get("text") or d.get("summary") or "")
        for d in details
        if d.get("type") in {"reasoning.text", "reasoning.summary"}
    ]
    joined = "".join(texts)
    return joined or None


def completion_tokens(completion: Completion, reasoning_tokens: int) -> int:
    """Apply the completion token rule (content + tool calls + reasoning)."""
    tokens = text_tokens(completion.content or "") + reasoning_tokens
    for call in completion.tool_calls:
        tokens += text_tokens(call.name) + text_tokens(call.arguments)
    return tokens


def _messages(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    messages = body.get("messages")
    if isinstance(messages, Sequence) and not isinstance(messages, str):
        return [m for m in messages if isinstance(m, Mapping)]
    prompt = body.get("prompt")
    return [{"role": "user", "content": prompt}] if isinstance(prompt, str) else []


def _last_user(messages: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    return next((m for m in reversed(messages) if m.get("role") == "user"), None)


def _squash(text: str, limit: int) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _attachments(message: Mapping[str, Any] | None) -> str:
    if message is None or not isinstance(message.get("content"), Sequence):
        return ""
    names = {
        "image_url": "image",
        "file": "file",
        "input_audio": "audio clip",
        "video_url": "video",
    }
    counts: dict[str, int] = {}
    for part in message["content"]:
        if isinstance(part, Mapping) and part.get("type") in names:
            label = names[str(part["type"])]
            counts[label] = counts.get(label, 0) + 1
    if not counts:
        return ""
    listed = ", ".join(f"{n} {label}{'s' if n > 1 else ''}" for label, n in counts.items())
    return f"Attachments received: {listed}."


def _echo(messages: Sequence[Mapping[str, Any]]) -> str:
    last = _last_user(messages)
    said = _squash(message_text(last.get("content")) if last else "", _SNIPPET_CHARS)
    lines = [f"You said: {said}"] if said else []
    attachments = _attachments(last)
    if attachments:
        lines.append(attachments)
    lines.append(GENERIC_SENTENCE)
    return "\n\n".join(lines)


def _trailing_tool_results(messages: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    names: dict[str, str] = {}
    for message in messages:
        for call in message.get("tool_calls") or ():
            if isinstance(call, Mapping):
                function = call.get("function") or {}
                names[str(call.get("id"))] = str(function.get("name", "tool"))
    results: list[tuple[str, str]] = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        name = names.get(str(message.get("tool_call_id")), str(message.get("name") or "tool"))
        results.append((name, _squash(message_text(message.get("content")), _TOOL_RESULT_CHARS)))
    results.reverse()
    return results


def _chosen_tool(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    tools = [t for t in body.get("tools") or () if isinstance(t, Mapping)]
    choice = body.get("tool_choice")
    if not tools or choice == "none":
        return None
    if isinstance(choice, Mapping):
        wanted = (choice.get("function") or {}).get("name")
        for tool in tools:
            if (tool.get("function") or {}).get("name") == wanted:
                return tool
    return tools[0]


def _cut(text: str, body: Mapping[str, Any]) -> tuple[str, str, bool]:
    """Apply ``stop`` then ``max_tokens``; return (text, finish_reason, stopped_on_sequence)."""
    stops = body.get("stop")
    sequences = (
        [stops] if isinstance(stops, str) else [s for s in stops or () if isinstance(s, str)]
    )
    positions = [text.find(s) for s in sequences if s and s in text]
    finish, on_sequence = "stop", False
    if positions:
        text, on_sequence = text[: min(positions)], True
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if isinstance(limit, bool) or not isinstance(limit, int):
        limit = None
    if limit is not None and limit >= 0 and text_tokens(text) > limit:
        text, finish, on_sequence = text[: 4 * limit], "length", False
    return text, finish, on_sequence


def _reasoning(
    body: Mapping[str, Any], route: Route, plan: str, said: str
) -> tuple[str | None, tuple[dict[str, Any], ...] | None, int]:
    request = reasoning_request(body)
    if not request.specified and route.reasoning_by_default:
        request = ReasoningRequest(enabled=True)
    if not request.enabled or not route.supports("reasoning"):
        return None, None, 0
    text = f"The user wrote: {_squash(said, 80) or '(nothing)'}. I should {plan}."
    if request.max_tokens is not None:
        text = text[: 4 * request.max_tokens]
    tokens = text_tokens(text)
    if request.exclude:
        return None, None, tokens
    return text, reasoning_details_for(route.family, text), tokens


def generic_completion(
    body: Mapping[str, Any], route: Route, new_call_id: NewCallId
) -> tuple[Completion, int]:
    """Answer a chat request with the generic model (rules in the module docstring).

    Args:
        body: The parsed request body.
        route: Where the request is served.
        new_call_id: Generates tool-call ids.

    Returns:
        The completion and its reasoning token count.
    """
    messages = _messages(body)
    last_user = _last_user(messages)
    said = message_text(last_user.get("content")) if last_user else ""
    last_is_tool = bool(messages) and messages[-1].get("role") == "tool"
    tool_results = _trailing_tool_results(messages) if last_is_tool else []
    tool = None if last_is_tool else _chosen_tool(body)
    raw_format = body.get("response_format")
    response_format: Mapping[str, Any] = raw_format if isinstance(raw_format, Mapping) else {}
    format_type = response_format.get("type")

    if tool is not None:
        function = tool.get("function") or {}
        name = str(function.get("name", "tool"))
        arguments = instance_for_schema(
            function.get("parameters") or {"type": "object", "properties": {}},
            hints_from_text(said),
        )
        if not isinstance(arguments, Mapping):
            arguments = {}
        reasoning, details, reasoning_tokens = _reasoning(
            body, route, f"call the {name} tool with values from the request", said
        )
        call = ToolCall(new_call_id(name, 0), name, json.dumps(arguments, ensure_ascii=False))
        completion = Completion(
            content="",
            reasoning=reasoning,
            reasoning_details=details,
            tool_calls=(call,),
            finish_reason="tool_calls",
            native_finish_reason=native_finish_reason(route.family, "tool_calls"),
        )
        return completion, reasoning_tokens

    if format_type == "json_schema":
        json_schema = response_format.get("json_schema") or {}
        context = " ".join([content for _, content in tool_results] + [said])
        value = instance_for_schema(json_schema.get("schema") or {}, hints_from_text(context))
        text, plan = json.dumps(value, ensure_ascii=False), "answer with JSON matching the schema"
    elif format_type == "json_object":
        text = json.dumps({"response": _echo(messages)}, ensure_ascii=False)
        plan = "answer with a JSON object"
    elif tool_results:
        lines = [f"- {name}: {content}" for name, content in tool_results]
        text, plan = "Here is what the tools returned:\n" + "\n".join(lines), "report the results"
    else:
        text, plan = _echo(messages), "reply deterministically"

    reasoning, details, reasoning_tokens = _reasoning(body, route, plan, said)
    text, finish, on_sequence = _cut(text, body)
    completion = Completion(
        content=text,
        reasoning=reasoning,
        reasoning_details=details,
        finish_reason=finish,
        native_finish_reason=native_finish_reason(route.family, finish, stop_sequence=on_sequence),
    )
    return completion, reasoning_tokens
