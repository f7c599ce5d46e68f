"""Pure conversions between LlamaIndex types and OpenRouter's chat-completion wire format.

Request side: :func:`to_openrouter_messages` turns ``ChatMessage``s (text, images, documents,
audio, video, cache points, tool calls, tool results, reasoning details) into request dicts, and
:func:`build_request_body` merges the model's settings, ``additional_kwargs`` and per-call
keyword arguments into one body. Response side: :func:`chat_response_from_body` (also used for
the final response of a stream, from ``StreamAccumulator.completion()``) and
:func:`chat_response_from_delta` (one per streamed chunk) build ``ChatResponse``s, and
:func:`tool_selections_from_response` reads tool calls back as ``ToolSelection``s.

Nothing here imports the ``openai`` SDK or talks to OpenRouter; the only I/O is LlamaIndex
resolving a block's data (reading an image or document ``path``, fetching an audio ``url``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import filetype  # type: ignore[import-untyped]
from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    ContentBlock,
    DocumentBlock,
    ImageBlock,
    LogProb,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.utils import parse_partial_json
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
from openrouter_core.options import OPENROUTER_OPTION_FIELDS, OpenRouterOptions, build_extra_body

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

    from openrouter_core.streaming import StreamAccumulator, StreamDelta

__all__ = [
    "PARTIAL_KEY",
    "RAW_ARGUMENTS_KEY",
    "TRANSPORT_KWARGS",
    "build_request_body",
    "chat_response_from_body",
    "chat_response_from_delta",
    "completion_response_from_body",
    "completion_response_from_delta",
    "json_schema_response_format",
    "keep_first_tool_call",
    "resolve_tool_choice",
    "response_kwargs",
    "to_openrouter_message",
    "to_openrouter_messages",
    "to_openrouter_tools",
    "tool_selections_from_response",
]

RAW_ARGUMENTS_KEY = "__raw_arguments__"
"""Key under which :func:`tool_selections_from_response` puts tool-call arguments that are not
a JSON object (``error_on_no_tool_call=False``): ``{"__raw_arguments__": "<the text as sent>"}``.
A tool called with it fails with an error the agent shows the model, which can then retry."""

PARTIAL_KEY = "partial"
"""``ChatResponse.additional_kwargs`` key set to ``True`` on the responses yielded while a stream
is still running (every one but the last). Their tool-call arguments may be incomplete JSON."""

TRANSPORT_KWARGS = frozenset({"timeout", "max_retries", "extra_headers"})
"""Per-call keyword arguments that configure the HTTP request rather than the body."""

_ROLES: dict[MessageRole, str] = {
    MessageRole.SYSTEM: "system",
    MessageRole.DEVELOPER: "developer",
    MessageRole.USER: "user",
    MessageRole.ASSISTANT: "assistant",
    MessageRole.CHATBOT: "assistant",
    MessageRole.MODEL: "assistant",
    MessageRole.TOOL: "tool",
    MessageRole.FUNCTION: "tool",
}
_OPTION_FIELDS = frozenset(OPENROUTER_OPTION_FIELDS)
_DEFAULT_CACHE_TTL = "5m"


# --------------------------------------------------------------------------------------------
# Request: messages
# --------------------------------------------------------------------------------------------


def to_openrouter_messages(messages: Iterable[ChatMessage]) -> list[dict[str, Any]]:
    """Convert LlamaIndex chat messages to OpenRouter request messages.

    Args:
        messages: The conversation, oldest first. It is read, never modified.

    Returns:
        A new list of message dicts.

    Raises:
        ValueError: A message holds a block OpenRouter cannot take, a tool result has no
            ``tool_call_id``, or a :class:`CachePoint` has no content block before it.
    """
    return [to_openrouter_message(message) for message in messages]


def to_openrouter_message(message: ChatMessage) -> dict[str, Any]:
    """Convert one chat message (see :func:`to_openrouter_messages`)."""
    role = _ROLES.get(message.role, str(message.role.value))
    parts: list[dict[str, Any]] = []
    tool_calls: list[dict[str, Any]] = []
    thinking: list[str] = []
    needs_parts = False
    for block in message.blocks:
        if isinstance(block, TextBlock):
            parts.append(text_part(block.text))
        elif isinstance(block, ToolCallBlock):
            tool_calls.append(_tool_call_from_block(block))
        elif isinstance(block, ThinkingBlock):
            # Reasoning goes back as ``reasoning_details`` (below), exactly as received, or,
            # for a block without them (another LLM's, or built by hand), as ``reasoning``.
            if block.content:
                thinking.append(block.content)
        elif isinstance(block, CachePoint):
            if not parts:
                msg = (
                    "a CachePoint marks the end of the content to cache, so it must follow a "
                    "text, image, document or audio block in the same message"
                )
                raise ValueError(msg)
            parts[-1] = with_cache_control(parts[-1], _cache_control(block))
            needs_parts = True
        else:
            parts.append(_media_part(block))
            needs_parts = True

    out: dict[str, Any] = {"role": role}
    if role == "tool":
        tool_call_id = message.additional_kwargs.get("tool_call_id")
        if not tool_call_id:
            msg = (
                "a tool result message needs additional_kwargs['tool_call_id'] naming the tool "
                "call it answers"
            )
            raise ValueError(msg)
        out["tool_call_id"] = tool_call_id
        out["content"] = parts if needs_parts else "\n".join(p["text"] for p in parts)
        return out

    if role == "assistant" and not tool_calls:
        tool_calls = _legacy_tool_calls(message.additional_kwargs.get("tool_calls"))
    if needs_parts or len(parts) > 1:
        out["content"] = parts
    elif parts:
        out["content"] = parts[0]["text"]
    else:
        out["content"] = None if tool_calls else ""
    if role == "assistant":
        if tool_calls:
            out["tool_calls"] = tool_calls
        details = message.additional_kwargs.get("reasoning_details")
        if details:
            out["reasoning_details"] = details
        elif thinking:
            out["reasoning"] = "\n".join(thinking)
    return out


def _media_part(block: ContentBlock) -> dict[str, Any]:
    if isinstance(block, ImageBlock):
        if block.url is not None:
            return image_part(str(block.url), detail=block.detail)
        encoded = block.resolve_image(as_base64=True).read()
        mime = block.image_mimetype or _guess_mime(encoded, "image")
        return image_part(data_url(encoded.decode("ascii"), mime), detail=block.detail)
    if isinstance(block, DocumentBlock):
        filename = block.title or "document"
        if block.url and not block.data and not block.path:
            return file_part(block.url, filename=filename)
        raw = block.resolve_document().read()
        mime = block.document_mimetype or "application/pdf"
        return file_part(data_url(raw, mime), filename=filename)
    if isinstance(block, AudioBlock):
        encoded = block.resolve_audio(as_base64=True).read()
        audio_format = block.format or _guess_extension(encoded)
        if not audio_format:
            msg = "cannot tell the audio format; set AudioBlock(format='wav') (or 'mp3', ...)"
            raise ValueError(msg)
        return audio_part(encoded.decode("ascii"), audio_format)
    if isinstance(block, VideoBlock):
        if block.url is not None:
            url = str(block.url)
        else:
            encoded = block.resolve_video(as_base64=True).read()
            mime = block.video_mimetype or _guess_mime(encoded, "video")
            url = data_url(encoded.decode("ascii"), mime)
        return {"type": "video_url", "video_url": {"url": url}}
    msg = (
        f"OpenRouter cannot take a {type(block).__name__} in a request; use text, image, "
        "document, audio, video, cache-point, thinking or tool-call blocks"
    )
    raise ValueError(msg)


def _decoded(encoded: bytes) -> bytes:
    import base64

    return base64.b64decode(encoded)


def _guess_mime(encoded: bytes, kind: str) -> str:
    guess = filetype.guess(_decoded(encoded))
    if guess is None or not str(guess.mime).startswith(kind + "/"):
        msg = f"cannot tell the {kind} type; set the block's {kind}_mimetype (e.g. '{kind}/png')"
        raise ValueError(msg)
    return str(guess.mime)


def _guess_extension(encoded: bytes) -> str | None:
    guess = filetype.guess(_decoded(encoded))
    return str(guess.extension) if guess is not None else None


def _cache_control(block: CachePoint) -> dict[str, Any]:
    control: dict[str, Any] = {"type": block.cache_control.type}
    if block.cache_control.ttl and block.cache_control.ttl != _DEFAULT_CACHE_TTL:
        control["ttl"] = block.cache_control.ttl
    return control


def _tool_call_from_block(block: ToolCallBlock) -> dict[str, Any]:
    arguments = block.tool_kwargs
    return {
        "id": block.tool_call_id,
        "type": "function",
        "function": {
            "name": block.tool_name,
            "arguments": arguments if isinstance(arguments, str) else _json.dumps(arguments),
        },
    }


def _legacy_tool_calls(value: Any) -> list[dict[str, Any]]:
    """Tool calls kept in ``additional_kwargs`` (by older code or other LLM classes)."""
    if not isinstance(value, list):
        return []
    calls: list[dict[str, Any]] = []
    for call in value:
        data = call.model_dump(exclude_none=True) if isinstance(call, BaseModel) else call
        if not isinstance(data, Mapping):
            continue
        function = data.get("function") or {}
        arguments = function.get("arguments")
        calls.append(
            {
                "id": data.get("id"),
                "type": data.get("type") or "function",
                "function": {
                    "name": function.get("name") or "",
                    "arguments": arguments
                    if isinstance(arguments, str)
                    else _json.dumps(arguments or {}),
                },
            }
        )
    return calls


# --------------------------------------------------------------------------------------------
# Request: tools, structured output, body
# --------------------------------------------------------------------------------------------


def to_openrouter_tools(tools: Sequence[BaseTool]) -> list[dict[str, Any]]:
    """OpenAI-style function specs for LlamaIndex tools (the shape OpenRouter accepts).

    Raises:
        ValueError: A tool's argument schema cannot be converted to JSON schema (named in the
            message).
    """
    return [_openai_tool(tool) for tool in tools]


def _openai_tool(tool: BaseTool) -> dict[str, Any]:
    try:
        return tool.metadata.to_openai_tool(skip_length_check=True)
    except Exception as exc:
        name = getattr(tool.metadata, "name", None) or type(tool).__name__
        msg = f"cannot convert the tool {name!r} to an OpenAI tool schema: {exc}"
        raise ValueError(msg) from exc


def resolve_tool_choice(tool_choice: str | Mapping[str, Any] | None, *, required: bool) -> Any:
    """The ``tool_choice`` to send.

    Args:
        tool_choice: ``"auto"``, ``"none"``, ``"required"``, a tool name, a ``tool_choice``
            object, or ``None``.
        required: Whether the model must call a tool (used when ``tool_choice`` is ``None``).

    Returns:
        ``"auto"``/``"none"``/``"required"``, or ``{"type": "function", "function": {...}}``.
    """
    if tool_choice is None:
        return "required" if required else "auto"
    if isinstance(tool_choice, Mapping):
        return dict(tool_choice)
    if tool_choice in {"auto", "none", "required"}:
        return tool_choice
    return {"type": "function", "function": {"name": tool_choice}}


def json_schema_response_format(output_cls: type[BaseModel]) -> dict[str, Any]:
    """The ``response_format`` asking for JSON that matches a pydantic model's schema."""
    schema = output_cls.model_json_schema()
    return {
        "type": "json_schema",
        "json_schema": {"name": output_cls.__name__, "schema": schema},
    }


def _split_kwargs(
    source: Mapping[str, Any], fields: dict[str, Any], options: dict[str, Any]
) -> None:
    """Route keyword arguments: OpenRouter options to ``options``, the rest to ``fields``."""
    for key, value in source.items():
        if key == "extra_body" and isinstance(value, Mapping):
            _split_kwargs(value, fields, options)
        elif key in _OPTION_FIELDS:
            options[key] = value
        elif value is not None:
            fields[key] = value


def build_request_body(
    model: str,
    messages: list[dict[str, Any]],
    *,
    params: Mapping[str, Any],
    options: OpenRouterOptions | None,
    additional_kwargs: Mapping[str, Any],
    call_kwargs: Mapping[str, Any],
) -> dict[str, Any]:
    """Build the chat-completion request body.

    Later sources win: the model's parameters (``params``, e.g. ``temperature``), then its
    ``additional_kwargs``, then the keyword arguments of this call. In the last two, names of
    :class:`~openrouter_core.options.OpenRouterOptions` fields (``provider``, ``reasoning``,
    ``user``, ``top_k``...) are validated and merged with the model's own ``options`` (provider
    preferences one level deep), an ``extra_body`` mapping is unpacked, and ``None`` values are
    left out.

    Args:
        model: The model slug.
        messages: The converted messages.
        params: OpenAI parameters set on the model (``None`` values already left out).
        options: OpenRouter options set on the model.
        additional_kwargs: The model's ``additional_kwargs``.
        call_kwargs: Keyword arguments of this call (transport settings already removed).

    Returns:
        A new dict, sent as is.

    Raises:
        pydantic.ValidationError: An OpenRouter option has an invalid value.
    """
    body: dict[str, Any] = {"model": model, "messages": messages, **params}
    extra_options: dict[str, Any] = {}
    call_options: dict[str, Any] = {}
    _split_kwargs(additional_kwargs, body, extra_options)
    _split_kwargs(call_kwargs, body, call_options)
    body.update(build_extra_body(options, extra_options, call_options))
    return body


# --------------------------------------------------------------------------------------------
# Response
# --------------------------------------------------------------------------------------------


def response_kwargs(body: Mapping[str, Any]) -> dict[str, Any]:
    """The usage, cost and routing facts of a completion body, for ``additional_kwargs``.

    Returns:
        ``prompt_tokens``, ``completion_tokens``, ``total_tokens`` (the names
        ``TokenCountingHandler`` reads), ``cached_tokens``, ``cache_write_tokens``,
        ``reasoning_tokens`` (all ``None`` when the response reported no usage), ``cost`` (the
        number as sent, ``None`` when not reported), ``provider``, ``model`` (as served),
        ``generation_id``, ``finish_reason`` and ``native_finish_reason``.
    """
    meta = response_metadata(body)
    usage = meta["usage"]
    return {
        "prompt_tokens": usage.input_tokens if usage else None,
        "completion_tokens": usage.output_tokens if usage else None,
        "total_tokens": usage.total_tokens if usage else None,
        "cached_tokens": usage.cached_tokens if usage else None,
        "cache_write_tokens": usage.cache_write_tokens if usage else None,
        "reasoning_tokens": usage.reasoning_tokens if usage else None,
        "cost": meta["cost"],
        "provider": meta["provider"],
        "model": meta["model"],
        "generation_id": meta["id"],
        "finish_reason": meta["finish_reason"],
        "native_finish_reason": meta["native_finish_reason"],
    }


def _choice(body: Mapping[str, Any]) -> Mapping[str, Any]:
    choices = body.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices else None
    return choice if isinstance(choice, Mapping) else {}


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text") or "")
            for part in content
            if isinstance(part, Mapping) and part.get("type") == "text"
        )
    return ""


def _tool_call_blocks(tool_calls: list[dict[str, Any]], *, parse: bool) -> list[ToolCallBlock]:
    blocks = []
    for call in tool_calls:
        function = call.get("function") or {}
        raw = function.get("arguments")
        text = raw if isinstance(raw, str) else _json.dumps(raw or {})
        kwargs: dict[str, Any] | str = text
        if parse:
            parsed = parse_arguments(text)
            if parsed.args is not None:
                kwargs = parsed.args
        blocks.append(
            ToolCallBlock(
                tool_call_id=call.get("id"),
                tool_name=function.get("name") or "",
                tool_kwargs=kwargs,
            )
        )
    return blocks


def _logprobs(choice: Mapping[str, Any]) -> list[list[LogProb]] | None:
    logprobs = choice.get("logprobs")
    content = logprobs.get("content") if isinstance(logprobs, Mapping) else None
    if not isinstance(content, list) or not content:
        return None
    out = []
    for entry in content:
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


def _assistant_message(message: Mapping[str, Any], reasoning_tokens: int | None) -> ChatMessage:
    blocks: list[ContentBlock] = []
    reasoning = message.get("reasoning") or message.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning:
        blocks.append(ThinkingBlock(content=reasoning, num_tokens=reasoning_tokens or None))
    text = _text_of(message.get("content"))
    raw_calls = message.get("tool_calls")
    tool_calls = (
        [c for c in raw_calls if isinstance(c, dict)] if isinstance(raw_calls, list) else []
    )
    if text or not tool_calls:
        blocks.append(TextBlock(text=text))
    blocks.extend(_tool_call_blocks(tool_calls, parse=True))
    extra: dict[str, Any] = {}
    if tool_calls:
        extra["tool_calls"] = tool_calls
    details = message.get("reasoning_details")
    if isinstance(details, list) and details:
        extra["reasoning_details"] = details
    annotations = message.get("annotations")
    if isinstance(annotations, list) and annotations:
        extra["annotations"] = annotations
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal:
        extra["refusal"] = refusal
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)


def chat_response_from_body(
    body: dict[str, Any], *, delta: str | None = None, incomplete: bool = False
) -> ChatResponse:
    """Build the ``ChatResponse`` of a completion body.

    Used for non-streaming responses and, with ``StreamAccumulator.completion()``, for the last
    response of a stream, so both carry the same message and metadata.

    Args:
        body: A chat-completion response body; kept as ``raw``.
        delta: The ``delta`` to set (``""`` for the last response of a stream).
        incomplete: Whether the stream was stopped before it finished (adds
            ``additional_kwargs["incomplete"] = True``).

    Returns:
        The response: an assistant message with a :class:`ThinkingBlock` (reasoning), a
        :class:`TextBlock` and :class:`ToolCallBlock`s; ``reasoning_details``, ``tool_calls``
        and ``annotations`` in the message's ``additional_kwargs``; usage and routing facts in
        the response's ``additional_kwargs`` (see :func:`response_kwargs`).
    """
    choice = _choice(body)
    message = choice.get("message")
    kwargs = response_kwargs(body)
    chat_message = _assistant_message(
        message if isinstance(message, Mapping) else {}, kwargs["reasoning_tokens"]
    )
    if incomplete:
        kwargs["incomplete"] = True
    return ChatResponse(
        message=chat_message,
        raw=body,
        delta=delta,
        logprobs=_logprobs(choice),
        additional_kwargs=kwargs,
    )


def chat_response_from_delta(acc: StreamAccumulator, delta: StreamDelta) -> ChatResponse | None:
    """Build the ``ChatResponse`` for one streamed chunk, or ``None`` when it added nothing to show.

    The message is the whole answer so far: reasoning (a :class:`ThinkingBlock`), text, and every
    tool call received so far (arguments as the raw, possibly incomplete, JSON text), so an agent
    reading any chunk sees all calls. ``delta`` is the text this chunk added;
    ``additional_kwargs`` holds ``thinking_delta`` (the reasoning it added) and
    :data:`PARTIAL_KEY`.
    """
    if not (delta.content or delta.reasoning or delta.tool_calls):
        return None
    blocks: list[ContentBlock] = []
    reasoning = acc.reasoning
    if reasoning:
        blocks.append(ThinkingBlock(content=reasoning))
    text = acc.text
    tool_calls = acc.tool_calls
    if text or not tool_calls:
        blocks.append(TextBlock(text=text))
    extra: dict[str, Any] = {}
    if tool_calls:
        blocks.extend(_tool_call_blocks(tool_calls, parse=False))
        extra["tool_calls"] = tool_calls
    kwargs: dict[str, Any] = {PARTIAL_KEY: True}
    if delta.reasoning:
        kwargs["thinking_delta"] = delta.reasoning
    return ChatResponse(
        message=ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra),
        raw=delta.chunk,
        delta=delta.content,
        additional_kwargs=kwargs,
    )


def completion_response_from_body(
    body: dict[str, Any], *, delta: str | None = None, incomplete: bool = False
) -> CompletionResponse:
    """Build the ``CompletionResponse`` of a completion body (see :func:`chat_response_from_body`).

    The reasoning text, when any, is in ``additional_kwargs["reasoning"]`` and the raw
    ``reasoning_details`` in ``additional_kwargs["reasoning_details"]``.
    """
    choice = _choice(body)
    message = choice.get("message")
    message = message if isinstance(message, Mapping) else {}
    kwargs = response_kwargs(body)
    reasoning = message.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        kwargs["reasoning"] = reasoning
    details = message.get("reasoning_details")
    if isinstance(details, list) and details:
        kwargs["reasoning_details"] = details
    if incomplete:
        kwargs["incomplete"] = True
    return CompletionResponse(
        text=_text_of(message.get("content")),
        raw=body,
        delta=delta,
        logprobs=_logprobs(choice),
        additional_kwargs=kwargs,
    )


def completion_response_from_delta(
    acc: StreamAccumulator, delta: StreamDelta
) -> CompletionResponse | None:
    """Build the ``CompletionResponse`` for one streamed chunk (text so far plus its delta)."""
    if not (delta.content or delta.reasoning):
        return None
    kwargs: dict[str, Any] = {PARTIAL_KEY: True}
    if delta.reasoning:
        kwargs["thinking_delta"] = delta.reasoning
    return CompletionResponse(
        text=acc.text, delta=delta.content, raw=delta.chunk, additional_kwargs=kwargs
    )


# --------------------------------------------------------------------------------------------
# Tool calls back
# --------------------------------------------------------------------------------------------


def _calls_in(message: ChatMessage) -> list[tuple[str, str, dict[str, Any] | str]]:
    calls = [
        (block.tool_call_id or "", block.tool_name, block.tool_kwargs)
        for block in message.blocks
        if isinstance(block, ToolCallBlock)
    ]
    if calls:
        return calls
    out: list[tuple[str, str, dict[str, Any] | str]] = []
    for call in _legacy_tool_calls(message.additional_kwargs.get("tool_calls")):
        function = call["function"]
        out.append((call.get("id") or "", function["name"], function["arguments"]))
    return out


def tool_selections_from_response(
    response: ChatResponse, *, error_on_no_tool_call: bool = True
) -> list[ToolSelection]:
    """Read the tool calls of a response.

    Arguments that are not a JSON object raise (``error_on_no_tool_call=True``) or come back
    as ``{RAW_ARGUMENTS_KEY: "<the text as sent>"}``. While a stream is running (responses
    marked with :data:`PARTIAL_KEY`), incomplete arguments are parsed as far as they go.

    Args:
        response: A response of :class:`~llama_index_openrouter.OpenRouter`.
        error_on_no_tool_call: Raise when there is no tool call or its arguments are malformed.

    Returns:
        One :class:`ToolSelection` per call, in order.

    Raises:
        ValueError: No tool call, or malformed arguments, with ``error_on_no_tool_call=True``.
    """
    calls = _calls_in(response.message)
    if not calls:
        if error_on_no_tool_call:
            msg = (
                "expected at least one tool call, but the model answered without calling a "
                f"tool: {(response.message.content or '')[:200]!r}"
            )
            raise ValueError(msg)
        return []
    partial = response.additional_kwargs.get(PARTIAL_KEY) is True
    selections = []
    for call_id, name, arguments in calls:
        kwargs: dict[str, Any]
        if isinstance(arguments, dict):
            kwargs = arguments
        else:
            parsed = parse_arguments(arguments)
            if parsed.args is not None:
                kwargs = parsed.args
            elif partial:
                kwargs = _partial_arguments(arguments)
            elif error_on_no_tool_call:
                msg = (
                    f"the model called the tool {name!r} (call id {call_id!r}) with arguments "
                    f"that cannot be used: {parsed.error}; received {parsed.raw[:500]!r}"
                )
                raise ValueError(msg)
            else:
                kwargs = {RAW_ARGUMENTS_KEY: parsed.raw}
        selections.append(ToolSelection(tool_id=call_id, tool_name=name, tool_kwargs=kwargs))
    return selections


def _partial_arguments(raw: str) -> dict[str, Any]:
    try:
        value = parse_partial_json(raw)
    except (ValueError, TypeError):
        return {}
    return value if isinstance(value, dict) else {}


def first_tool_call_only(response: ChatResponse) -> ChatResponse:
    """``response`` itself when it holds at most one tool call, else a copy holding the first.

    For streams: the responses yielded are also the instrumentation events' payloads, which
    keep every call the model made.
    """
    message = response.message
    calls = message.additional_kwargs.get("tool_calls")
    many_calls = isinstance(calls, list) and len(calls) > 1
    if not many_calls and sum(isinstance(b, ToolCallBlock) for b in message.blocks) < 2:
        return response
    copy = response.model_copy(
        update={
            "message": message.model_copy(
                update={
                    "blocks": list(message.blocks),
                    "additional_kwargs": dict(message.additional_kwargs),
                }
            ),
            "additional_kwargs": dict(response.additional_kwargs),
        }
    )
    return keep_first_tool_call(copy)


def keep_first_tool_call(response: ChatResponse) -> ChatResponse:
    """Drop every tool call but the first from a response's message (in place); return it."""
    message = response.message
    seen = False
    blocks: list[ContentBlock] = []
    for block in message.blocks:
        if isinstance(block, ToolCallBlock):
            if seen:
                continue
            seen = True
        blocks.append(block)
    message.blocks = blocks
    calls = message.additional_kwargs.get("tool_calls")
    if isinstance(calls, list) and len(calls) > 1:
        message.additional_kwargs["tool_calls"] = calls[:1]
    return response
