"""Constructor arguments of code written for ``llama-index-llms-openrouter``, sorted into fields.

``OpenRouter`` replaces that package's class, which builds on LlamaIndex's ``OpenAILike``. Its
users pass ``order`` and ``allow_fallbacks`` (provider routing) and ``reasoning_effort``;
:func:`sort_arguments` folds them into the typed ``provider`` and ``reasoning`` fields. Arguments
that configure an OpenAI SDK client this package does not use (``http_client``, ``api_version``,
``reuse_client``...) and any unknown name raise a ``TypeError`` that lists the accepted names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

__all__ = ["ALIASES", "sort_arguments"]

ALIASES: dict[str, tuple[str, str]] = {
    "order": ("provider", "order"),
    "allow_fallbacks": ("provider", "allow_fallbacks"),
    "reasoning_effort": ("reasoning", "effort"),
}
"""Argument -> (field, key): ``order=[...]`` is ``provider={"order": [...]}``."""

_NOT_TAKEN = {
    "http_client": "requests go through this package's shared, pooled openai client",
    "async_http_client": "requests go through this package's shared, pooled openai client",
    "reuse_client": "clients are always shared and reused",
    "api_version": "OpenRouter has no API versions (that is an Azure OpenAI setting)",
    "tokenizer": "OpenRouter serves models with many tokenizers; token counts come back in "
    "each response's usage",
    "audio_config": "audio output is not supported",
}


def _as_dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_none=True, by_alias=True)
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"expected a mapping, got {type(value).__name__}")


def sort_arguments(values: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """Fold the official class's aliases into fields; refuse what cannot be taken.

    ``order``/``allow_fallbacks`` are merged into ``provider`` and ``reasoning_effort`` into
    ``reasoning`` (the alias wins over the same key inside the field, as in the official class).
    ``additional_kwargs=None`` is an empty dict.

    Raises:
        TypeError: An unknown argument, or one configuring a client this package does not use;
            the message says why and lists the accepted names.
    """
    accepted = set(fields)
    unknown = sorted(set(values) - accepted - set(ALIASES))
    if unknown:
        reasons = [f"{name} ({_NOT_TAKEN[name]})" for name in unknown if name in _NOT_TAKEN]
        others = [name for name in unknown if name not in _NOT_TAKEN]
        parts = []
        if reasons:
            parts.append("not taken: " + "; ".join(reasons))
        if others:
            parts.append(f"unknown: {', '.join(others)}")
        names = ", ".join(sorted(accepted | set(ALIASES)))
        raise TypeError(
            f"OpenRouter got unexpected argument(s): {'. '.join(parts)}. Request body fields "
            f"such as top_p or seed go in additional_kwargs={{...}}. Accepted: {names}"
        )
    values = dict(values)
    for alias, (field, key) in ALIASES.items():
        if alias in values:
            value = values.pop(alias)
            if value is not None:
                values[field] = {**_as_dict(values.get(field)), key: value}
    if values.get("additional_kwargs") is None:
        values.pop("additional_kwargs", None)
    return values
