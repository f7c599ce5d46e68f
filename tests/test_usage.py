from __future__ import annotations

from decimal import Decimal

import pytest

from openrouter_core.usage import OpenRouterUsage, parse_usage, to_decimal, usage_from_body

FULL_2026 = {
    "prompt_tokens": 16,
    "completion_tokens": 13,
    "total_tokens": 29,
    "cost": 0.000081,
    "is_byok": False,
    "prompt_tokens_details": {
        "cached_tokens": 3,
        "cache_write_tokens": 5,
        "audio_tokens": 0,
        "video_tokens": 0,
    },
    "cost_details": {
        "upstream_inference_cost": 0.000081,
        "upstream_inference_prompt_cost": 0.000016,
        "upstream_inference_completions_cost": 0.000065,
    },
    "completion_tokens_details": {"reasoning_tokens": 7, "image_tokens": 0, "audio_tokens": 0},
}


def test_full_2026_object() -> None:
    usage = parse_usage(FULL_2026, model="m", provider="Amazon Bedrock", generation_id="gen-1")
    assert usage == OpenRouterUsage(
        input_tokens=16,
        output_tokens=13,
        total_tokens=29,
        cached_tokens=3,
        cache_write_tokens=5,
        reasoning_tokens=7,
        cost=Decimal("0.000081"),
        upstream_cost=Decimal("0.000081"),
        is_byok=False,
        model="m",
        provider="Amazon Bedrock",
        generation_id="gen-1",
    )


def test_three_totals_only_2024() -> None:
    usage = parse_usage({"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14})
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (10, 4, 14)
    assert usage.cost is None  # unknown, not zero
    assert usage.is_byok is None
    assert usage.cached_tokens == usage.reasoning_tokens == 0


def test_null_details_and_missing_cost() -> None:
    usage = parse_usage(
        {
            "prompt_tokens": 7,
            "completion_tokens": 2,
            "total_tokens": 9,
            "prompt_tokens_details": None,
        }
    )
    assert usage is not None
    assert usage.cached_tokens == 0
    assert usage.cost is None


def test_exponent_floats_become_exact_decimals() -> None:
    usage = parse_usage({"prompt_tokens": 3, "total_tokens": 3, "cost": 1.4e-07})
    assert usage is not None
    assert usage.cost == Decimal("0.00000014")
    assert to_decimal(3.4e-7) == Decimal("0.00000034")
    assert to_decimal("0.000003") == Decimal("0.000003")


def test_null_upstream_cost_and_zero_cost_are_distinct() -> None:
    usage = parse_usage(
        {"prompt_tokens": 1, "cost": 0, "cost_details": {"upstream_inference_cost": None}}
    )
    assert usage is not None
    assert usage.cost == Decimal(0)
    assert usage.upstream_cost is None


def test_float_token_counts_and_missing_total() -> None:
    usage = parse_usage({"prompt_tokens": 12.0, "completion_tokens": 3.0})
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (12, 3, 15)


@pytest.mark.parametrize("value", [None, [], "usage", 3])
def test_not_a_mapping_gives_none(value: object) -> None:
    assert parse_usage(value) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [True, "abc", float("nan"), float("inf"), {"a": 1}])
def test_to_decimal_rejects_non_numbers(value: object) -> None:
    assert to_decimal(value) is None


def test_addition_sums_and_keeps_unknown_cost_unknown() -> None:
    a = OpenRouterUsage(input_tokens=1, output_tokens=2, total_tokens=3, cost=Decimal("0.1"))
    b = OpenRouterUsage(input_tokens=4, output_tokens=5, total_tokens=9, cost=Decimal("0.2"))
    total = a + b
    assert (total.input_tokens, total.output_tokens, total.total_tokens) == (5, 7, 12)
    assert total.cost == Decimal("0.3")
    assert (a + OpenRouterUsage(input_tokens=1)).cost is None


def test_to_dict_keeps_cost_exact() -> None:
    usage = OpenRouterUsage(cost=Decimal("0.000000140"), generation_id="gen-x")
    out = usage.to_dict()
    assert out["cost"] == "1.40E-7"
    assert Decimal(out["cost"]) == Decimal("0.00000014")
    assert out["generation_id"] == "gen-x"


def test_usage_from_body_attaches_served_model_and_provider() -> None:
    body = {"id": "gen-9", "model": "served/model", "provider": "OpenAI", "usage": FULL_2026}
    usage = usage_from_body(body)
    assert usage is not None
    assert (usage.model, usage.provider, usage.generation_id) == ("served/model", "OpenAI", "gen-9")
    assert usage_from_body({"id": "gen-9"}) is None


# --- the real recordings ---------------------------------------------------------------


def test_recorded_2026_response(wire) -> None:
    body = wire.json("rl_chat_basic.response.json")
    usage = usage_from_body(body)
    assert usage is not None
    assert usage.cost == Decimal("0.000081")
    assert usage.provider == "Amazon Bedrock"
    assert usage.model == "anthropic/claude-4.5-haiku-20251001"
    assert usage.is_byok is False


def test_recorded_no_cost_oct_2025(wire) -> None:
    usage = usage_from_body(wire.json("aa_provider_prefs.response.json"))
    assert usage is not None
    assert usage.cost is None
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens


def test_recorded_usage_include_with_null_upstream(wire) -> None:
    without = usage_from_body(wire.json("pa_usage_1.response.json"))
    with_cost = usage_from_body(wire.json("pa_usage_2.response.json"))
    assert without is not None
    assert with_cost is not None
    assert without.cost is None
    assert with_cost.cost is not None
    assert with_cost.cost > 0
    assert with_cost.upstream_cost is None
    assert with_cost.reasoning_tokens > 0


def test_recorded_cache_write_then_read(wire) -> None:
    first = usage_from_body(wire.json("pa_cache_anthropic_1.response.json"))
    second = usage_from_body(wire.json("pa_cache_anthropic_2.response.json"))
    assert first is not None
    assert second is not None
    assert (first.cache_write_tokens, first.cached_tokens) == (3211, 0)
    assert (second.cached_tokens, second.cache_write_tokens) == (3211, 115)


def test_recorded_embeddings_exponent_cost(wire) -> None:
    usage = usage_from_body(wire.json("rl_embeddings_cost.response.json"))
    assert usage is not None
    assert usage.cost == Decimal("1.4E-7")
