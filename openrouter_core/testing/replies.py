"""Scripted replies for :class:`~openrouter_core.testing.OpenRouterEmulator`.

Queue them with :meth:`OpenRouterEmulator.enqueue`; each request to ``POST /chat/completions``
consumes one (FIFO) and the emulator renders it in the mode the request asked for (JSON or SSE).
When the queue is empty the emulator's deterministic generic model answers. Scripted content is
sent verbatim (``stop`` and ``max_tokens`` are not applied to it); usage is computed from the
request and the scripted content with the emulator's token rule, and scripted replies are served
even for model ids missing from the catalog (reported as requested, priced at zero).

Every constructor accepts the rendering options of :class:`ReplyOptions` as keyword arguments:
``delay`` (seconds before anything is sent), ``chunk_delay`` (seconds between SSE events),
``keepalive_whitespace`` (bytes of newline/space keep-alive padding before a JSON body),
``processing_comments`` (``: OPENROUTER PROCESSING`` lines before the first SSE event),
``usage_chunk`` (``"repeat_finish"``, ``"empty_choices"`` or ``"separate"``) and ``chunk_chars``
(characters per streamed text fragment). Unset options use the emulator's defaults.

Example:
    .. code-block:: python

        from openrouter_core.testing import OpenRouterEmulator, replies

        with OpenRouterEmulator() as emu:
            emu.enqueue(replies.error(429, "Rate limited", headers={"Retry-After": "1"}))
            emu.enqueue(replies.text("Hello!", usage={"cost": None}))
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from openrouter_core.testing._render import UsageChunkMode
from openrouter_core.testing._usage import JSON_NULL

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "JSON_NULL",
    "DropConnectionReply",
    "ErrorIn200Reply",
    "ErrorReply",
    "MidstreamErrorReply",
    "Reply",
    "ReplyOptions",
    "ScriptedToolCall",
    "StallReply",
    "TextReply",
    "ToolCallsReply",
    "drop_connection",
    "error",
    "error_in_200",
    "midstream_error",
    "stall",
    "text",
    "tool_calls",
]


class ReplyOptions(TypedDict, total=False):
    """Rendering options accepted by every reply constructor (all optional).

    Attributes:
        delay: Seconds to wait before sending the response.
        chunk_delay: Seconds to wait before each SSE data event.
        keepalive_whitespace: Bytes of keep-alive whitespace before a non-streaming JSON body.
        processing_comments: ``: OPENROUTER PROCESSING`` comments before the first SSE event.
        usage_chunk: Shape of the final usage chunk of a stream.
        chunk_chars: Characters of text per streamed delta.
    """

    delay: float
    chunk_delay: float
    keepalive_whitespace: int
    processing_comments: int
    usage_chunk: UsageChunkMode
    chunk_chars: int


@dataclass(frozen=True)
class Reply:
    """Base class of scripted replies: the rendering options (``None`` = emulator default).

    Attributes:
        delay: Seconds to wait before sending the response.
        chunk_delay: Seconds to wait before each SSE data event.
        keepalive_whitespace: Bytes of keep-alive whitespace before a JSON body.
        processing_comments: ``: OPENROUTER PROCESSING`` comments before the first SSE event.
        usage_chunk: Shape of the final usage chunk of a stream.
        chunk_chars: Characters of text per streamed delta.
    """

    delay: float = field(default=0.0, kw_only=True)
    chunk_delay: float = field(default=0.0, kw_only=True)
    keepalive_whitespace: int | None = field(default=None, kw_only=True)
    processing_comments: int | None = field(default=None, kw_only=True)
    usage_chunk: UsageChunkMode | None = field(default=None, kw_only=True)
    chunk_chars: int | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class ScriptedToolCall:
    """One scripted function call.

    Attributes:
        name: Function name.
        arguments: JSON-encoded arguments, sent verbatim (may be malformed on purpose).
        id: Tool-call id, or ``None`` to generate one in the provider's style.
    """

    name: str
    arguments: str
    id: str | None = None


@dataclass(frozen=True)
class TextReply(Reply):
    """A normal assistant answer. See :func:`text`."""

    content: str | None = None
    reasoning: str | None = None
    reasoning_details: tuple[Mapping[str, Any], ...] | None = None
    model: str | None = None
    provider: str | None = None
    usage: Mapping[str, Any] | None = None
    finish_reason: str | None = "stop"
    native_finish_reason: str | None = None
    annotations: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class ToolCallsReply(Reply):
    """An assistant turn that calls functions. See :func:`tool_calls`."""

    calls: tuple[ScriptedToolCall, ...] = ()
    content: str | None = ""
    same_chunk: bool = False
    reasoning: str | None = None
    reasoning_details: tuple[Mapping[str, Any], ...] | None = None
    model: str | None = None
    provider: str | None = None
    usage: Mapping[str, Any] | None = None
    finish_reason: str | None = "tool_calls"
    native_finish_reason: str | None = None


@dataclass(frozen=True)
class ErrorReply(Reply):
    """An HTTP error response. See :func:`error`."""

    status: int = 500
    message: str = "Internal Server Error"
    metadata: Mapping[str, Any] | None = None
    headers: Mapping[str, str] | None = None
    body: Any = None


@dataclass(frozen=True)
class ErrorIn200Reply(Reply):
    """HTTP 200 whose body is an error object. See :func:`error_in_200`."""

    message: str = "Provider returned error"
    code: int = 502
    metadata: Mapping[str, Any] | None = None
    usage: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class MidstreamErrorReply(Reply):
    """A stream that fails after some content. See :func:`midstream_error`."""

    after_chunks: int = 1
    code: int | str = 502
    message: str = "Provider returned error"
    finish_reason: str | None = "error"
    metadata: Mapping[str, Any] | None = None
    usage: Mapping[str, Any] | None = None
    content: str | None = None


@dataclass(frozen=True)
class DropConnectionReply(Reply):
    """A response cut off by closing the socket. See :func:`drop_connection`."""

    after_chunks: int = 1
    content: str | None = None


@dataclass(frozen=True)
class StallReply(Reply):
    """Wait, then answer with ``then`` (or the generic model). See :func:`stall`."""

    seconds: float = 60.0
    then: Reply | None = None


def _details(details: Sequence[Mapping[str, Any]] | None) -> tuple[Mapping[str, Any], ...] | None:
    return None if details is None else tuple(dict(d) for d in details)


def text(
    content: str | None,
    *,
    reasoning: str | None = None,
    reasoning_details: Sequence[Mapping[str, Any]] | None = None,
    model: str | None = None,
    provider: str | None = None,
    usage: Mapping[str, Any] | None = None,
    finish_reason: str | None = "stop",
    native_finish_reason: str | None = None,
    annotations: Sequence[Any] | None = None,
    **options: Unpack[ReplyOptions],
) -> TextReply:
    """Script a text answer.

    Args:
        content: The message content (``None`` sends JSON null).
        reasoning: Reasoning text; ``reasoning_details`` are generated in the model family's
            format unless given.
        reasoning_details: Explicit ``reasoning_details`` entries.
        model: Served model to report (default: the routed model).
        provider: Provider to report (default: the routed provider).
        usage: Merged over the computed usage: ``None`` values remove keys (e.g.
            ``{"cost": None}``), :data:`JSON_NULL` sends null, nested dicts merge.
        finish_reason: Normalized finish reason.
        native_finish_reason: Raw finish reason (default: the model family's equivalent).
        annotations: ``message.annotations`` entries.
        **options: Rendering options (:class:`ReplyOptions`).

    Returns:
        The reply.
    """
    return TextReply(
        content=content,
        reasoning=reasoning,
        reasoning_details=_details(reasoning_details),
        model=model,
        provider=provider,
        usage=usage,
        finish_reason=finish_reason,
        native_finish_reason=native_finish_reason,
        annotations=None if annotations is None else tuple(annotations),
        **options,
    )


def tool_calls(
    calls: Sequence[Mapping[str, Any]],
    *,
    content: str | None = "",
    same_chunk: bool = False,
    reasoning: str | None = None,
    reasoning_details: Sequence[Mapping[str, Any]] | None = None,
    model: str | None = None,
    provider: str | None = None,
    usage: Mapping[str, Any] | None = None,
    finish_reason: str | None = "tool_calls",
    native_finish_reason: str | None = None,
    **options: Unpack[ReplyOptions],
) -> ToolCallsReply:
    """Script an assistant turn that calls functions.

    Args:
        calls: ``{"name": str, "arguments": dict | str, "id": str (optional)}`` entries; a ``str``
            ``arguments`` is sent verbatim, so malformed JSON can be scripted.
        content: Message content sent alongside the calls.
        same_chunk: When streaming, send every call (id, name and full arguments) in one chunk
            instead of an opening delta followed by argument fragments.
        reasoning: Reasoning text (see :func:`text`).
        reasoning_details: Explicit ``reasoning_details``.
        model: Served model to report.
        provider: Provider to report.
        usage: Usage override (see :func:`text`).
        finish_reason: Normalized finish reason.
        native_finish_reason: Raw finish reason.
        **options: Rendering options (:class:`ReplyOptions`).

    Returns:
        The reply.

    Raises:
        ValueError: A call has no name.
    """
    scripted = []
    for call in calls:
        name = call.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError("every scripted tool call needs a 'name'")
        arguments = call.get("arguments", {})
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, ensure_ascii=False)
        call_id = call.get("id")
        scripted.append(
            ScriptedToolCall(name, arguments, None if call_id is None else str(call_id))
        )
    return ToolCallsReply(
        calls=tuple(scripted),
        content=content,
        same_chunk=same_chunk,
        reasoning=reasoning,
        reasoning_details=_details(reasoning_details),
        model=model,
        provider=provider,
        usage=usage,
        finish_reason=finish_reason,
        native_finish_reason=native_finish_reason,
        **options,
    )


def error(
    status: int,
    message: str,
    *,
    metadata: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    body: Any = None,
    **options: Unpack[ReplyOptions],
) -> ErrorReply:
    """Script an HTTP error (sent as JSON, also when the request streams).

    The body is ``{"error": {"message", "code": status, "metadata"?}, "user_id": "user_..."}``
    (no ``user_id`` for 401, as observed).

    Args:
        status: HTTP status, also used as ``error.code``.
        message: ``error.message``.
        metadata: ``error.metadata`` (e.g. ``{"provider_name": "Google", "raw": "..."}``).
        headers: Extra response headers (e.g. ``{"Retry-After": "1"}``).
        body: Replace the whole body verbatim (a dict/list is JSON-encoded; str/bytes sent as is).
        **options: Rendering options (:class:`ReplyOptions`).

    Returns:
        The reply.
    """
    return ErrorReply(
        status=status,
        message=message,
        metadata=metadata,
        headers=headers,
        body=body,
        **options,
    )


def error_in_200(
    message: str,
    code: int,
    *,
    metadata: Mapping[str, Any] | None = None,
    usage: Mapping[str, Any] | None = None,
    **options: Unpack[ReplyOptions],
) -> ErrorIn200Reply:
    """Script an HTTP 200 whose body is ``{"error": {...}}`` with no ``choices``.

    When the request streams, the error arrives as a single SSE error chunk (as
    :func:`midstream_error` with no content) followed by ``data: [DONE]``.

    Args:
        message: ``error.message``.
        code: ``error.code``.
        metadata: ``error.metadata``.
        usage: ``None``: no usage; a dict is merged over the prompt-only computed usage (``{}``
            sends the computed usage unchanged).
        **options: Rendering options (:class:`ReplyOptions`).

    Returns:
        The reply.
    """
    return ErrorIn200Reply(message=message, code=code, metadata=metadata, usage=usage, **options)


def midstream_error(
    after_chunks: int,
    code: int | str,
    message: str,
    *,
    finish_reason: str | None = "error",
    metadata: Mapping[str, Any] | None = None,
    usage: Mapping[str, Any] | None = None,
    content: str | None = None,
    **options: Unpack[ReplyOptions],
) -> MidstreamErrorReply:
    """Script a provider failure after partial output.

    Streaming: ``after_chunks`` content chunks, then a chunk with top-level ``error``,
    ``choices: [{"index": 0, "delta": {"content": ""}, "finish_reason": finish_reason}]`` and the
    usage so far, then ``data: [DONE]``. Non-streaming: HTTP 200 with the partial content,
    ``finish_reason`` and ``choices[0].error``.

    Args:
        after_chunks: Content chunks sent before the error.
        code: ``error.code``.
        message: ``error.message``.
        finish_reason: ``"error"`` (documented) or ``None`` (observed in the wild).
        metadata: ``error.metadata``.
        usage: Merged over the usage so far (see :func:`text`).
        content: The text being streamed (default: the generic model's answer).
        **options: Rendering options (:class:`ReplyOptions`).

    Returns:
        The reply.
    """
    return MidstreamErrorReply(
        after_chunks=after_chunks,
        code=code,
        message=message,
        finish_reason=finish_reason,
        metadata=metadata,
        usage=usage,
        content=content,
        **options,
    )


def drop_connection(
    after_chunks: int, *, content: str | None = None, **options: Unpack[ReplyOptions]
) -> DropConnectionReply:
    """Script a connection dropped mid-response.

    Streaming: the processing comments and ``after_chunks`` content chunks are sent, then the
    socket is closed without the terminating chunk of the chunked body. Non-streaming: the
    headers and part of the body are sent (fewer bytes than ``Content-Length``), then the socket
    is closed. Clients see an incomplete body, never a clean end.

    Args:
        after_chunks: Content chunks sent before closing.
        content: The text being streamed (default: the generic model's answer).
        **options: Rendering options (:class:`ReplyOptions`).

    Returns:
        The reply.
    """
    return DropConnectionReply(after_chunks=after_chunks, content=content, **options)


def stall(
    seconds: float, *, then: Reply | None = None, **options: Unpack[ReplyOptions]
) -> StallReply:
    """Script a reply that waits before sending anything (for client timeout tests).

    Args:
        seconds: How long to wait before responding.
        then: What to send after the wait (default: the generic model's answer).
        **options: Rendering options (:class:`ReplyOptions`).

    Returns:
        The reply.
    """
    return StallReply(seconds=seconds, then=then, **options)
