"""One ledger for both frameworks: a LangChain chain and a LlamaIndex LLM in one block."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from llama_index.core.llms import ChatMessage, TextBlock
from llama_index.core.llms.llm import MessageRole

from langchain_openrouter import ChatOpenRouter, OpenRouterUsageCallbackHandler
from llama_index_openrouter import OpenRouter, get_openrouter_usage_handler
from openrouter_core import ProviderError, UsageLedger, track_usage
from openrouter_core.client import aclose_clients
from openrouter_core.testing import OpenRouterEmulator, replies

KEY = "test-key"
LONG_CONTEXT = "The reference manual says many things. " * 60


def _emulator_totals(emu: OpenRouterEmulator) -> dict[str, object]:
    charges = emu.charges
    return {
        "requests": len(charges),
        "cost": sum((c.cost for c in charges), Decimal(0)),
        "input": sum(c.prompt_tokens for c in charges),
        "output": sum(c.completion_tokens for c in charges),
        "cached": sum(c.cached_tokens for c in charges),
        "cache_write": sum(c.cache_write_tokens for c in charges),
        "reasoning": sum(c.reasoning_tokens for c in charges),
    }


def test_both_frameworks_streaming_and_not_in_one_block(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    base = openrouter_emulator.base_url
    chat = ChatOpenRouter(model="anthropic/claude-haiku-4.5", base_url=base, api_key=KEY)
    thinker = ChatOpenRouter(
        model="anthropic/claude-haiku-4.5",
        base_url=base,
        api_key=KEY,
        reasoning={"max_tokens": 500},
    )
    llm = OpenRouter(model="openai/gpt-4o-mini", api_base=base, api_key=KEY)
    cached_system = SystemMessage(
        content=[{"type": "text", "text": LONG_CONTEXT, "cache_control": {"type": "ephemeral"}}]
    )
    with track_usage() as ledger:
        chat.invoke([cached_system, HumanMessage("first question")])  # writes the cache
        "".join(str(c.content) for c in chat.stream([cached_system, HumanMessage("second")]))
        thinker.invoke("Think, then answer.")
        llm.chat([ChatMessage(role="user", content="Hello from LlamaIndex")])
        list(llm.stream_chat([ChatMessage(role="user", content="Stream it")]))
        llm.complete("Complete this")
    expected = _emulator_totals(openrouter_emulator)
    assert expected["cached"]
    assert expected["cache_write"]
    assert expected["reasoning"]
    assert ledger.requests == expected["requests"] == 6
    assert ledger.total_cost == expected["cost"]
    assert ledger.input_tokens == expected["input"]
    assert ledger.output_tokens == expected["output"]
    assert ledger.cached_tokens == expected["cached"]
    assert ledger.cache_write_tokens == expected["cache_write"]
    assert ledger.reasoning_tokens == expected["reasoning"]
    assert ledger.unknown_cost_requests == 0
    assert sum(1 for r in ledger.records if r.streamed) == 2

    by_model = ledger.by_model()
    served = {c.served_model for c in openrouter_emulator.charges}
    assert set(by_model) == served
    for model, totals in by_model.items():
        charges = [c for c in openrouter_emulator.charges if c.served_model == model]
        assert totals.requests == len(charges)
        assert totals.total_cost == sum((c.cost for c in charges), Decimal(0))
    by_provider = ledger.by_provider()
    for provider, totals in by_provider.items():
        charges = [c for c in openrouter_emulator.charges if c.provider == provider]
        assert totals.total_cost == sum((c.cost for c in charges), Decimal(0))
    assert not ledger.fallbacks()  # canonical slugs of the requested models are not fallbacks


async def test_async_calls_of_both_frameworks(openrouter_emulator: OpenRouterEmulator) -> None:
    base = openrouter_emulator.base_url
    chat = ChatOpenRouter(model="openai/gpt-4o-mini", base_url=base, api_key=KEY)
    llm = OpenRouter(model="google/gemini-2.5-flash", api_base=base, api_key=KEY)

    async def langchain_side() -> None:
        await chat.ainvoke("async one")
        async for _ in chat.astream("async two"):
            pass

    async def llamaindex_side() -> None:
        await llm.achat(
            [ChatMessage(role=MessageRole.USER, blocks=[TextBlock(text="async three")])]
        )
        async for _ in await llm.astream_chat([ChatMessage(role="user", content="async four")]):
            pass

    async with track_usage() as ledger:
        await asyncio.gather(langchain_side(), llamaindex_side())
    assert ledger.requests == 4
    assert ledger.total_cost == openrouter_emulator.total_cost
    assert {r.source for r in ledger.records} == {"openrouter"}
    await aclose_clients()


def test_handlers_and_track_usage_together_never_count_twice(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    base = openrouter_emulator.base_url
    chat = ChatOpenRouter(model="openai/gpt-4o-mini", base_url=base, api_key=KEY)
    llm = OpenRouter(model="openai/gpt-4o-mini", api_base=base, api_key=KEY)
    with track_usage() as ledger:
        handler = OpenRouterUsageCallbackHandler(ledger=ledger)
        chat.invoke("counted once", config={"callbacks": [handler]})
        with get_openrouter_usage_handler(ledger=ledger):
            llm.chat([ChatMessage(role="user", content="also once")])
            list(llm.stream_chat([ChatMessage(role="user", content="streamed once")]))
    assert ledger.requests == 3
    assert ledger.total_cost == openrouter_emulator.total_cost
    assert len({r.generation_id for r in ledger.records}) == 3


def _both_active_failing_call(emu: OpenRouterEmulator, reply: object, *, stream: bool) -> object:
    from langchain_openrouter import get_openrouter_callback

    emu.enqueue(reply)  # type: ignore[arg-type]
    chat = ChatOpenRouter(model="openai/gpt-4o-mini", base_url=emu.base_url, api_key=KEY)
    with track_usage() as ledger, get_openrouter_callback(ledger=ledger) as cb:
        assert cb.ledger is ledger
        try:
            if stream:
                for _ in chat.stream("hi"):
                    pass
            else:
                chat.invoke("hi")
        except ProviderError:
            pass
        else:  # pragma: no cover - the scripted reply must fail the call
            raise AssertionError("the call did not fail")
    return ledger


@pytest.mark.parametrize(
    ("reply", "stream"),
    [
        pytest.param(replies.error_in_200("Upstream failed", 502, usage={}), False, id="200-error"),
        pytest.param(
            replies.error_in_200("Upstream failed", 502, usage={}), True, id="200-error-streamed"
        ),
        pytest.param(
            replies.midstream_error(2, 502, "Provider disconnected"), True, id="mid-stream"
        ),
        pytest.param(
            replies.midstream_error(2, 502, "Provider disconnected"), False, id="choice-error"
        ),
    ],
)
def test_a_failed_call_with_usage_counts_once_with_both_active(
    openrouter_emulator: OpenRouterEmulator, reply: object, stream: bool
) -> None:
    ledger = _both_active_failing_call(openrouter_emulator, reply, stream=stream)
    (charge,) = openrouter_emulator.charges
    assert isinstance(ledger, UsageLedger)
    (record,) = ledger.records
    assert record.failed
    assert record.cost == charge.cost > 0
    assert ledger.total_cost == charge.cost
    assert ledger.failed_requests == 1


def test_a_failed_call_still_reaches_a_handler_on_another_ledger(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    openrouter_emulator.enqueue(replies.error_in_200("Upstream failed", 502, usage={}))
    chat = ChatOpenRouter(
        model="openai/gpt-4o-mini", base_url=openrouter_emulator.base_url, api_key=KEY
    )
    handler = OpenRouterUsageCallbackHandler()
    with track_usage() as ledger, pytest.raises(ProviderError):
        chat.invoke("hi", config={"callbacks": [handler]})
    (charge,) = openrouter_emulator.charges
    assert ledger.total_cost == handler.ledger.total_cost == charge.cost
    assert ledger.requests == handler.ledger.requests == 1
    assert handler.ledger.records[0].source == "langchain"
