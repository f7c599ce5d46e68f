"""The budget guard priced from the catalog: a model that lists no output limit."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from decimal import Decimal

import pytest
from catalog_support import FIXTURE_MODELS, ScriptedEmulator, model

from openrouter_core import BudgetExceededError, default_catalog, track_usage, transport
from openrouter_core.accounting import catalog_price_source, estimate_prompt_tokens
from openrouter_core.client import ClientConfig, get_client

OPEN = "open/window"  # $1/M in, $10/M out, 100,000-token context, no listed output limit


@pytest.fixture
def server() -> Iterator[ScriptedEmulator]:
    models = copy.deepcopy(FIXTURE_MODELS)
    entry = model(OPEN, prompt="0.000001", completion="0.00001", context=100_000)
    entry["top_provider"]["max_completion_tokens"] = None
    models.append(entry)
    with ScriptedEmulator(models=models) as emu:
        default_catalog(emu.base_url).load()
        yield emu


def test_without_an_output_limit_the_context_window_bounds_the_worst_case(
    server: ScriptedEmulator,
) -> None:
    prices = catalog_price_source(server.base_url)(OPEN)
    assert prices is not None
    assert prices.max_completion_tokens is None
    assert prices.context_length == 100_000
    body = {"model": OPEN, "messages": [{"role": "user", "content": "Write an essay."}]}
    tokens = estimate_prompt_tokens(body)
    worst = tokens * Decimal("0.000001") + (100_000 - tokens) * Decimal("0.00001")  # ~ $1
    client = get_client(
        ClientConfig.build(api_key="k", base_url=server.base_url, timeout=30.0, max_retries=0)
    )
    with track_usage(max_cost=Decimal("0.5")) as usage:
        with pytest.raises(BudgetExceededError) as info:
            transport.complete(client, body)
        assert info.value.worst_case == worst
        transport.complete(client, {**body, "max_tokens": 100})  # bounded: let through
    assert usage.requests == 1
    assert len(server.chat_requests) == 1
