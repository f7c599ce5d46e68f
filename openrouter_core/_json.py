"""JSON helpers: one fast parser for every body and SSE line the client reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

__all__ = ["JSONDecodeError", "dumps", "encode_body", "loads"]

JSONDecodeError = orjson.JSONDecodeError


def loads(data: bytes | bytearray | memoryview | str) -> Any:
    """Parse JSON, tolerating the whitespace keep-alives OpenRouter writes before a body."""
    return orjson.loads(data)


def dumps(value: Any) -> str:
    """Serialise to compact JSON text (non-string keys allowed, UTF-8 kept as is)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _default(value: Any) -> Any:
    # What the SDK's own encoder also accepts: pydantic models, dumped as the SDK dumps them.
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(exclude_unset=True, mode="json", by_alias=True)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode_body(body: Mapping[str, Any]) -> bytes | dict[str, Any]:
    """A request body as the JSON bytes the SDK sends unchanged.

    orjson encodes a long conversation tens of times faster than the SDK's ``json.dumps``. A
    body orjson cannot encode is returned as a dict, for the SDK to encode (or reject) itself.
    Non-finite floats would become ``null`` here; the parameter checks reject them first.
    """
    try:
        return orjson.dumps(body, default=_default, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return dict(body)
