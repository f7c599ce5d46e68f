"""Model names: which model a call asked for, and whether the one that answered is it.

:func:`requested_model` reads the model a request body asks for. :func:`same_model` compares
two model ids up to what does not make them different models (a date or version stamp, a
routing variant such as ``:free``, word order); :func:`is_fallback` says whether a call was
served by another model than requested, consulting the model catalog at hand (never the
network) when the names alone cannot tell.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["is_fallback", "requested_model", "same_model"]

logger = logging.getLogger("openrouter_core")

# Trailing date stamps OpenRouter and providers append to a model's slug:
# 20251001, 2024-07-18, 04-28, 08-2024, 2506, 0613. Dropped on both sides: two snapshots of
# one model are the same model.
_DATE_SUFFIX = re.compile(r"(?:-(?:\d{8}|\d{4}-\d{2}-\d{2}|\d{2}-\d{4}|\d{2}-\d{2}|\d{4}))+$")
# Trailing version stamps, with or without dates: -001, -v0.1, -v3-0324. An alias and the
# version it points at are one model (gemini-2.0-flash is served as gemini-2.0-flash-001), but
# two different versions (-v0.1 and -v0.3) are not, so these are dropped from one side only.
_VERSION_SUFFIX = re.compile(
    r"(?:-(?:v\d+(?:\.\d+)*|\d{3}|\d{8}|\d{4}-\d{2}-\d{2}|\d{2}-\d{4}|\d{2}-\d{2}|\d{4}))+$"
)
_TOKEN_SPLIT = re.compile(r"[-_\s]+")


def _tokens(slug: str) -> tuple[str, ...]:
    tokens: list[str] = []
    for token in _TOKEN_SPLIT.split(slug):
        if not token:
            continue
        # "claude-3-5-sonnet" and "claude-3.5-sonnet" name the same model.
        if token.isdigit() and tokens and tokens[-1].replace(".", "").isdigit():
            tokens[-1] = f"{tokens[-1]}.{token}"
        else:
            tokens.append(token)
    # Word order varies between the public id and the served slug
    # ("claude-haiku-4.5" is served as "claude-4.5-haiku-20251001").
    return tuple(sorted(tokens))


@functools.lru_cache(maxsize=1024)
def _model_key(model: str) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    """Reduce a model id to (author, name tokens, name tokens without a version suffix).

    Variants (``:free``...) and date suffixes are dropped from both token sets; the third also
    lacks a trailing version stamp (``-001``, ``-v0.1``, ``-v3-0324``).
    """
    name = model.strip().lower().lstrip("~")
    name = name.split(":", 1)[0]  # :free, :nitro, :online, :thinking... are routing variants
    author, _, slug = name.rpartition("/")
    dated = _DATE_SUFFIX.sub("", slug)
    return author or None, _tokens(dated), _tokens(_VERSION_SUFFIX.sub("", dated) or dated)


def same_model(requested: str, served: str) -> bool:
    """Whether ``served`` is ``requested`` up to a version/date suffix, variant or word order.

    ``anthropic/claude-haiku-4.5`` and ``anthropic/claude-4.5-haiku-20251001`` are the same model,
    as are ``openai/gpt-4o-mini`` and ``openai/gpt-4o-mini-2024-07-18``, ``qwen/qwen3-4b:free``
    and ``qwen/qwen3-4b-04-28``, or ``openai/text-embedding-3-small`` and
    ``text-embedding-3-small`` (a served name without its author). An alias and a pinned
    version are too: ``google/gemini-2.0-flash`` and ``google/gemini-2.0-flash-001``,
    ``deepseek/deepseek-chat`` and ``deepseek/deepseek-chat-v3-0324``. ``openai/gpt-4o`` and
    ``openai/gpt-4o-mini`` are not, and neither are two different versions
    (``mistral-7b-instruct-v0.1`` and ``-v0.3``).
    """
    req_author, req_tokens, req_base = _model_key(requested)
    srv_author, srv_tokens, srv_base = _model_key(served)
    if req_author and srv_author and req_author != srv_author:
        return False
    return req_tokens in (srv_tokens, srv_base) or req_base == srv_tokens


def _catalog_says_same(base_url: str | None, requested: str, served: str) -> bool:
    """Whether the catalog at hand (no network) knows ``served`` as ``requested``'s model."""
    try:
        from openrouter_core.catalog import catalog_info

        info = catalog_info(base_url, requested)
        if info is None:
            return False
        slug = getattr(info, "canonical_slug", None)
        if isinstance(slug, str) and slug and same_model(slug, served):
            return True
        other = catalog_info(base_url, served)
        return other is not None and other.id == info.id
    except Exception:  # the catalog is a refinement; it must never break recording
        logger.debug("catalog lookup for fallback detection failed", exc_info=True)
        return False


def is_fallback(
    requested: str | None,
    served: str | None,
    *,
    base_url: str | None = None,
    use_catalog: bool = True,
) -> bool:
    """Whether a call was served by a different model than it asked for.

    True for a ``models=[...]`` fallback target and for an ``openrouter/auto`` resolution; false
    when either side is unknown or the names differ only by a version/date suffix (see
    :func:`same_model`). When the names differ otherwise and the model catalog of ``base_url``
    is at hand (memory or disk, never the network), the requested model's ``canonical_slug`` is
    compared too, and a served name the catalog resolves to the requested entry is the same
    model. The catalog can only clear a call, never flag one.

    Args:
        requested: The model the request asked for.
        served: The model OpenRouter reported.
        base_url: The API root whose catalog to consult (``None``: the default).
        use_catalog: Whether to consult the catalog at all.
    """
    if not requested or not served:
        return False
    if same_model(requested, served):
        return False
    return not (use_catalog and _catalog_says_same(base_url, requested, served))


def requested_model(body: Mapping[str, Any]) -> str | None:
    """The model a request body asks for: ``model``, else the first of a ``models`` list."""
    model = body.get("model")
    if isinstance(model, str) and model:
        return model
    fallbacks = body.get("models")
    if isinstance(fallbacks, list) and fallbacks and isinstance(fallbacks[0], str):
        return fallbacks[0]
    return None
