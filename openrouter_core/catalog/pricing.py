"""A model's prices as exact ``Decimal`` USD amounts, and the cost arithmetic over them (pure).

:class:`ModelPricing` is what a ``pricing`` object of ``GET /models`` (or of one provider
endpoint) becomes: prices per token (per request, image or web search for those keys), parsed
from the decimal strings OpenRouter sends by a tolerant parser (a missing field, ``null`` and
``""`` all read as "not listed"; unknown keys are kept in :attr:`ModelPricing.extra`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from openrouter_core.usage import to_decimal

__all__ = ["ModelPricing", "check_token_counts", "parse_pricing"]

_KNOWN_PRICES = (
    "prompt",
    "completion",
    "request",
    "image",
    "web_search",
    "internal_reasoning",
    "input_cache_read",
    "input_cache_write",
)


def _price(value: Any) -> Decimal | None:
    """A price; negative values (the router's ``"-1"``) mean "depends on the routed model"."""
    number = to_decimal(value)
    if number is None or number < 0:
        return None
    return number


@dataclasses.dataclass(frozen=True, slots=True)
class ModelPricing:
    """A model's (or one provider endpoint's) prices, in USD, as exact ``Decimal`` values.

    ``None`` means "not listed" (or variable: the ``openrouter/auto`` router lists ``-1``).

    Attributes:
        prompt: Per input token.
        completion: Per output token (reasoning tokens included, unless
            ``internal_reasoning`` is above zero).
        request: Per request.
        image: Per input image.
        web_search: Per web search (the ``web`` plugin and ``:online`` variants).
        internal_reasoning: Per reasoning token, for models that price reasoning apart
            (``0`` means "billed as completion tokens").
        input_cache_read: Per input token read from the prompt cache.
        input_cache_write: Per input token written to the prompt cache.
        extra: Any other numeric pricing key OpenRouter sends (``audio``, ``image_output``,
            ``input_cache_write_1h``, ``discount``...), kept as ``Decimal``.
    """

    prompt: Decimal | None = None
    completion: Decimal | None = None
    request: Decimal | None = None
    image: Decimal | None = None
    web_search: Decimal | None = None
    internal_reasoning: Decimal | None = None
    input_cache_read: Decimal | None = None
    input_cache_write: Decimal | None = None
    extra: Mapping[str, Decimal] = dataclasses.field(default_factory=dict)

    def get(self, key: str) -> Decimal | None:
        """Return the price listed under an OpenRouter pricing key (known or extra)."""
        if key in _KNOWN_PRICES:
            value: Decimal | None = getattr(self, key)
            return value
        return self.extra.get(key)

    @property
    def known(self) -> bool:
        """Whether both token prices are listed (so a cost can be estimated)."""
        return self.prompt is not None and self.completion is not None

    @property
    def is_free(self) -> bool:
        """Whether input, output and requests all cost nothing."""
        return self.prompt == 0 and self.completion == 0 and not self.request

    def cost_parts(
        self,
        input_tokens: int,
        output_tokens: int,
        cached_tokens: int = 0,
        reasoning_tokens: int = 0,
        *,
        cache_write_tokens: int = 0,
        requests: int = 1,
    ) -> dict[str, Decimal]:
        """Break an estimated cost into its parts (same arguments as :meth:`cost`).

        Returns:
            ``{"input", "cache_read", "cache_write", "output", "reasoning", "request"}``, each
            a ``Decimal`` in USD (zero when it does not apply).

        Raises:
            ValueError: A count is negative, cached plus cache-write tokens exceed the input,
                or reasoning tokens exceed the output; or the prices are not listed.
        """
        check_token_counts(
            input_tokens, output_tokens, cached_tokens, reasoning_tokens, cache_write_tokens
        )
        if requests < 0:
            raise ValueError(f"requests must be >= 0, got {requests}")
        if self.prompt is None or self.completion is None:
            raise ValueError("this model lists no token prices (its cost depends on routing)")
        read = self.input_cache_read if self.input_cache_read is not None else self.prompt
        write = self.input_cache_write if self.input_cache_write is not None else self.prompt
        separate = self.internal_reasoning is not None and self.internal_reasoning > 0
        priced_reasoning = reasoning_tokens if separate else 0
        return {
            "input": (input_tokens - cached_tokens - cache_write_tokens) * self.prompt,
            "cache_read": cached_tokens * read,
            "cache_write": cache_write_tokens * write,
            "output": (output_tokens - priced_reasoning) * self.completion,
            "reasoning": priced_reasoning * (self.internal_reasoning or Decimal(0)),
            "request": requests * (self.request or Decimal(0)),
        }

    def cost(
        self,
        input_tokens: int,
        output_tokens: int,
        cached_tokens: int = 0,
        reasoning_tokens: int = 0,
        *,
        cache_write_tokens: int = 0,
        requests: int = 1,
    ) -> Decimal:
        """Estimate the cost of a call from its token counts, the way OpenRouter bills them.

        Token counts follow :class:`~openrouter_core.usage.OpenRouterUsage`: ``input_tokens``
        includes the cached and cache-write tokens, ``output_tokens`` includes the reasoning
        tokens. Cached tokens cost ``input_cache_read`` and written ones ``input_cache_write``
        (the prompt price where a key is missing); reasoning tokens cost the completion price
        unless ``internal_reasoning`` is above zero. Images, audio and web searches are not
        included.

        Args:
            input_tokens: Prompt tokens.
            output_tokens: Completion tokens.
            cached_tokens: Prompt tokens read from the cache.
            reasoning_tokens: Completion tokens spent on reasoning.
            cache_write_tokens: Prompt tokens written to the cache.
            requests: Number of requests (for a per-request price).

        Returns:
            The cost in USD.

        Raises:
            ValueError: Inconsistent counts, or no token prices listed.
        """
        parts = self.cost_parts(
            input_tokens,
            output_tokens,
            cached_tokens,
            reasoning_tokens,
            cache_write_tokens=cache_write_tokens,
            requests=requests,
        )
        return sum(parts.values(), Decimal(0))

    def to_dict(self) -> dict[str, str]:
        """Plain-JSON form: every listed price as an exact decimal string."""
        out = {k: str(v) for k in _KNOWN_PRICES if (v := getattr(self, k)) is not None}
        out.update((k, str(v)) for k, v in self.extra.items())
        return out


def check_token_counts(
    input_tokens: int,
    output_tokens: int,
    cached_tokens: int,
    reasoning_tokens: int,
    cache_write_tokens: int,
) -> None:
    """Reject counts that are not non-negative ints or do not add up, before any request.

    Raises:
        TypeError: A count is not an int.
        ValueError: A count is negative, cached plus cache-write tokens exceed the input, or
            reasoning tokens exceed the output.
    """
    counts = {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cached_tokens": cached_tokens,
        "reasoning_tokens": reasoning_tokens,
        "cache_write_tokens": cache_write_tokens,
    }
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {value!r}")
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
    if cached_tokens + cache_write_tokens > input_tokens:
        raise ValueError(
            f"cached_tokens + cache_write_tokens ({cached_tokens + cache_write_tokens}) "
            f"exceed input_tokens ({input_tokens}); input_tokens counts them all"
        )
    if reasoning_tokens > output_tokens:
        raise ValueError(
            f"reasoning_tokens ({reasoning_tokens}) exceed output_tokens ({output_tokens}); "
            "output_tokens counts the reasoning tokens"
        )


def parse_pricing(value: Any) -> ModelPricing:
    """Parse a ``pricing`` object (decimal strings or numbers); anything else gives no prices."""
    if not isinstance(value, Mapping):
        return ModelPricing()
    known = {key: _price(value.get(key)) for key in _KNOWN_PRICES}
    extra = {
        str(key): number
        for key, raw in value.items()
        if key not in _KNOWN_PRICES and (number := to_decimal(raw)) is not None
    }
    return ModelPricing(**known, extra=extra)
