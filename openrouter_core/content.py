"""Framework-neutral pieces of request and response bodies, shared by both integrations.

Request side: OpenAI-style content parts for images, files (PDF) and audio, with
``cache_control`` where asked. Response side: the OpenRouter metadata of a completion and the
parsing of tool-call arguments (malformed JSON is reported, never raised).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from openrouter_core import _json
from openrouter_core.usage import OpenRouterUsage, usage_from_body

__all__ = [
    "EPHEMERAL",
    "ParsedArguments",
    "audio_part",
    "data_url",
    "file_part",
    "image_part",
    "parse_arguments",
    "response_metadata",
    "text_part",
    "with_cache_control",
]

EPHEMERAL: dict[str, str] = {"type": "ephemeral"}
"""The ``cache_control`` value OpenRouter forwards to providers with explicit prompt caching."""


def data_url(data: bytes | str, mime_type: str) -> str:
    """Return a ``data:`` URL; ``data`` is raw bytes or already base64-encoded text."""
    encoded = base64.b64encode(data).decode("ascii") if isinstance(data, bytes) else data
    return f"data:{mime_type};base64,{encoded}"


def text_part(text: str) -> dict[str, Any]:
    """A text content part."""
    return {"type": "text", "text": text}


def image_part(url: str, *, detail: str | None = None) -> dict[str, Any]:
    """An image part from an ``https://`` or ``data:`` URL."""
    image_url: dict[str, Any] = {"url": url}
    if detail:
        image_url["detail"] = detail
    return {"type": "image_url", "image_url": image_url}


def file_part(file_data: str, *, filename: str = "document.pdf") -> dict[str, Any]:
    """A file part (PDFs and other documents); ``file_data`` is a URL or a ``data:`` URL."""
    return {"type": "file", "file": {"filename": filename, "file_data": file_data}}


def audio_part(data: bytes | str, audio_format: str) -> dict[str, Any]:
    """An ``input_audio`` part; ``data`` is raw bytes or base64 text, ``audio_format`` e.g. wav."""
    encoded = base64.b64encode(data).decode("ascii") if isinstance(data, bytes) else data
    return {"type": "input_audio", "input_audio": {"data": encoded, "format": audio_format}}


def with_cache_control(
    part: Mapping[str, Any], cache_control: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return a copy of a content part marked as a prompt-cache breakpoint."""
    return {**part, "cache_control": dict(cache_control or EPHEMERAL)}


class ParsedArguments:
    """Tool-call arguments parsed from the JSON string a model produced.

    Attributes:
        args: The arguments as a dict, or ``None`` when they are not a JSON object.
        raw: The string as received.
        error: Why parsing failed, or ``None``.
    """

    __slots__ = ("args", "error", "raw")

    def __init__(self, args: dict[str, Any] | None, raw: str, error: str | None) -> None:
        self.args = args
        self.raw = raw
        self.error = error


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


def response_metadata(body: Mapping[str, Any], *, with_usage: bool = True) -> dict[str, Any]:
    """The OpenRouter facts of a completion body (or an accumulated stream's completion).

    Args:
        body: The response body.
        with_usage: Whether to parse the usage into ``usage``; callers that read only the
            other facts skip that work with ``False`` (``usage`` is then ``None``).

    Returns:
        A dict with ``id`` (the ``gen-`` id), ``model`` (as served), ``provider``,
        ``finish_reason``, ``native_finish_reason``, ``system_fingerprint``, ``service_tier``,
        ``annotations`` (may be empty), ``cost`` and ``cost_details`` (as sent, ``None`` when not
        reported), ``is_byok`` and ``usage`` (the parsed :class:`OpenRouterUsage`, or ``None``).
    """
    choices = body.get("choices")
    choice: Mapping[str, Any] = choices[0] if isinstance(choices, list) and choices else {}
    message = choice.get("message")
    message = message if isinstance(message, Mapping) else {}
    usage_raw = body.get("usage")
    usage_raw = usage_raw if isinstance(usage_raw, Mapping) else {}
    usage: OpenRouterUsage | None = usage_from_body(body) if with_usage else None
    annotations = message.get("annotations")
    return {
        "id": body.get("id"),
        "model": body.get("model"),
        "provider": body.get("provider"),
        "finish_reason": choice.get("finish_reason"),
        "native_finish_reason": choice.get("native_finish_reason"),
        "system_fingerprint": body.get("system_fingerprint"),
        "service_tier": body.get("service_tier"),
        "annotations": list(annotations) if isinstance(annotations, list) else [],
        "cost": usage_raw.get("cost"),
        "cost_details": usage_raw.get("cost_details"),
        "is_byok": usage_raw.get("is_byok"),
        "usage": usage,
    }
