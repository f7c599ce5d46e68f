"""The emulator's generated images: a small valid PNG drawn from the prompt (pure functions).

An image-output model (``output_modalities`` with ``"image"``) asked for
``modalities: ["image", "text"]`` answers with one of these beside its text, as
``data:image/png;base64,...``. The picture is a flat colour taken from a hash of the prompt, in
the aspect ratio of ``image_config.aspect_ratio`` (``"16:9"``...; square by default).
"""

from __future__ import annotations

import base64
import hashlib
import struct
import zlib
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["IMAGE_OUTPUT_TOKENS", "image_data_url", "png"]

IMAGE_OUTPUT_TOKENS: Final = 1290
"""Completion tokens one generated image counts for (as in the real ``rl_image_gen_chat``)."""

_SIDE = 32


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid RGB PNG of one colour."""
    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(row * height))
        + _chunk(b"IEND", b"")
    )


def _size(image_config: Any) -> tuple[int, int]:
    ratio = image_config.get("aspect_ratio") if isinstance(image_config, Mapping) else None
    if isinstance(ratio, str) and ":" in ratio:
        w, _, h = ratio.partition(":")
        try:
            across, down = float(w), float(h)
        except ValueError:
            return _SIDE, _SIDE
        if across > 0 and down > 0:
            if across >= down:
                return _SIDE, max(1, round(_SIDE * down / across))
            return max(1, round(_SIDE * across / down)), _SIDE
    return _SIDE, _SIDE


def image_data_url(prompt: str, image_config: Any = None) -> str:
    """The ``data:image/png;base64,...`` URL of the image generated for ``prompt``."""
    digest = hashlib.sha256(prompt.encode()).digest()
    width, height = _size(image_config)
    data = png(width, height, (digest[0], digest[1], digest[2]))
    return "data:image/png;base64," + base64.b64encode(data).decode()
