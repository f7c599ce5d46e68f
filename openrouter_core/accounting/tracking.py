"""``track_usage()``: every OpenRouter call made inside a block, in a ledger, with a budget guard.

One observer, registered with :mod:`openrouter_core.observers` when the first block is entered
(or the first listener added), hears every call the transport makes (so by ``ChatOpenRouter``
and the LlamaIndex ``OpenRouter`` alike). A context variable holds the active blocks, so nested
blocks each see the calls made inside them and concurrent tasks and threads each see their own.
With ``max_cost`` a block refuses to send a request once the limit is reached, or when the
request's worst case (:mod:`~openrouter_core.accounting.prices`) would pass it. Listeners
(:func:`add_listener`; the OpenTelemetry export) hear every call, inside a block or not.

Nothing here imports the ``openai`` SDK or the transport; the budget error loads when a request
is refused.
"""

from __future__ import annotations

import contextvars
import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import TracebackType

from openrouter_core import observers
from openrouter_core.accounting.ledger import UsageLedger
from openrouter_core.accounting.names import requested_model
from openrouter_core.accounting.prices import (
    ModelPrices,
    PriceSource,
    catalog_price_source,
    get_price_source,
    price_source_of,
    worst_case_cost,
)
from openrouter_core.accounting.records import SOURCE_OPENROUTER, UsageRecord, began_responding
from openrouter_core.observers import CallInfo, CallOutcome
from openrouter_core.usage import to_decimal

__all__ = ["active_ledgers", "add_listener", "remove_listener", "track_usage"]

logger = logging.getLogger("openrouter_core")


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


def _record_for(call: CallInfo, outcome: CallOutcome) -> UsageRecord | None:
    error = outcome.error
    if outcome.usage is None and error is not None and not began_responding(error):
        return None
    return UsageRecord.from_usage(
        outcome.usage,
        requested_model=requested_model(call.body),
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
    from openrouter_core.accounting.budget import BudgetExceededError

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
            source = prices or get_price_source() or catalog_price_source(call.base_url)
            worst = worst_case_cost(call.body, source)
            stopped_at = ledger._try_reserve(limit, worst)
            if stopped_at is not None:
                _release_all(reserved)
                raise _budget_error(stopped_at, limit, requested_model(call.body), worst)
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
            observers.add_observer(_OBSERVER)
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
    :class:`~openrouter_core.accounting.budget.BudgetExceededError` before it is sent once the
    ledger's spend has reached the limit, and, when prices are known for the model (``prices=``
    or :func:`~openrouter_core.accounting.prices.set_price_source`), when its worst case
    (:func:`~openrouter_core.accounting.prices.worst_case_cost`) would pass the limit. A call in
    flight holds its worst case as a reservation until it ends, so concurrent calls cannot
    jointly overspend a priced model; calls to models without known prices are only stopped
    once recorded spend reaches the limit, so calls already in flight can take spend past it.
    Costs not reported (``None``) do not count towards the limit.

    Args:
        max_cost: Budget in USD for this block (``Decimal``, number or numeric string).
        ledger: Record into this ledger instead of a new one (to share one across threads or
            successive blocks).
        prices: Prices for the budget guard: a callable ``model -> ModelPrices | None`` or a
            mapping; defaults to the process-wide price source (``set_price_source``).

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
        self._tracker = _Tracker(self.ledger, self.max_cost, price_source_of(prices))
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
