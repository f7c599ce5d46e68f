"""The budget guard of track_usage(max_cost=...): refuse before sending, never overspend."""

from __future__ import annotations

import pickle
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import openai
import pytest
from usage_helpers import (
    FRAMEWORKS,
    HAIKU,
    MINI,
    aask,
    ask,
    cached_body,
    chat_body,
    framework_model,
    on_a_new_loop,
)

from openrouter_core import BudgetExceededError, OpenRouterError, track_usage, transport
from openrouter_core.accounting import (
    ModelPrices,
    estimate_prompt_tokens,
    set_price_source,
    worst_case_cost,
)
from openrouter_core.client import ClientConfig, aclose_clients, get_async_client, get_client
from openrouter_core.observers import CallInfo, CallOutcome, add_observer, remove_observer
from openrouter_core.parts import image_part, text_part
from openrouter_core.testing import OpenRouterEmulator, replies


class CatalogPrices:
    """A stand-in for the model catalog: the emulator's own price table, and a call log."""

    def __init__(self, emu: OpenRouterEmulator) -> None:
        self.emu = emu
        self.asked: list[str] = []

    def __call__(self, model: str) -> ModelPrices | None:
        self.asked.append(model)
        try:
            table = self.emu.price(model)
        except KeyError:
            return None
        return ModelPrices(
            prompt=table["prompt"],
            completion=table["completion"],
            request=table.get("request", Decimal(0)),
            input_cache_write=table.get("input_cache_write"),
        )


def _sent(emu: OpenRouterEmulator) -> int:
    return len(emu.chat_requests)


def test_the_call_that_would_pass_the_limit_is_refused_before_it_is_sent(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    prices = CatalogPrices(openrouter_emulator)
    client = get_client(config)
    body = chat_body(HAIKU, "Tell me about bees", max_tokens=40)
    worst = worst_case_cost(body, prices)
    assert worst is not None
    limit = worst * Decimal("2.5")
    allowed = 0
    with track_usage(max_cost=limit, prices=prices) as usage:
        while True:
            spent_before = usage.total_cost
            try:
                transport.complete(client, body)
            except BudgetExceededError as exc:
                refused = exc
                break
            # Every call let through fitted its worst case under the limit...
            assert spent_before + worst <= limit
            allowed += 1
            assert allowed < 50, "the guard never stopped"
    # ...and the refused one would not have, and never reached the server.
    assert usage.total_cost + worst > limit
    assert allowed >= 2
    assert _sent(openrouter_emulator) == allowed == usage.requests
    assert usage.total_cost <= limit
    assert usage.total_cost == openrouter_emulator.total_cost
    assert refused.spent == usage.total_cost
    assert refused.limit == limit
    assert refused.worst_case == worst
    assert refused.model == HAIKU
    message = str(refused)
    assert f"${format(usage.total_cost, 'f')}" in message
    assert f"${format(limit, 'f')}" in message
    assert repr(HAIKU) in message
    assert "was not sent" in message


def test_without_prices_calls_stop_once_spend_reaches_the_limit(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    client = get_client(config)
    with track_usage(max_cost=Decimal("0.0000001")) as usage:
        transport.complete(client, chat_body(HAIKU))  # nothing spent yet: it goes through
        with pytest.raises(BudgetExceededError) as info:
            transport.complete(client, chat_body(MINI))
        with pytest.raises(BudgetExceededError):
            transport.open_stream(client, chat_body(MINI))
    assert _sent(openrouter_emulator) == 1
    assert info.value.spent == usage.total_cost > info.value.limit
    assert info.value.worst_case is None
    assert "has reached the limit of $0.0000001" in str(info.value)
    assert repr(MINI) in str(info.value)


def test_calls_in_flight_hold_their_worst_case(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    prices = CatalogPrices(openrouter_emulator)
    client = get_client(config)
    body = chat_body(HAIKU, "stream me", max_tokens=30)
    worst = worst_case_cost(body, prices)
    assert worst is not None
    limit = worst * Decimal("3.5")
    with track_usage(max_cost=limit, prices=prices) as usage:
        streams = [transport.open_stream(client, body) for _ in range(3)]
        # Three streams are open and unread: together they could cost 3 * worst, so a
        # fourth could pass the limit even though nothing is recorded yet.
        assert usage.total_cost == 0
        with pytest.raises(BudgetExceededError) as info:
            transport.open_stream(client, body)
        assert info.value.spent == 3 * worst
        for stream in streams:
            for _ in stream:
                pass
        # Their real cost is recorded and their reservations released.
        assert usage.requests == 3
        assert usage.total_cost < 3 * worst
        if usage.total_cost + worst <= limit:
            transport.complete(client, body)
            assert usage.requests == 4
    assert _sent(openrouter_emulator) == usage.requests
    assert usage.total_cost == openrouter_emulator.total_cost <= limit


def test_an_abandoned_or_failed_call_releases_its_reservation(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    prices = CatalogPrices(openrouter_emulator)
    client = get_client(config)
    body = chat_body(HAIKU, "hello", max_tokens=30)
    worst = worst_case_cost(body, prices)
    assert worst is not None
    openrouter_emulator.enqueue(replies.error(503, "Provider overloaded"))
    with track_usage(max_cost=worst * Decimal("1.5"), prices=prices) as usage:
        with pytest.raises(OpenRouterError):
            transport.complete(client, body)
        stream = transport.open_stream(client, body)
        stream.close()
        transport.complete(client, body)  # would be refused if either reservation leaked
    assert usage.requests == 2  # the abandoned stream and the last call


def test_unknown_costs_do_not_count_towards_the_limit(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    client = get_client(config)
    openrouter_emulator.enqueue(replies.text("free?", usage={"cost": None}), times=3)
    with track_usage(max_cost=Decimal("0.0000001")) as usage:
        for _ in range(3):
            transport.complete(client, chat_body(HAIKU))
    assert usage.requests == 3
    assert usage.unknown_cost_requests == 3


def test_nested_blocks_each_enforce_their_own_limit(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    client = get_client(config)
    with track_usage(max_cost=Decimal("1")) as outer:
        transport.complete(client, chat_body(HAIKU))
        with track_usage(max_cost=Decimal("0.0000001")) as inner:
            transport.complete(client, chat_body(HAIKU))
            with pytest.raises(BudgetExceededError):
                transport.complete(client, chat_body(HAIKU))
        transport.complete(client, chat_body(HAIKU))  # the outer budget still has room
    assert (outer.requests, inner.requests) == (3, 1)
    # The same ledger guarded twice: the tighter limit wins, the worst case is held once.
    prices = CatalogPrices(openrouter_emulator)
    body = chat_body(HAIKU, "x", max_tokens=20)
    worst = worst_case_cost(body, prices)
    assert worst is not None
    with track_usage(max_cost=worst * 10, prices=prices) as shared:
        with track_usage(max_cost=worst * Decimal("1.5"), ledger=shared):
            stream = transport.open_stream(client, body)
            with pytest.raises(BudgetExceededError):
                transport.open_stream(client, body)
            stream.close()
        assert shared.requests == 1


def test_the_process_wide_price_source_and_a_price_table(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    client = get_client(config)
    source = CatalogPrices(openrouter_emulator)
    body = chat_body(MINI, "hi", max_tokens=1_000_000)
    worst = worst_case_cost(body, source)
    assert worst is not None
    assert worst > Decimal("0.5")
    previous = set_price_source(source)
    try:
        with track_usage(max_cost=Decimal("0.5")), pytest.raises(BudgetExceededError) as info:
            transport.complete(client, body)
        assert source.asked == [MINI, MINI]
        assert info.value.worst_case == worst
        assert "could cost up to" in str(info.value)
    finally:
        assert set_price_source(previous) is source
    table = {MINI: ModelPrices(prompt=Decimal("0.001"), completion=Decimal("0.001"))}
    with track_usage(max_cost=Decimal("0.01"), prices=table), pytest.raises(BudgetExceededError):
        transport.complete(client, chat_body(MINI, "hi", max_tokens=100))
    with track_usage(max_cost=Decimal("0.01"), prices=table):
        transport.complete(client, chat_body(HAIKU, "unpriced model", max_tokens=100))
    assert _sent(openrouter_emulator) == 1


async def test_async_calls_are_guarded_too(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    client = get_async_client(config)
    async with track_usage(max_cost=Decimal("0.0000001")) as usage:
        await transport.acomplete(client, chat_body(HAIKU))
        with pytest.raises(BudgetExceededError):
            await transport.acomplete(client, chat_body(HAIKU))
        with pytest.raises(BudgetExceededError):
            await transport.aopen_stream(client, chat_body(HAIKU))
    assert usage.requests == _sent(openrouter_emulator) == 1
    await aclose_clients()


def test_worst_case_covers_fallback_models_and_skips_unpriced_ones() -> None:
    prices = {
        "a/cheap": ModelPrices(prompt=Decimal("0.000001"), completion=Decimal("0.000002")),
        "b/dear": ModelPrices(
            prompt=Decimal("0.00001"),
            completion=Decimal("0.00003"),
            request=Decimal("0.005"),
            input_cache_write=Decimal("0.0000125"),
            max_completion_tokens=4096,
        ),
        "openrouter/auto": ModelPrices(prompt=Decimal(-1), completion=Decimal(-1)),
        "c/window": ModelPrices(
            prompt=Decimal("0.000001"), completion=Decimal("0.000002"), context_length=8000
        ),
        "d/listed": ModelPrices(
            prompt=Decimal("0.000001"),
            completion=Decimal("0.000002"),
            context_length=8000,
            max_completion_tokens=1000,
        ),
    }
    body = {"model": "a/cheap", "messages": [{"role": "user", "content": "x" * 300}]}
    tokens = estimate_prompt_tokens(body)
    # Neither an output limit nor a context window known: only the prompt can be priced.
    assert worst_case_cost(body, prices.get) == tokens * Decimal("0.000001")
    # No output limit but a context window: the completion can fill what the prompt leaves.
    assert worst_case_cost({**body, "model": "c/window"}, prices.get) == (
        tokens * Decimal("0.000001") + (8000 - tokens) * Decimal("0.000002")
    )
    assert worst_case_cost({**body, "model": "c/window", "max_tokens": 50}, prices.get) == (
        tokens * Decimal("0.000001") + 50 * Decimal("0.000002")
    )
    assert worst_case_cost({**body, "model": "d/listed"}, prices.get) == (
        tokens * Decimal("0.000001") + 1000 * Decimal("0.000002")
    )
    huge = {"model": "c/window", "messages": [{"role": "user", "content": "x" * 30_000}]}
    assert worst_case_cost(huge, prices.get) == estimate_prompt_tokens(huge) * Decimal("0.000001")
    body_max = {**body, "max_tokens": 100, "n": 2}
    assert worst_case_cost(body_max, prices.get) == (
        tokens * Decimal("0.000001") + 200 * Decimal("0.000002")
    )
    both = {**body, "models": ["b/dear", "c/unpriced"], "max_completion_tokens": 10}
    assert worst_case_cost(both, prices.get) == (
        tokens * Decimal("0.0000125") + 10 * Decimal("0.00003") + Decimal("0.005")
    )
    # Without max_tokens the model's own completion limit is the worst case.
    assert worst_case_cost({**body, "model": "b/dear"}, prices.get) == (
        tokens * Decimal("0.0000125") + 4096 * Decimal("0.00003") + Decimal("0.005")
    )
    assert worst_case_cost({**body, "model": "openrouter/auto"}, prices.get) is None
    assert worst_case_cost({**body, "model": "c/unpriced"}, prices.get) is None


def test_the_prompt_estimate_errs_high(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    bodies = [
        chat_body(HAIKU, "A short question?"),
        chat_body(HAIKU, "word " * 500),
        cached_body(HAIKU, "cached question"),
        {
            "model": HAIKU,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        text_part("What is in this picture?"),
                        image_part("data:image/png;base64," + "A" * 4000),
                    ],
                }
            ],
        },
        {
            **chat_body(HAIKU, "Weather in Paris?"),
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "get_weather",
                        "description": "Current weather for a city",
                        "parameters": {
                            "type": "object",
                            "properties": {"city": {"type": "string"}},
                            "required": ["city"],
                        },
                    },
                }
            ],
        },
    ]
    client = get_client(config)
    for body in bodies:
        transport.complete(client, body)
    for body, charge in zip(bodies, openrouter_emulator.charges, strict=True):
        assert estimate_prompt_tokens(body) >= charge.prompt_tokens


def test_the_error_is_typed_and_picklable() -> None:
    error = BudgetExceededError(
        spent=Decimal("0.4"), limit=Decimal("0.5"), model=HAIKU, worst_case=Decimal("0.2")
    )
    assert isinstance(error, OpenRouterError)
    assert not isinstance(error, openai.APIStatusError)
    assert str(error) == (
        f"budget exceeded: the request to model {HAIKU!r} was not sent; it could cost up to "
        "$0.2, which would take spend from $0.4 past the limit of $0.5. Raise max_cost, lower "
        "max_tokens, or pick a cheaper model."
    )
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object
    assert str(copy) == str(error)
    assert copy.spent == Decimal("0.4")
    assert "the default model" in str(BudgetExceededError(spent=1, limit=1, model=None))  # type: ignore[arg-type]


EMBEDDING_MODEL = "openai/text-embedding-3-small"


def test_an_embeddings_batch_whose_worst_case_passes_the_limit_is_refused(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    from langchain_openrouter import OpenRouterEmbeddings

    prices = CatalogPrices(openrouter_emulator)
    text = "word " * 600
    embeddings = OpenRouterEmbeddings(
        model=EMBEDDING_MODEL,
        base_url=openrouter_emulator.base_url,
        api_key="test-key",
        batch_size=2,
        max_retries=0,
    )
    worst = worst_case_cost({"model": EMBEDDING_MODEL, "input": [text, text]}, prices)
    assert worst is not None
    assert worst > 0
    # Below one batch's worst case: nothing is sent at all.
    with (
        track_usage(max_cost=worst / 2, prices=prices) as usage,
        pytest.raises(BudgetExceededError) as first,
    ):
        embeddings.embed_documents([text] * 6)
    assert openrouter_emulator.charges == []
    assert usage.requests == 0
    assert first.value.worst_case == worst
    assert first.value.model == EMBEDDING_MODEL
    # Room for one batch's worst case but not two: the second batch is refused before it is
    # sent, although the spend so far is still under the limit.
    limit = worst * Decimal("1.5")
    with (
        track_usage(max_cost=limit, prices=prices) as usage,
        pytest.raises(BudgetExceededError) as second,
    ):
        embeddings.embed_documents([text] * 6)
    (charge,) = openrouter_emulator.charges
    assert usage.requests == 1
    assert usage.total_cost == charge.cost < limit
    assert second.value.spent == charge.cost
    assert charge.cost + worst > limit


def test_the_prompt_estimate_counts_an_embeddings_input(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig
) -> None:
    text = "word " * 300
    assert estimate_prompt_tokens({"input": text}) == estimate_prompt_tokens(
        chat_body(text=text)
    ) - estimate_prompt_tokens(chat_body(text=""))
    assert estimate_prompt_tokens({"input": [text, text]}) == 2 * estimate_prompt_tokens(
        {"input": text}
    )
    assert estimate_prompt_tokens({"input": [101, 2023, 102]}) == 3  # one text as token ids
    assert estimate_prompt_tokens({"input": [[101, 2023], [7, 8, 9]]}) == 5
    assert estimate_prompt_tokens({"input": []}) == 0
    transport.post_json(
        get_client(config), "/embeddings", {"model": EMBEDDING_MODEL, "input": [text, "short"]}
    )
    (charge,) = openrouter_emulator.charges
    assert estimate_prompt_tokens({"input": [text, "short"]}) >= charge.prompt_tokens > 0


# ------------------------------------------------------------------------------ process scope

PRICE = Decimal("0.000125")
# Priced per request only, and billed exactly that: each call's worst case is its real cost.
FLAT = {MINI: ModelPrices(prompt=Decimal(0), completion=Decimal(0), request=PRICE)}


def _bill_flat(emu: OpenRouterEmulator, times: int) -> None:
    emu.enqueue(replies.text("ok", usage={"cost": PRICE}), times=times)


def _attempt(llm: object, text: str = "Hello", *, stream: bool = False) -> bool:
    """Ask through the framework; ``False`` when the budget refused the call."""
    try:
        ask(llm, text, stream=stream)
    except BudgetExceededError:
        return False
    return True


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_zero_process_budget_refuses_calls_from_every_thread_and_loop(
    openrouter_emulator: OpenRouterEmulator, framework: str
) -> None:
    llm = framework_model(framework, openrouter_emulator)

    with track_usage(max_cost=0, scope="process") as budget, ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(ask, llm, f"question {i}", stream=i % 2 == 1) for i in range(4)]
        errors = [future.exception() for future in futures]
        errors += pool.submit(on_a_new_loop, aask(llm), aask(llm, stream=True)).result()
    assert [type(e) for e in errors] == [BudgetExceededError] * 6
    assert openrouter_emulator.requests == []  # nothing was sent, so nothing was billed
    assert budget.requests == 0


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_process_budget_refuses_exactly_the_calls_past_the_limit_under_concurrency(
    openrouter_emulator: OpenRouterEmulator, framework: str
) -> None:
    llm = framework_model(framework, openrouter_emulator)
    _bill_flat(openrouter_emulator, 40)
    barrier = threading.Barrier(8)

    def worker(thread: int) -> list[bool]:
        barrier.wait()
        return [_attempt(llm, f"{thread}/{i}", stream=i % 2 == 1) for i in range(5)]

    limit = 13 * PRICE
    with (
        track_usage(max_cost=limit, prices=FLAT, scope="process") as budget,
        ThreadPoolExecutor(8) as pool,
    ):
        results = [sent for thread in pool.map(worker, range(8)) for sent in thread]
    assert results.count(True) == 13 == budget.requests
    assert results.count(False) == 27
    assert len(openrouter_emulator.charges) == 13
    assert budget.total_cost == openrouter_emulator.total_cost == limit


def test_nested_process_budgets_each_enforce_their_own_limit_from_any_thread(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    llm = framework_model("llamaindex", openrouter_emulator)
    _bill_flat(openrouter_emulator, 10)

    with (
        ThreadPoolExecutor(2) as pool,
        track_usage(max_cost=10 * PRICE, prices=FLAT, scope="process") as outer,
    ):
        with track_usage(max_cost=2 * PRICE, prices=FLAT, scope="process") as inner:
            assert sorted(pool.map(_attempt, [llm] * 4)) == [False, False, True, True]
        assert list(pool.map(_attempt, [llm] * 3)) == [True] * 3  # the outer budget has room
    assert (inner.requests, outer.requests) == (2, 5)
    assert outer.total_cost == 5 * PRICE == openrouter_emulator.total_cost


class _RefuseFirst:
    """An observer of the user's that vetoes the first request it hears about."""

    def __init__(self) -> None:
        self.refused = 0

    def before_call(self, call: CallInfo) -> None:
        if not self.refused:
            self.refused += 1
            raise RuntimeError("not now")

    def after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        pass


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_request_vetoed_by_another_observer_frees_its_reservation(
    openrouter_emulator: OpenRouterEmulator, framework: str
) -> None:
    llm = framework_model(framework, openrouter_emulator)
    _bill_flat(openrouter_emulator, 1)
    veto = _RefuseFirst()
    with track_usage(max_cost=PRICE, prices=FLAT, scope="process") as budget:
        add_observer(veto)  # after the budget's own observer: the budget has reserved already
        try:
            with pytest.raises(RuntimeError, match="not now"):
                ask(llm)
            ask(llm)  # refused if the vetoed request still held its worst case
        finally:
            remove_observer(veto)
    assert budget.requests == 1
    assert budget.total_cost == PRICE == openrouter_emulator.total_cost
