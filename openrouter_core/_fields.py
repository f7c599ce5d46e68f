"""Tolerant readers for JSON fields OpenRouter may send missing, null, "" or in a new shape."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from openrouter_core.usage import to_decimal

__all__ = [
    "bool_or_none",
    "float_map",
    "float_or_none",
    "int_or_none",
    "mapping_or_none",
    "str_or_none",
    "strings",
]


def str_or_none(value: Any) -> str | None:
    """A non-empty string, else ``None`` (``""`` and ``null`` both mean "unknown")."""
    return value if isinstance(value, str) and value else None


def int_or_none(value: Any) -> int | None:
    """An integer from an int, an integral float or a numeric string, else ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str):
        number = to_decimal(value)
        return int(number) if number is not None else None
    return None


def float_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def bool_or_none(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(item for item in value if isinstance(item, str) and item)


def mapping_or_none(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def float_map(value: Any) -> Mapping[str, float] | None:
    """Percentile objects such as ``{"p50": 0.45, "p90": 0.9}``; other shapes give ``None``."""
    if not isinstance(value, Mapping):
        return None
    out = {str(k): f for k, v in value.items() if (f := float_or_none(v)) is not None}
    return out or None
