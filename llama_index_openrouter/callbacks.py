"""LlamaIndex side of the shared usage ledger: an instrumentation event handler.

:class:`OpenRouterUsageEventHandler` maps LlamaIndex's LLM events on a dispatcher (the root one
by default, which hears every LLM) onto the shared call bookkeeping
(:class:`~openrouter_core.accounting.calls.CallBook`): ``LLMChatEndEvent`` and
``LLMCompletionEndEvent`` record a call, an ``ExceptionEvent`` whose error shows OpenRouter
billed it (``OpenRouterError.usage``, a generation id or the partial text of a failed stream)
records a failed one. An ``OpenRouter`` call's usage is the one the transport parsed, found by
``additional_kwargs["generation_id"]``; any other LLM is read from its response.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.exception import ExceptionEvent
from llama_index.core.instrumentation.events.llm import (
    LLMChatEndEvent,
    LLMChatInProgressEvent,
    LLMChatStartEvent,
    LLMCompletionEndEvent,
    LLMCompletionInProgressEvent,
    LLMCompletionStartEvent,
)
from llama_index_instrumentation import get_dispatcher
from llama_index_instrumentation.dispatcher import Dispatcher
from pydantic import Field, PrivateAttr

from openrouter_core.accounting import SOURCE_LLAMAINDEX, CallBook, Reported, UsageLedger
from openrouter_core.usage import (
    OpenRouterUsage,
    nonempty_str,
    parse_usage,
    to_decimal,
    token_count,
)

__all__ = [
    "OpenRouterUsageEventHandler",
    "attach_usage_handler",
    "detach_usage_handler",
    "get_openrouter_usage_handler",
    "usage_from_response",
]

_TOKEN_KEYS = ("prompt_tokens", "completion_tokens", "total_tokens", "cost")


def _as_mapping(value: Any) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        dumped = dump()
        if isinstance(dumped, Mapping):
            return dumped
    return {}


def _incomplete(response: Any) -> bool:
    """Whether a response is what was received of a stream the caller stopped early."""
    return _as_mapping(getattr(response, "additional_kwargs", None)).get("incomplete") is True


def _response_kwargs(response: Any) -> dict[str, Any]:
    """A response's ``additional_kwargs``, over those of its message.

    LlamaIndex's completion-to-chat adapters move ``additional_kwargs`` onto the message.
    """
    return {
        **_as_mapping(getattr(getattr(response, "message", None), "additional_kwargs", None)),
        **_as_mapping(getattr(response, "additional_kwargs", None)),
    }


def _generation_id(response: Any) -> str | None:
    if response is None:
        return None
    return nonempty_str(_response_kwargs(response).get("generation_id")) or nonempty_str(
        _as_mapping(getattr(response, "raw", None)).get("id")
    )


def usage_from_response(response: Any) -> tuple[OpenRouterUsage | None, dict[str, Any]]:
    """Read a ``ChatResponse`` / ``CompletionResponse``'s usage and OpenRouter facts.

    The ``OpenRouter`` LLM puts ``prompt_tokens``, ``completion_tokens``, ``total_tokens``,
    ``cached_tokens``, ``cache_write_tokens``, ``reasoning_tokens``, ``cost``, ``provider``,
    ``model`` and ``generation_id`` in ``additional_kwargs`` (of the response, or of its message
    when a completion was turned into a chat response); other LLMs leave the raw completion in
    ``raw``, whose ``usage`` fills whatever ``additional_kwargs`` lacks.

    Returns:
        The usage (``None`` when the response reported none) and the facts ``model``,
        ``provider``, ``id``.
    """
    if response is None:
        return None, {"model": None, "provider": None, "id": None}
    kwargs = _response_kwargs(response)
    raw = _as_mapping(getattr(response, "raw", None))
    raw_usage = parse_usage(_as_mapping(raw.get("usage"))) if raw.get("usage") else None
    usage: OpenRouterUsage | None
    if any(kwargs.get(key) is not None for key in _TOKEN_KEYS):
        base = raw_usage or OpenRouterUsage()
        input_tokens = token_count(kwargs.get("prompt_tokens")) or base.input_tokens
        output_tokens = token_count(kwargs.get("completion_tokens")) or base.output_tokens
        cost = to_decimal(kwargs.get("cost"))
        byok = kwargs.get("is_byok")
        usage = OpenRouterUsage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            total_tokens=token_count(kwargs.get("total_tokens")) or input_tokens + output_tokens,
            cached_tokens=token_count(kwargs.get("cached_tokens")) or base.cached_tokens,
            cache_write_tokens=token_count(kwargs.get("cache_write_tokens"))
            or base.cache_write_tokens,
            reasoning_tokens=token_count(kwargs.get("reasoning_tokens")) or base.reasoning_tokens,
            cost=cost if cost is not None else base.cost,
            upstream_cost=base.upstream_cost,
            is_byok=byok if isinstance(byok, bool) else base.is_byok,
        )
    else:
        usage = raw_usage
    facts = {
        "model": nonempty_str(kwargs.get("model")) or nonempty_str(raw.get("model")),
        "provider": nonempty_str(kwargs.get("provider")) or nonempty_str(raw.get("provider")),
        "id": nonempty_str(kwargs.get("generation_id")) or nonempty_str(raw.get("id")),
    }
    return usage, facts


def _reported(response: Any) -> Reported:
    usage, facts = usage_from_response(response)
    return Reported(
        usage,
        served_model=facts["model"],
        provider=facts["provider"],
        incomplete=_incomplete(response),
    )


class OpenRouterUsageEventHandler(BaseEventHandler):
    """Record every LlamaIndex LLM call's tokens and cost in a :class:`UsageLedger`.

    Attach it to the root dispatcher (:func:`attach_usage_handler` or
    :func:`get_openrouter_usage_handler`) to hear every LLM in the process. An ``OpenRouter``
    call is recorded with the usage the transport parsed (exact, whatever its response's
    ``additional_kwargs`` say); other LLMs are read from their responses. Calls that report
    no cost are counted in ``ledger.unknown_cost_requests``; a stream the caller stopped early
    is marked ``incomplete``; a call that failed after OpenRouter began generating (an error
    mid-stream, or inside an HTTP 200) is recorded with the usage billed for it and marked
    ``failed``. Give it the ledger of a ``track_usage()`` block to keep one account: a call both
    see is recorded once (matched by generation id, or for a failure by its error).

    Example:
        .. code-block:: python

            from llama_index_openrouter import attach_usage_handler, detach_usage_handler

            handler = attach_usage_handler()
            try:
                llm.complete("Hello")
            finally:
                detach_usage_handler(handler)
            print(handler.ledger.total_cost)
    """

    ledger: UsageLedger = Field(default_factory=UsageLedger, exclude=True)
    """The ledger every call is recorded in."""

    _book: CallBook = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        """Open the handler's call book (it records into ``ledger``, read at each record)."""
        super().model_post_init(context)
        self._book = CallBook(SOURCE_LLAMAINDEX, lambda: (self.ledger,))

    @classmethod
    def class_name(cls) -> str:
        """Class name."""
        return "OpenRouterUsageEventHandler"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        """Remember each call's requested model, and record it when it ends or fails."""
        span = event.span_id
        if isinstance(event, (LLMChatStartEvent, LLMCompletionStartEvent)):
            model = event.model_dict.get("model") or event.model_dict.get("model_name")
            self._book.start(span, nonempty_str(model))
        elif isinstance(event, (LLMChatInProgressEvent, LLMCompletionInProgressEvent)):
            self._book.streaming(span)
        elif isinstance(event, (LLMChatEndEvent, LLMCompletionEndEvent)):
            response = event.response
            self._book.end(span, _generation_id(response), lambda: _reported(response))
        elif isinstance(event, ExceptionEvent):
            # Recorded when OpenRouter may have billed it; a ledger shared with track_usage(),
            # or this handler seeing the error again as it leaves an outer span, keeps one
            # record of it (matched by the error itself, or by generation id).
            self._book.fail(span, event.exception)


def attach_usage_handler(
    handler: OpenRouterUsageEventHandler | None = None,
    *,
    ledger: UsageLedger | None = None,
    dispatcher: Dispatcher | None = None,
) -> OpenRouterUsageEventHandler:
    """Attach a usage handler to a dispatcher (the root one: every LLM in the process).

    Attaching the same handler twice is a no-op.

    Args:
        handler: The handler to attach (default: a new one).
        ledger: For a new handler, the ledger to record into (default: a new one).
        dispatcher: Where to attach (default: the root dispatcher).

    Returns:
        The attached handler; its ``ledger`` holds the account.
    """
    if handler is None:
        handler = (
            OpenRouterUsageEventHandler(ledger=ledger)
            if ledger is not None
            else OpenRouterUsageEventHandler()
        )
    target = dispatcher if dispatcher is not None else get_dispatcher()
    if not any(h is handler for h in target.event_handlers):
        target.add_event_handler(handler)
    return handler


def detach_usage_handler(
    handler: OpenRouterUsageEventHandler, *, dispatcher: Dispatcher | None = None
) -> None:
    """Remove a handler attached with :func:`attach_usage_handler` (unknown ones are ignored)."""
    target = dispatcher if dispatcher is not None else get_dispatcher()
    target.event_handlers = [h for h in target.event_handlers if h is not handler]


@contextmanager
def get_openrouter_usage_handler(
    ledger: UsageLedger | None = None,
) -> Iterator[OpenRouterUsageEventHandler]:
    """Record every LlamaIndex LLM call made while the block runs.

    The handler sits on the root dispatcher for the duration of the block, so it hears calls
    from every thread and task meanwhile, not only the block's own.

    Args:
        ledger: Record into this ledger (e.g. one from ``track_usage()``) instead of a new one.

    Yields:
        The handler; its ``ledger`` holds the account.
    """
    handler = attach_usage_handler(ledger=ledger)
    try:
        yield handler
    finally:
        detach_usage_handler(handler)
