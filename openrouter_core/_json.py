"""JSON helpers: one fast parser for every body and SSE line the client reads."""

from __future__ import annotations

from typing import Any

import orjson

__all__ = ["JSONDecodeError", "dumps", "loads"]

JSONDecodeError = orjson.JSONDecodeError


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Parse JSON, tolerating the whitespace keep-alives OpenRouter writes before a body."""
    return orjson.loads(data)


def dumps(value: Any) -> str:
    """Serialise to compact JSON text (non-string keys allowed, UTF-8 kept as is)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
