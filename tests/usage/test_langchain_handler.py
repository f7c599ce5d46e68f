"""The LangChain usage callback: fake chat models, a transport-backed model, and ChatOpenAI."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from usage_helpers import HAIKU, MINI, cached_body, chat_body

from langchain_openrouter import OpenRouterUsageCallbackHandler, get_openrouter_callback
from openrouter_core import UsageLedger, track_usage, transport
from openrouter_core.client import ClientConfig, get_client
from openrouter_core.errors import ProviderError
from openrouter_core.response import read_answer
from openrouter_core.testing import OpenRouterEmulator, replies
from openrouter_core.usage import OpenRouterUsage

# ----------------------------------------------------------------------------- fake models

SERVED = "anthropic/claude-4.5-haiku-20251001"


def _message(gen_id: str, cost: float | None = 0.00042, **extra: Any) -> AIMessage:
    """An AIMessage carrying the metadata ChatOpenRouter sets."""
    metadata: dict[str, Any] = {
        "model_name": SERVED,
        "id": gen_id,
        "finish_reason": "stop",
        "native_finish_reason": "end_turn",
        "provider": "Amazon Bedrock",
        "system_fingerprint": None,
        "annotations": [],
        "cost": cost,
        "cost_details": {"upstream_inference_cost": cost},
        "is_byok": False,
    }
    usage: UsageMetadata = {
        "input_tokens": 1200,
        "output_tokens": 80,
        "total_tokens": 1280,
        "input_token_details": {"cache_read": 1000, "cache_creation": 150},
        "output_token_details": {"reasoning": 30},
    }
    return AIMessage(
        content="Bees dance.", usage_metadata=usage, response_metadata=metadata, **extra
    )


class RequestedModelFake(GenericFakeChatModel):
    """The generic fake with a ``model`` field, so LangChain reports what was requested."""

    model: str = HAIKU


def test_records_usage_and_response_metadata_exactly() -> None:
    handler = OpenRouterUsageCallbackHandler()
    chat = RequestedModelFake(messages=iter([_message("gen-1"), _message("gen-2", cost=0.1)]))
    chat.invoke("Tell me about bees", config={"callbacks": [handler]})
    chat.invoke("And wasps?", config={"callbacks": [handler]})
    first, second = handler.ledger.records
    assert second.generation_id == "gen-2"
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
    assert first.upstream_cost == Decimal("0.00042")
    assert first.is_byok is False
    assert first.source == "langchain"
    assert not first.streamed
    assert handler.ledger.total_cost == Decimal("0.10042")  # exact, not 0.10042000000000001
    assert handler.ledger.cached_tokens == 2000


def test_a_call_without_cost_is_counted_apart() -> None:
    handler = OpenRouterUsageCallbackHandler()
    chat = RequestedModelFake(messages=iter([_message("gen-1", cost=None), "plain text"]))
    chat.invoke("one", config={"callbacks": [handler]})
    chat.invoke("two", config={"callbacks": [handler]})
    assert handler.ledger.requests == 2
    assert handler.ledger.unknown_cost_requests == 2
    assert handler.ledger.total_cost == 0
    assert handler.ledger.records[1].input_tokens == 0


def test_get_openrouter_callback_covers_every_call_in_the_block() -> None:
    chat = RequestedModelFake(messages=iter([_message(f"gen-{i}") for i in range(5)]))
    with get_openrouter_callback() as outer:
        chat.invoke("one")
        with get_openrouter_callback() as inner:
            chat.invoke("two")
            chat.batch(["three", "four"])
        assert inner.ledger.requests == 3
    chat.invoke("after the block")
    assert outer.ledger.requests == 4
    assert inner.ledger.requests == 3
    assert outer.ledger.total_cost == Decimal("0.00168")


async def test_get_openrouter_callback_is_scoped_per_task() -> None:
    async def job(tag: str, calls: int) -> UsageLedger:
        chat = RequestedModelFake(messages=iter([_message(f"{tag}-{i}") for i in range(calls)]))
        with get_openrouter_callback() as cb:
            for _ in range(calls):
                await chat.ainvoke(tag)
                await asyncio.sleep(0)
        return cb.ledger

    a, b = await asyncio.gather(job("a", 3), job("b", 4))
    assert {r.generation_id for r in a.records} == {"a-0", "a-1", "a-2"}
    assert b.requests == 4


def test_an_error_carrying_billed_usage_is_recorded_as_failed() -> None:
    billed = OpenRouterUsage(
        input_tokens=50, output_tokens=7, cost=Decimal("0.0003"), generation_id="gen-err"
    )

    class Failing(RequestedModelFake):
        def _generate(self, *args: Any, **kwargs: Any) -> ChatResult:
            raise ProviderError("Provider disconnected", model=HAIKU, usage=billed)

    class FailingWithoutUsage(RequestedModelFake):
        def _generate(self, *args: Any, **kwargs: Any) -> ChatResult:
            raise ValueError("not an OpenRouter error")

    with get_openrouter_callback() as cb:
        with pytest.raises(ProviderError):
            Failing(messages=iter([])).invoke("hi")
        with pytest.raises(ValueError, match="not an OpenRouter"):
            FailingWithoutUsage(messages=iter([])).invoke("hi")
    (record,) = cb.ledger.records
    assert record.failed
    assert record.error_type == "ProviderError"
    assert record.cost == Decimal("0.0003")
    assert record.generation_id == "gen-err"
    assert record.requested_model == HAIKU


def test_llm_output_token_usage_fills_what_messages_lack() -> None:
    """ChatOpenAI keeps the raw usage (cost, cache details) in llm_output["token_usage"]."""

    class RawUsageChat(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "raw-usage"

        def _generate(self, messages: list[BaseMessage], **kwargs: Any) -> ChatResult:
            raw = {
                "prompt_tokens": 900,
                "completion_tokens": 40,
                "total_tokens": 940,
                "prompt_tokens_details": {"cached_tokens": 800, "cache_write_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 12},
                "cost": 1.4e-07,
                "is_byok": False,
            }
            return ChatResult(
                generations=[ChatGeneration(message=AIMessage(content="ok"))],
                llm_output={"token_usage": raw, "model_name": "openai/gpt-4o-mini", "id": "g1"},
            )

    handler = OpenRouterUsageCallbackHandler()
    RawUsageChat().invoke("hi", config={"callbacks": [handler]})
    (record,) = handler.ledger.records
    assert record.cost == Decimal("1.4E-7")
    assert (record.input_tokens, record.cached_tokens, record.reasoning_tokens) == (900, 800, 12)
    assert record.served_model == "openai/gpt-4o-mini"
    assert record.generation_id == "g1"


# ------------------------------------------------------- a chat model on the shared transport


def _usage_metadata(usage: OpenRouterUsage) -> UsageMetadata:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "input_token_details": {
            "cache_read": usage.cached_tokens,
            "cache_creation": usage.cache_write_tokens,
        },
        "output_token_details": {"reasoning": usage.reasoning_tokens},
    }


def _lc_metadata(body: dict[str, Any]) -> dict[str, Any]:
    answer = read_answer(body)
    return {
        "model_name": answer.model,
        **{k: getattr(answer, k) for k in ("id", "finish_reason", "native_finish_reason")},
        **{k: getattr(answer, k) for k in ("provider", "cost", "cost_details", "is_byok")},
    }


class TransportChat(BaseChatModel):
    """What ChatOpenRouter does, reduced to the parts the ledger sees (test scaffolding)."""

    model: str
    config: Any

    @property
    def _llm_type(self) -> str:
        return "transport-test"

    def _body(self, messages: list[BaseMessage]) -> dict[str, Any]:
        return {
            **chat_body(self.model),
            "messages": [{"role": "user", "content": m.content} for m in messages],
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        data = transport.complete(get_client(self.config), self._body(messages))
        usage = read_answer(data).usage
        message = AIMessage(
            content=data["choices"][0]["message"]["content"] or "",
            usage_metadata=_usage_metadata(usage),
            response_metadata=_lc_metadata(data),
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        stream = transport.open_stream(get_client(self.config), self._body(messages))
        for delta in stream:
            if delta.content:
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta.content))
                if run_manager:
                    run_manager.on_llm_new_token(delta.content, chunk=chunk)
                yield chunk
        completion = stream.accumulator.completion()
        usage = stream.accumulator.usage
        assert usage is not None
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                usage_metadata=_usage_metadata(usage),
                response_metadata=_lc_metadata(completion),
            )
        )


def test_a_call_seen_by_track_usage_and_the_handler_counts_once(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    chat = TransportChat(model=HAIKU, config=config)
    with track_usage() as usage:
        handler = OpenRouterUsageCallbackHandler(usage)
        chat.invoke("hello", config={"callbacks": [handler]})
        for _ in chat.stream("stream it", config={"callbacks": [handler]}):
            pass
        with get_openrouter_callback(usage):
            chat.invoke("once more")
    charges = openrouter_emulator.charges
    assert usage.requests == len(charges) == 3
    assert usage.total_cost == openrouter_emulator.total_cost
    assert {r.source for r in usage.records} == {"openrouter"}  # the first report wins
    # A separate handler ledger holds the same account on its own.
    with get_openrouter_callback() as cb:
        chat.invoke("again")
        for _ in chat.stream("and streamed"):
            pass
    assert cb.ledger.requests == 2
    assert [r.streamed for r in cb.ledger.records] == [False, True]
    assert cb.ledger.total_cost == sum(
        (c.cost for c in openrouter_emulator.charges[3:]), Decimal(0)
    )


def test_cache_and_reasoning_tokens_through_the_handler(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    class CachedChat(TransportChat):
        def _body(self, messages: list[BaseMessage]) -> dict[str, Any]:
            return cached_body(self.model, str(messages[-1].content), reasoning={"effort": "low"})

    chat = CachedChat(model=HAIKU, config=config)
    with get_openrouter_callback() as cb:
        chat.invoke("first")
        chat.invoke("second")
    charges = openrouter_emulator.charges
    assert cb.ledger.cached_tokens == sum(c.cached_tokens for c in charges) > 0
    assert cb.ledger.cache_write_tokens == sum(c.cache_write_tokens for c in charges) > 0
    assert cb.ledger.reasoning_tokens == sum(c.reasoning_tokens for c in charges) > 0
    assert cb.ledger.total_cost == openrouter_emulator.total_cost


# ------------------------------------------------------------- ChatOpenAI pointed at OpenRouter


def test_chat_openai_pointed_at_openrouter(openrouter_emulator: OpenRouterEmulator) -> None:
    langchain_openai = pytest.importorskip("langchain_openai")
    chat = langchain_openai.ChatOpenAI(
        model=HAIKU, base_url=openrouter_emulator.base_url, api_key="test-key", max_retries=0
    )
    with get_openrouter_callback() as cb:
        chat.invoke("Hello")
        chat.batch(["one", "two"])
        openrouter_emulator.enqueue(replies.text("cached answer", usage={"cost": 0.5}))
        chat.invoke("priced by the script")
        streamed = "".join(str(c.content) for c in chat.stream("and a stream"))
    assert streamed
    charges = openrouter_emulator.charges
    records = cb.ledger.records
    assert len(records) == len(charges) == 5
    by_id = {c.generation_id: c for c in charges}
    unary = [r for r in records if not r.streamed]
    assert len(unary) == 4
    for record in unary:
        charge = by_id[record.generation_id or ""]
        assert record.cost == charge.cost
        assert record.served_model == charge.served_model == SERVED
        assert record.requested_model == HAIKU
        assert not record.fallback
    (stream_record,) = [r for r in records if r.streamed]
    # ChatOpenAI's stream drops OpenRouter's cost: the call is counted, its cost is unknown.
    assert stream_record.cost is None
    assert stream_record.input_tokens == charges[-1].prompt_tokens
    assert stream_record.served_model == SERVED  # not the concatenated "...-20251001anthropic/..."
    assert cb.ledger.unknown_cost_requests == 1
    assert cb.ledger.total_cost == sum((c.cost for c in charges[:4]), Decimal(0))


def test_chat_openai_mid_stream_error(openrouter_emulator: OpenRouterEmulator) -> None:
    langchain_openai = pytest.importorskip("langchain_openai")
    chat = langchain_openai.ChatOpenAI(
        model=MINI, base_url=openrouter_emulator.base_url, api_key="test-key", max_retries=0
    )
    openrouter_emulator.enqueue(replies.midstream_error(2, 502, "Provider disconnected"))
    with get_openrouter_callback() as cb, pytest.raises(Exception, match="Provider disconnected"):
        for _ in chat.stream("hi"):
            pass
    # The openai SDK's error carries no usage, so there is nothing billed to record.
    assert cb.ledger.requests == 0
