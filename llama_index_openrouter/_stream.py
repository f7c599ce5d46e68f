"""Streams as LlamaIndex responses, with the instrumentation events LlamaIndex's LLMs emit.

``llama_index.core.llms.callbacks.llm_chat_callback`` emits a start event, an in-progress event
per chunk and an end event carrying the last response; but when the caller stops reading a
stream early it emits an ``ExceptionEvent`` for the ``GeneratorExit`` and never the end event,
so handlers that count usage lose the call. The wrappers here emit the same events, through the
same dispatcher and callback manager, and on an early stop (``close()``, a cancelled task,
``KeyboardInterrupt``) close the HTTP stream and end the call with a response built from what
was received (``additional_kwargs["incomplete"]``), then let the stop go on.

The request is sent, and the start event emitted, when the caller starts reading, so a stream
that is never read costs nothing, leaves no connection open and no call without an end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterator,
    Sequence,
)
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from llama_index.core.base.llms.types import ChatMessage, ChatResponse, CompletionResponse
from llama_index.core.callbacks import CBEventType, EventPayload
from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
from llama_index.core.instrumentation.events.exception import ExceptionEvent
from llama_index.core.instrumentation.events.llm import (
    LLMChatEndEvent,
    LLMChatInProgressEvent,
    LLMChatStartEvent,
    LLMCompletionEndEvent,
    LLMCompletionInProgressEvent,
    LLMCompletionStartEvent,
)
from llama_index.core.instrumentation.span import active_span_id

if TYPE_CHECKING:
    from llama_index.core.llms.llm import LLM

    from openrouter_core.streaming import StreamAccumulator, StreamDelta
    from openrouter_core.transport import AsyncChatStream, ChatStream

__all__ = ["AsyncResponseStream", "ResponseStream", "instrument_astream", "instrument_stream"]

dispatcher = get_dispatcher(__name__)
logger = logging.getLogger(__name__)

R = TypeVar("R", bound=ChatResponse | CompletionResponse)
T = TypeVar("T")


# How a caller stops a stream early: closing it (``close()``, ``break`` then garbage
# collection), cancelling the task that reads it, or Ctrl-C while it waits. Each ends the call
# with what was received; any other exception is the call failing.
_STOPS: tuple[type[BaseException], ...] = (GeneratorExit, asyncio.CancelledError, KeyboardInterrupt)


def _empty_completion() -> dict[str, Any]:
    from openrouter_core.streaming import StreamAccumulator

    return StreamAccumulator().completion()


class _Responses(Generic[R]):
    """What the sync and async response streams share: their state and how a stop ends."""

    def __init__(
        self,
        on_delta: Callable[[StreamAccumulator, StreamDelta], R | None],
        on_end: Callable[..., R],
    ) -> None:
        self._on_delta: Callable[[StreamAccumulator, StreamDelta], R | None] = on_delta
        self._on_end: Callable[..., R] = on_end
        self._stream: ChatStream | AsyncChatStream | None = None
        self._final: R | None = None

    def _last(self, accumulator: StreamAccumulator) -> R:
        """The last response of a stream that ended: built from the whole completion."""
        self._final = self._on_end(accumulator.completion(), delta="")
        return self._final

    @property
    def _open(self) -> bool:
        """Whether the HTTP stream is open and must be closed on a stop."""
        return self._final is None and self._stream is not None

    def _stopped(self) -> R:
        """The response for what was received when the caller stopped (the stream is closed)."""
        if self._final is not None:
            return self._final
        if self._stream is None:  # stopped before the response arrived: nothing was received
            return self._on_end(_empty_completion(), delta="", incomplete=True)
        return self._on_end(self._stream.accumulator.completion(), delta="", incomplete=True)


class ResponseStream(_Responses[R]):
    """Iterates a chat-completion stream as LlamaIndex responses.

    One response per chunk that adds text, reasoning or tool calls, then a last one built from
    the whole completion (usage, cost, finish reason), also when the usage arrives in a chunk of
    its own after the finish chunk.
    """

    def __init__(
        self,
        open_stream: Callable[[], ChatStream],
        on_delta: Callable[[StreamAccumulator, StreamDelta], R | None],
        on_end: Callable[..., R],
    ) -> None:
        super().__init__(on_delta, on_end)
        self._opener = open_stream
        self._iterator: Generator[R, None, None] = self._run()

    def _run(self) -> Generator[R, None, None]:
        stream = self._stream = self._opener()
        acc = stream.accumulator
        on_delta = self._on_delta
        deltas = iter(stream)
        try:
            for delta in deltas:
                item = on_delta(acc, delta)
                if item is not None:
                    yield item
        finally:
            deltas.close()  # type: ignore[attr-defined]
        yield self._last(acc)

    def __iter__(self) -> Iterator[R]:
        return self._iterator

    def stop(self) -> R:
        """Stop reading; close the HTTP stream; return the response for what was received."""
        self._iterator.close()
        if self._open:
            self._stream.close()  # type: ignore[union-attr]
        return self._stopped()


class AsyncResponseStream(_Responses[R]):
    """Asynchronous :class:`ResponseStream`."""

    def __init__(
        self,
        open_stream: Callable[[], Awaitable[AsyncChatStream]],
        on_delta: Callable[[StreamAccumulator, StreamDelta], R | None],
        on_end: Callable[..., R],
    ) -> None:
        super().__init__(on_delta, on_end)
        self._opener = open_stream
        self._iterator: AsyncGenerator[R, None] = self._run()

    async def _run(self) -> AsyncGenerator[R, None]:
        stream = self._stream = await self._opener()
        acc = stream.accumulator
        on_delta = self._on_delta
        deltas = aiter(stream)
        try:
            async for delta in deltas:
                item = on_delta(acc, delta)
                if item is not None:
                    yield item
        finally:
            await deltas.aclose()  # type: ignore[attr-defined]
        yield self._last(acc)

    def __aiter__(self) -> AsyncIterator[R]:
        return self._iterator

    async def stop(self) -> R:
        """Stop reading; close the HTTP stream; return the response for what was received."""
        await self._iterator.aclose()
        if self._open:
            await self._stream.aclose()  # type: ignore[union-attr]
        return self._stopped()


class _Call:
    """The instrumentation of one streaming call: what ``llm_*_callback`` would emit."""

    def __init__(
        self, llm: LLM, messages: Sequence[ChatMessage] | None, prompt: str | None
    ) -> None:
        self.llm = llm
        self.chat = messages is not None
        self.messages = list(messages) if messages is not None else []
        self.prompt = prompt or ""
        self.span_id = active_span_id.get()
        self.manager = llm.callback_manager
        self.event_id = ""
        self.trace = "chat" if self.chat else "completion"

    def start(self, kwargs: dict[str, Any]) -> None:
        model_dict = self.llm.to_payload()
        if self.chat:
            dispatcher.event(
                LLMChatStartEvent(
                    model_dict=model_dict,
                    messages=self.messages,
                    additional_kwargs=kwargs,
                    span_id=self.span_id,
                )
            )
            payload: dict[str, Any] = {
                EventPayload.MESSAGES: self.messages,
                EventPayload.ADDITIONAL_KWARGS: kwargs,
                EventPayload.SERIALIZED: model_dict,
            }
        else:
            dispatcher.event(
                LLMCompletionStartEvent(
                    model_dict=model_dict,
                    prompt=self.prompt,
                    additional_kwargs=kwargs,
                    span_id=self.span_id,
                )
            )
            payload = {
                EventPayload.PROMPT: self.prompt,
                EventPayload.ADDITIONAL_KWARGS: kwargs,
                EventPayload.SERIALIZED: model_dict,
            }
        self.event_id = self.manager.on_event_start(CBEventType.LLM, payload=payload)

    def progress(self, response: Any) -> None:
        if self.chat:
            dispatcher.event(
                LLMChatInProgressEvent(
                    messages=self.messages, response=response, span_id=self.span_id
                )
            )
        else:
            dispatcher.event(
                LLMCompletionInProgressEvent(
                    prompt=self.prompt, response=response, span_id=self.span_id
                )
            )

    def end(self, response: Any) -> None:
        payload: dict[str, Any]
        if self.chat:
            payload = {EventPayload.MESSAGES: self.messages, EventPayload.RESPONSE: response}
        else:
            payload = {EventPayload.PROMPT: self.prompt, EventPayload.COMPLETION: response}
        self.manager.on_event_end(CBEventType.LLM, payload=payload, event_id=self.event_id)
        if self.chat:
            dispatcher.event(
                LLMChatEndEvent(messages=self.messages, response=response, span_id=self.span_id)
            )
        else:
            dispatcher.event(
                LLMCompletionEndEvent(prompt=self.prompt, response=response, span_id=self.span_id)
            )

    def fail(self, exc: BaseException, *, during_stream: bool) -> None:
        self.manager.on_event_end(
            CBEventType.LLM, payload={EventPayload.EXCEPTION: exc}, event_id=self.event_id
        )
        if during_stream:
            dispatcher.event(ExceptionEvent(exception=exc, span_id=self.span_id))

    def prepare(self, kwargs: dict[str, Any], prepare: Callable[[], T]) -> T:
        """Validate the request now; an error ends the call (start, then the error) at once."""
        try:
            return prepare()
        except BaseException as exc:
            with self.manager.as_trace(self.trace):
                self.start(kwargs)
                self.fail(exc, during_stream=False)
            raise

    def begin(self, kwargs: dict[str, Any]) -> None:
        """Reading starts, and so does the call (a stream never read emits nothing)."""
        with self.manager.as_trace(self.trace):
            self.start(kwargs)


@contextlib.contextmanager
def _closing_quietly() -> Iterator[None]:
    """Around closing an abandoned stream: a failure is logged, not raised to the caller."""
    try:
        yield
    except Exception:
        logger.warning("closing an abandoned OpenRouter stream failed", exc_info=True)


def instrument_stream(
    llm: LLM,
    kwargs: dict[str, Any],
    prepare: Callable[[], ResponseStream[R]],
    *,
    messages: Sequence[ChatMessage] | None = None,
    prompt: str | None = None,
) -> Generator[R, None, None]:
    """Prepare the stream now; return a generator that emits the call's events as it is read.

    Validation is eager: an error ``prepare`` raises ends the call (a start event, then the
    error) before any request. Otherwise nothing is emitted until reading starts, as nothing
    is sent until then; a stream that is never read leaves no open call behind.

    Args:
        llm: The LLM (its callback manager, rate limiter and payload are used).
        kwargs: The call's keyword arguments, as shown in the start event.
        prepare: Validates the request and returns the (not yet opened) response stream;
            errors it raises end the call before any request is sent.
        messages: The messages of a chat call.
        prompt: The prompt of a completion call.

    Returns:
        The responses, each reported as in progress, the last one in the end event.
    """
    call = _Call(llm, messages, prompt)
    responses = call.prepare(kwargs, prepare)

    def events() -> Generator[R, None, None]:
        call.begin(kwargs)
        last: R | None = None
        try:
            if llm.rate_limiter is not None:
                llm.rate_limiter.acquire()
            for item in responses:
                call.progress(item)
                yield item
                last = item
        except _STOPS:
            final: R | None = None
            with _closing_quietly():
                final = responses.stop()
            call.end(final or last)
            raise
        except BaseException as exc:
            call.fail(exc, during_stream=True)
            raise
        call.end(last)

    return events()


async def instrument_astream(
    llm: LLM,
    kwargs: dict[str, Any],
    prepare: Callable[[], AsyncResponseStream[R]],
    *,
    messages: Sequence[ChatMessage] | None = None,
    prompt: str | None = None,
) -> AsyncGenerator[R, None]:
    """Asynchronous :func:`instrument_stream`."""
    call = _Call(llm, messages, prompt)
    responses = call.prepare(kwargs, prepare)

    async def events() -> AsyncGenerator[R, None]:
        call.begin(kwargs)
        last: R | None = None
        try:
            if llm.rate_limiter is not None:
                await llm.rate_limiter.async_acquire()
            async for item in responses:
                call.progress(item)
                yield item
                last = item
        except _STOPS:
            final: R | None = None
            with _closing_quietly():
                final = await responses.stop()
            call.end(final or last)
            raise
        except BaseException as exc:
            call.fail(exc, during_stream=True)
            raise
        call.end(last)

    return events()
