"""The call bookkeeping both framework usage handlers share, with usage taken from the transport.

A framework handler hears a call start, perhaps stream, then end or fail, each under its
framework's key (a LangChain run id, a LlamaIndex span id). :class:`CallBook` keeps the open
calls (their requested model and whether they stream, at most :data:`MAX_OPEN_CALLS` of them)
and turns each end or billed failure into a
:class:`~openrouter_core.accounting.records.UsageRecord` in the handler's ledgers.

Usage comes from the source. The transport has already parsed every call's usage: an observer,
registered with :mod:`openrouter_core.observers` as soon as the first book exists, keeps the
last :data:`RECENT_CALLS` calls it finished, by generation id (process-wide, thread-safe, and
only while some book is alive). When a call ends, the book takes its usage by the generation id
the framework's answer carries; only a call that did not go through ``openrouter_core``
(``ChatOpenAI`` pointed at OpenRouter, another LlamaIndex LLM) is read from the framework's own
objects (:class:`Reported`). A failed call's usage travels on its error
(``OpenRouterError.usage``).

Nothing here imports the ``openai`` SDK or a framework.
"""

from __future__ import annotations

import collections
import dataclasses
import threading
import weakref
from collections.abc import Callable, Hashable, Iterable

from openrouter_core import observers
from openrouter_core.accounting.ledger import UsageLedger
from openrouter_core.accounting.names import requested_model
from openrouter_core.accounting.records import UsageRecord, began_responding
from openrouter_core.observers import CallInfo, CallOutcome
from openrouter_core.usage import OpenRouterUsage, nonempty_str

__all__ = [
    "MAX_OPEN_CALLS",
    "RECENT_CALLS",
    "CallBook",
    "FinishedCall",
    "OpenCall",
    "Reported",
]

MAX_OPEN_CALLS = 10_000
"""Calls a book keeps open; past this many the oldest (abandoned, never ended) are forgotten."""

RECENT_CALLS = 1_024
"""Finished calls kept for the handlers.

A call's end event reaches its handler right after the transport finishes it, so only calls
finishing concurrently compete for room; one pushed out is read from the framework's objects.
"""


@dataclasses.dataclass(frozen=True, slots=True)
class Reported:
    """What a framework's own objects say about a call's answer (for calls not made by us).

    Attributes:
        usage: The usage rebuilt from the framework's fields (``None``: none reported).
        served_model: The model that answered, as reported.
        provider: The provider that served it, as reported.
        incomplete: Whether the framework marked the answer as a stream stopped early.
    """

    usage: OpenRouterUsage | None = None
    served_model: str | None = None
    provider: str | None = None
    incomplete: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class FinishedCall:
    """A call the transport finished without an error, as its observers saw it end.

    Attributes:
        usage: The usage the transport parsed (``None``: OpenRouter reported none).
        requested_model: The model the request body asked for.
        streamed: Whether the response was streamed.
        incomplete: Whether the caller stopped reading the stream before it finished.
        endpoint: The API path.
        base_url: The API root the request went to.
        sequence: Its place in the order calls finished in this process (from 1).
    """

    usage: OpenRouterUsage | None
    requested_model: str | None
    streamed: bool
    incomplete: bool
    endpoint: str
    base_url: str | None
    sequence: int


class _RecentCalls:
    """The observer keeping the last finished calls by generation id (an LRU, under a lock)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._calls: collections.OrderedDict[str, FinishedCall] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._sequence = 0

    def before_call(self, call: CallInfo) -> None:
        """Nothing to do before a request."""

    def after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        """Keep a call that finished with a generation id (a failure's usage is on its error)."""
        gen_id = outcome.generation_id
        if gen_id is None or outcome.error is not None or not _books:
            return  # no handler to ask for it
        requested = requested_model(call.body)
        with self._lock:
            self._sequence += 1
            self._calls[gen_id] = FinishedCall(
                usage=outcome.usage,
                requested_model=requested,
                streamed=call.stream,
                incomplete=outcome.incomplete,
                endpoint=call.endpoint,
                base_url=call.base_url,
                sequence=self._sequence,
            )
            self._calls.move_to_end(gen_id)
            while len(self._calls) > self.capacity:
                self._calls.popitem(last=False)

    @property
    def sequence(self) -> int:
        """The sequence number of the last call that finished (0: none yet)."""
        return self._sequence

    def get(self, generation_id: str, *, after: int) -> FinishedCall | None:
        """The call with this id, if it finished after sequence number ``after``.

        A book passes the number current when its call started, so an older call that shares
        the id (say, from an emulator run with the same seed) is never taken for it.
        """
        with self._lock:
            found = self._calls.get(generation_id)
        return found if found is not None and found.sequence > after else None


_recent = _RecentCalls(RECENT_CALLS)
# The books alive: while there is none, finished calls are not kept (nobody would ask).
_books: weakref.WeakSet[CallBook] = weakref.WeakSet()
_registered = False
_register_lock = threading.Lock()


def _watch_transport(book: CallBook) -> None:
    global _registered  # noqa: PLW0603 - registered once, with the first book
    with _register_lock:
        _books.add(book)
        if not _registered:
            observers.add_observer(_recent)
            _registered = True


@dataclasses.dataclass(slots=True)
class OpenCall:
    """A call whose start a book has seen (or a stand-in for one it has not).

    Attributes:
        requested_model: The model the call asked for, as the framework reported it.
        since: :class:`FinishedCall` sequence number when the call started.
        streamed: Whether the framework reported streamed output for it.
    """

    requested_model: str | None
    since: int
    streamed: bool = False


class CallBook:
    """The open calls of one framework handler, and their records when they end.

    The handler maps its framework's events onto :meth:`start`, :meth:`streaming`, then
    :meth:`end` or :meth:`fail` (or :meth:`finish` with :meth:`record_end` when one end carries
    several answers); the book records into the ledgers ``ledgers()`` gives at that moment,
    each once. Thread-safe.

    Args:
        source: ``UsageRecord.source`` of its records (``"langchain"``, ``"llamaindex"``).
        ledgers: The ledgers to record into, read at every record.
    """

    def __init__(self, source: str, ledgers: Callable[[], Iterable[UsageLedger]]) -> None:
        _watch_transport(self)
        self.source = source
        self._ledgers = ledgers
        self._open: dict[Hashable, OpenCall] = {}
        self._lock = threading.Lock()
        self._since = _recent.sequence

    def start(self, key: Hashable | None, requested_model: str | None) -> None:
        """Open a call (a key of ``None`` is no call at all)."""
        if key is None:
            return
        call = OpenCall(requested_model, _recent.sequence)
        with self._lock:
            if len(self._open) >= MAX_OPEN_CALLS:
                self._open.pop(next(iter(self._open)))
            self._open[key] = call

    def streaming(self, key: Hashable | None) -> None:
        """Note that an open call streams (cheap: called for every token)."""
        call = self._open.get(key) if key is not None else None
        if call is not None:
            call.streamed = True

    def finish(self, key: Hashable | None) -> OpenCall:
        """Close a call; a call never started (or forgotten) gives a stand-in."""
        call = None
        if key is not None:
            with self._lock:
                call = self._open.pop(key, None)
        return call if call is not None else OpenCall(None, self._since)

    def end(
        self, key: Hashable | None, generation_id: str | None, read: Callable[[], Reported]
    ) -> None:
        """Close a call and record its answer (see :meth:`record_end`)."""
        self.record_end(self.finish(key), generation_id, read)

    def record_end(
        self, call: OpenCall, generation_id: str | None, read: Callable[[], Reported]
    ) -> None:
        """Record one answer of a closed call.

        Args:
            call: The call, from :meth:`finish`.
            generation_id: The generation id the framework's answer carries.
            read: Reads the framework's own objects; called only when the transport did not
                finish this call (it is not one of ours) or reported no usage for it.
        """
        finished = _recent.get(generation_id, after=call.since) if generation_id else None
        if finished is not None and finished.usage is not None:
            record = UsageRecord.from_usage(
                finished.usage,
                requested_model=call.requested_model or finished.requested_model,
                generation_id=generation_id,
                streamed=call.streamed or finished.streamed,
                incomplete=finished.incomplete,
                source=self.source,
                endpoint=finished.endpoint,
                base_url=finished.base_url,
            )
        else:
            reported = read()
            record = UsageRecord.from_usage(
                reported.usage,
                requested_model=call.requested_model,
                served_model=reported.served_model,
                provider=reported.provider,
                generation_id=generation_id,
                streamed=call.streamed,
                incomplete=reported.incomplete,
                source=self.source,
            )
        self._add(record)

    def fail(self, key: Hashable | None, error: BaseException) -> None:
        """Close a failed call; record it when OpenRouter may have billed it.

        That is when the error carries usage (``OpenRouterError.usage``), a generation id (an
        error inside an HTTP 200) or ``partial_text`` (a stream that failed midway), as for
        ``track_usage()``. The error marks the ledgers holding the call, so one that
        ``track_usage()`` (or this book, seeing it again in an outer call) already recorded
        is not recorded twice, even without a generation id.
        """
        call = self.finish(key)
        usage = getattr(error, "usage", None)
        if not isinstance(usage, OpenRouterUsage):
            usage = None
        if usage is None and not began_responding(error):
            return
        record = UsageRecord.from_usage(
            usage,
            requested_model=call.requested_model or nonempty_str(getattr(error, "model", None)),
            generation_id=nonempty_str(getattr(error, "generation_id", None)),
            streamed=call.streamed or getattr(error, "partial_text", None) is not None,
            failed=True,
            error_type=type(error).__name__,
            source=self.source,
        )
        self._add(record, call=error)

    def _add(self, record: UsageRecord, call: BaseException | None = None) -> None:
        done: list[UsageLedger] = []
        for ledger in self._ledgers():
            if not any(ledger is seen for seen in done):
                ledger.add(record, call=call)
                done.append(ledger)
