"""Token and cost accounting parsed from OpenRouter responses.

OpenRouter has sent ``usage`` in several shapes over time (see the wire reference): only the
three totals (2024), ``prompt_tokens_details: null`` and no ``cost`` (2025 without usage
accounting), and the full object with ``cost``, ``is_byok``, ``cost_details`` and cache and
reasoning details (2026). :func:`parse_usage` accepts all of them and never invents a cost:
``cost is None`` means "not reported", which is different from zero.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "OpenRouterUsage",
    "TokenCounts",
    "nonempty_str",
    "parse_tokens",
    "parse_usage",
    "to_decimal",
    "token_count",
    "usage_from_body",
]


def to_decimal(value: Any) -> Decimal | None:
    """Convert a JSON cost (number, numeric string or null) to an exact ``Decimal``.

    Floats go through their shortest ``repr`` so ``1.4e-07`` becomes ``Decimal("1.4E-7")``
    rather than the float's binary expansion; booleans and unparsable values give ``None``.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        text = repr(value)
    elif isinstance(value, (int, str)):
        text = str(value).strip()
    else:
        return None
    try:
        result = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def token_count(value: Any) -> int:
    """Token counts sometimes arrive as floats (``12.0``) or are missing; normalise to int."""
    if value is None or isinstance(value, bool):
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def nonempty_str(value: Any) -> str | None:
    """``value`` when it is a non-empty string (an id, a model, a provider), else ``None``."""
    return value if isinstance(value, str) and value else None


def _add_optional(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    if a is None or b is None:
        return None
    return a + b


def _pick(a: str | None, b: str | None) -> str | None:
    return b if b is not None else a


@dataclasses.dataclass(frozen=True, slots=True)
class OpenRouterUsage:
    """What one OpenRouter call (or a sum of calls) consumed and cost.

    Attributes:
        input_tokens: Prompt tokens, cached ones included.
        output_tokens: Completion tokens, reasoning tokens included.
        total_tokens: As reported, else ``input_tokens + output_tokens``.
        cached_tokens: Prompt tokens read from the provider's prompt cache.
        cache_write_tokens: Prompt tokens written to the prompt cache.
        reasoning_tokens: Completion tokens spent on reasoning.
        cost: Credits (USD) charged; ``None`` when the response did not report it.
        upstream_cost: What the upstream provider charged (BYOK), when reported.
        is_byok: Whether the call ran on the user's own provider key.
        model: The model as served (may differ from the one requested).
        provider: The provider that served the call, e.g. ``"Amazon Bedrock"``.
        generation_id: OpenRouter's ``gen-...`` id, usable with ``GET /generation``.
        image_tokens: Completion tokens spent on generated images
            (``completion_tokens_details.image_tokens``; output tokens include them).
    """

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost: Decimal | None = None
    upstream_cost: Decimal | None = None
    is_byok: bool | None = None
    model: str | None = None
    provider: str | None = None
    generation_id: str | None = None
    image_tokens: int = 0

    def __add__(self, other: object) -> OpenRouterUsage:
        """Add token counts and costs; a cost stays known only if both sides know it."""
        if not isinstance(other, OpenRouterUsage):
            return NotImplemented
        return OpenRouterUsage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
            cost=_add_optional(self.cost, other.cost),
            upstream_cost=_add_optional(self.upstream_cost, other.upstream_cost)
            if (self.upstream_cost is not None or other.upstream_cost is not None)
            else None,
            is_byok=(self.is_byok or other.is_byok)
            if (self.is_byok is not None or other.is_byok is not None)
            else None,
            model=_pick(self.model, other.model),
            provider=_pick(self.provider, other.provider),
            generation_id=_pick(self.generation_id, other.generation_id),
            image_tokens=self.image_tokens + other.image_tokens,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form: costs as decimal strings (exact), everything else as is."""
        out = dataclasses.asdict(self)
        for key in ("cost", "upstream_cost"):
            if out[key] is not None:
                out[key] = str(out[key])
        return out


def _details(usage: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = usage.get(key)
    return value if isinstance(value, Mapping) else {}


_NONE_REPORTED: frozenset[str] = frozenset()


@dataclasses.dataclass(frozen=True, slots=True)
class TokenCounts:
    """The token counts of a ``usage`` object, without its costs (cheap to read on every call).

    Attributes:
        input_tokens: Prompt tokens, cached ones included.
        output_tokens: Completion tokens, reasoning and image tokens included.
        total_tokens: As reported, else ``input_tokens + output_tokens``.
        cached_tokens: Prompt tokens read from the prompt cache.
        cache_write_tokens: Prompt tokens written to the prompt cache.
        reasoning_tokens: Completion tokens spent on reasoning.
        image_tokens: Completion tokens spent on generated images.
        reported: Which of the four details the usage reported (``cached_tokens``...): an
            unreported detail is unknown, not zero.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    image_tokens: int = 0
    reported: frozenset[str] = frozenset()


def _counts(
    usage: Mapping[str, Any], prompt: Mapping[str, Any], completion: Mapping[str, Any]
) -> dict[str, int]:
    """The seven token counts of ``usage`` (with its two details), by field name."""
    input_tokens = token_count(usage.get("prompt_tokens", usage.get("input_tokens")))
    output_tokens = token_count(usage.get("completion_tokens", usage.get("output_tokens")))
    total = usage.get("total_tokens")
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": token_count(total) if total is not None else input_tokens + output_tokens,
        "cached_tokens": token_count(prompt.get("cached_tokens")),
        "cache_write_tokens": token_count(prompt.get("cache_write_tokens")),
        "reasoning_tokens": token_count(completion.get("reasoning_tokens")),
        "image_tokens": token_count(completion.get("image_tokens")),
    }


def _reported(prompt: Mapping[str, Any], completion: Mapping[str, Any]) -> frozenset[str]:
    """Which of the four token details a usage reported (``cached_tokens``...)."""
    if not prompt and not completion:
        return _NONE_REPORTED
    # Spelled out rather than looped: this runs on every answer.
    found = []
    if prompt.get("cached_tokens") is not None:
        found.append("cached_tokens")
    if prompt.get("cache_write_tokens") is not None:
        found.append("cache_write_tokens")
    if completion.get("reasoning_tokens") is not None:
        found.append("reasoning_tokens")
    if completion.get("image_tokens") is not None:
        found.append("image_tokens")
    return frozenset(found) if found else _NONE_REPORTED


def parse_tokens(usage: Any) -> TokenCounts | None:
    """The token counts of a ``usage`` object in any shape seen on the wire (``None``: none)."""
    if not isinstance(usage, Mapping):
        return None
    prompt = _details(usage, "prompt_tokens_details")
    completion = _details(usage, "completion_tokens_details")
    return TokenCounts(**_counts(usage, prompt, completion), reported=_reported(prompt, completion))


def parse_usage(
    usage: Mapping[str, Any] | None,
    *,
    model: str | None = None,
    provider: str | None = None,
    generation_id: str | None = None,
) -> OpenRouterUsage | None:
    """Parse an OpenRouter ``usage`` object in any of the shapes seen on the wire.

    Args:
        usage: The ``usage`` mapping of a response or final stream chunk (or ``None``).
        model: The served model to attach (the response's ``model``).
        provider: The provider to attach (the response's ``provider``).
        generation_id: The generation id to attach (the response's ``id``).

    Returns:
        The parsed usage, or ``None`` when ``usage`` is missing or not a mapping.
    """
    if not isinstance(usage, Mapping):
        return None
    cost_details = _details(usage, "cost_details")
    is_byok = usage.get("is_byok")
    return OpenRouterUsage(
        **_counts(
            usage,
            _details(usage, "prompt_tokens_details"),
            _details(usage, "completion_tokens_details"),
        ),
        cost=to_decimal(usage.get("cost")),
        upstream_cost=to_decimal(cost_details.get("upstream_inference_cost")),
        is_byok=is_byok if isinstance(is_byok, bool) else None,
        model=model,
        provider=provider,
        generation_id=generation_id,
    )


def usage_from_body(body: Mapping[str, Any]) -> OpenRouterUsage | None:
    """Parse the usage of a whole response or chunk body, attaching model, provider and id."""
    model = body.get("model")
    provider = body.get("provider")
    gen_id = body.get("id")
    return parse_usage(
        body.get("usage"),
        model=model if isinstance(model, str) else None,
        provider=provider if isinstance(provider, str) else None,
        generation_id=gen_id if isinstance(gen_id, str) else None,
    )
