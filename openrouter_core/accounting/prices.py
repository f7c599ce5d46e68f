"""What a request may cost before it is sent: model prices and a request's worst case.

:class:`ModelPrices` holds one model's prices; a :data:`PriceSource` gives them by model id
(:func:`set_price_source` installs one process-wide; :func:`catalog_price_source` reads the
model catalog at hand, never the network). :func:`estimate_prompt_tokens` over-estimates a
request's prompt without a tokenizer, and :func:`worst_case_cost` prices the most a request can
cost, which the budget guard of ``track_usage(max_cost=...)`` reserves before sending it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from openrouter_core import _json

if TYPE_CHECKING:
    from openrouter_core.catalog import ModelInfo

__all__ = [
    "ModelPrices",
    "PriceSource",
    "catalog_price_source",
    "estimate_prompt_tokens",
    "get_price_source",
    "price_source_of",
    "prices_of",
    "set_price_source",
    "worst_case_cost",
]

_ZERO = Decimal(0)


@dataclasses.dataclass(frozen=True, slots=True)
class ModelPrices:
    """A model's prices, as the budget guard needs them (USD per token, exact).

    Attributes:
        prompt: Price of one prompt token.
        completion: Price of one completion token (reasoning included).
        request: Fixed price per request, if any.
        input_cache_write: Price of one prompt token written to the cache, when it differs.
        max_completion_tokens: The most a completion can be, used when a request sets no
            ``max_tokens``.
        context_length: The model's context window (prompt plus completion), which bounds
            the completion when neither the request nor the model gives an output limit.
    """

    prompt: Decimal
    completion: Decimal
    request: Decimal = _ZERO
    input_cache_write: Decimal | None = None
    max_completion_tokens: int | None = None
    context_length: int | None = None


PriceSource = Callable[[str], "ModelPrices | None"]
"""Gives a model id's prices, or ``None`` when unknown (the model catalog plugs in here)."""

_price_source: PriceSource | None = None


def set_price_source(source: PriceSource | None) -> PriceSource | None:
    """Install the process-wide price source the budget guard uses (``None`` removes it).

    Returns:
        The previous source.
    """
    global _price_source  # one process-wide hook, replaced atomically
    previous, _price_source = _price_source, source
    return previous


def get_price_source() -> PriceSource | None:
    """The process-wide price source, if one is installed."""
    return _price_source


def prices_of(info: ModelInfo | None) -> ModelPrices | None:
    """A catalog entry's prices as the budget guard reads them (``None``: no token prices).

    The ``openrouter/auto`` router, whose price depends on the route, lists none.
    """
    pricing = info.pricing if info is not None else None
    if info is None or pricing is None or pricing.prompt is None or pricing.completion is None:
        return None
    return ModelPrices(
        prompt=pricing.prompt,
        completion=pricing.completion,
        request=pricing.request or _ZERO,
        input_cache_write=pricing.input_cache_write,
        max_completion_tokens=info.max_completion_tokens,
        context_length=info.context_length,
    )


def catalog_price_source(base_url: str | None = None) -> PriceSource:
    """Prices from the model catalog of ``base_url``, as far as it is at hand (no network).

    This is what the budget guard uses when no other source is installed: the catalog's
    memory or disk copy (filled by any earlier catalog use, the CLI, or the framework classes'
    background load). Models it does not know, and the ``openrouter/auto`` router whose price
    depends on the route, give ``None``.
    """

    def source(model_id: str) -> ModelPrices | None:
        from openrouter_core.catalog import catalog_info

        return prices_of(catalog_info(base_url, model_id))

    return source


# Tokens assumed per image, file or audio part: the guard must not price a base64 payload by
# its length, and a few providers bill a large image at about this many tokens.
_MEDIA_PART_TOKENS = 1600
_MESSAGE_OVERHEAD_TOKENS = 4
# Deliberately fewer characters per token than typical English text (about 4), so the estimate
# errs high: the guard would rather refuse a call it could have afforded than overspend.
_CHARS_PER_TOKEN = 3


def _text_chars(value: Any) -> tuple[int, int]:
    """(characters of text, number of media parts) in a message content or tool payload."""
    if value is None:
        return 0, 0
    if isinstance(value, str):
        return len(value), 0
    if isinstance(value, Mapping):
        kind = value.get("type")
        if kind in ("image_url", "input_image", "file", "input_audio", "input_video", "video_url"):
            return 0, 1
        if kind == "text" or "text" in value:
            return len(str(value.get("text", ""))), 0
        return len(_json.dumps(value)), 0
    if isinstance(value, (list, tuple)):
        chars = media = 0
        for item in value:
            c, m = _text_chars(item)
            chars += c
            media += m
        return chars, media
    return len(str(value)), 0


def _is_token_ids(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(
        isinstance(x, int) and not isinstance(x, bool) for x in value
    )


def _input_tokens(value: Any) -> tuple[int, int, int]:
    """(characters of text, media parts, token ids) of an ``/embeddings`` body's ``input``."""
    if isinstance(value, str):
        return len(value), 0, 0
    if isinstance(value, (list, tuple)):
        if value and _is_token_ids(value):
            return 0, 0, len(value)  # one text given as token ids
        chars = media = ids = 0
        for item in value:
            if _is_token_ids(item):
                ids += len(item)
            elif isinstance(item, Mapping) and "content" in item:  # multimodal input item
                c, m = _text_chars(item.get("content"))
                chars += c
                media += m
            else:
                c, m = _text_chars(item)
                chars += c
                media += m
        return chars, media, ids
    if value is None:
        return 0, 0, 0
    c, m = _text_chars(value)
    return c, m, 0


def estimate_prompt_tokens(body: Mapping[str, Any]) -> int:
    """A generous estimate of a request's prompt tokens, without a tokenizer.

    Text counts one token per three characters (more than real tokenizers give for English),
    each message adds a few tokens of framing, each image, file or audio part a flat
    allowance; tool definitions and tool-call arguments count as their JSON text. An
    ``/embeddings`` body's ``input`` counts too: a string, a list of strings (each text as
    above), or token ids (a list of integers, or a list of such lists: one token per id).
    """
    chars = media = ids = 0
    if "input" in body:
        chars, media, ids = _input_tokens(body.get("input"))
    messages = body.get("messages")
    count = 0
    if isinstance(messages, list):
        count = len(messages)
        for message in messages:
            if not isinstance(message, Mapping):
                continue
            c, m = _text_chars(message.get("content"))
            chars += c
            media += m
            calls = message.get("tool_calls")
            if calls:
                chars += len(_json.dumps(calls))
    prompt = body.get("prompt")
    if isinstance(prompt, str):
        chars += len(prompt)
        count += 1
    for key in ("tools", "response_format"):
        if body.get(key):
            chars += len(_json.dumps(body[key]))
    return (
        math.ceil(chars / _CHARS_PER_TOKEN)
        + ids
        + count * _MESSAGE_OVERHEAD_TOKENS
        + media * _MEDIA_PART_TOKENS
    )


def _max_completion(body: Mapping[str, Any], prices: ModelPrices, prompt_tokens: int) -> int:
    for key in ("max_completion_tokens", "max_tokens"):
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    if prices.max_completion_tokens:
        return prices.max_completion_tokens
    if prices.context_length:
        # No output limit anywhere: the completion can fill what the prompt leaves free.
        return max(prices.context_length - prompt_tokens, 0)
    return 0


def worst_case_cost(
    body: Mapping[str, Any], prices_for: PriceSource, *, prompt_tokens: int | None = None
) -> Decimal | None:
    """The most a chat request can cost: prompt estimate plus its completion limit.

    The completion limit is ``max_completion_tokens`` / ``max_tokens`` (times ``n``), else the
    model's ``max_completion_tokens``, else its ``context_length`` minus the prompt estimate
    (the most the context window leaves for output); with none of them known only the prompt
    is priced. With a ``models=[...]`` fallback list the dearest priced candidate counts.

    Args:
        body: The request body.
        prices_for: Where prices come from.
        prompt_tokens: A prompt token count to use instead of :func:`estimate_prompt_tokens`.

    Returns:
        The worst case in USD, or ``None`` when no candidate model has known prices.
    """
    candidates: list[str] = []
    model = body.get("model")
    if isinstance(model, str) and model:
        candidates.append(model)
    fallbacks = body.get("models")
    if isinstance(fallbacks, list):
        candidates.extend(m for m in fallbacks if isinstance(m, str) and m not in candidates)
    tokens = estimate_prompt_tokens(body) if prompt_tokens is None else prompt_tokens
    n = body.get("n")
    choices = n if isinstance(n, int) and not isinstance(n, bool) and n > 1 else 1
    worst: Decimal | None = None
    for candidate in candidates:
        prices = prices_for(candidate)
        if prices is None or prices.prompt < 0 or prices.completion < 0:
            continue
        prompt_price = max(prices.prompt, prices.input_cache_write or _ZERO)
        cost = (
            tokens * prompt_price
            + _max_completion(body, prices, tokens) * choices * prices.completion
            + max(prices.request, _ZERO)
        )
        worst = cost if worst is None else max(worst, cost)
    return worst


def price_source_of(
    prices: PriceSource | Mapping[str, ModelPrices] | None,
) -> PriceSource | None:
    """A price source from a callable (as is) or a ``model -> ModelPrices`` mapping."""
    if prices is None or callable(prices):
        return prices
    table = dict(prices)
    return table.get
