"""OpenRouter answers as LangChain messages: ``ChatResult`` for a call, chunks for a stream.

Every fact comes from the core reader (:func:`openrouter_core.response.read_answers`); this
module only maps an :class:`~openrouter_core.response.Answer` to LangChain's objects. A stream
yields one ``AIMessageChunk`` per delta with only what is additive (text, tool-call fragments,
reasoning text), then one final chunk built from the accumulated completion by the same mapping
as a plain call, so ``sum(stream)`` equals ``invoke``: every scalar travels on exactly one chunk,
because LangChain's chunk ``+`` concatenates strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from langchain_core.messages import AIMessage, AIMessageChunk, InvalidToolCall, ToolCall
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from openrouter_core.response import Answer, Image, read_answer, read_answers, read_images

if TYPE_CHECKING:
    from langchain_core.messages import ToolCallChunk

    from openrouter_core.streaming import StreamAccumulator, StreamDelta

__all__ = [
    "MODEL_PROVIDER",
    "StreamConverter",
    "chat_result",
    "response_metadata",
    "usage_metadata",
]

MODEL_PROVIDER = "openrouter"
"""``response_metadata["model_provider"]`` of every message this package returns."""


def usage_metadata(answer: Answer) -> UsageMetadata | None:
    """The answer's usage as LangChain ``UsageMetadata`` (``None`` when none was reported).

    ``input_token_details`` carries ``cache_read`` (``cached_tokens``) and ``cache_creation``
    (``cache_write_tokens``), ``output_token_details`` carries ``reasoning``; details the
    response did not report are left out rather than shown as zero.
    """
    usage = answer.tokens
    if usage is None:
        return None
    reported = usage.reported
    # Built as a plain dict and cast once: langchain-core 1.8 spells the optional keys with
    # ``typing.NotRequired``, which mypy's check for Python 3.10 reads as required ``Any``.
    result: dict[str, Any] = {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
    }
    inputs = InputTokenDetails()
    if "cached_tokens" in reported:
        inputs["cache_read"] = usage.cached_tokens
    if "cache_write_tokens" in reported:
        inputs["cache_creation"] = usage.cache_write_tokens
    if inputs:
        result["input_token_details"] = inputs
    outputs: dict[str, int] = {}
    if "reasoning_tokens" in reported:
        outputs["reasoning"] = usage.reasoning_tokens
    if usage.image_tokens:
        outputs["image"] = usage.image_tokens  # generated images (modalities=["image", ...])
    if outputs:
        result["output_token_details"] = cast("OutputTokenDetails", outputs)
    return cast("UsageMetadata", result)


def image_block(image: Image) -> dict[str, Any]:
    """A generated image as a LangChain standard image content block."""
    if image.base64 is not None:
        return {"type": "image", "base64": image.base64, "mime_type": image.mime_type}
    return {"type": "image", "url": image.url}


def _content(answer: Answer) -> str | list[str | dict[str, Any]]:
    """The text, or, when the model generated images, text and image content blocks."""
    if not answer.images:
        return answer.text
    blocks: list[str | dict[str, Any]] = (
        [{"type": "text", "text": answer.text}] if answer.text else []
    )
    blocks.extend(image_block(image) for image in answer.images)
    return blocks


def response_metadata(answer: Answer) -> dict[str, Any]:
    """The ``response_metadata`` of the message carrying ``answer``.

    The keys ``ChatOpenAI`` and ``langchain-openrouter`` use (``model_name``, ``id``,
    ``created``, ``object``, ``finish_reason``, ``system_fingerprint``...), OpenRouter's own
    (``provider``, ``native_finish_reason``, ``cost``, ``cost_details``, ``is_byok``,
    ``annotations``), and the failover facts: ``requested_model`` and ``fallback`` (whether
    another model answered). A fact the response did not state is left out, not ``None``.
    """
    facts: dict[str, Any] = {
        "model_name": answer.model or answer.requested_model,
        "id": answer.id,
        "created": answer.created,
        "object": answer.object,
        "finish_reason": answer.finish_reason,
        "native_finish_reason": answer.native_finish_reason,
        "provider": answer.provider,
        "system_fingerprint": answer.system_fingerprint,
        "service_tier": answer.service_tier,
        "annotations": list(answer.annotations) or None,
        "cost": answer.cost,
        "cost_details": answer.cost_details,
        "is_byok": answer.is_byok,
        "requested_model": answer.requested_model,
    }
    meta = {key: value for key, value in facts.items() if value is not None}
    if answer.requested_model:
        meta["fallback"] = answer.fallback
    meta["model_provider"] = MODEL_PROVIDER
    return meta


def _generation_info(answer: Answer, *, logprobs: bool = True) -> dict[str, Any]:
    info: dict[str, Any] = {"finish_reason": answer.finish_reason}
    if logprobs and answer.logprobs:
        info["logprobs"] = {"content": list(answer.logprobs)}
    return info


def _extra(answer: Answer, *, reasoning: bool) -> dict[str, Any]:
    """``additional_kwargs``: reasoning text (unless streamed in pieces), details, refusal."""
    extra: dict[str, Any] = {}
    if reasoning and answer.reasoning:
        extra["reasoning_content"] = answer.reasoning
    if answer.reasoning_details:
        extra["reasoning_details"] = [dict(d) for d in answer.reasoning_details]
    if answer.refusal:
        extra["refusal"] = answer.refusal
    return extra


def _tool_calls(answer: Answer) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for call in answer.tool_calls:
        if call.args is None:
            invalid.append(
                invalid_tool_call(
                    name=call.name or None, args=call.arguments, id=call.id, error=call.error
                )
            )
        else:
            calls.append(tool_call(name=call.name, args=call.args, id=call.id))
    return calls, invalid


def _ai_message(answer: Answer) -> AIMessage:
    calls, invalid = _tool_calls(answer)
    return AIMessage(
        content=_content(answer),
        additional_kwargs=_extra(answer, reasoning=True),
        tool_calls=calls,
        invalid_tool_calls=invalid,
        response_metadata=response_metadata(answer),
        usage_metadata=usage_metadata(answer),
        id=answer.id,
    )


def chat_result(
    body: Mapping[str, Any], *, requested: str | None = None, base_url: str | None = None
) -> ChatResult:
    """A checked chat-completion body as a ``ChatResult`` (one generation per choice).

    With several choices (``n > 1``) the usage, which covers them all, is on the first only.

    Args:
        body: The response body.
        requested: The model the request asked for (to tell a fallback).
        base_url: The API root (whose catalog may tell an alias from a fallback).
    """
    answers = read_answers(body, requested=requested, base_url=base_url)
    generations = [
        ChatGeneration(message=_ai_message(answer), generation_info=_generation_info(answer))
        for answer in answers
    ]
    first = answers[0]
    facts = {
        "model_name": first.model or requested,
        "id": first.id,
        "created": first.created,
        "object": first.object,
    }
    llm_output = {key: value for key, value in facts.items() if value is not None}
    return ChatResult(generations=generations, llm_output=llm_output)


class StreamConverter:
    """Turns the deltas of one stream into ``ChatGenerationChunk``s.

    :meth:`chunk` builds one chunk per delta with only what is additive: text,
    ``tool_call_chunks`` (each call's id and name on its first fragment only) and the reasoning
    text delta. :meth:`final` builds the last chunk from the accumulated completion, with
    everything that must appear exactly once: ``response_metadata``, ``usage_metadata``, the
    merged ``reasoning_details`` and ``chunk_position="last"``.

    Logprobs travel with the chunk that carried them (in its ``generation_info``), as in
    ``ChatOpenAI``'s streams.

    Args:
        stream_usage: Whether the final chunk carries ``usage_metadata``.
        base_url: The API root (whose catalog may tell an alias from a fallback).
    """

    __slots__ = ("_with_id", "_with_name", "base_url", "stream_usage")

    def __init__(self, *, stream_usage: bool = True, base_url: str | None = None) -> None:
        self.stream_usage = stream_usage
        self.base_url = base_url
        self._with_id: set[int] = set()
        self._with_name: set[int] = set()

    def _tool_chunk(self, fragment: Mapping[str, Any]) -> ToolCallChunk:
        index = int(fragment["index"])
        call_id = fragment.get("id")
        name = fragment.get("name")
        if call_id and index not in self._with_id:
            self._with_id.add(index)
        else:
            call_id = None
        if name and index not in self._with_name:
            self._with_name.add(index)
        else:
            name = None
        return tool_call_chunk(name=name, args=fragment.get("arguments"), id=call_id, index=index)

    def chunk(self, delta: StreamDelta) -> ChatGenerationChunk | None:
        """The chunk for one delta, or ``None`` when it adds nothing to the message."""
        tool_chunks = [self._tool_chunk(fragment) for fragment in delta.tool_calls]
        if not (delta.content or delta.reasoning or tool_chunks or delta.logprobs or delta.images):
            return None
        # Only what the chunk carries is passed: every field validated costs, on every chunk.
        fields: dict[str, Any] = {}
        if delta.reasoning:
            fields["additional_kwargs"] = {"reasoning_content": delta.reasoning}
        if tool_chunks:
            fields["tool_call_chunks"] = tool_chunks
        content: str | list[str | dict[str, Any]] = delta.content
        if delta.images:  # generated images arrive whole, in one chunk
            blocks = [image_block(image) for image in read_images(delta.images)]
            content = [delta.content, *blocks] if delta.content else [*blocks]
        message = AIMessageChunk(content=content, **fields)
        if delta.logprobs:
            info = {"logprobs": {"content": delta.logprobs}}
            return ChatGenerationChunk(message=message, generation_info=info)
        return ChatGenerationChunk(message=message)

    def final(self, accumulator: StreamAccumulator) -> ChatGenerationChunk:
        """The last chunk: metadata, usage and merged ``reasoning_details``, once."""
        answer = read_answer(
            accumulator.completion(),
            requested=accumulator.requested_model,
            base_url=self.base_url,
        )
        return ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                additional_kwargs=_extra(answer, reasoning=False),
                response_metadata=response_metadata(answer),
                usage_metadata=usage_metadata(answer) if self.stream_usage else None,
                id=answer.id,
                chunk_position="last",
            ),
            generation_info=_generation_info(answer, logprobs=False),  # sent with each chunk
        )
