"""The content parts of a request message, in OpenRouter's (OpenAI-style) shape.

Text, images, files (PDF), audio and video, and the ``cache_control`` mark that makes a part a
prompt-cache breakpoint. Both framework adapters build their message content from these, so a
part is shaped in one place.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

__all__ = [
    "EPHEMERAL",
    "audio_part",
    "data_url",
    "file_part",
    "image_part",
    "text_part",
    "video_part",
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


def video_part(url: str) -> dict[str, Any]:
    """A ``video_url`` part from an ``https://`` or ``data:`` URL."""
    return {"type": "video_url", "video_url": {"url": url}}
