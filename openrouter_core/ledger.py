"""One truthful account of what OpenRouter calls cost: the usage ledger and ``track_usage()``.

:class:`UsageLedger` accumulates one :class:`UsageRecord` per call: tokens (cached, cache-write
and reasoning included), the exact ``Decimal`` cost, who served it and whether it failed, was
abandoned or fell back to another model. Costs OpenRouter did not report are never counted as
zero: those calls are counted apart in ``unknown_cost_requests``.

:func:`track_usage` feeds a ledger with every call made through :mod:`openrouter_core.transport`
(so by ``ChatOpenRouter`` and the LlamaIndex ``OpenRouter`` alike) while the block runs. It works
through one module-level transport observer and a context variable, so nested blocks each see
the calls made inside them and concurrent tasks and threads each see their own. With
``max_cost`` it is also a budget guard that refuses to send a request once the limit is reached,
or when the request's worst case would pass it (see :class:`ModelPrices` and
:func:`set_price_source`).

The LangChain callback handler and the LlamaIndex event handler feed the same ledger type; a call
seen twice by one ledger (say by ``track_usage()`` and a handler) is recorded once, matched by its
generation id, and for a failed call also by its error: the ``track_usage()`` observer marks the
error with the ledgers that recorded it (:func:`already_recorded`, ``UsageLedger.add(call=...)``),
which covers errors without a generation id (an error inside an HTTP 200).

Nothing here imports the ``openai`` SDK at module import; the transport is imported when the first
``track_usage()`` block (or listener) needs the observer.
"""

from __future__ import annotations

import contextvars
import dataclasses
import datetime as dt
import functools
import html
import logging
import math
import re
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from openrouter_core import _json
from openrouter_core.usage import OpenRouterUsage, to_decimal

if TYPE_CHECKING:
    from openrouter_core.transport import CallInfo, CallOutcome

__all__ = [
    "SOURCE_LANGCHAIN",
    "SOURCE_LLAMAINDEX",
    "SOURCE_OPENROUTER",
    "ModelPrices",
    "PriceSource",
    "UsageLedger",
    "UsageRecord",
    "UsageTotals",
    "active_ledgers",
    "add_listener",
    "already_recorded",
    "catalog_price_source",
    "estimate_prompt_tokens",
    "get_price_source",
    "is_fallback",
    "mark_recorded",
    "remove_listener",
    "same_model",
    "set_price_source",
    "track_usage",
    "worst_case_cost",
]

SOURCE_OPENROUTER = "openrouter"
"""``UsageRecord.source`` of calls seen by :func:`track_usage` (the shared transport)."""
SOURCE_LANGCHAIN = "langchain"
"""``UsageRecord.source`` of calls seen by the LangChain callback handler."""
SOURCE_LLAMAINDEX = "llamaindex"
"""``UsageRecord.source`` of calls seen by the LlamaIndex event handler."""

logger = logging.getLogger("openrouter_core")
_UNKNOWN = "(unknown)"
_ZERO = Decimal(0)

# ---------------------------------------------------------------------------------------------
# Model names: is the served model the one requested?
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# Which ledgers a failed call is already recorded in
# ---------------------------------------------------------------------------------------------

# The attribute, on the error a failed call raised, holding the ledgers that recorded the call.
_RECORDED_IN = "_openrouter_recorded_in"


class _RecordedIn(weakref.WeakSet["UsageLedger"]):
    """The ledgers holding one call (weakly: a kept error does not keep its ledgers alive)."""

    def __reduce__(self) -> tuple[Any, ...]:
        # A pickled error (sent to another process) is recorded in none of that process's
        # ledgers; pickling the weak references would fail.
        return (_RecordedIn, ())

    def __repr__(self) -> str:
        return f"<recorded in {len(self)} ledger(s)>"


def _marks(obj: object, *, create: bool) -> _RecordedIn | None:
    try:
        attrs = vars(obj)
    except TypeError:  # no __dict__: the call cannot be marked, only its generation id dedups
        return None
    marks = attrs.get(_RECORDED_IN)
    if marks is None and create:
        marks = attrs.setdefault(_RECORDED_IN, _RecordedIn())
    return marks if isinstance(marks, _RecordedIn) else None


def mark_recorded(call: object, ledger: UsageLedger) -> None:
    """Note on ``call`` (the error a failed call raised) that the call is recorded in ``ledger``.

    :meth:`UsageLedger.add` with ``call=`` does this (and the check) atomically; use this
    directly only when recording by other means. The mark is a weak set kept in the object's
    ``__dict__``, so a copy that shares that ``__dict__``'s values (the LangChain-flavoured
    error built by ``to_langchain_error``) shares it; objects without a ``__dict__`` cannot be
    marked and are ignored.
    """
    marks = _marks(call, create=True)
    if marks is not None:
        marks.add(ledger)


def already_recorded(call: object, ledger: UsageLedger) -> bool:
    """Whether the failed call ``call`` stands for is already recorded in ``ledger``.

    ``call`` is the error the call raised, as the ``track_usage()`` transport observer saw it
    (it marks every error it records) or as a framework handler receives it. An error raised
    ``from`` the recorded one that carries the very same ``usage`` object (a framework's
    translation of it) counts as the same call. A handler should skip the ledger when this is
    true, or simply record with ``ledger.add(record, call=error)``, which checks and marks.

    Example:
        .. code-block:: python

            if not already_recorded(error, ledger):
                ledger.add(record, call=error)  # also marks it
    """
    usage = getattr(call, "usage", None)
    seen: object | None = call
    for _ in range(8):  # a short chain; guards against cycles
        if seen is None:
            return False
        marks = _marks(seen, create=False)
        if marks is not None and ledger in marks:
            return True
        seen = getattr(seen, "__cause__", None)
        if usage is None or getattr(seen, "usage", None) is not usage:
            return False
    return False


# ---------------------------------------------------------------------------------------------
# Records and totals
# ---------------------------------------------------------------------------------------------


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
        cost: Credits (USD) charged, exact; ``None`` when the call did not report it.
        upstream_cost: What the upstream provider charged (BYOK), when reported.
        is_byok: Whether the call ran on the user's own provider key, when reported.
        streamed: Whether the response was streamed.
        failed: Whether the call ended in an error (its usage may still have been billed).
        incomplete: Whether the caller stopped reading a stream before it finished.
        fallback: Whether the served model differs from the requested one (see
            :func:`is_fallback`).
        error_type: The error's class name when the call failed.
        source: Who saw the call: ``"openrouter"`` (the shared transport, via
            :func:`track_usage`), ``"langchain"`` or ``"llamaindex"`` (the framework handlers).
        endpoint: The API path, e.g. ``"/chat/completions"`` or ``"/embeddings"``.
        timestamp: When the call ended (UTC).
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

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    @property
    def model(self) -> str:
        """The model this record is accounted under: as served, else as requested."""
        return self.served_model or self.requested_model or _UNKNOWN

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

    Attributes:
        requests: Calls recorded.
        input_tokens: Prompt tokens.
        output_tokens: Completion tokens.
        cached_tokens: Prompt tokens read from the cache.
        cache_write_tokens: Prompt tokens written to the cache.
        reasoning_tokens: Reasoning tokens.
        total_cost: Exact sum of the reported costs (USD).
        unknown_cost_requests: Calls whose cost was not reported (not counted in
            ``total_cost``, never counted as zero).
        failed_requests: Calls that ended in an error.
        incomplete_requests: Streams abandoned before they finished.
        fallback_requests: Calls served by another model than requested.
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

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

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
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (``total_cost`` as an exact decimal string)."""
        out = dataclasses.asdict(self)
        out["total_cost"] = str(self.total_cost)
        out["total_tokens"] = self.total_tokens
        return out


def _fmt_cost(value: Decimal) -> str:
    return format(value, "f")


class UsageLedger:
    """A thread-safe and asyncio-safe account of OpenRouter calls.

    Every mutation holds a short :class:`threading.Lock` and never awaits, so it is safe from
    threads and from any number of concurrent asyncio tasks. A record with a generation id
    already in the ledger is ignored (the same call reported by two observers), and so is a
    failed call's record when its error is already recorded here (``add(record, call=error)``);
    other records without an id are always kept.

    Example:
        .. code-block:: python

            from openrouter_core import track_usage

            with track_usage() as usage:
                ...  # any OpenRouter calls, LangChain or LlamaIndex
            print(usage.total_cost, usage.cached_tokens)
            print(usage.summary())
    """

    def __init__(self, records: Iterable[UsageRecord] = ()) -> None:
        """Create a ledger, optionally pre-filled (duplicates by generation id are dropped)."""
        self._lock = threading.Lock()
        self._records: list[UsageRecord] = []
        self._ids: set[str] = set()
        self._totals = UsageTotals()
        self._reserved = _ZERO
        for record in records:
            self.add(record)

    # ------------------------------------------------------------------ recording

    def add(self, record: UsageRecord, *, call: object | None = None) -> bool:
        """Record one call.

        Args:
            record: What the call consumed.
            call: An object that stands for this one call, seen by every observer of it: the
                error a failed call raised. When given, the record is dropped if that call is
                already in this ledger (see :func:`already_recorded`), else the call is marked
                as recorded here, atomically. This catches the same failed call reported by
                ``track_usage()`` and a framework handler when it has no generation id (an
                error inside an HTTP 200).

        Returns:
            ``False`` when the call is already in the ledger: a record with the same generation
            id, or ``call`` already recorded here.
        """
        gen_id = record.generation_id
        with self._lock:
            if call is not None and already_recorded(call, self):
                return False
            if gen_id is not None:
                if gen_id in self._ids:
                    return False
                self._ids.add(gen_id)
            self._records.append(record)
            self._totals = self._totals.add(record)
            if call is not None:
                mark_recorded(call, self)
        return True

    def _try_reserve(self, limit: Decimal, amount: Decimal | None) -> Decimal | None:
        """Atomically check the budget and reserve ``amount``.

        Returns:
            ``None`` when the call may go ahead (``amount`` is then reserved), else the spend
            (recorded plus reserved) that stopped it.
        """
        with self._lock:
            committed = self._totals.total_cost + self._reserved
            if committed >= limit or (amount is not None and committed + amount > limit):
                return committed
            if amount:
                self._reserved += amount
            return None

    def _release(self, amount: Decimal) -> None:
        with self._lock:
            self._reserved -= amount

    # ------------------------------------------------------------------ totals

    def totals(self) -> UsageTotals:
        """A consistent snapshot of every total."""
        with self._lock:
            return self._totals

    @property
    def requests(self) -> int:
        """Calls recorded."""
        return self.totals().requests

    @property
    def input_tokens(self) -> int:
        """Prompt tokens, cached ones included."""
        return self.totals().input_tokens

    @property
    def output_tokens(self) -> int:
        """Completion tokens, reasoning included."""
        return self.totals().output_tokens

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.totals().total_tokens

    @property
    def cached_tokens(self) -> int:
        """Prompt tokens read from the prompt cache."""
        return self.totals().cached_tokens

    @property
    def cache_write_tokens(self) -> int:
        """Prompt tokens written to the prompt cache."""
        return self.totals().cache_write_tokens

    @property
    def reasoning_tokens(self) -> int:
        """Completion tokens spent on reasoning."""
        return self.totals().reasoning_tokens

    @property
    def total_cost(self) -> Decimal:
        """Exact sum of the reported costs (USD); calls without a cost are not in it."""
        return self.totals().total_cost

    @property
    def unknown_cost_requests(self) -> int:
        """Calls whose cost was not reported (counted apart, never as zero)."""
        return self.totals().unknown_cost_requests

    @property
    def failed_requests(self) -> int:
        """Calls that ended in an error (their billed usage is included)."""
        return self.totals().failed_requests

    @property
    def incomplete_requests(self) -> int:
        """Streams abandoned before they finished."""
        return self.totals().incomplete_requests

    @property
    def records(self) -> list[UsageRecord]:
        """Every record, in the order recorded (a copy)."""
        with self._lock:
            return list(self._records)

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def __iter__(self) -> Iterator[UsageRecord]:
        return iter(self.records)

    def _group(self, key: Callable[[UsageRecord], str]) -> dict[str, UsageTotals]:
        groups: dict[str, UsageTotals] = {}
        for record in self.records:
            name = key(record)
            groups[name] = groups.get(name, UsageTotals()).add(record)
        return groups

    def by_model(self) -> dict[str, UsageTotals]:
        """Totals per model as served (as requested when the served model is unknown)."""
        return self._group(lambda r: r.model)

    def by_provider(self) -> dict[str, UsageTotals]:
        """Totals per provider (``"(unknown)"`` when none was reported)."""
        return self._group(lambda r: r.provider or _UNKNOWN)

    def fallbacks(self) -> list[UsageRecord]:
        """The calls served by another model than the one requested (failover events)."""
        return [r for r in self.records if r.fallback]

    # ------------------------------------------------------------------ export

    def to_dict(self) -> dict[str, Any]:
        """Totals, breakdowns and records as plain JSON (costs as exact decimal strings)."""
        return {
            "totals": self.totals().to_dict(),
            "by_model": {k: v.to_dict() for k, v in self.by_model().items()},
            "by_provider": {k: v.to_dict() for k, v in self.by_provider().items()},
            "records": [r.to_dict() for r in self.records],
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as a JSON string."""
        return _json.dumps(self.to_dict())

    def write_jsonl(self, path: str | Path) -> None:
        """Write one JSON record per line (UTF-8); :meth:`read_jsonl` reads it back exactly."""
        lines = [_json.dumps(r.to_dict()) + "\n" for r in self.records]
        Path(path).write_text("".join(lines), encoding="utf-8")

    @classmethod
    def read_jsonl(cls, path: str | Path) -> UsageLedger:
        """Read a ledger written by :meth:`write_jsonl` (blank lines are skipped).

        Raises:
            ValueError: A line is not a JSON object or not a valid record.
        """
        records = []
        text = Path(path).read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = _json.loads(line)
            except _json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc})") from exc
            if not isinstance(data, dict):
                raise ValueError(f"{path}:{number}: expected a JSON object")
            records.append(UsageRecord.from_dict(data))
        return cls(records)

    def _rows(self) -> tuple[list[str], list[list[str]]]:
        header = [
            "model",
            "provider",
            "requests",
            "input",
            "cached",
            "cache write",
            "output",
            "reasoning",
            "cost (USD)",
        ]
        groups: dict[tuple[str, str], UsageTotals] = {}
        for record in self.records:
            key = (record.model, record.provider or _UNKNOWN)
            groups[key] = groups.get(key, UsageTotals()).add(record)

        def cells(name: str, provider: str, t: UsageTotals) -> list[str]:
            cost = _fmt_cost(t.total_cost)
            if t.unknown_cost_requests:
                cost = f"{cost} + {t.unknown_cost_requests} unknown"
            return [
                name,
                provider,
                str(t.requests),
                str(t.input_tokens),
                str(t.cached_tokens),
                str(t.cache_write_tokens),
                str(t.output_tokens),
                str(t.reasoning_tokens),
                cost,
            ]

        rows = [cells(model, provider, t) for (model, provider), t in groups.items()]
        rows.append(cells("total", "", self.totals()))
        return header, rows

    def _notes(self) -> list[str]:
        totals = self.totals()
        notes = []
        if totals.unknown_cost_requests:
            notes.append(
                f"{totals.unknown_cost_requests} request(s) reported no cost; "
                "total_cost does not include them."
            )
        if totals.failed_requests:
            notes.append(f"{totals.failed_requests} request(s) failed (billed usage included).")
        if totals.incomplete_requests:
            notes.append(f"{totals.incomplete_requests} stream(s) abandoned before the end.")
        notes.extend(
            f"fallback: requested {r.requested_model}, served {r.served_model}"
            for r in self.fallbacks()
        )
        return notes

    def summary(self) -> str:
        """A readable, aligned table per model and provider, a total row and notes."""
        header, rows = self._rows()
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

        def line(row: list[str]) -> str:
            parts = [
                cell.ljust(width) if i < 2 else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            ]
            return "  ".join(parts).rstrip()

        rule = "  ".join("-" * w for w in widths)
        body = [line(header), rule, *(line(r) for r in rows[:-1]), rule, line(rows[-1])]
        return "\n".join(body + self._notes())

    def _repr_html_(self) -> str:
        header, rows = self._rows()
        head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        body = []
        for index, row in enumerate(rows):
            tag = "th" if index == len(rows) - 1 else "td"
            body.append("<tr>" + "".join(f"<{tag}>{html.escape(c)}</{tag}>" for c in row) + "</tr>")
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self._notes())
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>" + (
            f"<ul>{notes}</ul>" if notes else ""
        )

    def __repr__(self) -> str:
        t = self.totals()
        unknown = (
            f", unknown_cost_requests={t.unknown_cost_requests}" if t.unknown_cost_requests else ""
        )
        return (
            f"UsageLedger(requests={t.requests}, total_cost=Decimal('{t.total_cost}'){unknown}, "
            f"input_tokens={t.input_tokens}, output_tokens={t.output_tokens}, "
            f"cached_tokens={t.cached_tokens})"
        )


# ---------------------------------------------------------------------------------------------
# Prices and the worst case of a request (for the budget guard)
# ---------------------------------------------------------------------------------------------


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


def catalog_price_source(base_url: str | None = None) -> PriceSource:
    """Prices from the model catalog of ``base_url``, as far as it is at hand (no network).

    This is what the budget guard uses when no other source is installed: the catalog's
    memory or disk copy (filled by any earlier catalog use, the CLI, or the framework classes'
    background load). Models it does not know, and the ``openrouter/auto`` router whose price
    depends on the route, give ``None``.
    """

    def source(model_id: str) -> ModelPrices | None:
        from openrouter_core.catalog import catalog_info

        info = catalog_info(base_url, model_id)
        pricing = info.pricing if info is not None else None
        if pricing is None or pricing.prompt is None or pricing.completion is None:
            return None
        return ModelPrices(
            prompt=pricing.prompt,
            completion=pricing.completion,
            request=pricing.request or _ZERO,
            input_cache_write=pricing.input_cache_write,
            max_completion_tokens=info.max_completion_tokens if info is not None else None,
            context_length=info.context_length if info is not None else None,
        )

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


def _prices_from(prices: PriceSource | Mapping[str, ModelPrices] | None) -> PriceSource | None:
    if prices is None or callable(prices):
        return prices
    table = dict(prices)
    return table.get


# ---------------------------------------------------------------------------------------------
# track_usage(): the context variable and the one transport observer
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class _Tracker:
    ledger: UsageLedger
    max_cost: Decimal | None
    prices: PriceSource | None


_active: contextvars.ContextVar[tuple[_Tracker, ...]] = contextvars.ContextVar(
    "openrouter_usage_trackers", default=()
)
_listeners: tuple[Callable[[UsageRecord], None], ...] = ()
_registry_lock = threading.Lock()
_observer_registered = False
_Reserved = list[tuple[UsageLedger, Decimal]]
# Calls sent inside a block and not ended yet: id(call) -> (call, trackers, reservations).
# A call is accounted in the blocks active when it was sent, wherever it ends (a stream may be
# read after its block has closed). The CallInfo is kept so its id cannot be reused meanwhile.
_in_flight: dict[int, tuple[object, tuple[_Tracker, ...], _Reserved]] = {}
_in_flight_lock = threading.Lock()
# A call that never reports its end (an asyncio task cancelled mid-request) would otherwise
# stay here forever; past this many the oldest entries are dropped and their reservations freed.
_MAX_IN_FLIGHT = 100_000


def _release_all(reserved: _Reserved) -> None:
    for ledger, amount in reserved:
        ledger._release(amount)


def _requested_model(body: Mapping[str, Any]) -> str | None:
    model = body.get("model")
    if isinstance(model, str) and model:
        return model
    fallbacks = body.get("models")
    if isinstance(fallbacks, list) and fallbacks and isinstance(fallbacks[0], str):
        return fallbacks[0]
    return None


def _began_responding(error: Any) -> bool:
    """Whether a failed call got as far as OpenRouter producing (and possibly billing) output.

    Streams that fail while being read carry ``partial_text`` (possibly empty); an error inside
    an HTTP 200 carries the generation id. An HTTP error status or a refused connection means
    nothing was generated, so nothing is recorded for it.
    """
    return (
        getattr(error, "partial_text", None) is not None
        or getattr(error, "generation_id", None) is not None
    )


def _record_for(call: CallInfo, outcome: CallOutcome) -> UsageRecord | None:
    error = outcome.error
    if outcome.usage is None and error is not None and not _began_responding(error):
        return None
    return UsageRecord.from_usage(
        outcome.usage,
        requested_model=_requested_model(call.body),
        streamed=call.stream,
        failed=error is not None,
        incomplete=outcome.incomplete,
        error_type=None if error is None else type(error).__name__,
        source=SOURCE_OPENROUTER,
        endpoint=call.endpoint,
        base_url=call.base_url,
    )


def _budget_error(
    spent: Decimal, limit: Decimal, model: str | None, worst: Decimal | None
) -> Exception:
    from openrouter_core.budget import BudgetExceededError

    return BudgetExceededError(spent=spent, limit=limit, model=model, worst_case=worst)


class _UsageObserver:
    """The one transport observer behind every ``track_usage()`` block and listener."""

    def before_call(self, call: CallInfo) -> None:
        trackers = _active.get()
        if not trackers:
            return
        # One check per ledger: the tightest limit of the blocks guarding it, the prices of the
        # innermost block that has some.
        guards: dict[int, tuple[UsageLedger, Decimal, PriceSource | None]] = {}
        for tracker in reversed(trackers):
            if tracker.max_cost is None:
                continue
            key = id(tracker.ledger)
            if key in guards:
                ledger, limit, prices = guards[key]
                guards[key] = (ledger, min(limit, tracker.max_cost), prices or tracker.prices)
            else:
                guards[key] = (tracker.ledger, tracker.max_cost, tracker.prices)
        reserved: _Reserved = []
        for ledger, limit, prices in guards.values():
            source = prices or _price_source or catalog_price_source(call.base_url)
            worst = worst_case_cost(call.body, source)
            stopped_at = ledger._try_reserve(limit, worst)
            if stopped_at is not None:
                _release_all(reserved)
                raise _budget_error(stopped_at, limit, _requested_model(call.body), worst)
            if worst:
                reserved.append((ledger, worst))
        with _in_flight_lock:
            while len(_in_flight) >= _MAX_IN_FLIGHT:
                _release_all(_in_flight.pop(next(iter(_in_flight)))[2])
            _in_flight[id(call)] = (call, trackers, reserved)

    def after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        trackers: tuple[_Tracker, ...] = ()
        if _in_flight:
            with _in_flight_lock:
                entry = _in_flight.pop(id(call), None)
            if entry is not None:
                _, trackers, reserved = entry
                _release_all(reserved)
        listeners = _listeners
        if not trackers and not listeners:
            return
        record = _record_for(call, outcome)
        if record is None:
            return
        seen: set[int] = set()
        for tracker in trackers:
            if id(tracker.ledger) not in seen:
                seen.add(id(tracker.ledger))
                # The error is marked with the ledgers that hold the call, so a framework
                # handler on the same ledger skips it even without a generation id.
                tracker.ledger.add(record, call=outcome.error)
        for listener in listeners:
            try:
                listener(record)
            except Exception:  # noqa: PERF203 - one listener's bug must not hide the others
                logger.exception("usage listener %r failed; the call itself succeeded", listener)


_OBSERVER = _UsageObserver()


def _ensure_observer() -> None:
    global _observer_registered  # noqa: PLW0603 - registered once, lazily
    if _observer_registered:
        return
    with _registry_lock:
        if not _observer_registered:
            from openrouter_core import transport

            transport.add_observer(_OBSERVER)
            _observer_registered = True


def add_listener(listener: Callable[[UsageRecord], None]) -> None:
    """Call ``listener`` with the record of every OpenRouter call made in this process.

    Listeners hear calls whether or not a :func:`track_usage` block is active (the
    OpenTelemetry export uses this). They run on the caller's thread right after the call ends;
    an exception in one is logged and does not affect the call.
    """
    global _listeners  # noqa: PLW0603 - copy-on-write tuple keeps the hot path lock-free
    _ensure_observer()
    with _registry_lock:
        if listener not in _listeners:
            _listeners = (*_listeners, listener)


def remove_listener(listener: Callable[[UsageRecord], None]) -> None:
    """Stop calling ``listener``; unknown listeners are ignored."""
    global _listeners  # noqa: PLW0603
    with _registry_lock:
        _listeners = tuple(x for x in _listeners if x != listener)


def _to_limit(value: Decimal | float | str | None) -> Decimal | None:
    if value is None:
        return None
    limit = to_decimal(value)
    if limit is None or limit < 0:
        raise ValueError(f"max_cost must be a non-negative amount in USD, got {value!r}")
    return limit


class track_usage:  # lower case: used like a function, ``with track_usage() as usage``
    """Record every OpenRouter call made inside the block, from either framework, in a ledger.

    Usable as ``with`` and ``async with``; the value is the :class:`UsageLedger`. Blocks nest
    (a call counts in every active ledger, once per ledger) and are scoped by a context variable:
    asyncio tasks started inside a block inherit it, while other tasks and threads keep their
    own. To account for work in other threads, run it with ``contextvars.copy_context().run``
    or enter ``track_usage(ledger=shared)`` there. A call belongs to the blocks active when it
    was sent: a stream opened inside a block and read after it is still recorded there.

    Budget guard: with ``max_cost`` (USD), a request is refused with
    :class:`~openrouter_core.budget.BudgetExceededError` before it is sent once the ledger's
    spend has reached the limit, and, when prices are known for the model (``prices=`` or
    :func:`set_price_source`), when its worst case (:func:`worst_case_cost`) would pass the
    limit. A call in flight holds its worst case as a reservation until it ends, so
    concurrent calls cannot jointly overspend a priced model; calls to models without known
    prices are only stopped once recorded spend reaches the limit, so calls already in flight
    can take spend past it. Costs not reported (``None``) do not count towards the limit.

    Args:
        max_cost: Budget in USD for this block (``Decimal``, number or numeric string).
        ledger: Record into this ledger instead of a new one (to share one across threads or
            successive blocks).
        prices: Prices for the budget guard: a callable ``model -> ModelPrices | None`` or a
            mapping; defaults to the process-wide :func:`set_price_source`.

    Raises:
        ValueError: ``max_cost`` is negative or not a number.

    Example:
        .. code-block:: python

            from decimal import Decimal
            from openrouter_core import track_usage

            with track_usage(max_cost=Decimal("0.50")) as usage:
                ...  # ChatOpenRouter / OpenRouter calls
            print(usage.summary())
    """

    def __init__(
        self,
        max_cost: Decimal | float | str | None = None,
        *,
        ledger: UsageLedger | None = None,
        prices: PriceSource | Mapping[str, ModelPrices] | None = None,
    ) -> None:
        self.ledger = ledger if ledger is not None else UsageLedger()
        self.max_cost = _to_limit(max_cost)
        self._tracker = _Tracker(self.ledger, self.max_cost, _prices_from(prices))
        self._tokens: list[contextvars.Token[tuple[_Tracker, ...]]] = []

    def __enter__(self) -> UsageLedger:
        _ensure_observer()
        self._tokens.append(_active.set((*_active.get(), self._tracker)))
        return self.ledger

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        token = self._tokens.pop()
        try:
            _active.reset(token)
        except ValueError:
            # Exited in another context than entered (a framework moved the block): drop only
            # this tracker there.
            _active.set(tuple(t for t in _active.get() if t is not self._tracker))

    async def __aenter__(self) -> UsageLedger:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)


def active_ledgers() -> list[UsageLedger]:
    """The ledgers of the ``track_usage()`` blocks active in this context, outermost first."""
    seen: list[UsageLedger] = []
    for tracker in _active.get():
        if not any(ledger is tracker.ledger for ledger in seen):
            seen.append(tracker.ledger)
    return seen
