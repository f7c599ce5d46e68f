"""Parsing ``/models`` and endpoint entries into typed objects, and pricing arithmetic."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openrouter_core.catalog import (
    ModelPricing,
    parse_endpoints,
    parse_model,
    parse_models,
    parse_pricing,
)
from openrouter_core.testing import DEFAULT_CATALOG, OpenRouterEmulator

D = Decimal


# --------------------------------------------------------------------------------------------
# The real /models sample (July 2025, fetched without a key)
# --------------------------------------------------------------------------------------------


def test_real_models_sample_parses_every_documented_field(wire) -> None:
    body = wire.json("models_list_2025_07.response.json")
    models = {m.id: m for m in parse_models(body)}
    assert len(models) == len(body["data"]) == 5

    sonnet = models["anthropic/claude-sonnet-4"]
    assert sonnet.canonical_slug == "anthropic/claude-4-sonnet-20250522"
    assert sonnet.hugging_face_id is None  # "" on the wire
    assert sonnet.name == "Anthropic: Claude Sonnet 4"
    assert sonnet.created == 1747930371
    assert sonnet.context_length == 200000
    assert sonnet.max_completion_tokens == 64000
    assert sonnet.is_moderated is False
    assert sonnet.modality == "text+image->text"
    assert sonnet.input_modalities == ("image", "text")
    assert sonnet.output_modalities == ("text",)
    assert sonnet.tokenizer == "Claude"
    assert sonnet.instruct_type is None
    assert sonnet.pricing.prompt == D("0.000003")
    assert sonnet.pricing.completion == D("0.000015")
    assert sonnet.pricing.request == D(0)
    assert sonnet.pricing.image == D("0.0048")
    assert sonnet.pricing.web_search == D(0)
    assert sonnet.pricing.internal_reasoning == D(0)
    assert sonnet.pricing.input_cache_read == D("0.0000003")
    assert sonnet.pricing.input_cache_write == D("0.00000375")
    assert sonnet.pricing.extra == {"audio": D(0)}  # a key the parser has no field for
    assert sonnet.supports_tools
    assert sonnet.supports_reasoning
    assert not sonnet.supports_structured_outputs
    assert sonnet.supports_image_input
    assert not sonnet.supports_pdf_input
    assert sonnet.per_request_limits is None
    assert sonnet.raw["description"].startswith("Claude Sonnet 4 significantly")

    mini = models["openai/gpt-4o-mini"]
    assert mini.hugging_face_id is None  # null on the wire
    assert mini.pricing.input_cache_read == D("0.000000075")
    assert mini.pricing.input_cache_write is None  # key absent
    assert mini.supports_structured_outputs
    assert mini.supports_pdf_input
    assert mini.is_moderated is True

    free = models["mistralai/mistral-small-3.2-24b-instruct:free"]
    assert free.variant == "free"
    assert free.base_id == "mistralai/mistral-small-3.2-24b-instruct"
    assert free.is_free
    assert free.max_completion_tokens is None
    assert free.context_length == 128000
    assert free.top_provider_context_length == 96000
    assert free.hugging_face_id == "mistralai/Mistral-Small-3.2-24B-Instruct-2506"

    qwen = models["qwen/qwen3-4b:free"]
    assert qwen.instruct_type == "qwen3"
    assert qwen.supports_reasoning
    assert not qwen.supports_image_input


def test_real_models_sample_served_by_the_emulator(wire, tmp_path) -> None:
    from openrouter_core.catalog import ModelCatalog

    data = wire.json("models_list_2025_07.response.json")["data"]
    with OpenRouterEmulator(models=data) as emu:
        catalog = ModelCatalog(base_url=emu.base_url, cache_dir=tmp_path, max_retries=0)
        assert catalog.get("claude-sonnet-4").id == "anthropic/claude-sonnet-4"
        assert catalog.get("anthropic/claude-4-sonnet-20250522").id == "anthropic/claude-sonnet-4"
        assert catalog.get("qwen3-4b:free").id == "qwen/qwen3-4b:free"
        # 1,000 input + 1,000 output tokens at $3/M and $15/M
        assert catalog.estimate_cost("anthropic/claude-sonnet-4", 1000, 1000) == D("0.018")


# --------------------------------------------------------------------------------------------
# Tolerance: missing, null, "" and new fields
# --------------------------------------------------------------------------------------------


def test_minimal_entry_has_unknowns_not_errors() -> None:
    info = parse_model({"id": "x/y"})
    assert info is not None
    assert info.name == "x/y"
    assert info.context_length is None
    assert info.max_completion_tokens is None
    assert info.pricing == ModelPricing()
    assert not info.pricing.known
    assert info.input_modalities == ()
    assert not info.supports_tools
    assert info.description == ""


def test_nulls_and_empty_strings_read_as_unknown() -> None:
    info = parse_model(
        {
            "id": "x/y",
            "name": "",
            "canonical_slug": None,
            "hugging_face_id": "",
            "created": None,
            "description": None,
            "context_length": None,
            "architecture": None,
            "pricing": {"prompt": "", "completion": None, "request": "0", "image": "n/a"},
            "top_provider": {"context_length": 4096, "max_completion_tokens": None},
            "supported_parameters": None,
            "knowledge_cutoff": "",
            "reasoning": None,
        }
    )
    assert info is not None
    assert info.name == "x/y"
    assert info.canonical_slug is None
    assert info.hugging_face_id is None
    assert info.context_length == 4096  # falls back to the top provider's
    assert info.pricing.prompt is None
    assert info.pricing.completion is None
    assert info.pricing.request == D(0)
    assert info.pricing.image is None
    assert info.knowledge_cutoff is None
    assert info.supported_parameters == ()


def test_new_fields_and_unknown_pricing_keys_are_kept() -> None:
    info = parse_model(
        {
            "id": "x/y",
            "benchmarks": {"mmlu": 0.8},
            "pricing": {
                "prompt": "0.000001",
                "completion": 2e-06,
                "input_cache_write_1h": "0.000006",
                "audio": 1.5e-07,
                "discount": 0,
                "overrides": [{"prompt": "0"}],
            },
            "reasoning": {"supported_efforts": ["low", "high"], "default_effort": "low"},
        }
    )
    assert info is not None
    assert info.raw["benchmarks"] == {"mmlu": 0.8}
    assert info.pricing.completion == D("0.000002")
    assert info.pricing.extra == {
        "input_cache_write_1h": D("0.000006"),
        "audio": D("1.5E-7"),
        "discount": D(0),
    }
    assert info.pricing.get("audio") == D("1.5E-7")
    assert info.pricing.get("prompt") == D("0.000001")
    assert info.pricing.to_dict()["input_cache_write_1h"] == "0.000006"
    assert info.supports_reasoning
    assert info.reasoning_efforts == ("low", "high")


def test_entries_without_an_id_are_skipped_and_bad_bodies_rejected() -> None:
    models = parse_models({"data": [{"id": "a/b"}, {"name": "no id"}, None, "x", {"id": ""}]})
    assert [m.id for m in models] == ["a/b"]
    with pytest.raises(ValueError, match="data"):
        parse_models({"models": []})


def test_router_price_of_minus_one_means_unknown() -> None:
    pricing = parse_pricing({"prompt": "-1", "completion": "-1"})
    assert pricing.prompt is None
    assert not pricing.known
    with pytest.raises(ValueError, match="no token prices"):
        pricing.cost(10, 10)


def test_every_builtin_emulator_model_parses() -> None:
    models = parse_models({"data": list(DEFAULT_CATALOG)})
    assert len(models) == len(DEFAULT_CATALOG)
    embed = next(m for m in models if m.id == "openai/text-embedding-3-small")
    assert embed.is_embedding_model
    assert embed.supports("embeddings")
    gemini = next(m for m in models if m.id == "google/gemini-2.5-flash")
    assert gemini.supports_audio_input
    assert gemini.supports_video_input
    assert gemini.supports("vision")
    assert gemini.supports("image")
    assert gemini.supports("pdf")
    assert gemini.supports("seed")
    assert not gemini.supports("logprobs")


# --------------------------------------------------------------------------------------------
# Pricing arithmetic (hand-checked)
# --------------------------------------------------------------------------------------------

CACHED = ModelPricing(
    prompt=D("0.000003"),
    completion=D("0.000015"),
    request=D(0),
    input_cache_read=D("0.0000003"),
    input_cache_write=D("0.00000375"),
)


def test_cost_with_cache_reads_and_writes() -> None:
    # 10,000 input of which 6,000 cached and 2,000 written: 2,000 x 3e-6 = 0.006,
    # 6,000 x 3e-7 = 0.0018, 2,000 x 3.75e-6 = 0.0075; 500 output x 1.5e-5 = 0.0075.
    parts = CACHED.cost_parts(10_000, 500, 6_000, cache_write_tokens=2_000)
    assert parts == {
        "input": D("0.006"),
        "cache_read": D("0.0018"),
        "cache_write": D("0.0075"),
        "output": D("0.0075"),
        "reasoning": D(0),
        "request": D(0),
    }
    assert CACHED.cost(10_000, 500, 6_000, cache_write_tokens=2_000) == D("0.0228")


def test_reasoning_is_billed_as_output_unless_priced_apart() -> None:
    # internal_reasoning "0": all 3,000 output tokens at 1.5e-5 = 0.045
    same = ModelPricing(prompt=D(0), completion=D("0.000015"), internal_reasoning=D(0))
    assert same.cost(0, 3_000, reasoning_tokens=2_000) == D("0.045")
    # priced apart: 1,000 x 1.5e-5 + 2,000 x 2e-6 = 0.015 + 0.004
    apart = ModelPricing(prompt=D(0), completion=D("0.000015"), internal_reasoning=D("0.000002"))
    assert apart.cost(0, 3_000, reasoning_tokens=2_000) == D("0.019")


def test_missing_cache_prices_fall_back_to_the_prompt_price() -> None:
    plain = ModelPricing(prompt=D("0.000001"), completion=D(0), request=D("0.01"))
    # 1,000 input (500 cached) at 1e-6 = 0.001, plus 2 requests x 0.01
    assert plain.cost(1_000, 0, 500, requests=2) == D("0.021")


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((-1, 0), {}, "input_tokens must be >= 0"),
        ((10, 5, 11), {}, "exceed input_tokens"),
        ((10, 5, 5), {"cache_write_tokens": 6}, "exceed input_tokens"),
        ((10, 5, 0, 6), {}, "reasoning_tokens"),
        ((10, 5), {"requests": -1}, "requests"),
    ],
)
def test_inconsistent_counts_are_rejected(args, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        CACHED.cost(*args, **kwargs)


def test_counts_must_be_ints() -> None:
    with pytest.raises(TypeError, match="input_tokens must be an int"):
        CACHED.cost(1.5, 1)  # type: ignore[arg-type]


def test_emulator_charge_matches_the_estimate(openrouter_emulator, tmp_path) -> None:
    # The emulator bills from the same catalog prices; the estimate for the tokens it reports
    # must be its exact charge.
    from openrouter_core import transport
    from openrouter_core.catalog import ModelCatalog
    from openrouter_core.client import ClientConfig, get_client

    client = get_client(
        ClientConfig.build(
            api_key="k", base_url=openrouter_emulator.base_url, timeout=10, max_retries=0
        )
    )
    body = {
        "model": "anthropic/claude-haiku-4.5",
        "messages": [{"role": "user", "content": "Tell me about the sea in three sentences."}],
        "usage": {"include": True},
    }
    data = transport.complete(client, body)
    usage = data["usage"]
    catalog = ModelCatalog(base_url=openrouter_emulator.base_url, cache_dir=tmp_path)
    estimate = catalog.estimate_cost(
        "anthropic/claude-haiku-4.5", usage["prompt_tokens"], usage["completion_tokens"]
    )
    assert estimate == openrouter_emulator.charges[-1].cost


# --------------------------------------------------------------------------------------------
# Endpoints
# --------------------------------------------------------------------------------------------


def test_endpoints_body_parses_with_unknown_shapes_tolerated() -> None:
    body = {
        "data": {
            "id": "x/y",
            "name": "X: Y",
            "architecture": {"input_modalities": ["text"], "output_modalities": ["text"]},
            "endpoints": [
                {
                    "provider_name": "Alpha",
                    "tag": "alpha/fp8",
                    "pricing": {"prompt": "0.000001", "completion": "0.000002", "discount": 0},
                    "uptime_last_30m": 99.5,
                    "latency_last_30m": {"p50": 0.4, "p90": "0.9"},
                    "throughput_last_30m": 55,  # an older scalar shape: not percentiles
                    "status": 0,
                    "quantization": "fp8",
                    "context_length": 32768,
                },
                {"provider_name": "Beta", "pricing": None, "uptime_last_30m": None},
                {"no": "provider"},
            ],
        }
    }
    result = parse_endpoints(body)
    assert result.id == "x/y"
    assert [e.provider_name for e in result.endpoints] == ["Alpha", "Beta"]
    alpha, beta = result.endpoints
    assert alpha.pricing.prompt == D("0.000001")
    assert alpha.pricing.extra == {"discount": D(0)}
    assert alpha.latency_last_30m == {"p50": 0.4, "p90": 0.9}
    assert alpha.throughput_last_30m is None
    assert beta.pricing == ModelPricing()
    assert result.providers == ["alpha/fp8", "Beta"]
    assert result.cheapest() is alpha
    with pytest.raises(ValueError, match="endpoints"):
        parse_endpoints({"data": []})
