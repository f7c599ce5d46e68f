"""LlamaIndex chat messages in OpenRouter's request shape.

Text, image, document, audio and video blocks become content parts
(:mod:`openrouter_core.parts`); a :class:`CachePoint` marks the part before it as a prompt-cache
breakpoint; tool-call blocks become ``tool_calls`` and tool results ``role: tool`` messages;
reasoning goes back as ``reasoning_details`` exactly as received, else as the reasoning text.
Pure: the only I/O is LlamaIndex resolving a block's data (reading a ``path``, fetching a
``url``). The conversation given is read, never modified.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

import filetype  # type: ignore[import-untyped]
from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    ContentBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)
from pydantic import BaseModel

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

__all__ = ["legacy_tool_calls", "to_openrouter_message", "to_openrouter_messages"]


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
_DEFAULT_CACHE_TTL = "5m"


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
        tool_calls = legacy_tool_calls(message.additional_kwargs.get("tool_calls"))
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
        return video_part(url)
    msg = (
        f"OpenRouter cannot take a {type(block).__name__} in a request; use text, image, "
        "document, audio, video, cache-point, thinking or tool-call blocks"
    )
    raise ValueError(msg)


def _decoded(encoded: bytes) -> bytes:
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


def legacy_tool_calls(value: Any) -> list[dict[str, Any]]:
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
