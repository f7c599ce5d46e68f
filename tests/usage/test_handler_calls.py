"""The call bookkeeping both usage handlers share: usage from the transport, bounded state."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from llama_index.core.base.llms.types import ChatMessage, ChatResponse
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.llm import (
    LLMChatEndEvent,
    LLMChatStartEvent,
    LLMCompletionEndEvent,
)
from usage_helpers import HAIKU, MINI, cached_body

from langchain_openrouter import (
    ChatOpenRouter,
    OpenRouterUsageCallbackHandler,
    get_openrouter_callback,
)
from llama_index_openrouter import (
    OpenRouter,
    attach_usage_handler,
    detach_usage_handler,
    get_openrouter_usage_handler,
)
from openrouter_core import OpenRouterError, UsageRecord, track_usage, transport
from openrouter_core.accounting.calls import MAX_OPEN_CALLS, RECENT_CALLS
from openrouter_core.client import ClientConfig, get_client
from openrouter_core.observers import CallInfo, CallOutcome, notify_after
from openrouter_core.testing import Charge, OpenRouterEmulator, replies
from openrouter_core.usage import OpenRouterUsage

KEY = "test-key"
SERVED = "anthropic/claude-4.5-haiku-20251001"


def _assert_is_charge(record: UsageRecord, charge: Charge) -> None:
    assert record.generation_id == charge.generation_id
    assert record.cost == charge.cost
    assert (record.input_tokens, record.output_tokens) == (
        charge.prompt_tokens,
        charge.completion_tokens,
    )
    assert (record.cached_tokens, record.cache_write_tokens, record.reasoning_tokens) == (
        charge.cached_tokens,
        charge.cache_write_tokens,
        charge.reasoning_tokens,
    )
    assert record.served_model == charge.served_model
    assert record.provider == charge.provider


# ---------------------------------------------------- ours: the usage the transport parsed


class StripUsage(BaseCallbackHandler):
    """Runs before the usage handler and removes every usage field but the generation id."""

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        for choices in response.generations:
            for generation in choices:
                message = getattr(generation, "message", None)
                if isinstance(message, AIMessage):
                    message.usage_metadata = {
                        "input_tokens": 1,
                        "output_tokens": 1,
                        "total_tokens": 2,
                    }
                    kept = message.response_metadata.get("id")
                    message.response_metadata.clear()
                    message.response_metadata["id"] = kept
        response.llm_output = None


def test_chat_openrouter_is_recorded_with_the_transport_usage_whatever_its_message_says(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    chat = ChatOpenRouter(
        model=HAIKU,
        base_url=openrouter_emulator.base_url,
        api_key=KEY,
        max_retries=0,
        reasoning={"effort": "low"},
    )
    handler = OpenRouterUsageCallbackHandler()
    config: Any = {"callbacks": [StripUsage(), handler]}
    chat.invoke("Tell me about bees", config=config)
    for _ in chat.stream("And wasps?", config=config):
        pass
    plain, streamed = handler.ledger.records
    first, second = openrouter_emulator.charges
    _assert_is_charge(plain, first)
    _assert_is_charge(streamed, second)
    assert (plain.streamed, streamed.streamed) == (False, True)
    assert {r.requested_model for r in handler.ledger.records} == {HAIKU}
    assert {r.source for r in handler.ledger.records} == {"langchain"}
    assert handler.ledger.unknown_cost_requests == 0


def test_a_stream_without_usage_metadata_still_counts_its_tokens(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    chat = ChatOpenRouter(
        model=MINI, base_url=openrouter_emulator.base_url, api_key=KEY, stream_usage=False
    )
    with get_openrouter_callback() as cb:
        chunks = list(chat.stream("Hello"))
    assert all(getattr(c, "usage_metadata", None) is None for c in chunks)
    (record,) = cb.ledger.records
    (charge,) = openrouter_emulator.charges
    _assert_is_charge(record, charge)
    assert record.input_tokens > 0
    assert record.streamed


class StripKwargs(BaseEventHandler):
    """Attached before the usage handler: leaves only the generation id of each answer."""

    @classmethod
    def class_name(cls) -> str:
        return "StripKwargs"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        if isinstance(event, (LLMChatEndEvent, LLMCompletionEndEvent)) and event.response:
            response = event.response
            kept = response.additional_kwargs.get("generation_id")
            response.additional_kwargs.clear()
            response.additional_kwargs["generation_id"] = kept
            response.additional_kwargs["prompt_tokens"] = 1
            response.raw = None


def test_the_openrouter_llm_is_recorded_with_the_transport_usage_whatever_its_response_says(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    llm = OpenRouter(model=HAIKU, api_key=KEY, api_base=openrouter_emulator.base_url)
    root = get_dispatcher()
    strip = StripKwargs()
    root.add_event_handler(strip)  # before the usage handler: it runs first
    try:
        with get_openrouter_usage_handler() as handler:
            llm.chat([ChatMessage(role="user", content="Tell me about bees")])
            list(llm.stream_chat([ChatMessage(role="user", content="And wasps?")]))
    finally:
        root.event_handlers = [h for h in root.event_handlers if h is not strip]
    plain, streamed = handler.ledger.records
    first, second = openrouter_emulator.charges
    _assert_is_charge(plain, first)
    _assert_is_charge(streamed, second)
    assert (plain.streamed, streamed.streamed) == (False, True)
    assert {r.source for r in handler.ledger.records} == {"llamaindex"}


def test_cache_tokens_of_both_handlers_match_track_usage(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    chat = ChatOpenRouter(model=HAIKU, base_url=openrouter_emulator.base_url, api_key=KEY)
    llm = OpenRouter(model=HAIKU, api_key=KEY, api_base=openrouter_emulator.base_url)
    system = cached_body(HAIKU, "")["messages"][0]
    with (
        track_usage() as tracked,
        get_openrouter_callback() as cb,
        get_openrouter_usage_handler() as li,
    ):
        chat.invoke([system, {"role": "user", "content": "first"}])
        chat.invoke([system, {"role": "user", "content": "second"}])
        llm.complete("third")
    assert tracked.cached_tokens > 0
    assert cb.ledger.cached_tokens + li.ledger.cached_tokens == tracked.cached_tokens
    assert cb.ledger.total_cost + li.ledger.total_cost == tracked.total_cost
    assert [r.generation_id for r in [*cb.ledger.records, *li.ledger.records]] == [
        r.generation_id for r in tracked.records
    ]


# ------------------------------------------------- foreign: what the framework objects say


def _message(gen_id: str, cost: float) -> AIMessage:
    return AIMessage(
        content="ok",
        usage_metadata={"input_tokens": 7, "output_tokens": 3, "total_tokens": 10},
        response_metadata={"model_name": SERVED, "id": gen_id, "cost": cost},
    )


class RequestedModelFake(GenericFakeChatModel):
    model: str = HAIKU


def test_a_foreign_call_sharing_an_old_generation_id_is_read_from_its_own_objects(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    """An emulator with the same seed repeats ids; an earlier call's usage is never taken."""
    handler = OpenRouterUsageCallbackHandler()
    li = attach_usage_handler()
    try:
        data = transport.complete(get_client(config), cached_body(HAIKU, "ours"))
        old_id = data["id"]
        RequestedModelFake(messages=iter([_message(old_id, 0.5)])).invoke(
            "foreign", config={"callbacks": [handler]}
        )
        dispatcher = get_dispatcher("tests.usage.calls")
        dispatcher.event(
            LLMChatStartEvent(
                model_dict={"model": HAIKU}, messages=[], additional_kwargs={}, span_id="f"
            )
        )
        reply = ChatResponse(
            message=ChatMessage(role="assistant", content="ok"),
            additional_kwargs={"generation_id": old_id, "prompt_tokens": 7, "cost": 0.5},
        )
        dispatcher.event(LLMChatEndEvent(messages=[], response=reply, span_id="f"))
    finally:
        detach_usage_handler(li)
    assert len(handler.ledger) == len(li.ledger) == 1
    for record in (*handler.ledger.records, *li.ledger.records):
        assert record.generation_id == old_id
        assert record.cost == Decimal("0.5")
        assert record.input_tokens == 7


# ----------------------------------------------------------------------- failures, one rule


def test_a_dropped_stream_is_a_failed_call_for_track_usage_and_both_handlers(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    base = openrouter_emulator.base_url
    chat = ChatOpenRouter(model=HAIKU, base_url=base, api_key=KEY, max_retries=0)
    llm = OpenRouter(model=HAIKU, api_key=KEY, api_base=base, max_retries=0)
    openrouter_emulator.enqueue(replies.drop_connection(2))
    openrouter_emulator.enqueue(replies.drop_connection(2))
    with track_usage() as tracked, get_openrouter_callback() as cb:
        with pytest.raises(OpenRouterError):
            list(chat.stream("one"))
        with get_openrouter_usage_handler() as li, pytest.raises(OpenRouterError):
            list(llm.stream_chat([ChatMessage(role="user", content="two")]))
    assert tracked.failed_requests == tracked.requests == 2
    for ledger in (cb.ledger, li.ledger):
        (record,) = ledger.records
        assert record.failed
        assert record.streamed
        assert record.requested_model == HAIKU
        assert record.cost is None


# ---------------------------------------------------------------------- bounded bookkeeping


def test_calls_that_never_end_are_forgotten_past_the_limit() -> None:
    handler = OpenRouterUsageCallbackHandler()
    runs = [uuid4() for _ in range(MAX_OPEN_CALLS + 1)]
    for number, run in enumerate(runs):
        handler.on_chat_model_start(
            {}, [[]], run_id=run, invocation_params={"model": f"m/model-{number}"}
        )
    for gen_id, run in (("gen-first", runs[0]), ("gen-last", runs[-1])):
        generation = ChatGeneration(message=_message(gen_id, 0.1))
        handler.on_llm_end(LLMResult(generations=[[generation]]), run_id=run)
    forgotten, kept = handler.ledger.records
    assert forgotten.requested_model is None  # its start was dropped to stay bounded
    assert kept.requested_model == f"m/model-{MAX_OPEN_CALLS}"


def _finish(gen_id: str, cost: str) -> None:
    """What the transport reports when one of our calls ends."""
    notify_after(
        CallInfo(model=HAIKU, endpoint="/chat/completions", body={"model": HAIKU}, stream=False),
        CallOutcome(
            usage=OpenRouterUsage(input_tokens=100, cost=Decimal(cost), model=SERVED),
            generation_id=gen_id,
        ),
    )


def _end(handler: OpenRouterUsageCallbackHandler, run: UUID, gen_id: str) -> None:
    generation = ChatGeneration(message=_message(gen_id, 0.25))
    handler.on_llm_end(LLMResult(generations=[[generation]]), run_id=run)


def test_the_record_of_finished_calls_keeps_only_the_most_recent() -> None:
    handler = OpenRouterUsageCallbackHandler()
    first, last = uuid4(), uuid4()
    handler.on_chat_model_start({}, [[]], run_id=first, invocation_params={"model": HAIKU})
    handler.on_chat_model_start({}, [[]], run_id=last, invocation_params={"model": HAIKU})
    for number in range(RECENT_CALLS + 1):
        _finish(f"gen-recent-{number}", "0.001")
    _end(handler, first, "gen-recent-0")  # pushed out: read from the message instead
    _end(handler, last, f"gen-recent-{RECENT_CALLS}")
    evicted, recent = handler.ledger.records
    assert (evicted.cost, evicted.input_tokens) == (Decimal("0.25"), 7)
    assert (recent.cost, recent.input_tokens) == (Decimal("0.001"), 100)
