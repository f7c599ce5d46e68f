"""The one reader of a chat completion: every fact both frameworks show, read once, in one way.

:func:`read_answer` reads a response body, or the completion a
:class:`~openrouter_core.streaming.StreamAccumulator` built from a stream (the same shape), into
an :class:`Answer`: text, reasoning (:func:`read_reasoning`, the one fallback rule),
``reasoning_details``, tool calls with their arguments parsed (:func:`parse_arguments`: malformed
JSON is reported, never raised), refusal, annotations, logprobs, the served model, provider and
generation id, and the usage. The framework adapters only map an :class:`Answer` to their own
objects, so a plain call and a stream of the same answer give the same message in both.

Nothing here sends a request or imports the ``openai`` SDK.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from openrouter_core import _json
from openrouter_core.usage import (
    OpenRouterUsage,
    TokenCounts,
    nonempty_str,
    parse_tokens,
    parse_usage,
)

__all__ = [
    "Answer",
    "Image",
    "ParsedArguments",
    "ToolCall",
    "parse_arguments",
    "read_answer",
    "read_answers",
    "read_images",
    "read_reasoning",
    "read_text",
    "read_tool_calls",
]


def read_reasoning(message: Mapping[str, Any]) -> str | None:
    """The reasoning text of a message or a stream delta: the one rule.

    OpenRouter sends ``reasoning``; a few upstreams send ``reasoning_content`` instead. The
    first non-empty string of the two wins; ``null``, ``""`` or anything else means no
    reasoning (``None``), for a whole message and for one chunk alike.
    """
    for key in ("reasoning", "reasoning_content"):
        value = message.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def read_text(content: Any) -> str:
    """The text of a message's ``content``: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text") or "")
            for part in content
            if isinstance(part, Mapping) and part.get("type") == "text"
        )
    return ""


@dataclasses.dataclass(frozen=True, slots=True)
class ParsedArguments:
    """Tool-call arguments parsed from the JSON string a model produced.

    Attributes:
        args: The arguments as a dict, or ``None`` when they are not a JSON object.
        raw: The string as received.
        error: Why parsing failed, or ``None``.
    """

    args: dict[str, Any] | None
    raw: str
    error: str | None


def parse_arguments(raw: str | None) -> ParsedArguments:
    """Parse tool-call arguments; empty means ``{}``, malformed JSON is reported, not raised."""
    text = raw or ""
    if not text.strip():
        return ParsedArguments({}, text, None)
    try:
        value = _json.loads(text)
    except _json.JSONDecodeError as exc:
        return ParsedArguments(None, text, f"arguments are not valid JSON: {exc}")
    if not isinstance(value, dict):
        return ParsedArguments(
            None, text, f"arguments must be a JSON object, got {type(value).__name__}"
        )
    return ParsedArguments(value, text, None)


@dataclasses.dataclass(frozen=True, slots=True)
class Image:
    """An image the model generated (``message.images[]``, asked for with ``modalities``).

    Attributes:
        url: The image as sent: a ``data:`` URL (what OpenRouter sends) or a link.
        mime_type: The data URL's media type, e.g. ``"image/png"`` (``None`` for a link).
        base64: The data URL's base64 payload (``None`` for a link).
    """

    url: str
    mime_type: str | None = None
    base64: str | None = None


def read_images(raw_images: Any) -> tuple[Image, ...]:
    """Read ``message.images`` (or a stream's ``delta.images``): ``image_url.url`` entries."""
    images: list[Image] = []
    if not isinstance(raw_images, list):
        return ()
    for raw in raw_images:
        holder = raw.get("image_url") if isinstance(raw, Mapping) else None
        url = holder.get("url") if isinstance(holder, Mapping) else None
        if not isinstance(url, str) or not url:
            continue
        header, comma, payload = url.partition(",")
        if url.startswith("data:") and comma and header.endswith(";base64"):
            mime = header[len("data:") : -len(";base64")] or None
            images.append(Image(url=url, mime_type=mime, base64=payload))
        else:
            images.append(Image(url=url))
    return tuple(images)


@dataclasses.dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call of an answer.

    Attributes:
        id: The call id the tool result must name (``None`` when the upstream sent none).
        name: The tool's name (``""`` when missing).
        arguments: The arguments as the JSON text received.
        args: The arguments parsed, or ``None`` when they are not a JSON object.
        error: Why ``args`` is ``None``.
        index: The call's position in the answer.
        type: ``"function"`` for every call a model makes today.
    """

    id: str | None
    name: str
    arguments: str
    args: dict[str, Any] | None
    error: str | None
    index: int
    type: str = "function"

    def to_wire(self) -> dict[str, Any]:
        """The call in OpenAI shape (``arguments`` as JSON text), as sent back in a request."""
        return {
            "id": self.id,
            "type": self.type,
            "function": {"name": self.name, "arguments": self.arguments},
        }


def read_tool_calls(raw_calls: Any) -> tuple[ToolCall, ...]:
    """Read the ``tool_calls`` of a message; arguments sent as an object are kept as such."""
    calls: list[ToolCall] = []
    if not isinstance(raw_calls, list):
        return ()
    for position, raw in enumerate(raw_calls):
        if not isinstance(raw, Mapping):
            continue
        function = raw.get("function")
        function = function if isinstance(function, Mapping) else {}
        arguments = function.get("arguments")
        if isinstance(arguments, Mapping):
            parsed = ParsedArguments(dict(arguments), _json.dumps(arguments), None)
        else:
            parsed = parse_arguments(arguments if isinstance(arguments, str) else None)
        index = raw.get("index")
        kind = raw.get("type")
        calls.append(
            ToolCall(
                id=nonempty_str(raw.get("id")),
                name=nonempty_str(function.get("name")) or "",
                arguments=parsed.raw,
                args=parsed.args,
                error=parsed.error,
                index=index if isinstance(index, int) and not isinstance(index, bool) else position,
                type=kind if isinstance(kind, str) and kind else "function",
            )
        )
    return tuple(calls)


@dataclasses.dataclass(slots=True)
class Answer:
    """One choice of a chat completion, read once for every framework (treat it as read-only).

    Attributes:
        id: OpenRouter's ``gen-...`` id.
        model: The model that answered, as OpenRouter reported it.
        provider: The provider that served it (``"Amazon Bedrock"``...).
        created: The response's ``created`` timestamp.
        object: The response's ``object`` (``"chat.completion"``).
        system_fingerprint: As sent (usually ``None``).
        service_tier: As sent (usually ``None``).
        finish_reason: OpenRouter's normalised finish reason.
        native_finish_reason: The provider's own finish reason.
        text: The answer's text (``""`` when none).
        reasoning: The reasoning text (see :func:`read_reasoning`), ``None`` when none.
        reasoning_details: The ``reasoning_details`` entries exactly as received.
        tool_calls: The tool calls, arguments parsed.
        images: The images the model generated.
        refusal: A refusal message, when the model refused.
        annotations: Annotations (URL citations...) as received.
        logprobs: The choice's ``logprobs.content`` entries, ``None`` when not sent.
        tokens: The usage's token counts (on the first choice only), ``None`` when not
            reported; :attr:`usage` is the whole usage, costs included.
        raw_usage: The ``usage`` object as sent (on the first choice only).
        cost: ``usage.cost`` exactly as sent (a JSON number), ``None`` when not reported.
        cost_details: ``usage.cost_details`` as sent.
        is_byok: ``usage.is_byok`` as sent.
        index: The choice's index.
        requested_model: The model the request asked for, when the reader was told.
        fallback: Whether another model than the requested one answered (a ``models=[...]``
            fallback, an ``openrouter/auto`` choice); see
            :func:`openrouter_core.accounting.is_fallback`.
    """

    id: str | None = None
    model: str | None = None
    provider: str | None = None
    created: int | None = None
    object: str | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None
    finish_reason: str | None = None
    native_finish_reason: str | None = None
    text: str = ""
    reasoning: str | None = None
    reasoning_details: tuple[dict[str, Any], ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    images: tuple[Image, ...] = ()
    refusal: str | None = None
    annotations: tuple[Any, ...] = ()
    logprobs: tuple[Any, ...] | None = None
    tokens: TokenCounts | None = None
    raw_usage: Any = None
    cost: Any = None
    cost_details: Any = None
    is_byok: bool | None = None
    index: int = 0
    requested_model: str | None = None
    fallback: bool = False

    @property
    def usage(self) -> OpenRouterUsage | None:
        """The whole usage (costs as exact ``Decimal``), parsed when asked for."""
        return parse_usage(
            self.raw_usage, model=self.model, provider=self.provider, generation_id=self.id
        )

    @property
    def usage_details(self) -> frozenset[str]:
        """Which token details the usage reported (an unreported one is unknown, not zero)."""
        return self.tokens.reported if self.tokens is not None else frozenset()


def _choices(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    choices = body.get("choices")
    if not isinstance(choices, list):
        return []
    return [choice for choice in choices if isinstance(choice, Mapping)]


def _fallback(requested: str | None, served: str | None, base_url: str | None) -> bool:
    if not requested or not served or requested == served:
        return False
    return _is_fallback()(requested, served, base_url=base_url)


@functools.cache
def _is_fallback() -> Callable[..., bool]:
    from openrouter_core.accounting.names import is_fallback  # pure; loaded when names differ

    return is_fallback


def _answer(
    body: Mapping[str, Any],
    choice: Mapping[str, Any],
    *,
    with_usage: bool,
    position: int,
    requested: str | None,
    base_url: str | None,
) -> Answer:
    message = choice.get("message")
    message = message if isinstance(message, Mapping) else {}
    details = message.get("reasoning_details")
    annotations = message.get("annotations")
    logprobs = choice.get("logprobs")
    logprob_content = logprobs.get("content") if isinstance(logprobs, Mapping) else None
    raw_usage = body.get("usage") if with_usage else None
    usage = raw_usage if isinstance(raw_usage, Mapping) else {}
    byok = usage.get("is_byok")
    created = body.get("created")
    index = choice.get("index")
    served = nonempty_str(body.get("model"))
    return Answer(
        id=nonempty_str(body.get("id")),
        model=served,
        provider=nonempty_str(body.get("provider")),
        created=created if isinstance(created, int) and not isinstance(created, bool) else None,
        object=nonempty_str(body.get("object")),
        system_fingerprint=nonempty_str(body.get("system_fingerprint")),
        service_tier=nonempty_str(body.get("service_tier")),
        finish_reason=nonempty_str(choice.get("finish_reason")),
        native_finish_reason=nonempty_str(choice.get("native_finish_reason")),
        text=read_text(message.get("content")),
        reasoning=read_reasoning(message),
        reasoning_details=tuple(d for d in details if isinstance(d, dict))
        if isinstance(details, list)
        else (),
        tool_calls=read_tool_calls(message.get("tool_calls")),
        images=read_images(message.get("images")),
        refusal=nonempty_str(message.get("refusal")),
        annotations=tuple(annotations) if isinstance(annotations, list) else (),
        logprobs=tuple(logprob_content) if isinstance(logprob_content, list) else None,
        tokens=parse_tokens(raw_usage),
        raw_usage=raw_usage,
        cost=usage.get("cost"),
        cost_details=usage.get("cost_details"),
        is_byok=byok if isinstance(byok, bool) else None,
        index=index if isinstance(index, int) and not isinstance(index, bool) else position,
        requested_model=requested,
        fallback=_fallback(requested, served, base_url),
    )


def read_answers(
    body: Mapping[str, Any], *, requested: str | None = None, base_url: str | None = None
) -> list[Answer]:
    """Every choice of a (checked) completion body.

    The usage, which covers them all, is on the first only. A body without choices gives one
    empty answer carrying the metadata.

    Args:
        body: The response body.
        requested: The model the request asked for (to tell a fallback).
        base_url: The API root, whose model catalog may tell an alias from a fallback.
    """
    choices = _choices(body) or [{}]
    return [
        _answer(
            body,
            choice,
            with_usage=position == 0,
            position=position,
            requested=requested,
            base_url=base_url,
        )
        for position, choice in enumerate(choices)
    ]


def read_answer(
    body: Mapping[str, Any], *, requested: str | None = None, base_url: str | None = None
) -> Answer:
    """The first choice of a completion body (or of a stream's accumulated completion).

    See :func:`read_answers` for ``requested`` and ``base_url``.
    """
    choices = _choices(body)
    return _answer(
        body,
        choices[0] if choices else {},
        with_usage=True,
        position=0,
        requested=requested,
        base_url=base_url,
    )


def tool_calls_to_wire(calls: Sequence[ToolCall]) -> list[dict[str, Any]]:
    """Tool calls in the OpenAI shape a request's assistant message carries."""
    return [call.to_wire() for call in calls]
