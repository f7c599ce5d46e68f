"""The LlamaIndex usage event handler, fed through the real instrumentation dispatcher."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.events.llm import (
    LLMChatEndEvent,
    LLMChatInProgressEvent,
    LLMChatStartEvent,
    LLMCompletionEndEvent,
)
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.llms.custom import CustomLLM
from pydantic import Field
from usage_helpers import HAIKU, MINI, chat_body

from llama_index_openrouter import (
    OpenRouter,
    OpenRouterUsageEventHandler,
    attach_usage_handler,
    detach_usage_handler,
    get_openrouter_usage_handler,
)
from openrouter_core import UsageLedger, track_usage, transport
from openrouter_core.client import ClientConfig, get_client
from openrouter_core.errors import OpenRouterError
from openrouter_core.response import read_answer
from openrouter_core.testing import OpenRouterEmulator, replies

SERVED = "anthropic/claude-4.5-haiku-20251001"
# A dispatcher below the root, as LlamaIndex modules use; events propagate to the root.
dispatcher = get_dispatcher("tests.usage.llamaindex")


def _kwargs(gen_id: str, cost: Any = 0.00042) -> dict[str, Any]:
    """The additional_kwargs the OpenRouter LLM sets."""
    return {
        "prompt_tokens": 1200,
        "completion_tokens": 80,
        "total_tokens": 1280,
        "cached_tokens": 1000,
        "cache_write_tokens": 150,
        "reasoning_tokens": 30,
        "cost": cost,
        "provider": "Amazon Bedrock",
        "model": SERVED,
        "generation_id": gen_id,
        "finish_reason": "stop",
    }


def _chat(span: str, response: ChatResponse | None, *, model: str = HAIKU) -> None:
    dispatcher.event(
        LLMChatStartEvent(
            model_dict={"model": model}, messages=[], additional_kwargs={}, span_id=span
        )
    )
    dispatcher.event(LLMChatEndEvent(messages=[], response=response, span_id=span))


def _reply(**kwargs: Any) -> ChatResponse:
    return ChatResponse(message=ChatMessage(role="assistant", content="Bees dance."), **kwargs)


def test_chat_end_events_are_recorded_exactly() -> None:
    with get_openrouter_usage_handler() as handler:
        _chat("span-1", _reply(additional_kwargs=_kwargs("gen-1")))
        _chat("span-2", _reply(additional_kwargs=_kwargs("gen-2", cost="0.1")))
    _chat("span-3", _reply(additional_kwargs=_kwargs("gen-3")))  # detached: not heard
    first, second = handler.ledger.records
    assert first.requested_model == HAIKU
    assert first.served_model == SERVED
    assert not first.fallback
    assert first.provider == "Amazon Bedrock"
    assert first.generation_id == "gen-1"
    assert (first.input_tokens, first.output_tokens) == (1200, 80)
    assert (first.cached_tokens, first.cache_write_tokens, first.reasoning_tokens) == (
        1000,
        150,
        30,
    )
    assert first.cost == Decimal("0.00042")
    assert first.source == "llamaindex"
    assert handler.ledger.total_cost == Decimal("0.10042")
    assert second.generation_id == "gen-2"


def test_raw_usage_fills_in_for_other_llms_and_missing_cost_is_counted_apart() -> None:
    raw = {
        "id": "gen-raw",
        "model": "openai/gpt-4o-mini-2024-07-18",
        "provider": "OpenAI",
        "usage": {
            "prompt_tokens": 300,
            "completion_tokens": 20,
            "total_tokens": 320,
            "prompt_tokens_details": {"cached_tokens": 256},
            "cost": 1.4e-07,
        },
    }
    with get_openrouter_usage_handler() as handler:
        _chat("a", _reply(raw=raw), model="openrouter/auto")
        _chat("b", _reply())  # an LLM that reports nothing
        _chat("c", None)  # a stream that produced nothing
    with_raw, bare, empty = handler.ledger.records
    assert with_raw.cost == Decimal("1.4E-7")
    assert (with_raw.input_tokens, with_raw.cached_tokens) == (300, 256)
    assert with_raw.generation_id == "gen-raw"
    assert with_raw.fallback  # openrouter/auto resolved to another model
    assert bare.cost is None
    assert empty.cost is None
    assert handler.ledger.unknown_cost_requests == 2
    assert handler.ledger.fallbacks() == [with_raw]


def test_streams_and_completion_events() -> None:
    handler = OpenRouterUsageEventHandler()
    attach_usage_handler(handler)
    attach_usage_handler(handler)  # idempotent
    try:
        dispatcher.event(
            LLMChatStartEvent(
                model_dict={"model": MINI}, messages=[], additional_kwargs={}, span_id="s"
            )
        )
        for text in ("Hel", "lo"):
            dispatcher.event(
                LLMChatInProgressEvent(messages=[], response=_reply(delta=text), span_id="s")
            )
        final = _reply(additional_kwargs=_kwargs("gen-s"))
        dispatcher.event(LLMChatEndEvent(messages=[], response=final, span_id="s"))
        dispatcher.event(
            LLMCompletionEndEvent(
                prompt="p",
                response=CompletionResponse(text="ok", additional_kwargs=_kwargs("gen-c")),
                span_id="c",
            )
        )
    finally:
        detach_usage_handler(handler)
    detach_usage_handler(handler)  # unknown now: ignored
    streamed, completion = handler.ledger.records
    assert streamed.streamed
    assert streamed.requested_model == MINI
    assert streamed.fallback  # asked for gpt-4o-mini, served claude: a fallback
    assert not completion.streamed
    assert completion.requested_model is None
    assert handler.ledger.requests == 2


def test_a_call_reported_twice_counts_once_in_one_ledger() -> None:
    with track_usage() as usage, get_openrouter_usage_handler(usage) as handler:
        assert handler.ledger is usage
        _chat("x", _reply(additional_kwargs=_kwargs("gen-same")))
        # A LlamaIndex LLM whose chat() delegates to complete() emits both end events.
        dispatcher.event(
            LLMCompletionEndEvent(
                prompt="p",
                response=CompletionResponse(text="ok", additional_kwargs=_kwargs("gen-same")),
                span_id="y",
            )
        )
    assert usage.requests == 1


# ----------------------------------------------------------- an LLM on the shared transport


class TransportLLM(CustomLLM):
    """What the OpenRouter LLM does, reduced to the parts the ledger sees (test scaffolding)."""

    model: str = HAIKU
    config: Any = Field(default=None, exclude=True)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name=self.model)

    def to_payload(self) -> dict[str, Any]:
        return {**super().to_payload(), "model": self.model}

    @staticmethod
    def _additional_kwargs(body: dict[str, Any]) -> dict[str, Any]:
        answer = read_answer(body)
        usage = answer.usage
        assert usage is not None
        return {
            "prompt_tokens": usage.input_tokens,
            "completion_tokens": usage.output_tokens,
            "total_tokens": usage.total_tokens,
            "cached_tokens": usage.cached_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
            "reasoning_tokens": usage.reasoning_tokens,
            "cost": answer.cost,
            "provider": answer.provider,
            "model": answer.model,
            "generation_id": answer.id,
            "finish_reason": answer.finish_reason,
        }

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        data = transport.complete(get_client(self.config), chat_body(self.model, prompt))
        text = data["choices"][0]["message"]["content"] or ""
        return CompletionResponse(text=text, additional_kwargs=self._additional_kwargs(data))

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        stream = transport.open_stream(get_client(self.config), chat_body(self.model, prompt))

        def gen() -> Iterator[CompletionResponse]:
            text = ""
            for delta in stream:
                text += delta.content or ""
                yield CompletionResponse(text=text, delta=delta.content or "")
            completion = stream.accumulator.completion()
            yield CompletionResponse(
                text=text, delta="", additional_kwargs=self._additional_kwargs(completion)
            )

        return gen()


def test_a_real_llm_through_the_root_dispatcher(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    llm = TransportLLM(model=HAIKU, config=config)
    with get_openrouter_usage_handler() as handler:
        llm.complete("Tell me about bees")
        text = "".join(r.delta or "" for r in llm.stream_complete("And wasps?"))
        llm.chat([ChatMessage(role="user", content="And ants?")])  # emits chat + completion ends
    assert text
    charges = openrouter_emulator.charges
    records = handler.ledger.records
    assert len(records) == len(charges) == 3
    assert [r.streamed for r in records] == [False, True, False]
    assert {r.requested_model for r in records} == {HAIKU}
    assert handler.ledger.total_cost == openrouter_emulator.total_cost
    assert [r.generation_id for r in records] == [c.generation_id for c in charges]
    assert handler.ledger.fallbacks() == []


def test_track_usage_and_the_handler_share_one_ledger(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    llm = TransportLLM(model=HAIKU, config=config)
    shared = UsageLedger()
    with track_usage(ledger=shared), get_openrouter_usage_handler(shared):
        llm.complete("one")
        for _ in llm.stream_complete("two"):
            pass
    assert shared.requests == 2
    assert {r.source for r in shared.records} == {"openrouter"}
    assert shared.total_cost == openrouter_emulator.total_cost


# ----------------------------------------------------------- failed calls billed anyway


def _openrouter(emu: OpenRouterEmulator) -> OpenRouter:
    return OpenRouter(model=HAIKU, api_key="test-key", api_base=emu.base_url, max_retries=0)


def _fail_twice(emu: OpenRouterEmulator, llm: OpenRouter) -> None:
    """A stream that fails midway and an HTTP 200 with an error body, both billed."""
    emu.enqueue(replies.midstream_error(2, 502, "Upstream died", content="abcdefghij", usage={}))
    emu.enqueue(replies.error_in_200("Provider returned error", 502, usage={}))
    with pytest.raises(OpenRouterError):
        list(llm.stream_chat([ChatMessage(role="user", content="Stream, then fail")]))
    with pytest.raises(OpenRouterError):
        llm.chat([ChatMessage(role="user", content="Fail in a 200")])


def _assert_failed_records(records: list[Any], emu: OpenRouterEmulator) -> None:
    charges = emu.charges
    assert len(charges) == 2
    assert records[0].generation_id == charges[0].generation_id
    # An error body in a 200 has no id (the X-Generation-Id header is not read for it).
    assert records[1].generation_id in (None, charges[1].generation_id)
    assert [r.cost for r in records] == [c.cost for c in charges]
    assert [(r.input_tokens, r.output_tokens) for r in records] == [
        (c.prompt_tokens, c.completion_tokens) for c in charges
    ]
    assert all(r.failed for r in records)
    assert [r.streamed for r in records] == [True, False]


def test_billed_usage_of_failed_calls_is_recorded_as_failed(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    llm = _openrouter(openrouter_emulator)
    with get_openrouter_usage_handler() as handler:
        _fail_twice(openrouter_emulator, llm)

    records = handler.ledger.records
    _assert_failed_records(records, openrouter_emulator)
    assert {r.source for r in records} == {"llamaindex"}
    assert {r.requested_model for r in records} == {HAIKU}
    assert all(r.error_type for r in records)
    assert handler.ledger.failed_requests == 2
    assert handler.ledger.total_cost == openrouter_emulator.total_cost > 0


async def test_a_failed_async_call_is_recorded_once(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    llm = _openrouter(openrouter_emulator)
    openrouter_emulator.enqueue(replies.error_in_200("Provider returned error", 502, usage={}))
    openrouter_emulator.enqueue(
        replies.midstream_error(1, 502, "Upstream died", content="abcdef", usage={})
    )
    with get_openrouter_usage_handler() as handler:
        with pytest.raises(OpenRouterError):
            await llm.achat([ChatMessage(role="user", content="Fail in a 200")])
        with pytest.raises(OpenRouterError):
            async for _ in await llm.astream_chat([ChatMessage(role="user", content="Fail")]):
                pass

    assert handler.ledger.failed_requests == handler.ledger.requests == 2
    assert handler.ledger.total_cost == openrouter_emulator.total_cost > 0


def test_an_error_before_any_generation_is_not_recorded(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    llm = _openrouter(openrouter_emulator)
    openrouter_emulator.enqueue(replies.error(402, "Insufficient credits"))
    with get_openrouter_usage_handler() as handler, pytest.raises(OpenRouterError):
        llm.chat([ChatMessage(role="user", content="No credits")])

    assert handler.ledger.records == []
    assert openrouter_emulator.charges == []


def test_a_failed_call_seen_by_track_usage_and_the_handler_counts_once(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    llm = _openrouter(openrouter_emulator)
    shared = UsageLedger()
    with track_usage(ledger=shared), get_openrouter_usage_handler(shared):
        _fail_twice(openrouter_emulator, llm)

    _assert_failed_records(shared.records, openrouter_emulator)
    assert shared.requests == shared.failed_requests == 2
    assert shared.total_cost == openrouter_emulator.total_cost


def test_a_stream_stopped_early_is_recorded_as_incomplete(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    llm = _openrouter(openrouter_emulator)
    openrouter_emulator.enqueue(replies.text("One two three four five six.", chunk_chars=4))
    with get_openrouter_usage_handler() as handler:
        stream = llm.stream_chat([ChatMessage(role="user", content="Count")])
        next(stream)
        stream.close()
        list(llm.stream_chat([ChatMessage(role="user", content="Count again")]))

    stopped, finished = handler.ledger.records
    assert (stopped.incomplete, stopped.streamed, stopped.failed) == (True, True, False)
    assert (finished.incomplete, finished.streamed) == (False, True)
    assert handler.ledger.incomplete_requests == 1
