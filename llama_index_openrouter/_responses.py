"""OpenRouter answers as LlamaIndex responses: ``ChatResponse`` and ``CompletionResponse``.

Every fact comes from the core reader (:func:`openrouter_core.response.read_answer`); this
module only maps an :class:`~openrouter_core.response.Answer` to LlamaIndex's objects. The last
response of a stream is built from the accumulated completion by the same functions as a plain
call (:func:`chat_response`, :func:`completion_response`), so both carry the same message and
metadata; the responses yielded while a stream runs (:func:`chat_delta`,
:func:`completion_delta`) hold the answer so far.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    ContentBlock,
    ImageBlock,
    LogProb,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from openrouter_core.response import Answer, Image, ToolCall, read_answer, read_images

if TYPE_CHECKING:
    from openrouter_core.streaming import StreamAccumulator, StreamDelta

__all__ = [
    "PARTIAL_KEY",
    "chat_delta",
    "chat_response",
    "completion_delta",
    "completion_response",
    "response_kwargs",
]

PARTIAL_KEY = "partial"
"""``ChatResponse.additional_kwargs`` key set to ``True`` on the responses yielded while a stream
is still running (every one but the last). Their tool-call arguments may be incomplete JSON."""


def response_kwargs(answer: Answer) -> dict[str, Any]:
    """The usage, cost and routing facts of an answer, for ``additional_kwargs``.

    Returns:
        ``prompt_tokens``, ``completion_tokens``, ``total_tokens`` (the names
        ``TokenCountingHandler`` reads), ``cached_tokens``, ``cache_write_tokens``,
        ``reasoning_tokens`` (all ``None`` when the response reported no usage), ``cost`` (the
        number as sent, ``None`` when not reported), ``provider``, ``model`` (as served),
        ``generation_id``, ``finish_reason`` and ``native_finish_reason``; and the failover
        facts ``requested_model`` and ``fallback`` (whether another model answered).
    """
    usage = answer.tokens
    return {
        "prompt_tokens": usage.input_tokens if usage else None,
        "completion_tokens": usage.output_tokens if usage else None,
        "total_tokens": usage.total_tokens if usage else None,
        "cached_tokens": usage.cached_tokens if usage else None,
        "cache_write_tokens": usage.cache_write_tokens if usage else None,
        "reasoning_tokens": usage.reasoning_tokens if usage else None,
        "image_tokens": usage.image_tokens if usage else None,
        "cost": answer.cost,
        "provider": answer.provider,
        "model": answer.model,
        "generation_id": answer.id,
        "finish_reason": answer.finish_reason,
        "native_finish_reason": answer.native_finish_reason,
        "requested_model": answer.requested_model,
        "fallback": answer.fallback,
    }


def image_block(image: Image) -> ImageBlock:
    """A generated image as a LlamaIndex ``ImageBlock`` (base64 data and its media type)."""
    if image.base64 is not None:
        return ImageBlock(image=image.base64.encode("ascii"), image_mimetype=image.mime_type)
    return ImageBlock(url=image.url)


def _wire_calls(calls: Sequence[ToolCall]) -> list[dict[str, Any]]:
    return [{"index": call.index, **call.to_wire()} for call in calls]


def _logprobs(answer: Answer) -> list[list[LogProb]] | None:
    if not answer.logprobs:
        return None
    out = []
    for entry in answer.logprobs:
        if not isinstance(entry, Mapping):
            continue
        alternatives = entry.get("top_logprobs") or [entry]
        out.append(
            [
                LogProb(
                    token=str(alt.get("token", "")),
                    logprob=float(alt.get("logprob", 0.0)),
                    bytes=list(alt.get("bytes") or []),
                )
                for alt in alternatives
                if isinstance(alt, Mapping)
            ]
        )
    return out


def _message(answer: Answer) -> ChatMessage:
    blocks: list[ContentBlock] = []
    usage = answer.tokens
    if answer.reasoning:
        tokens = usage.reasoning_tokens if usage else None
        blocks.append(ThinkingBlock(content=answer.reasoning, num_tokens=tokens or None))
    if answer.text or not (answer.tool_calls or answer.images):
        blocks.append(TextBlock(text=answer.text))
    blocks.extend(image_block(image) for image in answer.images)
    blocks.extend(
        ToolCallBlock(
            tool_call_id=call.id,
            tool_name=call.name,
            tool_kwargs=call.args if call.args is not None else call.arguments,
        )
        for call in answer.tool_calls
    )
    extra: dict[str, Any] = {}
    if answer.tool_calls:
        extra["tool_calls"] = _wire_calls(answer.tool_calls)
    if answer.reasoning_details:
        extra["reasoning_details"] = [dict(d) for d in answer.reasoning_details]
    if answer.annotations:
        extra["annotations"] = list(answer.annotations)
    if answer.refusal:
        extra["refusal"] = answer.refusal
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)


def chat_response(
    body: dict[str, Any],
    *,
    delta: str | None = None,
    incomplete: bool = False,
    requested: str | None = None,
    base_url: str | None = None,
) -> ChatResponse:
    """The ``ChatResponse`` of a completion body (plain, or a stream's accumulated one).

    Args:
        body: A chat-completion response body; kept as ``raw``.
        delta: The ``delta`` to set (``""`` for the last response of a stream).
        incomplete: Whether the stream was stopped before it finished (adds
            ``additional_kwargs["incomplete"] = True``).
        requested: The model the request asked for (to tell a fallback).
        base_url: The API root (whose catalog may tell an alias from a fallback).

    Returns:
        The response: an assistant message with a :class:`ThinkingBlock` (reasoning), a
        :class:`TextBlock` and :class:`ToolCallBlock`s; ``reasoning_details``, ``tool_calls``
        and ``annotations`` in the message's ``additional_kwargs``; usage and routing facts in
        the response's ``additional_kwargs`` (see :func:`response_kwargs`).
    """
    answer = read_answer(body, requested=requested, base_url=base_url)
    kwargs = response_kwargs(answer)
    if incomplete:
        kwargs["incomplete"] = True
    return ChatResponse(
        message=_message(answer),
        raw=body,
        delta=delta,
        logprobs=_logprobs(answer),
        additional_kwargs=kwargs,
    )


def completion_response(
    body: dict[str, Any],
    *,
    delta: str | None = None,
    incomplete: bool = False,
    requested: str | None = None,
    base_url: str | None = None,
) -> CompletionResponse:
    """The ``CompletionResponse`` of a completion body (see :func:`chat_response`).

    The reasoning text, when any, is in ``additional_kwargs["reasoning"]`` and the raw
    ``reasoning_details`` in ``additional_kwargs["reasoning_details"]``.
    """
    answer = read_answer(body, requested=requested, base_url=base_url)
    kwargs = response_kwargs(answer)
    if answer.reasoning:
        kwargs["reasoning"] = answer.reasoning
    if answer.reasoning_details:
        kwargs["reasoning_details"] = [dict(d) for d in answer.reasoning_details]
    if answer.images:
        kwargs["images"] = [image.url for image in answer.images]
    if incomplete:
        kwargs["incomplete"] = True
    return CompletionResponse(
        text=answer.text,
        raw=body,
        delta=delta,
        logprobs=_logprobs(answer),
        additional_kwargs=kwargs,
    )


def _delta_kwargs(delta: StreamDelta) -> dict[str, Any]:
    kwargs: dict[str, Any] = {PARTIAL_KEY: True}
    if delta.reasoning:
        kwargs["thinking_delta"] = delta.reasoning
    return kwargs


def chat_delta(acc: StreamAccumulator, delta: StreamDelta) -> ChatResponse | None:
    """The ``ChatResponse`` for one streamed chunk, or ``None`` when it added nothing to show.

    The message is the whole answer so far: reasoning (a :class:`ThinkingBlock`), text, and every
    tool call received so far (arguments as the raw, possibly incomplete, JSON text), so an agent
    reading any chunk sees all calls. ``delta`` is the text this chunk added;
    ``additional_kwargs`` holds ``thinking_delta`` (the reasoning it added) and
    :data:`PARTIAL_KEY`.
    """
    if not (delta.content or delta.reasoning or delta.tool_calls or delta.images):
        return None
    blocks: list[ContentBlock] = []
    reasoning = acc.reasoning
    if reasoning:
        blocks.append(ThinkingBlock(content=reasoning))
    text = acc.text
    tool_calls = acc.tool_calls
    if text or not (tool_calls or acc.images):
        blocks.append(TextBlock(text=text))
    if acc.images:
        blocks.extend(image_block(image) for image in read_images(acc.images))
    extra: dict[str, Any] = {}
    if tool_calls:
        blocks.extend(
            ToolCallBlock(
                tool_call_id=call["id"],
                tool_name=call["function"]["name"],
                tool_kwargs=call["function"]["arguments"],
            )
            for call in tool_calls
        )
        extra["tool_calls"] = tool_calls
    return ChatResponse(
        message=ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra),
        raw=delta.chunk,
        delta=delta.content,
        additional_kwargs=_delta_kwargs(delta),
    )


def completion_delta(acc: StreamAccumulator, delta: StreamDelta) -> CompletionResponse | None:
    """The ``CompletionResponse`` for one streamed chunk (text so far plus its delta)."""
    if not (delta.content or delta.reasoning):
        return None
    return CompletionResponse(
        text=acc.text, delta=delta.content, raw=delta.chunk, additional_kwargs=_delta_kwargs(delta)
    )
