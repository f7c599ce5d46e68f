"""``track_usage()``: every OpenRouter call made inside a block, in a ledger, with a budget guard.

One observer, registered with :mod:`openrouter_core.observers` when the first block is entered
(or the first listener added), hears every call the transport makes (so by ``ChatOpenRouter``
and the LlamaIndex ``OpenRouter`` alike). A block has one of two scopes:

- ``"context"`` (the default): a context variable holds the active blocks, so nested blocks each
  see the calls made inside them and concurrent tasks and threads each see their own. A thread
  started inside a block (a ``ThreadPoolExecutor``'s worker, say) does not inherit it: its calls
  are outside the block unless it runs under ``contextvars.copy_context()``. A call made outside
  every block while a block with ``max_cost`` is open elsewhere warns once per such block
  (:class:`BudgetBypassWarning`).
- ``"process"``: while open, the block counts and guards every call of the process, from any
  thread, executor, task or framework.

With ``max_cost`` a block refuses to send a request once the limit is reached, or when the
request's worst case (:mod:`~openrouter_core.accounting.prices`) would pass it; the check, the
reservation of the worst case and its release against the recorded cost happen under one lock,
so concurrent calls can never jointly pass a limit. Listeners (:func:`add_listener`) hear every
call, inside a block or not.

Nothing here imports the ``openai`` SDK or the transport; the budget error loads when a request
is refused.
"""

from __future__ import annotations

import contextvars
import dataclasses
import itertools
import logging
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from types import TracebackType
from typing import Literal

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

__all__ = [
    "BudgetBypassWarning",
    "Scope",
    "active_ledgers",
    "add_listener",
    "call_record",
    "is_recorded",
    "remove_listener",
    "track_usage",
]

logger = logging.getLogger("openrouter_core")

Scope = Literal["context", "process"]
"""Where a :class:`track_usage` block applies: its own context, or the whole process."""


class BudgetBypassWarning(RuntimeWarning):
    """A call escaped a budget: no block covered it while one with ``max_cost`` was open.

    A ``track_usage(max_cost=...)`` block of the default ``"context"`` scope guards the calls of
    its own thread or task; work handed to another thread (an executor) runs outside it. Use
    ``scope="process"`` to guard every call of the process, or run the work under
    ``contextvars.copy_context()``. Issued once per budgeted block (the message names the block,
    so Python's default filter shows each); turned into an error
    (``warnings.simplefilter("error", BudgetBypassWarning)``) it refuses every such call.
    """


_BYPASS_MESSAGE = (
    "an OpenRouter call was made outside every track_usage() block while a block with "
    "max_cost is open in another thread or task: that budget does not count or guard it. "
    "Use track_usage(..., scope='process') to guard every call of the process, or run the "
    "work under contextvars.copy_context()."
)


@dataclasses.dataclass(eq=False)
class _Tracker:
    ledger: UsageLedger
    max_cost: Decimal | None
    prices: PriceSource | None
    bypass_warned: bool = False
    number: int = 0
    """Which budgeted block this is, in the order they were entered (names it in the warning)."""


_block_numbers = itertools.count(1)
_active: contextvars.ContextVar[tuple[_Tracker, ...]] = contextvars.ContextVar(
    "openrouter_usage_trackers", default=()
)
# Copy-on-write tuples, read without a lock on every call: the open process-scope blocks, and
# the open context-scope blocks that have a budget (for the bypass warning).
_process: tuple[_Tracker, ...] = ()
_budgeted: tuple[_Tracker, ...] = ()
_listeners: tuple[Callable[[UsageRecord], None], ...] = ()
_registry_lock = threading.Lock()
_observer_registered = False
_Reserved = list[tuple[UsageLedger, Decimal]]
# A budget check and reservation, and the recording of a finished call with the release of its
# reservation, each happen under this lock: no check ever sees a call's cost twice, or neither.
_budget_lock = threading.Lock()
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


def call_record(call: CallInfo, outcome: CallOutcome) -> UsageRecord:
    """The record of one call the transport reported, as every ledger and export sees it."""
    error = outcome.error
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


def is_recorded(outcome: CallOutcome) -> bool:
    """Whether a call is recorded: it was sent, and it succeeded, reported usage or began answering.

    An HTTP error status or a refused connection means nothing was generated, so nothing is
    recorded for it (unless the error carries usage).
    """
    if not outcome.sent:
        return False
    error = outcome.error
    return outcome.usage is not None or error is None or began_responding(error)


def _budget_error(
    spent: Decimal, limit: Decimal, model: str | None, worst: Decimal | None
) -> Exception:
    from openrouter_core.accounting.budget import BudgetExceededError

    return BudgetExceededError(spent=spent, limit=limit, model=model, worst_case=worst)


def _unique_ledgers(trackers: Iterable[_Tracker]) -> list[UsageLedger]:
    seen: list[UsageLedger] = []
    for tracker in trackers:
        if not any(ledger is tracker.ledger for ledger in seen):
            seen.append(tracker.ledger)
    return seen


def _reserve(call: CallInfo, trackers: tuple[_Tracker, ...]) -> _Reserved:
    """Check every budget guarding the call and reserve its worst case; raise if one refuses."""
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
    if not guards:
        return reserved
    checks = []
    for ledger, limit, prices in guards.values():
        source = prices or get_price_source() or catalog_price_source(call.base_url)
        checks.append((ledger, limit, worst_case_cost(call.body, source)))
    with _budget_lock:
        for ledger, limit, worst in checks:
            stopped_at = ledger._try_reserve(limit, worst)
            if stopped_at is not None:
                _release_all(reserved)
                raise _budget_error(stopped_at, limit, requested_model(call.body), worst)
            if worst:
                reserved.append((ledger, worst))
    return reserved


def _warn_bypass() -> None:
    """Warn once per open budgeted block that a call escaped it (see BudgetBypassWarning).

    Each block's warning names the block, so Python's default filter (once per message and
    place) shows it for every block. Turned into an error, it refuses every escaping call: a
    block is marked warned only once a warning has been shown.
    """
    with _registry_lock:
        unwarned = [t for t in _budgeted if not t.bypass_warned]
        for tracker in unwarned:
            tracker.bypass_warned = True
    if not unwarned:
        return
    blocks = ", ".join(str(t.number) for t in unwarned)
    try:
        warnings.warn(f"{_BYPASS_MESSAGE} (budgeted block {blocks})", BudgetBypassWarning, 2)
    except BudgetBypassWarning:
        with _registry_lock:
            for tracker in unwarned:
                tracker.bypass_warned = False
        raise


class _UsageObserver:
    """The one transport observer behind every ``track_usage()`` block and listener."""

    def before_call(self, call: CallInfo) -> None:
        context, process = _active.get(), _process
        trackers = (*process, *context) if process else context
        if not trackers:
            if _budgeted:
                _warn_bypass()
            return
        reserved = _reserve(call, trackers)
        with _in_flight_lock:
            while len(_in_flight) >= _MAX_IN_FLIGHT:
                _release_all(_in_flight.pop(next(iter(_in_flight)))[2])
            _in_flight[id(call)] = (call, trackers, reserved)

    def after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        trackers: tuple[_Tracker, ...] = ()
        reserved: _Reserved = []
        if _in_flight:
            with _in_flight_lock:
                entry = _in_flight.pop(id(call), None)
            if entry is not None:
                _, trackers, reserved = entry
        listeners = _listeners
        record = call_record(call, outcome) if is_recorded(outcome) else None
        if record is None or (not trackers and not listeners):
            if reserved:
                with _budget_lock:
                    _release_all(reserved)
            return
        ledgers = _unique_ledgers(trackers)
        if reserved:
            # The cost goes in as the reservation goes out, atomically for the budget checks.
            with _budget_lock:
                _add(ledgers, record, outcome)
                _release_all(reserved)
        else:
            _add(ledgers, record, outcome)
        for listener in listeners:
            try:
                listener(record)
            except Exception:  # noqa: PERF203 - one listener's bug must not hide the others
                logger.exception("usage listener %r failed; the call itself succeeded", listener)


def _add(ledgers: list[UsageLedger], record: UsageRecord, outcome: CallOutcome) -> None:
    for ledger in ledgers:
        # The error is marked with the ledgers that hold the call, so a framework handler on
        # the same ledger skips it even without a generation id.
        ledger.add(record, call=outcome.error)


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

    Listeners hear calls whether or not a :func:`track_usage` block is active. They run on the
    caller's thread right after the call ends; an exception in one is logged and does not
    affect the call.
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


def _without(trackers: tuple[_Tracker, ...], tracker: _Tracker) -> tuple[_Tracker, ...]:
    """``trackers`` less one occurrence of ``tracker`` (a block object may be entered twice)."""
    for index, item in enumerate(trackers):
        if item is tracker:
            return trackers[:index] + trackers[index + 1 :]
    return trackers


def _open_process_block(tracker: _Tracker) -> None:
    global _process  # noqa: PLW0603 - copy-on-write tuple keeps the hot path lock-free
    with _registry_lock:
        _process = (*_process, tracker)


def _close_process_block(tracker: _Tracker) -> None:
    global _process  # noqa: PLW0603
    with _registry_lock:
        _process = _without(_process, tracker)


def _open_budget(tracker: _Tracker) -> None:
    global _budgeted  # noqa: PLW0603 - copy-on-write tuple keeps the hot path lock-free
    with _registry_lock:
        _budgeted = (*_budgeted, tracker)


def _close_budget(tracker: _Tracker) -> None:
    global _budgeted  # noqa: PLW0603
    with _registry_lock:
        _budgeted = _without(_budgeted, tracker)


def _to_limit(value: Decimal | float | str | None) -> Decimal | None:
    if value is None:
        return None
    limit = to_decimal(value)
    if limit is None or limit < 0:
        raise ValueError(f"max_cost must be a non-negative amount in USD, got {value!r}")
    return limit


class track_usage:  # lower case: used like a function, ``with track_usage() as usage``
    """Record every OpenRouter call made inside the block, from either framework, in a ledger.

    Usable as ``with`` and ``async with``; the value is the :class:`UsageLedger`. Blocks nest: a
    call counts in every active ledger, once per ledger. A call belongs to the blocks active
    when it was sent: a stream opened inside a block and read after it is still recorded there.

    Scope: by default (``scope="context"``) a block is held by a context variable. asyncio
    tasks started inside it inherit it; other tasks and threads keep their own, and a thread
    started inside it (a ``ThreadPoolExecutor``'s worker) does not see it: run such work with
    ``contextvars.copy_context().run`` or enter ``track_usage(ledger=shared)`` there. A call
    made outside every block while a block with ``max_cost`` is open elsewhere issues a
    :class:`BudgetBypassWarning` (once per budgeted block). With ``scope="process"`` the block
    counts and guards every OpenRouter call of the process while it is open, from any thread,
    executor, task or framework.

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
        scope: ``"context"`` (this thread or task, and tasks started in it) or ``"process"``
            (every call of the process while the block is open).

    Raises:
        ValueError: ``max_cost`` is negative or not a number, or ``scope`` is unknown.

    Example:
        .. code-block:: python

            from decimal import Decimal
            from openrouter_core import track_usage

            with track_usage(max_cost=Decimal("0.50"), scope="process") as usage:
                ...  # ChatOpenRouter / OpenRouter calls, from any thread
            print(usage.summary())
    """

    def __init__(
        self,
        max_cost: Decimal | float | str | None = None,
        *,
        ledger: UsageLedger | None = None,
        prices: PriceSource | Mapping[str, ModelPrices] | None = None,
        scope: Scope = "context",
    ) -> None:
        if scope not in ("context", "process"):
            raise ValueError(f"scope must be 'context' or 'process', got {scope!r}")
        self.ledger = ledger if ledger is not None else UsageLedger()
        self.max_cost = _to_limit(max_cost)
        self.scope: Scope = scope
        self._tracker = _Tracker(self.ledger, self.max_cost, price_source_of(prices))
        self._tokens: list[contextvars.Token[tuple[_Tracker, ...]]] = []

    def __enter__(self) -> UsageLedger:
        _ensure_observer()
        self._tracker.bypass_warned = False
        self._tracker.number = next(_block_numbers)
        if self.scope == "process":
            _open_process_block(self._tracker)
            return self.ledger
        self._tokens.append(_active.set((*_active.get(), self._tracker)))
        if self.max_cost is not None:
            _open_budget(self._tracker)
        return self.ledger

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.scope == "process":
            _close_process_block(self._tracker)
            return
        if self.max_cost is not None:
            _close_budget(self._tracker)
        token = self._tokens.pop()
        try:
            _active.reset(token)
        except ValueError:
            # Exited in another context than entered (a framework moved the block): drop only
            # this tracker there.
            _active.set(_without(_active.get(), self._tracker))

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
    """The ledgers that a call made here would be recorded in, outermost first.

    The process-scope blocks open now come first (in the order they were opened), then this
    context's blocks.
    """
    return _unique_ledgers((*_process, *_active.get()))
