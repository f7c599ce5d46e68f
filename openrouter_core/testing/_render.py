"""Render completions as OpenRouter wire bodies: JSON responses, SSE chunks, error bodies.

Pure functions: they take plain values and return JSON-ready dicts or bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "SSE_DONE",
    "Completion",
    "ResponseMeta",
    "ToolCall",
    "UsageChunkMode",
    "completion_body",
    "content_chunks",
    "dumps",
    "error_body",
    "error_chunk",
    "keepalive_bytes",
    "processing_comment",
    "split_text",
    "sse_event",
    "stream_chunks",
]

UsageChunkMode = Literal["repeat_finish", "empty_choices", "separate"]
"""Shape of the final usage chunk of a stream (see the three observed variants)."""

SSE_DONE = b"data: [DONE]\n\n"
"""The stream terminator event."""

_KEEPALIVE_BLOCK = "\n         \n"


def dumps(payload: Any) -> bytes:
    """Serialize compactly (no spaces), UTF-8, like the real API."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def sse_event(payload: Any) -> bytes:
    """Return one ``data: <json>`` SSE event."""
    return b"data: " + dumps(payload) + b"\n\n"


def processing_comment() -> bytes:
    """Return one ``: OPENROUTER PROCESSING`` comment line followed by a blank line."""
    return b": OPENROUTER PROCESSING\n\n"


def keepalive_bytes(count: int) -> bytes:
    """Return ``count`` bytes of the keep-alive whitespace pattern (newline, 9 spaces, newline)."""
    if count <= 0:
        return b""
    blocks = _KEEPALIVE_BLOCK * (count // len(_KEEPALIVE_BLOCK) + 1)
    return blocks[:count].encode()


def split_text(text: str, size: int) -> list[str]:
    """Split ``text`` into pieces of ``size`` characters (at least one piece when non-empty)."""
    size = max(1, size)
    return [text[i : i + size] for i in range(0, len(text), size)]


@dataclass(frozen=True)
class ToolCall:
    """One function call in an assistant message.

    Attributes:
        id: The tool-call id.
        name: The function name.
        arguments: The arguments as sent on the wire (a JSON string, or anything scripted).
    """

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Completion:
    """What the assistant says, independent of streaming.

    Attributes:
        content: Message content (``None`` renders as JSON null).
        reasoning: Visible reasoning text (``None`` when absent or excluded).
        reasoning_details: ``reasoning_details`` entries (``None`` when absent or excluded).
        tool_calls: Function calls.
        finish_reason: Normalized finish reason.
        native_finish_reason: The provider's raw finish reason.
        annotations: ``message.annotations`` (e.g. URL citations), if any.
        error: A ``choices[].error`` object for partially failed non-streaming completions.
        images: Generated images, as ``data:`` URLs (``message.images``).
    """

    content: str | None
    reasoning: str | None = None
    reasoning_details: tuple[Mapping[str, Any], ...] | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = "stop"
    native_finish_reason: str | None = None
    annotations: Sequence[Any] | None = None
    error: Mapping[str, Any] | None = None
    images: tuple[str, ...] = ()


def _images(urls: Sequence[str]) -> list[dict[str, Any]]:
    return [{"type": "image_url", "image_url": {"url": url}} for url in urls]


@dataclass(frozen=True)
class ResponseMeta:
    """Identity fields repeated on every response and chunk.

    Attributes:
        id: Generation id.
        created: Unix timestamp.
        model: The served model.
        provider: Provider display name.
        service_tier: ``service_tier`` value (``"default"`` for OpenAI, else ``None``).
        extra: Extra top-level keys (rarely used).
    """

    id: str
    created: int
    model: str
    provider: str
    service_tier: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def _message(completion: Completion) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": completion.content,
        "refusal": None,
        "reasoning": completion.reasoning,
    }
    if completion.reasoning_details is not None:
        message["reasoning_details"] = [dict(d) for d in completion.reasoning_details]
    if completion.tool_calls:
        message["tool_calls"] = [
            {
                "type": "function",
                "index": index,
                "id": call.id,
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for index, call in enumerate(completion.tool_calls)
        ]
    if completion.annotations is not None:
        message["annotations"] = list(completion.annotations)
    if completion.images:
        message["images"] = _images(completion.images)
    return message


def completion_body(
    meta: ResponseMeta, completion: Completion, usage: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Build a non-streaming ``chat.completion`` body (real key order, see ``rl_chat_basic``).

    Args:
        meta: Identity fields.
        completion: The assistant turn.
        usage: The ``usage`` object, or ``None`` to omit it.

    Returns:
        The JSON-ready body.
    """
    choice: dict[str, Any] = {
        "index": 0,
        "logprobs": None,
        "finish_reason": completion.finish_reason,
        "native_finish_reason": completion.native_finish_reason,
        "message": _message(completion),
    }
    if completion.error is not None:
        choice["error"] = dict(completion.error)
    body: dict[str, Any] = {
        "id": meta.id,
        "object": "chat.completion",
        "created": meta.created,
        "model": meta.model,
        "provider": meta.provider,
        **meta.extra,
        "system_fingerprint": None,
        "service_tier": meta.service_tier,
        "choices": [choice],
    }
    if usage is not None:
        body["usage"] = dict(usage)
    return body


def _chunk(
    meta: ResponseMeta,
    delta: Mapping[str, Any] | None,
    *,
    finish_reason: str | None = None,
    native_finish_reason: str | None = None,
) -> dict[str, Any]:
    choices: list[dict[str, Any]] = []
    if delta is not None:
        choices.append(
            {
                "index": 0,
                "delta": dict(delta),
                "finish_reason": finish_reason,
                "native_finish_reason": native_finish_reason,
            }
        )
    return {
        "id": meta.id,
        "object": "chat.completion.chunk",
        "created": meta.created,
        "model": meta.model,
        "provider": meta.provider,
        **meta.extra,
        "choices": choices,
    }


def _reasoning_deltas(completion: Completion, chunk_chars: int) -> list[dict[str, Any]]:
    """Split reasoning details into fragments: same type/index/format, signature on the last."""
    deltas: list[dict[str, Any]] = []
    details = completion.reasoning_details
    if details is None:
        if completion.reasoning:
            deltas.extend(
                {"content": "", "role": "assistant", "reasoning": piece}
                for piece in split_text(completion.reasoning, chunk_chars)
            )
        return deltas
    for detail in details:
        text_key = {"reasoning.text": "text", "reasoning.summary": "summary"}.get(
            str(detail.get("type"))
        )
        text = detail.get(text_key) if text_key else None
        if text_key is None or not isinstance(text, str) or not text:
            deltas.append({"content": "", "role": "assistant", "reasoning_details": [dict(detail)]})
            continue
        pieces = split_text(text, chunk_chars)
        for number, piece in enumerate(pieces):
            fragment = {k: v for k, v in detail.items() if k != "signature"}
            fragment[text_key] = piece
            if number == len(pieces) - 1 and "signature" in detail:
                fragment["signature"] = detail["signature"]
            deltas.append(
                {
                    "content": "",
                    "role": "assistant",
                    "reasoning": piece,
                    "reasoning_details": [fragment],
                }
            )
    return deltas


def _tool_call_deltas(
    calls: Sequence[ToolCall], chunk_chars: int, *, same_chunk: bool
) -> list[dict[str, Any]]:
    if not calls:
        return []
    if same_chunk:
        return [
            {
                "content": None,
                "role": "assistant",
                "tool_calls": [
                    {
                        "index": index,
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": call.arguments},
                    }
                    for index, call in enumerate(calls)
                ],
            }
        ]
    deltas: list[dict[str, Any]] = []
    for index, call in enumerate(calls):
        deltas.append(
            {
                "content": None,
                "role": "assistant",
                "tool_calls": [
                    {
                        "index": index,
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": ""},
                    }
                ],
            }
        )
        deltas.extend(
            {
                "content": None,
                "role": "assistant",
                "tool_calls": [{"index": index, "function": {"arguments": piece}}],
            }
            for piece in split_text(call.arguments, chunk_chars)
        )
    return deltas


def _content_deltas(text: str, chunk_chars: int) -> list[dict[str, Any]]:
    """Content deltas (role on every delta, as Claude sends it)."""
    return [{"content": piece, "role": "assistant"} for piece in split_text(text, chunk_chars)]


def content_chunks(meta: ResponseMeta, text: str, chunk_chars: int) -> list[dict[str, Any]]:
    """Return plain content chunks for ``text`` (no finish or usage chunk).

    Args:
        meta: Identity fields.
        text: The text to stream.
        chunk_chars: Characters per chunk.

    Returns:
        One chunk per ``chunk_chars`` characters.
    """
    return [_chunk(meta, delta) for delta in _content_deltas(text, chunk_chars)]


def stream_chunks(
    meta: ResponseMeta,
    completion: Completion,
    usage: Mapping[str, Any] | None,
    *,
    chunk_chars: int,
    usage_chunk: UsageChunkMode,
    same_chunk: bool = False,
) -> list[dict[str, Any]]:
    """Build the data chunks of a streamed completion (without comments and ``[DONE]``).

    Order: reasoning fragments, content deltas, the images (all in one delta, as observed),
    tool-call deltas, an annotations delta, the finish chunk, then the usage chunk shaped by
    ``usage_chunk``.

    Args:
        meta: Identity fields.
        completion: The assistant turn.
        usage: The usage object (``None``: no usage chunk).
        chunk_chars: Characters per text fragment.
        usage_chunk: Final usage chunk shape.
        same_chunk: Send every tool call, complete, in one chunk.

    Returns:
        The chunk payloads in order.
    """
    deltas = _reasoning_deltas(completion, chunk_chars)
    deltas += _content_deltas(completion.content or "", chunk_chars)
    if completion.images:
        deltas.append({"content": "", "role": "assistant", "images": _images(completion.images)})
    deltas += _tool_call_deltas(completion.tool_calls, chunk_chars, same_chunk=same_chunk)
    if completion.annotations is not None:
        deltas.append(
            {"content": "", "role": "assistant", "annotations": list(completion.annotations)}
        )
    if not deltas:
        deltas.append({"content": "", "role": "assistant"})
    chunks = [_chunk(meta, delta) for delta in deltas]
    finish_delta = {"content": "", "role": "assistant"}
    finish = _chunk(
        meta,
        finish_delta,
        finish_reason=completion.finish_reason,
        native_finish_reason=completion.native_finish_reason,
    )
    chunks.append(finish)
    if usage is None:
        return chunks
    if usage_chunk == "repeat_finish":
        final = _chunk(
            meta,
            finish_delta,
            finish_reason=completion.finish_reason,
            native_finish_reason=completion.native_finish_reason,
        )
        choices = final.pop("choices")
        final["service_tier"] = meta.service_tier
        final["choices"] = choices
    elif usage_chunk == "empty_choices":
        final = _chunk(meta, None)
    else:
        final = _chunk(meta, finish_delta)
    final["usage"] = dict(usage)
    chunks.append(final)
    return chunks


def error_chunk(
    meta: ResponseMeta,
    error: Mapping[str, Any],
    *,
    finish_reason: str | None,
    usage: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Build a mid-stream error chunk: top-level ``error``, one empty choice, usage attached.

    Args:
        meta: Identity fields.
        error: ``{"code", "message", "metadata"?}``.
        finish_reason: ``"error"`` (documented) or ``None`` (observed).
        usage: Usage so far, or ``None``.

    Returns:
        The chunk payload.
    """
    chunk = _chunk(meta, None)
    chunk.pop("choices")
    chunk["error"] = dict(error)
    chunk["choices"] = [
        {
            "index": 0,
            "delta": {"role": "assistant", "content": ""},
            "finish_reason": finish_reason,
            "native_finish_reason": None,
        }
    ]
    if usage is not None:
        chunk["usage"] = dict(usage)
    return chunk


def error_body(
    code: int,
    message: str,
    *,
    metadata: Mapping[str, Any] | None = None,
    user_id: str | None = None,
) -> dict[str, Any]:
    """Build an error body ``{"error": {"message", "code", "metadata"?}, "user_id"?}``.

    Args:
        code: ``error.code`` (normally the HTTP status).
        message: ``error.message``.
        metadata: ``error.metadata``, if any.
        user_id: Top-level ``user_id``, if any.

    Returns:
        The JSON-ready body.
    """
    error: dict[str, Any] = {"message": message, "code": code}
    if metadata is not None:
        error["metadata"] = dict(metadata)
    body: dict[str, Any] = {"error": error}
    if user_id is not None:
        body["user_id"] = user_id
    return body
