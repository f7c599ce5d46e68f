"""``ModelCatalog.cheapest()`` as a cost optimizer: a task, a per-request limit, free models.

Prices are those of the fixture catalog (``catalog_support.FIXTURE_MODELS``), so every number
below can be checked by hand; every model there lists a 4,096-token output limit. The worst
case is the budget guard's own: the test that matters most sends the chosen request through
``track_usage(max_cost=...)`` and sees the guard agree to the last digit.
"""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from langchain_openrouter import ChatOpenRouter
from openrouter_core import BudgetExceededError, track_usage
from openrouter_core.accounting import estimate_prompt_tokens
from openrouter_core.catalog import (
    Candidate,
    ModelInfo,
    NoModelMatchesError,
    RankedModel,
    default_catalog,
)


def ids(candidates: Any) -> list[str]:
    return [c.id for c in candidates]


def test_a_per_request_limit_keeps_the_models_whose_worst_case_fits(catalog) -> None:
    # A 10,000-token prompt and 1,000 output tokens, sent with max_tokens=1,000. Worst cases
    # (prompt at the dearer of the prompt and cache-write prices, output at max_tokens):
    #   acme/small  10,000 x $0.10/M + 1,000 x $0.40/M            = 0.0014
    #   dup/small   10,000 x $0.05/M + 1,000 x $1.00/M            = 0.0015
    #   bolt/fast   10,000 x $0.50/M + 1,000 x $0.50/M + 0.0001   = 0.0056
    #   acme/large  10,000 x $2.50/M + 1,000 x $8.00/M            = 0.033
    best = catalog.cheapest(
        supports="tools", include_free=False, prompt=10_000, output_tokens=1_000, max_cost="0.003"
    )
    assert isinstance(best, RankedModel)
    assert best.id == "acme/small"
    assert (best.estimated_cost, best.worst_case_cost) == (D("0.0014"), D("0.0014"))
    assert ids(best.ranking) == ["acme/small", "dup/small"]
    assert [c.worst_case_cost for c in best.ranking] == [D("0.0014"), D("0.0015")]
    assert best.fallback_models(2) == ["dup/small"]

    unlimited = catalog.cheapest(supports="tools", include_free=False, prompt=10_000)
    assert ids(unlimited.ranking) == ["acme/small", "dup/small", "bolt/fast", "acme/large"]
    # The estimate ranks (cache-write price left out: nothing is written); the limit filters.
    assert unlimited.ranking[-1].estimated_cost == D("0.028")
    assert unlimited.ranking[-1].worst_case_cost == D("0.033")
    # A limit equal to a worst case keeps that model.
    exact = catalog.cheapest(
        supports="tools", include_free=False, prompt=10_000, max_cost=D("0.0014")
    )
    assert ids(exact.ranking) == ["acme/small"]


def test_the_worst_case_is_the_one_the_budget_guard_computes(catalog, emu) -> None:
    prompt = "Summarise the plot of Hamlet in three short sentences, for a ten-year-old."
    best = catalog.cheapest(supports="tools", prompt=prompt, output_tokens=200, max_cost="0.001")
    assert best.id == "bolt/fast:free"
    paid = best.ranking[1]
    assert paid.id == "acme/small"
    # The guard prices from the catalog at hand; load the shared one for this base URL.
    default_catalog(emu.base_url).load()
    llm = ChatOpenRouter(
        model=paid.id, base_url=emu.base_url, api_key="test-key", max_tokens=200, max_retries=0
    )
    with track_usage(max_cost=paid.worst_case_cost) as usage:
        llm.invoke(prompt)  # exactly at the limit: allowed
    assert usage.requests == 1
    with (
        track_usage(max_cost=paid.worst_case_cost - D("1e-12")),
        pytest.raises(BudgetExceededError),
    ):
        llm.invoke(prompt)  # a hair below: refused before sending
    assert len(emu.chat_requests) == 1


def test_a_text_or_messages_prompt_is_estimated_like_the_guard_does_and_must_fit(
    catalog,
) -> None:
    text = "word " * 30_000  # 150,000 characters: about 50,000 tokens by the guard's estimate
    tokens = estimate_prompt_tokens({"messages": [{"role": "user", "content": text}]})
    assert 50_000 <= tokens < 50_010
    best = catalog.cheapest(supports="tools", prompt=text)
    # Only the models with room for the prompt plus 1,000 output tokens are left.
    assert ids(best.ranking) == ["bolt/fast", "acme/large"]
    assert best.estimated_cost == best.pricing.cost(tokens, 1_000)
    # The same count given as a number is the same task.
    assert catalog.cheapest(supports="tools", prompt=tokens).ranking == best.ranking

    messages = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Name three colours."},
    ]
    chat = catalog.cheapest(supports="tools", include_free=False, prompt=messages)
    assert chat.estimated_cost == chat.pricing.cost(
        estimate_prompt_tokens({"messages": messages}), 1_000
    )


def test_the_output_size_must_fit_the_models_output_limit(catalog) -> None:
    with pytest.raises(NoModelMatchesError) as info:
        catalog.cheapest(prompt=100, output_tokens=5_000)
    assert str(info.value) == (
        "no priced model matches (no filters): of 8 models listed, 7 produce text, "
        "6 list token prices, 0 hold a 100-token prompt and 5,000 output tokens"
    )
    # max_tokens may be larger than the expected output; the worst case counts it.
    best = catalog.cheapest(include_free=False, prompt=100, output_tokens=100, max_tokens=4_000)
    assert best.id == "acme/small"
    assert best.estimated_cost == D("0.00005")  # 100 x $0.10/M + 100 x $0.40/M
    assert best.worst_case_cost == D("0.00161")  # 100 x $0.10/M + 4,000 x $0.40/M


def test_when_nothing_fits_the_error_says_which_requirement_left_none(catalog) -> None:
    with pytest.raises(NoModelMatchesError) as info:
        catalog.cheapest(supports=["tools", "vision"], prompt=1_000, max_cost="0.001")
    assert str(info.value) == (
        "no priced model matches (supports=['tools', 'vision'], max_cost='0.001'): "
        "of 8 models listed, 7 produce text, 6 support tools, 1 support vision, "
        "1 list token prices, 1 hold a 1,000-token prompt and 1,000 output tokens, "
        "0 can cost at most $0.001 per request in the worst case (the lowest is $0.0105, "
        "acme/large: raise max_cost, or lower max_tokens or the prompt)"
    )
    with pytest.raises(NoModelMatchesError, match=r"0 are free$"):
        catalog.cheapest(supports="reasoning", free=True)


def test_free_models_only(catalog) -> None:
    assert ids(catalog.search(free=True)) == ["bolt/fast:free"]
    best = catalog.cheapest(free=True, supports="tools", prompt="Hello")
    assert best.id == "bolt/fast:free"
    assert (best.estimated_cost, best.worst_case_cost) == (0, 0)
    assert best.is_free
    with pytest.raises(ValueError, match="free=True keeps only free models"):
        catalog.search(free=True, include_free=False)


def test_the_result_is_still_the_model_so_old_code_keeps_working(catalog) -> None:
    best = catalog.cheapest(supports="tools", include_free=False)
    assert isinstance(best, ModelInfo)
    assert best.id == "acme/small"
    assert best.info == catalog.get("acme/small")
    assert best.context_length == 32_000
    assert best.supports_tools
    assert catalog.estimate_cost(best, 3_000, 1_000) == best.estimated_cost == D("0.0007")
    first = best.ranking[0]
    assert isinstance(first, Candidate)
    assert first.model == best.info
    assert first.to_dict() == {
        "id": "acme/small",
        "estimated_cost": "0.0007",
        "worst_case_cost": "0.0007",
        "context_length": 32_000,
        "pricing": {"prompt": "1E-7", "completion": "4E-7"},
    }
    assert best.to_dict(1) == {
        "model": "acme/small",
        "estimated_cost": "0.0007",
        "worst_case_cost": "0.0007",
        "fitting": 4,  # acme/small, dup/small, bolt/fast, acme/large (the router lists no price)
        "candidates": [first.to_dict()],
    }


def test_the_fallback_chain_goes_into_the_request(catalog, emu) -> None:
    # "Hi" is 5 tokens; 1,000 out: acme/small 0.0004005, bolt/fast 0.0006025 (with its
    # request price), dup/small 0.00100025, acme/large 0.00801.
    best = catalog.cheapest(supports="tools", include_free=False, prompt="Hi", max_cost="0.01")
    chain = best.fallback_models(2)
    assert chain == ["bolt/fast", "dup/small"]
    assert best.fallback_models(0) == []
    with pytest.raises(ValueError, match="count"):
        best.fallback_models(-1)
    llm = ChatOpenRouter(
        model=best.id, models=chain, base_url=emu.base_url, api_key="test-key", max_retries=0
    )
    llm.invoke("Hi")
    (sent,) = emu.chat_requests
    assert (sent["model"], sent["models"]) == ("acme/small", ["bolt/fast", "dup/small"])


def test_bad_arguments_fail_before_any_request(catalog, emu) -> None:
    with pytest.raises(ValueError, match="max_cost must be a non-negative number"):
        catalog.cheapest(max_cost="-1")
    with pytest.raises(ValueError, match="not both"):
        catalog.cheapest(prompt="Hi", input_tokens=10)
    with pytest.raises(ValueError, match="max_tokens"):
        catalog.cheapest(output_tokens=500, max_tokens=100)
    with pytest.raises(TypeError, match="prompt must be"):
        catalog.cheapest(prompt=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="mappings"):
        catalog.cheapest(prompt=["Hi"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="output_tokens"):
        catalog.cheapest(output_tokens=1.5)  # type: ignore[arg-type]
    assert emu.requests == []
