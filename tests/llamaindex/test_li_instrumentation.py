"""Instrumentation: one start, one in-progress per chunk and one end event per call."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.callbacks import CallbackManager, CBEventType
from llama_index.core.callbacks.base_handler import BaseCallbackHandler
from llama_index.core.instrumentation.events.exception import ExceptionEvent
from llama_index.core.instrumentation.events.llm import (
    LLMChatEndEvent,
    LLMChatInProgressEvent,
    LLMChatStartEvent,
    LLMCompletionEndEvent,
    LLMCompletionInProgressEvent,
    LLMCompletionStartEvent,
)
from llama_index.core.llms import ChatMessage
from llama_index.core.tools import FunctionTool

from llama_index_openrouter import OpenRouter
from openrouter_core import transport
from openrouter_core.errors import OpenRouterError
from openrouter_core.testing import OpenRouterEmulator, replies
from openrouter_core.transport import CallInfo, CallOutcome
from openrouter_core.usage import to_decimal

MESSAGES = [ChatMessage(role="user", content="Hello events")]
CHAT = (LLMChatStartEvent, LLMChatInProgressEvent, LLMChatEndEvent)
COMPLETION = (LLMCompletionStartEvent, LLMCompletionInProgressEvent, LLMCompletionEndEvent)


def _counts(events: Any, kinds: tuple[type, ...]) -> tuple[int, ...]:
    return tuple(len(events.of(kind)) for kind in kinds)


def _assert_end_usage(end: Any, emu: OpenRouterEmulator) -> None:
    charge = emu.charges[-1]
    kwargs = end.response.additional_kwargs
    assert kwargs["prompt_tokens"] == charge.prompt_tokens
    assert kwargs["completion_tokens"] == charge.completion_tokens
    assert to_decimal(kwargs["cost"]) == charge.cost
    assert kwargs["provider"] == charge.provider
    assert kwargs["generation_id"] == charge.generation_id


class LLMEvents(BaseCallbackHandler):
    """Counts the callback manager's LLM events (the legacy callback route)."""

    def __init__(self) -> None:
        super().__init__(event_starts_to_ignore=[], event_ends_to_ignore=[])
        self.starts = 0
        self.ends: list[dict[str, Any]] = []

    def on_event_start(self, event_type: CBEventType, payload: Any = None, **kwargs: Any) -> str:
        if event_type == CBEventType.LLM:
            self.starts += 1
        return kwargs.get("event_id", "")

    def on_event_end(self, event_type: CBEventType, payload: Any = None, **kwargs: Any) -> None:
        if event_type == CBEventType.LLM:
            self.ends.append(payload or {})

    def start_trace(self, trace_id: str | None = None) -> None:
        pass

    def end_trace(self, trace_id: str | None = None, trace_map: Any = None) -> None:
        pass


def test_chat_fires_start_and_end_once_with_usage_and_cost(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator, events: Any
) -> None:
    response = llm.chat(MESSAGES)

    assert _counts(events, CHAT) == (1, 0, 1)
    [end] = events.of(LLMChatEndEvent)
    assert end.response is response
    _assert_end_usage(end, openrouter_emulator)
    [start] = events.of(LLMChatStartEvent)
    assert start.span_id == end.span_id


async def test_achat_fires_start_and_end_once(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator, events: Any
) -> None:
    await llm.achat(MESSAGES)

    assert _counts(events, CHAT) == (1, 0, 1)
    _assert_end_usage(events.of(LLMChatEndEvent)[0], openrouter_emulator)


def test_stream_chat_fires_one_progress_event_per_chunk(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator, events: Any
) -> None:
    openrouter_emulator.enqueue(replies.text("Streaming events now.", chunk_chars=4))

    responses = list(llm.stream_chat(MESSAGES))

    assert _counts(events, CHAT) == (1, len(responses), 1)
    assert [e.response for e in events.of(LLMChatInProgressEvent)] == responses
    [end] = events.of(LLMChatEndEvent)
    assert end.response is responses[-1]
    _assert_end_usage(end, openrouter_emulator)
    assert len({e.span_id for e in events.events}) == 1


async def test_astream_chat_fires_one_progress_event_per_chunk(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator, events: Any
) -> None:
    openrouter_emulator.enqueue(
        replies.text("Async events.", chunk_chars=4, usage_chunk="separate")
    )

    responses = [r async for r in await llm.astream_chat(MESSAGES)]

    assert _counts(events, CHAT) == (1, len(responses), 1)
    _assert_end_usage(events.of(LLMChatEndEvent)[0], openrouter_emulator)


def test_completions_fire_completion_events_only(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator, events: Any
) -> None:
    llm.complete("Hi")
    assert _counts(events, COMPLETION) == (1, 0, 1)

    streamed = list(llm.stream_complete("Hi again"))

    assert _counts(events, COMPLETION) == (2, len(streamed), 2)
    assert _counts(events, CHAT) == (0, 0, 0)
    end = events.of(LLMCompletionEndEvent)[-1]
    assert end.response is streamed[-1]
    _assert_end_usage(end, openrouter_emulator)


async def test_async_completions_fire_completion_events_only(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator, events: Any
) -> None:
    await llm.acomplete("Hi")
    streamed = [r async for r in await llm.astream_complete("Hi")]

    assert _counts(events, COMPLETION) == (2, len(streamed), 2)
    assert _counts(events, CHAT) == (0, 0, 0)


def test_a_tool_call_fires_one_chat_call(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator, events: Any
) -> None:
    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    llm.predict_and_call([FunctionTool.from_defaults(add)], user_msg="1 plus 2")

    assert _counts(events, CHAT) == (1, 0, 1)


@pytest.fixture
def outcomes() -> Any:
    seen: list[CallOutcome] = []

    class Observer:
        def before_call(self, call: CallInfo) -> None:
            pass

        def after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
            seen.append(outcome)

    observer = Observer()
    transport.add_observer(observer)
    yield seen
    transport.remove_observer(observer)


def test_stopping_a_stream_early_still_ends_the_call_with_what_was_received(
    make_llm: Callable[..., OpenRouter],
    openrouter_emulator: OpenRouterEmulator,
    events: Any,
    outcomes: list[CallOutcome],
) -> None:
    callbacks = LLMEvents()
    llm = make_llm(callback_manager=CallbackManager([callbacks]))
    openrouter_emulator.enqueue(replies.text("One two three four five six.", chunk_chars=4))

    stream = llm.stream_chat(MESSAGES)
    first = next(stream)
    second = next(stream)
    stream.close()

    assert _counts(events, CHAT) == (1, 2, 1)
    assert events.of(ExceptionEvent) == []
    [end] = events.of(LLMChatEndEvent)
    assert end.response.message.content == first.delta + second.delta == "One two "
    assert end.response.additional_kwargs["incomplete"] is True
    assert callbacks.starts == 1
    assert len(callbacks.ends) == 1
    assert "exception" not in callbacks.ends[0]
    [outcome] = outcomes
    assert outcome.incomplete is True


async def test_stopping_an_async_stream_early_still_ends_the_call(
    llm: OpenRouter,
    openrouter_emulator: OpenRouterEmulator,
    events: Any,
    outcomes: list[CallOutcome],
) -> None:
    openrouter_emulator.enqueue(replies.text("One two three four five six.", chunk_chars=4))

    stream = await llm.astream_chat(MESSAGES)
    async for _ in stream:
        break
    await stream.aclose()

    assert _counts(events, CHAT) == (1, 1, 1)
    [end] = events.of(LLMChatEndEvent)
    assert end.response.message.content == "One "
    assert end.response.additional_kwargs["incomplete"] is True
    assert [o.incomplete for o in outcomes] == [True]


def test_stopping_after_the_last_response_ends_with_the_full_usage(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator, events: Any
) -> None:
    openrouter_emulator.enqueue(replies.text("Short.", chunk_chars=3))

    stream = llm.stream_chat(MESSAGES)
    responses = [next(stream) for _ in range(3)]  # two chunks and the last response
    stream.close()

    [end] = events.of(LLMChatEndEvent)
    assert end.response is responses[-1]
    assert "incomplete" not in end.response.additional_kwargs
    _assert_end_usage(end, openrouter_emulator)


def test_a_failed_stream_fires_an_exception_event_and_no_end(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator, events: Any
) -> None:
    openrouter_emulator.enqueue(replies.midstream_error(1, 502, "Upstream died", content="abcdef"))

    with pytest.raises(OpenRouterError):
        list(llm.stream_chat(MESSAGES))

    assert _counts(events, CHAT) == (1, 1, 0)
    [exception] = events.of(ExceptionEvent)
    assert isinstance(exception.exception, OpenRouterError)


def test_the_key_is_in_no_event(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator, events: Any, api_key: str
) -> None:
    llm.chat(MESSAGES)
    list(llm.stream_chat(MESSAGES))
    llm.complete("Hi")

    dumped = json.dumps([e.model_dump(mode="json") for e in events.events], default=str)
    assert len(events.events) > 5
    assert api_key not in dumped
    [start, *_] = events.of(LLMChatStartEvent)
    assert start.model_dict["class_name"] == "OpenRouter_LLM"
    assert start.model_dict["model_name"] == "anthropic/claude-haiku-4.5"


# ------------------------------------------------------------------ cancelled and unread streams


def _assert_ended_incomplete(events: Any, callbacks: LLMEvents, received: list[Any]) -> None:
    """One start and one end carrying what was received, flagged incomplete; no exception."""
    assert _counts(events, CHAT) == (1, len(received), 1)
    assert events.of(ExceptionEvent) == []
    [end] = events.of(LLMChatEndEvent)
    assert end.response.message.content == "".join(r.delta for r in received)
    assert end.response.additional_kwargs["incomplete"] is True
    assert callbacks.starts == 1
    assert len(callbacks.ends) == 1
    assert "exception" not in callbacks.ends[0]


async def _wait_for_request(emu: OpenRouterEmulator) -> None:
    while not emu.requests:
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("where", ["waiting for the response", "between chunks"])
async def test_a_cancelled_async_stream_ends_the_call_with_what_was_received(
    make_llm: Callable[..., OpenRouter],
    openrouter_emulator: OpenRouterEmulator,
    events: Any,
    where: str,
) -> None:
    callbacks = LLMEvents()
    llm = make_llm(callback_manager=CallbackManager([callbacks]))
    text = "One two three four five six seven eight."
    if where == "waiting for the response":
        openrouter_emulator.enqueue(replies.stall(2.0, then=replies.text(text)))
    else:  # the first chunk arrives, the next ones only after the task is cancelled
        openrouter_emulator.enqueue(replies.text(text, chunk_chars=4, chunk_delay=0.5))
    received: list[Any] = []
    got_one = asyncio.Event()

    async def consume() -> None:
        async for response in await llm.astream_chat(MESSAGES):
            received.append(response)
            got_one.set()

    task = asyncio.create_task(consume())
    if where == "waiting for the response":
        await _wait_for_request(openrouter_emulator)
    else:
        await got_one.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    _assert_ended_incomplete(events, callbacks, received)
    assert len(received) < len(text) // 4
    if where == "waiting for the response":
        assert received == []


def test_ctrl_c_while_a_stream_waits_ends_the_call_then_raises(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator, events: Any
) -> None:
    callbacks = LLMEvents()
    llm = make_llm(callback_manager=CallbackManager([callbacks]))
    openrouter_emulator.enqueue(replies.stall(2.0))

    def press_ctrl_c() -> None:  # once the request is in, as the main thread waits on it
        while not openrouter_emulator.requests:
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGINT)

    stream = llm.stream_chat(MESSAGES)
    presser = threading.Thread(target=press_ctrl_c)
    presser.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            for _ in stream:
                pass
    finally:
        presser.join()

    _assert_ended_incomplete(events, callbacks, [])


def test_a_stream_that_is_never_read_emits_nothing(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator, events: Any
) -> None:
    callbacks = LLMEvents()
    llm = make_llm(callback_manager=CallbackManager([callbacks]))

    chat = llm.stream_chat(MESSAGES)
    completion = llm.stream_complete("Hi")
    del chat, completion
    gc.collect()

    assert events.of(LLMChatStartEvent) + events.of(LLMCompletionStartEvent) == []
    assert callbacks.starts == 0
    assert callbacks.ends == []
    assert openrouter_emulator.requests == []

    # Read later, the same kind of stream is one whole call.
    responses = list(llm.stream_chat(MESSAGES))
    assert _counts(events, CHAT) == (1, len(responses), 1)
    assert callbacks.starts == 1


async def test_an_async_stream_that_is_never_read_emits_nothing(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator, events: Any
) -> None:
    callbacks = LLMEvents()
    llm = make_llm(callback_manager=CallbackManager([callbacks]))

    chat = await llm.astream_chat(MESSAGES)
    completion = await llm.astream_complete("Hi")
    await chat.aclose()
    del chat, completion
    gc.collect()

    assert events.of(LLMChatStartEvent) + events.of(LLMCompletionStartEvent) == []
    assert (callbacks.starts, callbacks.ends) == (0, [])
    assert openrouter_emulator.requests == []


def test_a_request_that_cannot_be_built_still_fails_at_call_time(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator, events: Any
) -> None:
    callbacks = LLMEvents()
    llm = make_llm(callback_manager=CallbackManager([callbacks]))
    bad = [ChatMessage(role="tool", content="42")]  # a tool result without tool_call_id

    with pytest.raises(ValueError, match="tool_call_id"):
        llm.stream_chat(bad)

    assert events.of(LLMChatStartEvent) != []
    assert events.of(LLMChatEndEvent) == []
    assert callbacks.starts == 1
    assert "exception" in callbacks.ends[0]
    assert openrouter_emulator.requests == []


def test_a_stream_abandoned_without_close_ends_the_call_when_collected(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator, events: Any
) -> None:
    openrouter_emulator.enqueue(replies.text("One two three four five six.", chunk_chars=4))

    stream = llm.stream_chat(MESSAGES)
    first = next(stream)
    del stream
    gc.collect()

    assert _counts(events, CHAT) == (1, 1, 1)
    [end] = events.of(LLMChatEndEvent)
    assert end.response.message.content == first.delta
    assert end.response.additional_kwargs["incomplete"] is True
