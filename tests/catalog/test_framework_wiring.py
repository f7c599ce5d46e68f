"""The catalog behind the framework classes: metadata, profiles, budget prices; never blocking."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from llama_index.core.llms import ChatMessage

from langchain_openrouter import ChatOpenRouter
from llama_index_openrouter import OpenRouter
from openrouter_core import BudgetExceededError, default_catalog, track_usage
from openrouter_core.testing import OpenRouterEmulator, replies

KEY = "test-key"


def _models_requests(emu: OpenRouterEmulator) -> int:
    return sum(1 for r in emu.requests if r.path.endswith("/models"))


def test_langchain_profile_comes_from_the_catalog(openrouter_emulator: OpenRouterEmulator) -> None:
    base = openrouter_emulator.base_url
    info = default_catalog(base).get("anthropic/claude-haiku-4.5")
    llm = ChatOpenRouter(model="anthropic/claude-haiku-4.5", base_url=base, api_key=KEY)
    profile = llm.profile
    assert profile is not None
    assert profile["max_input_tokens"] == info.context_length
    assert profile["max_output_tokens"] == info.max_completion_tokens
    assert profile["tool_calling"] is True
    assert profile["reasoning_output"] is True
    no_tools = ChatOpenRouter(model="meta-llama/llama-3.3-70b-instruct", base_url=base, api_key=KEY)
    assert no_tools.profile is not None
    assert no_tools.profile["tool_calling"] is False


def test_construction_never_touches_the_network(openrouter_emulator: OpenRouterEmulator) -> None:
    llm = ChatOpenRouter(model="openai/gpt-4o-mini", base_url=openrouter_emulator.base_url)
    assert llm.profile is None  # not cached yet, and construction does not fetch it
    li = OpenRouter(model="openai/gpt-4o-mini", api_base=openrouter_emulator.base_url)
    assert li.metadata.context_window > 0
    assert openrouter_emulator.requests == []


def test_first_request_loads_the_catalog_in_the_background(
    openrouter_emulator: OpenRouterEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENROUTER_CATALOG_PREFETCH", "1")
    base = openrouter_emulator.base_url
    llm = ChatOpenRouter(model="openai/gpt-4o-mini", base_url=base, api_key=KEY)
    assert llm.profile is None
    llm.invoke("hello")
    deadline = time.monotonic() + 10
    while _models_requests(openrouter_emulator) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _models_requests(openrouter_emulator) == 1
    while default_catalog(base).peek("openai/gpt-4o-mini") is None and time.monotonic() < deadline:
        time.sleep(0.02)
    again = ChatOpenRouter(model="openai/gpt-4o-mini", base_url=base, api_key=KEY)
    assert again.profile is not None
    # The /models request carried no key.
    models_request = next(r for r in openrouter_emulator.requests if r.path.endswith("/models"))
    assert models_request.header("authorization") is None


def test_llamaindex_metadata_from_the_catalog_and_arguments_win(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    base = openrouter_emulator.base_url
    catalog = default_catalog(base)
    haiku = catalog.get("anthropic/claude-haiku-4.5")
    llm = OpenRouter(model="anthropic/claude-haiku-4.5", api_base=base, api_key=KEY)
    meta = llm.metadata
    assert meta.context_window == haiku.context_length
    assert meta.num_output == haiku.max_completion_tokens
    assert meta.is_function_calling_model is True
    llama = OpenRouter(model="meta-llama/llama-3.3-70b-instruct", api_base=base, api_key=KEY)
    assert llama.metadata.is_function_calling_model is False
    explicit = OpenRouter(
        model="meta-llama/llama-3.3-70b-instruct",
        api_base=base,
        api_key=KEY,
        context_window=1234,
        is_function_calling_model=True,
    )
    assert explicit.metadata.context_window == 1234
    assert explicit.metadata.is_function_calling_model is True


def test_an_unknown_or_unreachable_catalog_never_fails_or_blocks(
    openrouter_emulator: OpenRouterEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENROUTER_CATALOG_PREFETCH", "1")
    dead = OpenRouter(model="openai/gpt-4o-mini", api_base="http://127.0.0.1:9/api/v1", api_key=KEY)
    start = time.monotonic()
    meta = dead.metadata  # the background load fails; the defaults stand
    assert time.monotonic() - start < 1.0
    assert meta.is_function_calling_model is True
    assert (
        ChatOpenRouter(model="openai/gpt-4o-mini", base_url="http://127.0.0.1:9/api/v1").profile
        is None
    )

    openrouter_emulator.enqueue(replies.text("fine"))
    base = openrouter_emulator.base_url
    llm = OpenRouter(model="no-such/model-anywhere", api_base=base, api_key=KEY)
    assert llm.metadata.is_function_calling_model is True  # unknown to the catalog: defaults
    assert llm.chat([ChatMessage(role="user", content="hi")]).message.content == "fine"


def test_budget_guard_prices_calls_from_the_catalog(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    base = openrouter_emulator.base_url
    default_catalog(base).load()
    llm = ChatOpenRouter(
        model="anthropic/claude-sonnet-4.5", base_url=base, api_key=KEY, max_tokens=100_000
    )
    with track_usage(max_cost=Decimal("0.01")) as ledger:
        with pytest.raises(BudgetExceededError) as info:
            llm.invoke("Write a very long essay.")
        small = llm.bind(max_tokens=50)
        small.invoke("Short answer please.")
    assert info.value.worst_case is not None
    assert info.value.worst_case > Decimal("0.01")
    assert len(openrouter_emulator.chat_requests) == 1  # the refused call was never sent
    assert ledger.requests == 1


def test_budget_guard_prices_an_unlisted_free_variant_as_its_base(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    base = openrouter_emulator.base_url
    catalog = default_catalog(base)
    model = "anthropic/claude-sonnet-4.5"
    assert f"{model}:free" not in {m.id for m in catalog.models()}
    refused = []
    for requested in (model, f"{model}:free"):
        llm = ChatOpenRouter(model=requested, base_url=base, api_key=KEY, max_tokens=100_000)
        with track_usage(max_cost=Decimal("0.01")), pytest.raises(BudgetExceededError) as info:
            llm.invoke("Write a very long essay.")
        refused.append(info.value.worst_case)
    assert refused[0] is not None
    assert refused[0] > Decimal("0.01")
    assert refused[1] == refused[0]  # not a made-up $0
    assert openrouter_emulator.chat_requests == []
