"""What calls consumed: one :class:`UsageRecord` per call, and :class:`UsageTotals` over many.

A record holds a call's tokens (cached, cache-write, reasoning and image tokens included), its
exact ``Decimal`` cost (``None`` when not reported, never zero) and, for a BYOK call, what the
provider charged the user's own key, who served it and how it ended (failed, abandoned, fell
back to another model). The ``SOURCE_*`` constants name who saw the
call; :func:`began_responding` decides which failed calls are worth a record at all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from openrouter_core.accounting.names import is_fallback
from openrouter_core.usage import OpenRouterUsage, to_decimal

__all__ = [
    "SOURCE_LANGCHAIN",
    "SOURCE_LLAMAINDEX",
    "SOURCE_OPENROUTER",
    "UNKNOWN",
    "UsageRecord",
    "UsageTotals",
    "began_responding",
]

SOURCE_OPENROUTER = "openrouter"
"""``UsageRecord.source`` of calls seen by ``track_usage()`` (the shared transport)."""
SOURCE_LANGCHAIN = "langchain"
"""``UsageRecord.source`` of calls seen by the LangChain callback handler."""
SOURCE_LLAMAINDEX = "llamaindex"
"""``UsageRecord.source`` of calls seen by the LlamaIndex event handler."""

UNKNOWN = "(unknown)"
"""The name a record is grouped under when its model or provider is not known."""
_ZERO = Decimal(0)


def began_responding(error: object) -> bool:
    """Whether a failed call got as far as OpenRouter producing (and possibly billing) output.

    Streams that fail while being read carry ``partial_text`` (possibly empty); an error inside
    an HTTP 200 carries the generation id. An HTTP error status or a refused connection means
    nothing was generated, so nothing is recorded for it (unless the error carries usage).
    """
    return (
        getattr(error, "partial_text", None) is not None
        or getattr(error, "generation_id", None) is not None
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclasses.dataclass(frozen=True, slots=True)
class UsageRecord:
    """What one call consumed and cost, and how it ended.

    Attributes:
        requested_model: The model the request asked for (``None``: the account default).
        served_model: The model that answered, as OpenRouter reported it.
        provider: The provider that served it, e.g. ``"Amazon Bedrock"``.
        generation_id: OpenRouter's ``gen-...`` id (the key that deduplicates records).
        input_tokens: Prompt tokens, cached ones included.
        output_tokens: Completion tokens, reasoning included.
        cached_tokens: Prompt tokens read from the prompt cache.
        cache_write_tokens: Prompt tokens written to the prompt cache.
        reasoning_tokens: Completion tokens spent on reasoning.
        cost: Credits (USD) OpenRouter charged, exact; ``None`` when the call did not report
            it. For a BYOK call this is OpenRouter's fee only (see :attr:`byok_cost`).
        upstream_cost: What the upstream provider charged for the call, when reported
            (``cost_details.upstream_inference_cost``). OpenRouter's ``cost`` already includes
            it unless the call is BYOK.
        is_byok: Whether the call ran on the user's own provider key, when reported.
        streamed: Whether the response was streamed.
        failed: Whether the call ended in an error (its usage may still have been billed).
        incomplete: Whether the caller stopped reading a stream before it finished.
        fallback: Whether the served model differs from the requested one (see
            :func:`is_fallback`).
        error_type: The error's class name when the call failed.
        source: Who saw the call: ``"openrouter"`` (the shared transport, via
            ``track_usage()``), ``"langchain"`` or ``"llamaindex"`` (the framework handlers).
        endpoint: The API path, e.g. ``"/chat/completions"`` or ``"/embeddings"``.
        timestamp: When the call ended (UTC).
        image_tokens: Completion tokens spent on generated images (``output_tokens`` includes
            them).
    """

    requested_model: str | None = None
    served_model: str | None = None
    provider: str | None = None
    generation_id: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost: Decimal | None = None
    upstream_cost: Decimal | None = None
    is_byok: bool | None = None
    streamed: bool = False
    failed: bool = False
    incomplete: bool = False
    fallback: bool = False
    error_type: str | None = None
    source: str = SOURCE_OPENROUTER
    endpoint: str = "/chat/completions"
    timestamp: dt.datetime = dataclasses.field(default_factory=_now)
    image_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    @property
    def byok_cost(self) -> Decimal | None:
        """What the provider charged the user's own key, for a BYOK call.

        ``None`` for other calls, and when not reported. OpenRouter's fee for a BYOK call is
        :attr:`cost`.
        """
        return self.upstream_cost if self.is_byok else None

    @property
    def model(self) -> str:
        """The model this record is accounted under: as served, else as requested."""
        return self.served_model or self.requested_model or UNKNOWN

    @classmethod
    def from_usage(
        cls,
        usage: OpenRouterUsage | None,
        *,
        requested_model: str | None = None,
        served_model: str | None = None,
        provider: str | None = None,
        generation_id: str | None = None,
        streamed: bool = False,
        failed: bool = False,
        incomplete: bool = False,
        error_type: str | None = None,
        source: str = SOURCE_OPENROUTER,
        endpoint: str = "/chat/completions",
        timestamp: dt.datetime | None = None,
        base_url: str | None = None,
    ) -> UsageRecord:
        """Build a record from a parsed usage (``None`` when the call reported none).

        Explicit ``served_model``, ``provider`` and ``generation_id`` win over the usage's own.
        ``base_url`` is the API root the call went to: its model catalog, when at hand, helps
        tell a fallback from an alias (:func:`is_fallback`).
        """
        u = usage or OpenRouterUsage()
        served = served_model or u.model
        return cls(
            requested_model=requested_model,
            served_model=served,
            provider=provider or u.provider,
            generation_id=generation_id or u.generation_id,
            input_tokens=u.input_tokens,
            output_tokens=u.output_tokens,
            cached_tokens=u.cached_tokens,
            cache_write_tokens=u.cache_write_tokens,
            reasoning_tokens=u.reasoning_tokens,
            cost=u.cost,
            upstream_cost=u.upstream_cost,
            is_byok=u.is_byok,
            streamed=streamed,
            failed=failed,
            incomplete=incomplete,
            fallback=is_fallback(requested_model, served, base_url=base_url),
            error_type=error_type,
            source=source,
            endpoint=endpoint,
            timestamp=timestamp or _now(),
            image_tokens=u.image_tokens,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form: costs as exact decimal strings, the timestamp in ISO 8601."""
        return {
            "requested_model": self.requested_model,
            "served_model": self.served_model,
            "provider": self.provider,
            "generation_id": self.generation_id,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_tokens": self.cached_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "image_tokens": self.image_tokens,
            "cost": None if self.cost is None else str(self.cost),
            "upstream_cost": None if self.upstream_cost is None else str(self.upstream_cost),
            "is_byok": self.is_byok,
            "streamed": self.streamed,
            "failed": self.failed,
            "incomplete": self.incomplete,
            "fallback": self.fallback,
            "error_type": self.error_type,
            "source": self.source,
            "endpoint": self.endpoint,
            "timestamp": self.timestamp.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UsageRecord:
        """Rebuild a record from :meth:`to_dict` output (unknown keys are ignored).

        Raises:
            ValueError: A field has the wrong type, or the timestamp is not ISO 8601.
        """

        def text(key: str) -> str | None:
            value = data.get(key)
            if value is None or isinstance(value, str):
                return value
            raise ValueError(f"usage record field {key!r} must be a string, got {value!r}")

        def count(key: str) -> int:
            value = data.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"usage record field {key!r} must be an integer, got {value!r}")
            return value

        def money(key: str) -> Decimal | None:
            value = data.get(key)
            if value is None:
                return None
            amount = to_decimal(value)
            if amount is None:
                raise ValueError(f"usage record field {key!r} is not a number: {value!r}")
            return amount

        def flag(key: str) -> bool:
            return bool(data.get(key, False))

        byok = data.get("is_byok")
        stamp = data.get("timestamp")
        return cls(
            requested_model=text("requested_model"),
            served_model=text("served_model"),
            provider=text("provider"),
            generation_id=text("generation_id"),
            input_tokens=count("input_tokens"),
            output_tokens=count("output_tokens"),
            cached_tokens=count("cached_tokens"),
            cache_write_tokens=count("cache_write_tokens"),
            reasoning_tokens=count("reasoning_tokens"),
            image_tokens=count("image_tokens"),
            cost=money("cost"),
            upstream_cost=money("upstream_cost"),
            is_byok=byok if isinstance(byok, bool) else None,
            streamed=flag("streamed"),
            failed=flag("failed"),
            incomplete=flag("incomplete"),
            fallback=flag("fallback"),
            error_type=text("error_type"),
            source=text("source") or SOURCE_OPENROUTER,
            endpoint=text("endpoint") or "/chat/completions",
            timestamp=dt.datetime.fromisoformat(stamp) if isinstance(stamp, str) else _now(),
        )


@dataclasses.dataclass(frozen=True, slots=True)
class UsageTotals:
    """Sums over a set of records (a ledger, or one model or provider of it).

    Money is split the way it is paid: ``total_cost`` is what OpenRouter charged (credits),
    ``byok_cost`` what providers charged the user's own keys on BYOK calls (OpenRouter's fee
    for those is in ``total_cost``), and :attr:`combined_cost` is both together.

    Attributes:
        requests: Calls recorded.
        input_tokens: Prompt tokens.
        output_tokens: Completion tokens.
        cached_tokens: Prompt tokens read from the cache.
        cache_write_tokens: Prompt tokens written to the cache.
        reasoning_tokens: Reasoning tokens.
        total_cost: Exact sum of the costs OpenRouter reported (USD, credits).
        unknown_cost_requests: Calls whose cost was not reported (not counted in
            ``total_cost``, never counted as zero).
        failed_requests: Calls that ended in an error.
        incomplete_requests: Streams abandoned before they finished.
        fallback_requests: Calls served by another model than requested.
        image_tokens: Completion tokens spent on generated images.
        byok_requests: Calls that ran on the user's own provider key (BYOK).
        byok_cost: Exact sum of what providers charged the user's own keys on BYOK calls
            (their ``upstream_inference_cost``).
        unknown_byok_cost_requests: BYOK calls that did not report the provider's charge (not
            counted in ``byok_cost``, never counted as zero).
    """

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    total_cost: Decimal = _ZERO
    unknown_cost_requests: int = 0
    failed_requests: int = 0
    incomplete_requests: int = 0
    fallback_requests: int = 0
    image_tokens: int = 0
    byok_requests: int = 0
    byok_cost: Decimal = _ZERO
    unknown_byok_cost_requests: int = 0

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    @property
    def combined_cost(self) -> Decimal:
        """What the calls cost in all: OpenRouter's charges plus the BYOK providers' charges."""
        return self.total_cost + self.byok_cost

    def add(self, record: UsageRecord) -> UsageTotals:
        """These totals with one more record."""
        return UsageTotals(
            requests=self.requests + 1,
            input_tokens=self.input_tokens + record.input_tokens,
            output_tokens=self.output_tokens + record.output_tokens,
            cached_tokens=self.cached_tokens + record.cached_tokens,
            cache_write_tokens=self.cache_write_tokens + record.cache_write_tokens,
            reasoning_tokens=self.reasoning_tokens + record.reasoning_tokens,
            total_cost=self.total_cost if record.cost is None else self.total_cost + record.cost,
            unknown_cost_requests=self.unknown_cost_requests + (record.cost is None),
            failed_requests=self.failed_requests + record.failed,
            incomplete_requests=self.incomplete_requests + record.incomplete,
            fallback_requests=self.fallback_requests + record.fallback,
            image_tokens=self.image_tokens + record.image_tokens,
            byok_requests=self.byok_requests + bool(record.is_byok),
            byok_cost=self.byok_cost + (record.byok_cost or _ZERO),
            unknown_byok_cost_requests=self.unknown_byok_cost_requests
            + bool(record.is_byok and record.upstream_cost is None),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (costs as exact decimal strings, ``combined_cost`` included)."""
        out = dataclasses.asdict(self)
        out["total_cost"] = str(self.total_cost)
        out["byok_cost"] = str(self.byok_cost)
        out["combined_cost"] = str(self.combined_cost)
        out["total_tokens"] = self.total_tokens
        return out
