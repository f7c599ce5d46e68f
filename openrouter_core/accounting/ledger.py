"""The usage ledger: one thread-safe account of calls, and which ledgers hold a failed call.

:class:`UsageLedger` accumulates one :class:`~openrouter_core.accounting.records.UsageRecord`
per call, keeps their totals and breakdowns, and exports them (JSON and JSON lines; its tables
are drawn by :mod:`~openrouter_core.accounting.report`). A call seen twice by one ledger (say by
``track_usage()`` and a framework handler) is recorded once, matched by its generation id, and
for a failed call also by its error: whoever records a failure marks the error with the ledgers
holding it (:func:`mark_recorded`, :func:`already_recorded`, ``UsageLedger.add(call=...)``),
which covers errors without a generation id (an error inside an HTTP 200).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from openrouter_core import _json
from openrouter_core.accounting import report
from openrouter_core.accounting.records import UNKNOWN, UsageRecord, UsageTotals

__all__ = ["UsageLedger", "already_recorded", "mark_recorded"]

_ZERO = Decimal(0)


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
        """Atomically check the budget and reserve ``amount`` (for ``track_usage()``'s guard).

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
    def image_tokens(self) -> int:
        """Completion tokens spent on generated images."""
        return self.totals().image_tokens

    @property
    def total_cost(self) -> Decimal:
        """What OpenRouter charged (USD, credits), exactly; calls without a cost are not in it.

        For BYOK calls this holds OpenRouter's fee only; what the providers charged your own
        keys is :attr:`byok_cost`, and both together :attr:`combined_cost`.
        """
        return self.totals().total_cost

    @property
    def byok_requests(self) -> int:
        """Calls that ran on your own provider key (BYOK)."""
        return self.totals().byok_requests

    @property
    def byok_cost(self) -> Decimal:
        """What providers charged your own keys on BYOK calls (USD), exactly."""
        return self.totals().byok_cost

    @property
    def combined_cost(self) -> Decimal:
        """What the calls cost in all: :attr:`total_cost` plus :attr:`byok_cost`."""
        return self.totals().combined_cost

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
        """Totals per model as served (as requested when the served model is unknown).

        Each holds the money split too: what OpenRouter charged (``total_cost``), what BYOK
        providers charged (``byok_cost``) and both (``combined_cost``).
        """
        return self._group(lambda r: r.model)

    def by_provider(self) -> dict[str, UsageTotals]:
        """Totals per provider (``"(unknown)"`` when none was reported)."""
        return self._group(lambda r: r.provider or UNKNOWN)

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

    def summary(self) -> str:
        """A readable, aligned table per model and provider, a total row and notes.

        When a call ran on your own provider key (BYOK), the cost column becomes three: what
        OpenRouter charged, what the BYOK providers charged, and both together; a ``BYOK``
        column counts those calls. An ``images`` column appears when images were generated.
        """
        return report.text_table(self)

    def _repr_html_(self) -> str:
        return report.html_table(self)

    def __repr__(self) -> str:
        t = self.totals()
        unknown = (
            f", unknown_cost_requests={t.unknown_cost_requests}" if t.unknown_cost_requests else ""
        )
        if t.byok_requests:
            unknown += f", byok_requests={t.byok_requests}, byok_cost=Decimal('{t.byok_cost}')"
        return (
            f"UsageLedger(requests={t.requests}, total_cost=Decimal('{t.total_cost}'){unknown}, "
            f"input_tokens={t.input_tokens}, output_tokens={t.output_tokens}, "
            f"cached_tokens={t.cached_tokens})"
        )
