"""Who hears about every OpenRouter request: the observer registry and what observers receive.

The transport (:mod:`openrouter_core.transport`) tells every registered observer about each
request before it is sent (:class:`CallInfo`; raising vetoes it) and once when it has ended
(:class:`CallOutcome`). When an observer vetoes a request, the observers that had already heard
about it are told at once that it ended unsent (``CallOutcome.refused``), so none of them keeps
state for it. The usage ledger, the budget guard, the framework usage handlers and the
OpenTelemetry export register here. This module imports neither the ``openai`` SDK nor a
framework, so registering an observer costs nothing at import time.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from openrouter_core.errors import OpenRouterError
    from openrouter_core.usage import OpenRouterUsage

__all__ = [
    "CallInfo",
    "CallObserver",
    "CallOutcome",
    "add_observer",
    "has_observers",
    "notify_after",
    "notify_before",
    "remove_observer",
]

logger = logging.getLogger("openrouter_core")


@dataclasses.dataclass(frozen=True, slots=True)
class CallInfo:
    """One OpenRouter request, as observers see it before it is sent.

    Attributes:
        model: The model the request asks for (``None`` = the account default).
        endpoint: The API path, e.g. ``"/chat/completions"``.
        body: The JSON body about to be sent.
        stream: Whether the response is streamed.
        base_url: The API root the request goes to (which catalog prices it, for example).
    """

    model: str | None
    endpoint: str
    body: Mapping[str, Any]
    stream: bool
    base_url: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class CallOutcome:
    """How a request ended.

    Attributes:
        usage: What it consumed and cost, when OpenRouter reported it (also on failures).
        error: The typed error, when it failed.
        incomplete: Whether the caller stopped reading a stream before it finished.
        generation_id: OpenRouter's ``gen-...`` id of the answer, when one arrived.
        finish_reasons: The ``finish_reason`` of each choice of the answer, when known.
        refused: What an observer raised in ``before_call`` to veto the request: it was never
            sent. Only observers that had already heard about the request receive this.
    """

    usage: OpenRouterUsage | None
    error: OpenRouterError | None = None
    incomplete: bool = False
    generation_id: str | None = None
    finish_reasons: tuple[str, ...] = ()
    refused: BaseException | None = None

    @property
    def failed(self) -> bool:
        """Whether the request ended in an error (or was refused before it was sent)."""
        return self.error is not None or self.refused is not None

    @property
    def sent(self) -> bool:
        """Whether the request was sent (no observer refused it)."""
        return self.refused is None


class CallObserver(Protocol):
    """Something that wants to hear about every request (the usage ledger, a budget guard)."""

    def before_call(self, call: CallInfo) -> None:
        """Called before the request is sent; raising here cancels it."""

    def after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        """Called once when the request has ended, successfully or not.

        Also when it was refused before it was sent (``outcome.refused``: another observer's
        ``before_call`` raised).
        """


_observers: tuple[CallObserver, ...] = ()
_lock = threading.Lock()


def add_observer(observer: CallObserver) -> None:
    """Register an observer for every request made in this process (again: no-op)."""
    global _observers  # noqa: PLW0603 - a copy-on-write tuple keeps the hot path lock-free
    with _lock:
        if observer not in _observers:
            _observers = (*_observers, observer)


def remove_observer(observer: CallObserver) -> None:
    """Unregister an observer; unknown observers are ignored."""
    global _observers  # noqa: PLW0603
    with _lock:
        _observers = tuple(o for o in _observers if o is not observer)


def has_observers() -> bool:
    """Whether anyone listens (the transport skips work nobody would read)."""
    return bool(_observers)


def notify_before(call: CallInfo) -> None:
    """Tell every observer a request is about to be sent; an observer may raise to veto it.

    When one raises, the observers before it (which have heard about the request) are told it
    ended unsent, with ``CallOutcome.refused``; then the exception propagates.
    """
    current = _observers
    heard = 0
    try:
        for observer in current:
            observer.before_call(call)
            heard += 1
    except BaseException as exc:
        if heard:
            _tell(current[:heard], call, CallOutcome(usage=None, refused=exc))
        raise


def notify_after(call: CallInfo, outcome: CallOutcome) -> None:
    """Tell every observer a request has ended; one observer's bug never hides the others."""
    _tell(_observers, call, outcome)


def _tell(targets: tuple[CallObserver, ...], call: CallInfo, outcome: CallOutcome) -> None:
    for observer in targets:
        try:
            observer.after_call(call, outcome)
        except Exception:  # noqa: PERF203 - one observer's bug must not hide the others
            logger.exception("observer %r failed in after_call; the call is not affected", observer)
