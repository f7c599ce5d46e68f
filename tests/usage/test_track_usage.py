"""track_usage() against the emulator, through the transport both framework classes use.

The process scope is exercised through both frameworks' public API (``ask``/``aask`` call
``ChatOpenRouter`` or the LlamaIndex ``OpenRouter``, plainly or streamed).
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import warnings
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from usage_helpers import (
    GEMINI,
    GPT5,
    HAIKU,
    MINI,
    aask,
    ask,
    cached_body,
    chat_body,
    framework_model,
    make_config,
    on_a_new_loop,
)

from openrouter_core import UsageLedger, UsageRecord, track_usage, transport
from openrouter_core.accounting import active_ledgers, add_listener, remove_listener
from openrouter_core.accounting.tracking import BudgetBypassWarning
from openrouter_core.client import ClientConfig, aclose_clients, get_async_client, get_client
from openrouter_core.errors import APIConnectionError, ProviderError, RateLimitError
from openrouter_core.testing import Charge, OpenRouterEmulator, replies


def _stream_all(config: ClientConfig, body: dict[str, object]) -> str:
    stream = transport.open_stream(get_client(config), body)
    return "".join(delta.content or "" for delta in stream)


def _assert_matches_charges(ledger: UsageLedger, charges: list[Charge]) -> None:
    """The ledger holds exactly the emulator's billed generations, field by field."""
    by_id = {c.generation_id: c for c in charges}
    assert sorted(r.generation_id or "" for r in ledger.records) == sorted(by_id)
    for record in ledger.records:
        charge = by_id[record.generation_id or ""]
        assert record.cost == charge.cost
        assert record.served_model == charge.served_model
        assert record.provider == charge.provider
        assert record.input_tokens == charge.prompt_tokens
        assert record.output_tokens == charge.completion_tokens
        assert record.cached_tokens == charge.cached_tokens
        assert record.cache_write_tokens == charge.cache_write_tokens
        assert record.reasoning_tokens == charge.reasoning_tokens
        assert record.streamed == charge.streamed
    assert ledger.total_cost == sum((c.cost for c in charges), Decimal(0))
    assert ledger.cached_tokens == sum(c.cached_tokens for c in charges)
    assert ledger.cache_write_tokens == sum(c.cache_write_tokens for c in charges)
    assert ledger.reasoning_tokens == sum(c.reasoning_tokens for c in charges)
    assert ledger.input_tokens == sum(c.prompt_tokens for c in charges)
    assert ledger.output_tokens == sum(c.completion_tokens for c in charges)
    assert ledger.unknown_cost_requests == 0


def test_totals_equal_the_emulator_charges_exactly(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    client = get_client(config)
    with track_usage() as usage:
        for model in (HAIKU, GPT5, GEMINI):
            for question in ("first question", "second question"):
                transport.complete(
                    client, cached_body(model, question, reasoning={"effort": "low"})
                )
            _stream_all(config, cached_body(model, "streamed question"))
        transport.complete(client, chat_body(MINI, "plain"))
        _stream_all(config, chat_body(MINI, "plain stream"))
    charges = openrouter_emulator.charges
    assert usage.requests == len(charges) == 11
    _assert_matches_charges(usage, charges)
    # The second and third call per model read the cached system prompt written by the first.
    assert usage.cached_tokens > 0
    assert usage.cache_write_tokens > 0
    assert usage.reasoning_tokens > 0
    assert sum(r.streamed for r in usage.records) == 4
    assert all(r.source == "openrouter" and not r.failed for r in usage.records)

    expected_models: dict[str, Decimal] = defaultdict(Decimal)
    expected_providers: dict[str, Decimal] = defaultdict(Decimal)
    for charge in charges:
        expected_models[charge.served_model] += charge.cost
        expected_providers[charge.provider] += charge.cost
    assert {k: v.total_cost for k, v in usage.by_model().items()} == expected_models
    assert {k: v.total_cost for k, v in usage.by_provider().items()} == expected_providers
    assert usage.by_model()["anthropic/claude-4.5-haiku-20251001"].requests == 3
    assert usage.fallbacks() == []


async def test_async_calls_and_streams_are_recorded(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    client = get_async_client(config)
    async with track_usage() as usage:
        await transport.acomplete(client, cached_body(HAIKU, "one", reasoning={"effort": "low"}))
        stream = await transport.aopen_stream(client, cached_body(HAIKU, "two"))
        text = "".join([delta.content or "" async for delta in stream])
    assert text
    assert usage.requests == 2
    _assert_matches_charges(usage, openrouter_emulator.charges)
    assert [r.streamed for r in usage.records] == [False, True]
    assert usage.cached_tokens > 0
    await aclose_clients()


def test_an_abandoned_stream_is_recorded_as_incomplete(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    client = get_client(config)
    openrouter_emulator.enqueue(replies.text("word " * 40, chunk_chars=5))
    openrouter_emulator.enqueue(replies.text("short answer", chunk_chars=4))
    with track_usage() as usage:
        stream = transport.open_stream(client, chat_body(HAIKU))
        iterator = iter(stream)
        next(iterator)
        next(iterator)
        stream.close()
        # A stream abandoned after the usage chunk but before its end keeps what it reported.
        with transport.open_stream(client, chat_body(MINI)) as second:
            for delta in second:
                if delta.usage is not None:
                    break
    first, late = usage.records
    assert first.incomplete
    assert first.streamed
    assert not first.failed
    assert first.cost is None  # nothing reported before the caller left
    assert first.requested_model == HAIKU
    assert late.incomplete
    assert late.cost == openrouter_emulator.charges[1].cost
    assert late.generation_id == openrouter_emulator.charges[1].generation_id
    assert usage.incomplete_requests == 2
    assert usage.unknown_cost_requests == 1
    assert usage.total_cost == late.cost


def test_a_mid_stream_failure_keeps_its_billed_usage(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    openrouter_emulator.enqueue(replies.midstream_error(2, 502, "Provider disconnected"))
    with track_usage() as usage, pytest.raises(ProviderError):
        _stream_all(config, chat_body(HAIKU))
    (record,) = usage.records
    (charge,) = openrouter_emulator.charges
    assert record.failed
    assert record.streamed
    assert not record.incomplete
    assert record.error_type == "ProviderError"
    assert record.cost == charge.cost
    assert record.output_tokens == charge.completion_tokens > 0
    assert usage.total_cost == charge.cost
    assert usage.failed_requests == 1


def test_an_error_inside_a_200_with_usage_is_recorded_as_failed(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    openrouter_emulator.enqueue(replies.error_in_200("Upstream failed", 502, usage={}))
    with track_usage() as usage, pytest.raises(ProviderError):
        transport.complete(get_client(config), chat_body(HAIKU))
    (record,) = usage.records
    (charge,) = openrouter_emulator.charges
    assert record.failed
    assert not record.streamed
    assert record.cost == charge.cost > 0
    assert record.input_tokens == charge.prompt_tokens
    assert usage.total_cost == charge.cost


def test_an_unreported_cost_is_counted_apart_never_as_zero(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    client = get_client(config)
    openrouter_emulator.enqueue(replies.text("no cost here", usage={"cost": None}))
    with track_usage() as usage:
        transport.complete(client, chat_body(HAIKU))
        transport.complete(client, chat_body(HAIKU, "priced"))
    unknown, priced = usage.records
    assert unknown.cost is None
    assert unknown.input_tokens > 0
    assert usage.unknown_cost_requests == 1
    assert usage.total_cost == priced.cost == openrouter_emulator.charges[1].cost
    assert "1 request(s) reported no cost" in usage.summary()


def test_a_dropped_stream_is_failed_with_unknown_cost(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    openrouter_emulator.enqueue(replies.drop_connection(2))
    with track_usage() as usage, pytest.raises(APIConnectionError):
        _stream_all(config, chat_body(HAIKU))
    (record,) = usage.records
    assert record.failed
    assert record.error_type == "APIConnectionError"
    assert record.cost is None
    assert usage.unknown_cost_requests == 1


def test_an_error_status_is_not_billed_and_not_recorded(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    openrouter_emulator.enqueue(replies.error(429, "Rate limit exceeded"))
    with track_usage() as usage, pytest.raises(RateLimitError):
        transport.complete(get_client(config), chat_body(HAIKU))
    assert usage.requests == 0
    assert openrouter_emulator.charges == []


def test_model_fallbacks_and_auto_routing_are_flagged(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    client = get_client(config)
    with track_usage() as usage:
        transport.complete(client, chat_body(HAIKU))
        transport.complete(client, chat_body("nonexistent/model-x", models=[MINI, HAIKU]))
        transport.complete(client, chat_body("openrouter/auto"))
        _stream_all(config, chat_body(MINI))
    plain, fallback, auto, streamed = usage.records
    assert not plain.fallback
    assert not streamed.fallback
    assert fallback.fallback
    assert fallback.requested_model == "nonexistent/model-x"
    assert fallback.served_model == "openai/gpt-4o-mini-2024-07-18"
    assert auto.fallback
    assert auto.requested_model == "openrouter/auto"
    assert usage.fallbacks() == [fallback, auto]
    assert "fallback: requested openrouter/auto, served openai/gpt-4o-mini-2024-07-18" in (
        usage.summary()
    )


def test_blocks_nest_and_each_counts_a_call_once(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    client = get_client(config)
    with track_usage() as outer:
        transport.complete(client, chat_body(HAIKU, "outer only"))
        with track_usage() as inner:
            transport.complete(client, chat_body(MINI, "both"))
            with track_usage(ledger=inner) as same:
                assert same is inner
                assert active_ledgers() == [outer, inner]
                transport.complete(client, chat_body(MINI, "both again"))
        transport.complete(client, chat_body(HAIKU, "outer again"))
    transport.complete(client, chat_body(HAIKU, "outside every block"))
    charges = openrouter_emulator.charges
    assert outer.requests == 4
    assert inner.requests == 2
    assert [r.generation_id for r in inner.records] == [c.generation_id for c in charges[1:3]]
    assert outer.total_cost == sum((c.cost for c in charges[:4]), Decimal(0))
    assert active_ledgers() == []


def test_a_block_object_is_reusable_and_exits_cleanly_on_error(config: ClientConfig) -> None:
    tracker = track_usage()
    with tracker as first, pytest.raises(RuntimeError):
        raise RuntimeError("boom")
    assert active_ledgers() == []
    with tracker as second:
        transport.complete(get_client(config), chat_body(HAIKU))
    assert first is second
    assert second.requests == 1


async def test_concurrent_tasks_each_see_their_own_block(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    client = get_async_client(config)
    ready = asyncio.Event()

    async def job(model: str, calls: int) -> UsageLedger:
        async with track_usage() as usage:
            for i in range(calls):
                await transport.acomplete(client, chat_body(model, f"{model} {i}"))
                await asyncio.sleep(0)
            ready.set()
        return usage

    async with track_usage() as parent:
        haiku, mini = await asyncio.gather(job(HAIKU, 3), job(MINI, 5))
        # A task started inside the block inherits it.
        await asyncio.create_task(transport.acomplete(client, chat_body(GEMINI)))
    assert {r.requested_model for r in haiku.records} == {HAIKU}
    assert {r.requested_model for r in mini.records} == {MINI}
    assert (haiku.requests, mini.requests, parent.requests) == (3, 5, 9)
    assert parent.total_cost == openrouter_emulator.total_cost
    await aclose_clients()


@pytest.mark.slow
async def test_a_thousand_concurrent_async_calls_lose_and_double_nothing(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    client = get_async_client(make_config(openrouter_emulator, timeout=120.0))
    async with track_usage() as usage:
        results = await asyncio.gather(
            *(
                transport.acomplete(client, chat_body(MINI if i % 2 else HAIKU, f"question {i}"))
                for i in range(1000)
            )
        )
    charges = openrouter_emulator.charges
    assert len(results) == len(charges) == usage.requests == 1000
    assert {r.generation_id for r in usage.records} == {c.generation_id for c in charges}
    assert usage.total_cost == openrouter_emulator.total_cost
    assert usage.input_tokens == sum(c.prompt_tokens for c in charges)
    await aclose_clients()


@pytest.mark.slow
def test_eight_threads_of_a_hundred_calls_lose_and_double_nothing(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    client = get_client(config)
    errors: list[BaseException] = []
    per_thread: list[UsageLedger] = []
    lock = threading.Lock()

    def work(thread: int) -> None:
        try:
            with track_usage() as mine:
                for i in range(100):
                    transport.complete(client, chat_body(HAIKU, f"thread {thread} call {i}"))
            with lock:
                per_thread.append(mine)
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)

    with track_usage() as shared:
        # Threads do not inherit context variables; copy_context() carries the block over.
        threads = [
            threading.Thread(target=contextvars.copy_context().run, args=(work, n))
            for n in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    charges = openrouter_emulator.charges
    assert len(charges) == shared.requests == 800
    assert {r.generation_id for r in shared.records} == {c.generation_id for c in charges}
    assert shared.total_cost == openrouter_emulator.total_cost
    assert sorted(ledger.requests for ledger in per_thread) == [100] * 8
    assert sum((ledger.total_cost for ledger in per_thread), Decimal(0)) == shared.total_cost


def test_threads_without_the_context_record_into_a_shared_ledger_explicitly(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    client = get_client(config)
    shared = UsageLedger()
    outside: list[int] = []

    def work() -> None:
        outside.append(len(active_ledgers()))
        with track_usage(ledger=shared):
            for _ in range(5):
                transport.complete(client, chat_body(MINI))

    with track_usage() as main_block:
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert outside == [0, 0, 0, 0]  # a plain thread does not see the main thread's block
    assert main_block.requests == 0
    assert shared.requests == 20
    assert shared.total_cost == openrouter_emulator.total_cost


def test_embeddings_are_accounted_too(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    body = {"model": "openai/text-embedding-3-small", "input": ["alpha", "beta"]}
    with track_usage() as usage:
        transport.post_json(get_client(config), "/embeddings", body)
    (record,) = usage.records
    (charge,) = openrouter_emulator.charges
    assert record.endpoint == "/embeddings"
    assert record.cost == charge.cost
    assert record.input_tokens == charge.prompt_tokens
    assert not record.fallback  # served as "text-embedding-3-small", no author


def test_listeners_hear_every_call_even_without_a_block(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    heard: list[UsageRecord] = []

    def broken(record: UsageRecord) -> None:
        raise RuntimeError("a listener bug")

    add_listener(broken)
    add_listener(heard.append)
    try:
        transport.complete(get_client(config), chat_body(HAIKU))
    finally:
        remove_listener(heard.append)
        remove_listener(broken)
    transport.complete(get_client(config), chat_body(HAIKU))
    (record,) = heard
    assert record.cost == openrouter_emulator.charges[0].cost


def test_max_cost_is_validated() -> None:
    with pytest.raises(ValueError, match="max_cost"):
        track_usage(max_cost=Decimal("-1"))
    with pytest.raises(ValueError, match="max_cost"):
        track_usage(max_cost="a lot")
    assert track_usage(max_cost=0.5).max_cost == Decimal("0.5")
    assert track_usage(max_cost="0.10").max_cost == Decimal("0.10")


def test_a_call_belongs_to_the_block_it_was_sent_in(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    client = get_client(config)
    before = transport.open_stream(client, chat_body(MINI, "sent before the block"))
    with track_usage() as usage:
        inside = transport.open_stream(client, chat_body(HAIKU, "sent inside"))
        for _ in before:
            pass
    for _ in inside:
        pass
    (record,) = usage.records
    assert record.requested_model == HAIKU
    assert record.cost == openrouter_emulator.charges[1].cost


EMBEDDING_MODEL = "openai/text-embedding-3-small"
EMBED_TEXTS = ["alpha river", "beta mountain", "gamma forest", "delta desert", "epsilon sea"]


def _embedders(emu: OpenRouterEmulator) -> list[object]:
    from langchain_openrouter import OpenRouterEmbeddings
    from llama_index_openrouter import OpenRouterEmbedding

    common = {"model": EMBEDDING_MODEL, "api_key": "test-key", "base_url": emu.base_url}
    return [
        OpenRouterEmbeddings(**common, batch_size=2, max_retries=0),
        OpenRouterEmbedding(**common, embed_batch_size=2, max_retries=0),
    ]


def test_both_embedding_classes_are_accounted_per_batch(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    langchain, llama = _embedders(openrouter_emulator)
    with track_usage() as usage:
        vectors = langchain.embed_documents(EMBED_TEXTS)  # type: ignore[attr-defined]
        langchain.embed_query("a query")  # type: ignore[attr-defined]
        batch = llama.get_text_embedding_batch(EMBED_TEXTS)  # type: ignore[attr-defined]
        llama.get_query_embedding("a query")  # type: ignore[attr-defined]
    assert len(vectors) == len(batch) == 5
    charges = openrouter_emulator.charges
    assert usage.requests == len(charges) == 3 + 1 + 3 + 1  # batches of two, plus the queries
    assert usage.total_cost == sum((c.cost for c in charges), Decimal(0))
    assert usage.total_cost > 0
    assert usage.input_tokens == sum(c.prompt_tokens for c in charges)
    assert usage.output_tokens == 0
    assert usage.unknown_cost_requests == 0
    assert usage.failed_requests == 0
    assert [r.cost for r in usage.records] == [c.cost for c in charges]
    assert {r.endpoint for r in usage.records} == {"/embeddings"}
    assert not usage.fallbacks()


async def test_both_embedding_classes_are_accounted_per_batch_async(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    langchain, llama = _embedders(openrouter_emulator)
    async with track_usage() as usage:
        await langchain.aembed_documents(EMBED_TEXTS)  # type: ignore[attr-defined]
        await llama.aget_text_embedding_batch(EMBED_TEXTS)  # type: ignore[attr-defined]
    charges = openrouter_emulator.charges
    assert usage.requests == len(charges) == 6
    assert usage.total_cost == sum((c.cost for c in charges), Decimal(0))
    assert usage.input_tokens == sum(c.prompt_tokens for c in charges)
    await aclose_clients()


@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
def test_an_embeddings_200_without_valid_vectors_is_recorded_as_failed(
    openrouter_emulator: OpenRouterEmulator, framework: str
) -> None:
    from langchain_openrouter import OpenRouterEmbeddings
    from llama_index_openrouter import OpenRouterEmbedding

    # base64 vectors are strings where numbers are expected: the 200 fails validation.
    common = {
        "model": EMBEDDING_MODEL,
        "api_key": "test-key",
        "base_url": openrouter_emulator.base_url,
    }
    extra = {"encoding_format": "base64"}
    with track_usage() as usage, pytest.raises(ProviderError, match="invalid vector"):
        if framework == "langchain":
            OpenRouterEmbeddings(**common, model_kwargs=extra, max_retries=0).embed_documents(
                EMBED_TEXTS[:2]
            )
        else:
            OpenRouterEmbedding(
                **common, additional_kwargs=extra, max_retries=0
            ).get_text_embedding(EMBED_TEXTS[0])
    (record,) = usage.records
    (charge,) = openrouter_emulator.charges
    assert record.failed
    assert record.error_type == "ProviderError"
    assert record.cost == charge.cost
    assert usage.total_cost == charge.cost
    assert usage.failed_requests == 1


# ------------------------------------------------------------------------------ process scope


def test_a_process_block_counts_every_call_of_the_process(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    emu = openrouter_emulator
    chat, llm = framework_model("langchain", emu), framework_model("llamaindex", emu, HAIKU)
    nested: list[UsageLedger] = []

    def in_a_thread(i: int) -> str:
        model = chat if i % 2 else llm
        if i == 0:  # a context block in a worker nests inside the process block
            with track_usage() as mine:
                assert active_ledgers() == [usage, mine]
                nested.append(mine)
                return ask(model, "thread 0", stream=True)
        return ask(model, f"thread {i}", stream=i % 3 == 0)

    with track_usage(scope="process") as usage:
        with ThreadPoolExecutor(3) as pool:  # a user's executor: no context is carried over
            answers: list[str | BaseException] = list(pool.map(in_a_thread, range(9)))
            # A worker running an event loop of its own.
            answers += pool.submit(
                on_a_new_loop, aask(chat, "a"), aask(llm, "b", stream=True)
            ).result()
        answers.append(ask(chat, "the block's own thread"))
    ask(llm, "after the block")

    assert len(answers) == 12
    assert all(str(answer).startswith("You said:") for answer in answers)
    _assert_matches_charges(usage, emu.charges[:12])
    assert {r.requested_model for r in usage.records} == {MINI, HAIKU}
    assert sum(r.streamed for r in usage.records) == 4  # threads 0, 3 and 6, and one async
    assert nested[0].requests == 1
    assert active_ledgers() == []


def test_process_blocks_nest_with_context_blocks_and_each_other(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    llm = framework_model("llamaindex", openrouter_emulator)

    def from_a_thread(text: str) -> None:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(ask, llm, text).result()

    with track_usage() as context_block, track_usage(scope="process") as outer:
        from_a_thread("outer only (and not the context block: another thread)")
        ask(llm, "outer and the context block")
        with track_usage(scope="process") as inner, track_usage(ledger=inner, scope="process"):
            assert active_ledgers() == [outer, inner, context_block]
            from_a_thread("both process blocks, once each")
        from_a_thread("outer again")
    from_a_thread("no block")
    assert (outer.requests, inner.requests, context_block.requests) == (4, 1, 1)
    charges = openrouter_emulator.charges
    assert outer.total_cost == sum((c.cost for c in charges[:4]), Decimal(0))
    assert inner.records[0].generation_id == charges[2].generation_id


async def test_a_process_block_works_as_async_with(openrouter_emulator: OpenRouterEmulator) -> None:
    chat = framework_model("langchain", openrouter_emulator)
    async with track_usage(scope="process") as usage:
        await asyncio.gather(aask(chat, "first"), aask(chat, "second", stream=True))
        # A thread with its own event loop, from inside the running loop.
        (third,) = await asyncio.to_thread(on_a_new_loop, aask(chat, "third"))
    assert str(third).startswith("You said: third")
    assert usage.requests == 3 == len(openrouter_emulator.charges)
    assert usage.total_cost == openrouter_emulator.total_cost
    await aclose_clients()


@pytest.mark.parametrize("framework", ["langchain", "llamaindex"])
def test_an_error_filter_refuses_every_call_that_escapes_a_budget(
    framework: str, openrouter_emulator: OpenRouterEmulator
) -> None:
    emu = openrouter_emulator
    llm = framework_model(framework, emu)
    refused = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", BudgetBypassWarning)
        with track_usage(max_cost=Decimal(1)), ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(ask, llm, f"escaped {i}") for i in range(3)]
            for future in futures:
                with pytest.raises(BudgetBypassWarning, match="scope='process'"):
                    future.result()
                refused += 1
    assert refused == 3
    assert emu.charges == []  # none of them was sent


def test_the_default_filter_shows_the_bypass_of_each_budgeted_block(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    llm = framework_model("langchain", openrouter_emulator)
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("default", BudgetBypassWarning)
        for _ in range(2):
            with track_usage(max_cost=Decimal(1)), ThreadPoolExecutor(1) as pool:
                pool.submit(ask, llm, "escaped").result()
                pool.submit(ask, llm, "escaped again").result()
    assert [w.category for w in shown] == [BudgetBypassWarning, BudgetBypassWarning]
    assert len(openrouter_emulator.charges) == 4


def test_the_scope_is_validated() -> None:
    with pytest.raises(ValueError, match="scope"):
        track_usage(scope="thread")  # type: ignore[arg-type]
    assert track_usage(scope="process").scope == "process"
    assert track_usage().scope == "context"


def test_a_context_budget_misses_executor_calls_and_warns_once(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    emu = openrouter_emulator
    llm = framework_model("langchain", emu)
    with track_usage(max_cost=Decimal(1)) as budget:
        with (
            pytest.warns(BudgetBypassWarning, match="scope='process'") as warned,
            ThreadPoolExecutor(2) as pool,
        ):
            list(pool.map(lambda i: ask(llm, f"escaped {i}"), range(4)))
        ask(llm, "inside")
    assert [w.category for w in warned] == [BudgetBypassWarning]  # once for the block
    assert budget.requests == 1  # today's semantics: only the block's own context
    assert len(emu.charges) == 5  # the four escaped calls were sent and billed

    # copy_context() carries the block into the workers: counted, and no warning (an error here).
    with track_usage(max_cost=Decimal(1)) as carried, ThreadPoolExecutor(2) as pool:
        futures = [
            pool.submit(contextvars.copy_context().run, ask, llm, f"carried {i}") for i in range(4)
        ]
        for future in futures:
            future.result()
    assert carried.requests == 4
    # Without a budget nothing can be bypassed; after a budgeted block closes, nothing is open.
    with track_usage(), ThreadPoolExecutor(1) as pool:
        pool.submit(ask, llm).result()
    with ThreadPoolExecutor(1) as pool:
        pool.submit(ask, llm).result()
