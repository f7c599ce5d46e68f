"""LangChain side of the shared usage ledger: a callback handler and ``get_openrouter_callback()``.

:class:`OpenRouterUsageCallbackHandler` maps LangChain's callback events onto the shared call
bookkeeping (:class:`~openrouter_core.accounting.calls.CallBook`). A ``ChatOpenRouter`` call's
usage is the one the transport parsed, found by the generation id in
``response_metadata["id"]``; any other chat model (``ChatOpenAI(base_url=<OpenRouter>)``) is
read from what it reports (``usage_metadata`` and ``response_metadata``, or the raw
``token_usage`` that ``ChatOpenAI`` keeps, cost included).
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, LLMResult

from openrouter_core.usage import (
    OpenRouterUsage,
    nonempty_str,
    parse_usage,
    to_decimal,
    token_count,
)

if TYPE_CHECKING:
    from langchain_core.outputs import ChatGenerationChunk, Generation, GenerationChunk

    # The ledger loads with the first handler, not with the package (import-time budget).
    from openrouter_core.accounting import CallBook, Reported, UsageLedger

__all__ = ["OpenRouterUsageCallbackHandler", "get_openrouter_callback"]


def _undouble(value: str | None) -> str | None:
    """Undo LangChain's concatenation of a repeated string field across stream chunks.

    OpenRouter repeats ``model`` on its final usage chunk; merging chunks then turns
    ``"a/b"`` into ``"a/ba/b"`` in ``response_metadata["model_name"]``. Only model ids with an
    author (``author/slug``) are repaired.
    """
    if not value:
        return value
    size = len(value)
    for period in range(1, size // 2 + 1):
        unit = value[:period]
        if size % period == 0 and "/" in unit and unit * (size // period) == value:
            return unit
    return value


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _from_usage_metadata(
    usage_metadata: Mapping[str, Any], metadata: Mapping[str, Any]
) -> OpenRouterUsage:
    inputs = _mapping(usage_metadata.get("input_token_details"))
    outputs = _mapping(usage_metadata.get("output_token_details"))
    cost_details = _mapping(metadata.get("cost_details"))
    input_tokens = token_count(usage_metadata.get("input_tokens"))
    output_tokens = token_count(usage_metadata.get("output_tokens"))
    byok = metadata.get("is_byok")
    return OpenRouterUsage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=token_count(usage_metadata.get("total_tokens"))
        or input_tokens + output_tokens,
        cached_tokens=token_count(inputs.get("cache_read")),
        cache_write_tokens=token_count(inputs.get("cache_creation")),
        reasoning_tokens=token_count(outputs.get("reasoning")),
        cost=to_decimal(metadata.get("cost")),
        upstream_cost=to_decimal(cost_details.get("upstream_inference_cost")),
        is_byok=byok if isinstance(byok, bool) else None,
    )


def _generation_id(metadata: Mapping[str, Any], llm_output: Mapping[str, Any] | None) -> str | None:
    return nonempty_str(metadata.get("id")) or nonempty_str(_mapping(llm_output).get("id"))


def _response_metadata(generation: Generation) -> Mapping[str, Any]:
    message = generation.message if isinstance(generation, ChatGeneration) else None
    return _mapping(getattr(message, "response_metadata", None))


def usage_from_generation(
    generation: Generation, llm_output: Mapping[str, Any] | None = None
) -> tuple[OpenRouterUsage | None, dict[str, Any]]:
    """Read one generation's usage and OpenRouter facts from what the chat model reported.

    Token counts come from the message's ``usage_metadata``; cost, provider, id and the served
    model from ``response_metadata``. The raw ``token_usage`` (in ``response_metadata`` or the
    result's ``llm_output``, as ``ChatOpenAI`` keeps it) fills whatever those lack.

    Returns:
        The usage (``None`` when the generation reported none) and the facts ``model``,
        ``provider``, ``id``.
    """
    message: BaseMessage | None = (
        generation.message if isinstance(generation, ChatGeneration) else None
    )
    metadata = _response_metadata(generation)
    info = _mapping(generation.generation_info)
    output = _mapping(llm_output)
    raw = _mapping(metadata.get("token_usage")) or _mapping(output.get("token_usage"))
    raw_usage = parse_usage(raw) if raw else None
    usage_metadata = getattr(message, "usage_metadata", None)
    usage: OpenRouterUsage | None
    if isinstance(usage_metadata, Mapping) and usage_metadata:
        usage = _from_usage_metadata(usage_metadata, metadata)
        if raw_usage is not None:
            usage = dataclasses.replace(
                usage,
                cached_tokens=usage.cached_tokens or raw_usage.cached_tokens,
                cache_write_tokens=usage.cache_write_tokens or raw_usage.cache_write_tokens,
                reasoning_tokens=usage.reasoning_tokens or raw_usage.reasoning_tokens,
                cost=usage.cost if usage.cost is not None else raw_usage.cost,
                upstream_cost=usage.upstream_cost
                if usage.upstream_cost is not None
                else raw_usage.upstream_cost,
                is_byok=usage.is_byok if usage.is_byok is not None else raw_usage.is_byok,
            )
    else:
        usage = raw_usage
        if usage is not None and usage.cost is None and metadata.get("cost") is not None:
            usage = dataclasses.replace(usage, cost=to_decimal(metadata.get("cost")))
    facts = {
        "model": _undouble(
            nonempty_str(metadata.get("model_name"))
            or nonempty_str(metadata.get("model"))
            or nonempty_str(info.get("model_name"))
            or nonempty_str(output.get("model_name"))
        ),
        "provider": nonempty_str(metadata.get("provider")) or nonempty_str(info.get("provider")),
        "id": _generation_id(metadata, output),
    }
    return usage, facts


def _reported(generation: Generation, llm_output: Mapping[str, Any] | None) -> Reported:
    from openrouter_core.accounting import Reported

    usage, facts = usage_from_generation(generation, llm_output)
    return Reported(usage, served_model=facts["model"], provider=facts["provider"])


def _requested_model(kwargs: Mapping[str, Any]) -> str | None:
    params = _mapping(kwargs.get("invocation_params"))
    metadata = _mapping(kwargs.get("metadata"))
    return (
        nonempty_str(params.get("model"))
        or nonempty_str(params.get("model_name"))
        or nonempty_str(params.get("model_id"))
        or nonempty_str(metadata.get("ls_model_name"))
    )


class OpenRouterUsageCallbackHandler(BaseCallbackHandler):
    """Record every chat-model call's tokens and cost in a :class:`UsageLedger`.

    Works with any chat model: a ``ChatOpenRouter`` call is recorded with the usage the
    transport parsed (exact, whatever the message's fields say), and ``ChatOpenAI`` pointed
    at OpenRouter keeps the raw usage (cost included) for non-streaming calls; a call that
    reports no cost is counted in ``ledger.unknown_cost_requests``. A failed call is recorded
    when OpenRouter may have billed it: its error carries the usage (``OpenRouterError.usage``),
    a generation id or the partial text of a failed stream.

    Pass it per call (``config={"callbacks": [handler]}``), or use
    :func:`get_openrouter_callback` to cover every call in a block. Give it the ledger of a
    ``track_usage()`` block to have both in one account: a call both of them see is recorded
    once (matched by generation id, and a failed call also by its error, which
    ``track_usage()`` marks as recorded, so an error inside an HTTP 200 without an id counts
    once too).

    Example:
        .. code-block:: python

            from langchain_openrouter import OpenRouterUsageCallbackHandler

            handler = OpenRouterUsageCallbackHandler()
            chat.invoke("Hello", config={"callbacks": [handler]})
            print(handler.ledger.total_cost)

    Args:
        ledger: The ledger to record into (default: a new one).
    """

    run_inline = True
    """Record on the calling thread, also for async calls (recording never blocks)."""

    def __init__(self, ledger: UsageLedger | None = None) -> None:
        from openrouter_core.accounting import SOURCE_LANGCHAIN, CallBook, UsageLedger

        super().__init__()
        self.ledger = ledger if ledger is not None else UsageLedger()
        """The ledger every call is recorded in."""
        self._outer: OpenRouterUsageCallbackHandler | None = None
        self._book: CallBook = CallBook(SOURCE_LANGCHAIN, self._ledgers)

    def __repr__(self) -> str:
        return f"OpenRouterUsageCallbackHandler({self.ledger!r})"

    def _ledgers(self) -> Iterator[UsageLedger]:
        """This handler's ledger, then those of the ``get_openrouter_callback()`` blocks around."""
        handler: OpenRouterUsageCallbackHandler | None = self
        while handler is not None:
            yield handler.ledger
            handler = handler._outer

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        """Remember which model the call asked for."""
        self._book.start(run_id, _requested_model(kwargs))

    def on_llm_start(
        self, serialized: dict[str, Any], prompts: list[str], *, run_id: UUID, **kwargs: Any
    ) -> None:
        """Remember which model the call asked for (completion-style models)."""
        self._book.start(run_id, _requested_model(kwargs))

    def on_llm_new_token(
        self,
        token: str | list[str | dict[str, Any]],
        *,
        chunk: GenerationChunk | ChatGenerationChunk | None = None,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        """Note that the call streams."""
        self._book.streaming(run_id)

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """Record the call (one record per prompt; the choices of one call share its usage)."""
        call = self._book.finish(run_id)
        for choices in response.generations:
            if not choices:
                continue
            generation = next(
                (
                    g
                    for g in choices
                    if getattr(getattr(g, "message", None), "usage_metadata", None)
                ),
                choices[0],
            )
            self._book.record_end(
                call,
                _generation_id(_response_metadata(generation), response.llm_output),
                functools.partial(_reported, generation, response.llm_output),
            )

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Record a failed call when OpenRouter may have billed it (its error says so)."""
        self._book.fail(run_id, error)


_current_handler: ContextVar[OpenRouterUsageCallbackHandler | None] = ContextVar(
    "openrouter_usage_callback", default=None
)
_hook_registered = False
_hook_lock = threading.Lock()


def _register_hook() -> None:
    global _hook_registered  # noqa: PLW0603 - LangChain keeps hooks forever: register once
    if _hook_registered:
        return
    with _hook_lock:
        if not _hook_registered:
            from langchain_core.tracers.context import register_configure_hook

            register_configure_hook(_current_handler, inheritable=True)
            _hook_registered = True


@contextmanager
def get_openrouter_callback(
    ledger: UsageLedger | None = None,
) -> Iterator[OpenRouterUsageCallbackHandler]:
    """Record every LangChain chat-model call made inside the block, without passing callbacks.

    Like LangChain's ``get_openai_callback()``, for any chat model, with exact costs and cache
    and reasoning tokens. Blocks nest: a call counts in every enclosing block's ledger. The
    handler is scoped by a context variable, so concurrent tasks and threads see their own.

    Args:
        ledger: Record into this ledger (e.g. one from ``track_usage()``) instead of a new one.

    Yields:
        The handler; its ``ledger`` holds the account.

    Example:
        .. code-block:: python

            from langchain_openrouter import get_openrouter_callback

            with get_openrouter_callback() as cb:
                chain.invoke({"topic": "bees"})
            print(cb.ledger.summary())
    """
    _register_hook()
    handler = OpenRouterUsageCallbackHandler(ledger)
    handler._outer = _current_handler.get()
    token = _current_handler.set(handler)
    try:
        yield handler
    finally:
        _current_handler.reset(token)
