"""LangChain messages and content blocks in OpenRouter's request shape.

LangChain v1 standard blocks and OpenAI-style dicts (text, image, file, audio, video, with
``cache_control`` wherever given) become content parts (:mod:`openrouter_core.parts`); each
message type becomes its ``messages`` entry. An ``AIMessage`` goes back with its tool calls
(valid and invalid) and its reasoning: ``reasoning_details`` exactly as received, else the
reasoning text. Pure: nothing here sends a request.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from openrouter_core import _json
from openrouter_core.parts import (
    audio_part,
    data_url,
    file_part,
    image_part,
    text_part,
    video_part,
    with_cache_control,
)

__all__ = ["convert_message", "convert_messages", "format_block", "format_content"]


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
    return video_part(url)


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
