"""Pure conversions between LangChain objects and OpenRouter's chat-completions wire format.

Request side: messages and content blocks (LangChain v1 standard blocks and OpenAI-style dicts,
with ``cache_control`` wherever given) become the ``messages`` list; tools and ``tool_choice``
become their OpenAI shapes. Response side: a completion body becomes a ``ChatResult``; each
``StreamDelta`` of a stream becomes one ``AIMessageChunk`` and the end of the stream one final
chunk built from the accumulated completion by the same function as a non-streaming answer, so
``sum(stream)`` equals ``invoke`` (every scalar travels on exactly one chunk, because LangChain's
chunk ``+`` concatenates strings).

Nothing here sends a request or imports the ``openai`` SDK; the only I/O is a check for
tiktoken's locally cached encoding when counting tokens.
"""

from __future__ import annotations

import functools
import json
import os
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    InvalidToolCall,
    SystemMessage,
    ToolCall,
    ToolCallChunk,
    ToolMessage,
)
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import (
    JsonOutputKeyToolsParser,
    PydanticToolsParser,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel

from openrouter_core import _json
from openrouter_core.content import (
    audio_part,
    data_url,
    file_part,
    image_part,
    parse_arguments,
    response_metadata,
    text_part,
    with_cache_control,
)
from openrouter_core.validation import check_model_id as _check_model_id
from openrouter_core.validation import check_params

if TYPE_CHECKING:
    from openrouter_core.streaming import StreamAccumulator, StreamDelta

__all__ = [
    "StreamConverter",
    "chat_result",
    "check_model_id",
    "check_params",
    "convert_message",
    "convert_messages",
    "count_tokens",
    "estimate_text_tokens",
    "estimate_token_ids",
    "format_block",
    "format_content",
    "format_tool_choice",
    "format_tools",
    "json_schema_format",
    "message_response_metadata",
    "plain_option",
    "structured_output",
    "text_token_counter",
    "text_token_ids",
    "usage_metadata",
]

MODEL_PROVIDER = "openrouter"
"""``response_metadata["model_provider"]`` of every message this package returns."""

# Content blocks of an assistant message that are not sent back as content: reasoning travels
# as ``reasoning``/``reasoning_details`` and tool calls as ``tool_calls``.
_AI_SKIPPED_BLOCKS = frozenset(
    {
        "reasoning",
        "thinking",
        "redacted_thinking",
        "tool_call",
        "tool_call_chunk",
        "invalid_tool_call",
        "tool_use",
        "server_tool_call",
        "server_tool_call_chunk",
        "server_tool_result",
    }
)
_AUDIO_FORMATS = {"mpeg": "mp3", "mp3": "mp3", "x-wav": "wav", "wave": "wav", "x-flac": "flac"}


# --------------------------------------------------------------------------------------------
# Request: content blocks
# --------------------------------------------------------------------------------------------


def _cache_control(block: Mapping[str, Any]) -> Any:
    """The ``cache_control`` of a block: top level (OpenAI/Anthropic style) or in ``extras``."""
    value = block.get("cache_control")
    if value is None:
        extras = block.get("extras")
        if isinstance(extras, Mapping):
            value = extras.get("cache_control")
    return value


def _base64_of(block: Mapping[str, Any]) -> str | None:
    """Base64 data of a v1 block (``base64``) or a legacy v0 block (``source_type: base64``)."""
    if isinstance(block.get("base64"), str):
        return str(block["base64"])
    if block.get("source_type") == "base64" and isinstance(block.get("data"), str):
        return str(block["data"])
    return None


def _url_of(block: Mapping[str, Any]) -> str | None:
    url = block.get("url")
    if isinstance(url, str):
        return url
    if block.get("source_type") == "url" and isinstance(block.get("data"), str):
        return str(block["data"])
    return None


def _reject_file_id(block: Mapping[str, Any]) -> None:
    if block.get("file_id") is not None or block.get("source_type") == "id":
        raise ValueError(
            f"OpenRouter does not accept uploaded-file ids in a {block.get('type')!r} block; "
            "send the data as base64 or a URL instead"
        )


def _filename(block: Mapping[str, Any], mime_type: str | None) -> str:
    for holder in (block, block.get("extras"), block.get("metadata")):
        if isinstance(holder, Mapping) and isinstance(holder.get("filename"), str):
            return str(holder["filename"])
    return "document.pdf" if mime_type in (None, "application/pdf") else "document"


def _image_block(block: Mapping[str, Any]) -> dict[str, Any]:
    detail = block.get("detail")
    url = _url_of(block)
    if url is None:
        data = _base64_of(block)
        if data is None:
            _reject_file_id(block)
            raise ValueError("an image block needs a 'url' or 'base64' data")
        url = data_url(data, str(block.get("mime_type") or "image/jpeg"))
    return image_part(url, detail=detail if isinstance(detail, str) else None)


def _file_block(block: Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(block.get("file"), Mapping):  # already the OpenAI/OpenRouter shape
        return dict(block)
    mime_type = block.get("mime_type")
    mime = str(mime_type) if isinstance(mime_type, str) else None
    source = _url_of(block)
    if source is None:
        data = _base64_of(block)
        if data is None:
            _reject_file_id(block)
            raise ValueError("a file block needs a 'url' or 'base64' data")
        source = data_url(data, mime or "application/pdf")
    return file_part(source, filename=_filename(block, mime))


def _audio_block(block: Mapping[str, Any]) -> dict[str, Any]:
    data = _base64_of(block)
    if data is None:
        _reject_file_id(block)
        raise ValueError("an audio block needs base64 'data'; OpenRouter does not fetch audio URLs")
    subtype = str(block.get("mime_type") or "audio/wav").split("/", 1)[-1].lower()
    return audio_part(data, _AUDIO_FORMATS.get(subtype, subtype))


def _video_block(block: Mapping[str, Any]) -> dict[str, Any]:
    url = _url_of(block)
    if url is None:
        data = _base64_of(block)
        if data is None:
            _reject_file_id(block)
            raise ValueError("a video block needs a 'url' or 'base64' data")
        url = data_url(data, str(block.get("mime_type") or "video/mp4"))
    return {"type": "video_url", "video_url": {"url": url}}


def format_block(block: str | Mapping[str, Any]) -> dict[str, Any]:
    """Convert one content block to an OpenRouter content part.

    Accepts plain strings, OpenAI-style parts (``text``, ``image_url``, ``input_audio``,
    ``file``, ``video_url``) and LangChain standard blocks (``image``, ``file``, ``audio``,
    ``video``, ``text-plain``, v1 and legacy v0 forms). A ``cache_control`` on the block (or in
    its ``extras``) is kept. Unknown block types are sent unchanged.

    Raises:
        ValueError: A media block has neither a URL nor base64 data, or only a file id.
    """
    if isinstance(block, str):
        return text_part(block)
    kind = block.get("type")
    if kind == "text":
        part = text_part(str(block.get("text") or ""))
    elif kind == "image_url":
        image_url = block.get("image_url")
        image_url = {"url": image_url} if isinstance(image_url, str) else dict(image_url or {})
        part = {"type": "image_url", "image_url": image_url}
    elif kind == "image":
        part = _image_block(block)
    elif kind == "file":
        part = _file_block(block)
    elif kind == "audio":
        part = _audio_block(block)
    elif kind == "video":
        part = _video_block(block)
    elif kind == "text-plain" and isinstance(block.get("text"), str):
        part = text_part(str(block["text"]))
    else:
        return {k: v for k, v in block.items() if k != "extras"}
    cache_control = _cache_control(block)
    return part if cache_control is None else with_cache_control(part, cache_control)


def format_content(content: str | Sequence[str | Mapping[str, Any]]) -> str | list[dict[str, Any]]:
    """Convert message content (a string or a list of blocks) to OpenRouter content."""
    if isinstance(content, str):
        return content
    return [format_block(block) for block in content]


def _assistant_content(content: str | Sequence[Any]) -> str | list[dict[str, Any]]:
    """Assistant content: text only (reasoning and tool calls travel in their own fields)."""
    if isinstance(content, str):
        return content
    parts = [
        format_block(block)
        for block in content
        if isinstance(block, str)
        or (isinstance(block, Mapping) and block.get("type") not in _AI_SKIPPED_BLOCKS)
    ]
    if all(p.get("type") == "text" and "cache_control" not in p for p in parts):
        return "".join(p["text"] for p in parts)
    return parts


# --------------------------------------------------------------------------------------------
# Request: messages
# --------------------------------------------------------------------------------------------


def _dump_arguments(args: Any) -> str:
    try:
        return _json.dumps(args)
    except TypeError:  # a value orjson cannot encode (e.g. a Decimal): fall back to str()
        return json.dumps(args, ensure_ascii=False, default=str)


def _tool_calls_out(message: AIMessage) -> list[dict[str, Any]]:
    calls = [
        {
            "id": call["id"],
            "type": "function",
            "function": {"name": call["name"], "arguments": _dump_arguments(call["args"])},
        }
        for call in message.tool_calls
    ]
    calls.extend(
        {
            "id": bad["id"],
            "type": "function",
            "function": {"name": bad["name"] or "", "arguments": bad["args"] or ""},
        }
        for bad in message.invalid_tool_calls
    )
    return calls


def _reasoning_text_of(content: str | Sequence[Any]) -> str:
    if isinstance(content, str):
        return ""
    return "".join(
        str(block.get("reasoning") or "")
        for block in content
        if isinstance(block, Mapping) and block.get("type") == "reasoning"
    )


def _assistant_message(message: AIMessage) -> dict[str, Any]:
    out: dict[str, Any] = {"role": "assistant", "content": _assistant_content(message.content)}
    if message.tool_calls or message.invalid_tool_calls:
        out["tool_calls"] = _tool_calls_out(message)
    elif message.additional_kwargs.get("tool_calls"):
        out["tool_calls"] = message.additional_kwargs["tool_calls"]
    if "tool_calls" in out and not out["content"]:
        out["content"] = None
    extra = message.additional_kwargs
    details = extra.get("reasoning_details")
    if details:
        # Sent back exactly as received (signatures and encrypted blocks included), so Claude
        # and Gemini can continue a tool loop with thinking.
        out["reasoning_details"] = details
    else:
        reasoning = extra.get("reasoning_content")
        if not isinstance(reasoning, str) or not reasoning:
            reasoning = _reasoning_text_of(message.content)
        if reasoning:
            out["reasoning"] = reasoning
    return out


def convert_message(message: BaseMessage) -> dict[str, Any]:
    """Convert one LangChain message to an OpenRouter ``messages`` entry.

    ``AIMessage`` tool calls (valid and invalid) become ``tool_calls``;
    ``additional_kwargs["reasoning_details"]`` is sent back unchanged, or, when there are none,
    the reasoning text as ``reasoning``. ``ToolMessage`` content may be a string or a list of
    parts (images included). The OpenAI Chat Completions format has no error flag for tool
    results, so a ``ToolMessage`` with ``status="error"`` is sent with its content, which is
    expected to describe the error.

    Raises:
        TypeError: For a ``FunctionMessage`` (legacy OpenAI functions) or an unknown message type.
        ValueError: For a content block that cannot be sent (see :func:`format_block`).
    """
    if isinstance(message, AIMessage):
        out = _assistant_message(message)
    elif isinstance(message, HumanMessage):
        out = {"role": "user", "content": format_content(message.content)}
    elif isinstance(message, SystemMessage):
        out = {"role": "system", "content": format_content(message.content)}
    elif isinstance(message, ToolMessage):
        out = {
            "role": "tool",
            "tool_call_id": message.tool_call_id,
            "content": format_content(message.content),
        }
    elif isinstance(message, FunctionMessage):
        raise TypeError(
            "FunctionMessage (legacy OpenAI function calling) is not supported; "
            "use tools and ToolMessage instead"
        )
    elif isinstance(message, ChatMessage):
        out = {"role": message.role, "content": format_content(message.content)}
    else:
        raise TypeError(f"cannot send a message of type {type(message).__name__}")
    if message.name and not isinstance(message, ToolMessage):
        out["name"] = message.name
    return out


def convert_messages(messages: Iterable[BaseMessage]) -> list[dict[str, Any]]:
    """Convert a conversation to the request's ``messages`` list."""
    return [convert_message(message) for message in messages]


# --------------------------------------------------------------------------------------------
# Request: tools
# --------------------------------------------------------------------------------------------


def format_tools(tools: Sequence[Any], *, strict: bool | None = None) -> list[dict[str, Any]]:
    """Convert LangChain tools, functions, pydantic models or schemas to OpenAI tools.

    Raises:
        ValueError: A tool cannot be converted to a JSON-schema function.
    """
    return [_format_tool(tool, strict) for tool in tools]


def _format_tool(tool: Any, strict: bool | None) -> dict[str, Any]:
    try:
        return convert_to_openai_tool(tool, strict=strict)
    except Exception as exc:
        raise ValueError(f"cannot convert {tool!r} to an OpenAI tool schema: {exc}") from exc


def format_tool_choice(
    tool_choice: dict[str, Any] | str | bool | None, tools: Sequence[Mapping[str, Any]]
) -> dict[str, Any] | str | None:
    """Convert LangChain's ``tool_choice`` values to OpenRouter's.

    ``"auto"``, ``"none"`` and ``"required"`` pass through; ``"any"`` means ``"required"``; a tool
    name or ``True`` (with exactly one tool) forces that tool; a dict is sent as is; ``None`` and
    ``False`` send nothing.

    Raises:
        ValueError: ``True`` with several tools, or a name that is not one of the tools.
    """
    if tool_choice is None or tool_choice is False:
        return None
    if isinstance(tool_choice, dict):
        return tool_choice
    names = [str(t.get("function", {}).get("name")) for t in tools if t.get("type") == "function"]
    if tool_choice is True:
        if len(names) != 1:
            raise ValueError(f"tool_choice=True needs exactly one tool, got {len(names)}")
        return {"type": "function", "function": {"name": names[0]}}
    if tool_choice in ("auto", "none", "required"):
        return tool_choice
    if tool_choice == "any":
        return "required"
    if tool_choice not in names:
        raise ValueError(
            f"tool_choice {tool_choice!r} is not one of the bound tools {names}; use 'auto', "
            "'none', 'required'/'any', True or a bound tool's name"
        )
    return {"type": "function", "function": {"name": tool_choice}}


def structured_output(
    schema: Any, *, method: str, strict: bool | None
) -> tuple[dict[str, Any], Runnable[Any, Any]]:
    """What ``with_structured_output`` binds to the model, and the parser of its answer.

    Args:
        schema: A pydantic class, a TypedDict or a JSON schema (optional for ``json_mode``).
        method: ``"json_schema"``, ``"function_calling"`` or ``"json_mode"``.
        strict: Sent as ``strict`` when not ``None``.

    Returns:
        The keyword arguments to bind (``response_format``, or ``tools`` and a forced
        ``tool_choice``, plus LangChain's ``ls_structured_output_format``) and the parser.

    Raises:
        ValueError: An unknown method, or no schema for a method that needs one.
    """
    if method not in ("json_schema", "function_calling", "json_mode"):
        raise ValueError(f"unknown structured output method {method!r}")
    if schema is None and method != "json_mode":
        raise ValueError(f"method {method!r} needs a schema")
    pydantic_schema = isinstance(schema, type) and is_basemodel_subclass(schema)
    trace: dict[str, Any] = {"kwargs": {"method": method, "strict": strict}}
    if method == "function_calling":
        tool = format_tools([schema], strict=strict)[0]
        name = tool["function"]["name"]
        bound = {
            "tools": [tool],
            "tool_choice": format_tool_choice(name, [tool]),
            "ls_structured_output_format": {**trace, "schema": tool},
        }
        if pydantic_schema:
            return bound, PydanticToolsParser(tools=[schema], first_tool_only=True)
        return bound, JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
    bound = {"response_format": {"type": "json_object"}}
    if method == "json_schema":
        bound["response_format"] = json_schema_format(schema, strict=strict)
    if schema is not None:
        bound["ls_structured_output_format"] = {**trace, "schema": schema}
    if pydantic_schema:
        return bound, PydanticOutputParser(pydantic_object=schema)
    return bound, JsonOutputParser()


# --------------------------------------------------------------------------------------------
# Response
# --------------------------------------------------------------------------------------------


def _count(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def usage_metadata(usage: Any) -> UsageMetadata | None:
    """Convert an OpenRouter ``usage`` object to LangChain ``UsageMetadata``.

    ``input_token_details`` carries ``cache_read`` (``cached_tokens``) and ``cache_creation``
    (``cache_write_tokens``), ``output_token_details`` carries ``reasoning``; details the
    response did not report are left out. Token counts sent as floats become ints.
    """
    if not isinstance(usage, Mapping):
        return None
    input_tokens = _count(usage.get("prompt_tokens", usage.get("input_tokens"))) or 0
    output_tokens = _count(usage.get("completion_tokens", usage.get("output_tokens"))) or 0
    total = _count(usage.get("total_tokens"))
    # Built as a plain dict and cast once: langchain-core 1.8 spells the optional keys with
    # ``typing.NotRequired``, which mypy's check for Python 3.10 reads as required ``Any``.
    result: dict[str, Any] = {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": total if total is not None else input_tokens + output_tokens,
    }
    prompt = usage.get("prompt_tokens_details")
    if isinstance(prompt, Mapping):
        details = InputTokenDetails()
        if (read := _count(prompt.get("cached_tokens"))) is not None:
            details["cache_read"] = read
        if (created := _count(prompt.get("cache_write_tokens"))) is not None:
            details["cache_creation"] = created
        if details:
            result["input_token_details"] = details
    completion = usage.get("completion_tokens_details")
    if isinstance(completion, Mapping):
        reasoning = _count(completion.get("reasoning_tokens"))
        if reasoning is not None:
            result["output_token_details"] = OutputTokenDetails(reasoning=reasoning)
    return cast("UsageMetadata", result)


def message_response_metadata(body: Mapping[str, Any]) -> dict[str, Any]:
    """The ``response_metadata`` of the message answering ``body`` (first choice)."""
    facts = response_metadata(body, with_usage=False)  # usage goes to usage_metadata
    return {
        "model_name": facts["model"],
        "id": facts["id"],
        "finish_reason": facts["finish_reason"],
        "native_finish_reason": facts["native_finish_reason"],
        "provider": facts["provider"],
        "system_fingerprint": facts["system_fingerprint"],
        "service_tier": facts["service_tier"],
        "annotations": facts["annotations"],
        "cost": facts["cost"],
        "cost_details": facts["cost_details"],
        "is_byok": facts["is_byok"],
        "model_provider": MODEL_PROVIDER,
    }


def _generation_info(choice: Mapping[str, Any]) -> dict[str, Any]:
    info: dict[str, Any] = {"finish_reason": choice.get("finish_reason")}
    if choice.get("logprobs"):
        info["logprobs"] = choice["logprobs"]
    return info


def _tool_calls_in(raw_calls: Any) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for raw in raw_calls if isinstance(raw_calls, list) else ():
        if not isinstance(raw, Mapping):
            continue
        function = raw.get("function")
        function = function if isinstance(function, Mapping) else {}
        name = function.get("name")
        arguments = function.get("arguments")
        call_id = raw.get("id")
        if isinstance(arguments, dict):
            calls.append(tool_call(name=name or "", args=arguments, id=call_id))
            continue
        parsed = parse_arguments(arguments if isinstance(arguments, str) else None)
        if parsed.args is None:
            invalid.append(
                invalid_tool_call(name=name, args=parsed.raw, id=call_id, error=parsed.error)
            )
        else:
            calls.append(tool_call(name=name or "", args=parsed.args, id=call_id))
    return calls, invalid


def _ai_message(
    body: Mapping[str, Any], choice: Mapping[str, Any], *, with_usage: bool = True
) -> AIMessage:
    message = choice.get("message")
    message = message if isinstance(message, Mapping) else {}
    content = message.get("content")
    extra: dict[str, Any] = {}
    reasoning = message.get("reasoning")
    if reasoning is None:
        reasoning = message.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning:
        extra["reasoning_content"] = reasoning
    if message.get("reasoning_details"):
        extra["reasoning_details"] = message["reasoning_details"]
    if message.get("refusal"):
        extra["refusal"] = message["refusal"]
    calls, invalid = _tool_calls_in(message.get("tool_calls"))
    body_id = body.get("id")
    choices = body.get("choices")
    if not (isinstance(choices, list) and choices and choices[0] is choice):
        body = {**body, "choices": [choice]}  # metadata describes this choice, not the first
    return AIMessage(
        content=content if isinstance(content, str) else "",
        additional_kwargs=extra,
        tool_calls=calls,
        invalid_tool_calls=invalid,
        response_metadata=message_response_metadata(body),
        usage_metadata=usage_metadata(body.get("usage")) if with_usage else None,
        id=body_id if isinstance(body_id, str) else None,
    )


def chat_result(body: Mapping[str, Any]) -> ChatResult:
    """Convert a checked chat-completion body to a ``ChatResult`` (one generation per choice).

    With several choices (``n > 1``) the usage, which covers them all, is on the first only.
    """
    choices = [c for c in body.get("choices") or () if isinstance(c, Mapping)]
    generations = [
        ChatGeneration(
            message=_ai_message(body, choice, with_usage=number == 0),
            generation_info=_generation_info(choice),
        )
        for number, choice in enumerate(choices)
    ]
    return ChatResult(
        generations=generations, llm_output={"model_name": body.get("model"), "id": body.get("id")}
    )


class StreamConverter:
    """Turns the deltas of one stream into ``ChatGenerationChunk``s.

    :meth:`chunk` builds one chunk per delta with only what is additive: text,
    ``tool_call_chunks`` (each call's id and name on its first fragment only) and the reasoning
    text delta. :meth:`final` builds the last chunk from the accumulated completion, with
    everything that must appear exactly once: ``response_metadata``, ``usage_metadata``, the
    merged ``reasoning_details`` and ``chunk_position="last"``.

    Args:
        stream_usage: Whether the final chunk carries ``usage_metadata``.
    """

    __slots__ = ("_with_id", "_with_name", "stream_usage")

    def __init__(self, *, stream_usage: bool = True) -> None:
        self.stream_usage = stream_usage
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
        if not (delta.content or delta.reasoning or tool_chunks):
            return None
        # Only what the chunk carries is passed: every field validated costs, on every chunk.
        fields: dict[str, Any] = {}
        if delta.reasoning:
            fields["additional_kwargs"] = {"reasoning_content": delta.reasoning}
        if tool_chunks:
            fields["tool_call_chunks"] = tool_chunks
        return ChatGenerationChunk(message=AIMessageChunk(content=delta.content, **fields))

    def final(self, accumulator: StreamAccumulator) -> ChatGenerationChunk:
        """The last chunk: metadata, usage and merged ``reasoning_details``, once."""
        body = accumulator.completion()
        choice = body["choices"][0]
        message = choice["message"]
        extra: dict[str, Any] = {}
        if message.get("reasoning_details"):
            extra["reasoning_details"] = message["reasoning_details"]
        if message.get("refusal"):
            extra["refusal"] = message["refusal"]
        return ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                additional_kwargs=extra,
                response_metadata=message_response_metadata(body),
                usage_metadata=usage_metadata(body.get("usage")) if self.stream_usage else None,
                id=accumulator.id,
                chunk_position="last",
            ),
            generation_info=_generation_info(choice),
        )


# --------------------------------------------------------------------------------------------
# Checks and estimates
# --------------------------------------------------------------------------------------------


def json_schema_format(schema: Any, *, strict: bool | None = None) -> dict[str, Any]:
    """The ``response_format`` asking for JSON that follows ``schema``.

    Args:
        schema: A pydantic class, a TypedDict, a JSON schema or an OpenAI function schema.
        strict: Sent as ``json_schema.strict`` when not ``None``.
    """
    if isinstance(schema, Mapping) and "title" not in schema and "function" not in schema:
        name, parameters, description = "response", dict(schema), None
    else:
        function = format_tools([schema], strict=strict)[0]["function"]
        name = function["name"]
        parameters = function.get("parameters") or {"type": "object", "properties": {}}
        description = function.get("description")
    spec: dict[str, Any] = {"name": name, "schema": parameters}
    if description:
        spec["description"] = description
    if strict is not None:
        spec["strict"] = strict
    return {"type": "json_schema", "json_schema": spec}


def plain_option(value: Any) -> Any:
    """Typed ``openrouter_core`` option models become plain JSON-ready dicts (serialisable)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, list):
        return [plain_option(item) for item in value]
    return value


def check_model_id(model: str) -> None:
    """Warn when ``model`` is not shaped like an OpenRouter id (``author/slug``)."""
    # Called from the model's validator or request builder: point at the user's code.
    _check_model_id(model, stacklevel=5)


_TIKTOKEN_URL = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"


@functools.lru_cache(maxsize=1)
def _tiktoken_encoding() -> Any:
    """The ``o200k_base`` encoding when tiktoken is installed and has it cached, else ``None``.

    tiktoken downloads encodings on first use; that download is never triggered from here, so
    counting tokens stays offline and fast.
    """
    try:
        import hashlib
        import tempfile

        import tiktoken
        from tiktoken import registry

        if "o200k_base" not in registry.ENCODINGS:
            cache_dir = os.environ.get(
                "TIKTOKEN_CACHE_DIR",
                os.environ.get(
                    "DATA_GYM_CACHE_DIR", os.path.join(tempfile.gettempdir(), "data-gym-cache")
                ),
            )
            key = hashlib.sha1(_TIKTOKEN_URL.encode(), usedforsecurity=False).hexdigest()
            if not cache_dir or not os.path.exists(os.path.join(cache_dir, key)):
                return None
        return tiktoken.get_encoding("o200k_base")
    except Exception:  # any failure (not installed, corrupt cache...) means "estimate instead"
        return None


def text_token_counter() -> Callable[[str], int]:
    """Count with tiktoken's ``o200k_base`` when cached, else :func:`estimate_text_tokens`."""
    encoding = _tiktoken_encoding()
    if encoding is None:
        return estimate_text_tokens
    return lambda text: len(encoding.encode(text, disallowed_special=()))


def text_token_ids() -> Callable[[str], list[int]]:
    """Token ids with tiktoken's ``o200k_base`` when cached, else :func:`estimate_token_ids`."""
    encoding = _tiktoken_encoding()
    if encoding is None:
        return estimate_token_ids
    return lambda text: list(encoding.encode(text, disallowed_special=()))


def estimate_token_ids(text: str) -> list[int]:
    """Stand-in token ids, one per 4 characters (so ``len`` is :func:`estimate_text_tokens`).

    They are not any tokenizer's ids: each is the CRC-32 of its 4-character piece, so the
    same text always gives the same ids.
    """
    return [zlib.crc32(text[i : i + 4].encode()) for i in range(0, len(text), 4)]


_TOKENS_PER_MESSAGE = 3
_TOKENS_PER_MEDIA_PART = 85
_TOKENS_FOR_REPLY = 3


def estimate_text_tokens(text: str) -> int:
    """One token per 4 characters, rounded up (the usual rule of thumb for English text)."""
    return (len(text) + 3) // 4


def _content_tokens(content: Any, count_text: Callable[[str], int]) -> int:
    if isinstance(content, str):
        return count_text(content)
    if not isinstance(content, list):
        return 0
    total = 0
    for part in content:
        if isinstance(part, Mapping) and part.get("type") == "text":
            total += count_text(str(part.get("text") or ""))
        else:
            total += _TOKENS_PER_MEDIA_PART
    return total


def count_tokens(
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None,
    count_text: Callable[[str], int],
) -> int:
    """Approximate prompt tokens of converted ``messages`` and ``tools``.

    Text is counted with ``count_text``; each message adds 3 tokens, each image, file or audio
    part 85, the reply priming 3; tool calls, ``reasoning_details`` and tools are counted as
    their JSON text.
    """
    total = _TOKENS_FOR_REPLY
    for message in messages:
        total += _TOKENS_PER_MESSAGE
        for key, value in message.items():
            if key == "content":
                total += _content_tokens(value, count_text)
            elif key in ("tool_calls", "reasoning_details"):
                total += count_text(_json.dumps(value))
            elif isinstance(value, str):
                total += count_text(value)
    if tools:
        total += count_text(_json.dumps(list(tools)))
    return total
