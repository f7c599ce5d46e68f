from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from pydantic import ValidationError

from openrouter_core import options as options_module
from openrouter_core import request as request_module
from openrouter_core.options import (
    OPENROUTER_OPTION_FIELDS,
    CacheControl,
    ContextCompressionPlugin,
    FileParserPlugin,
    MaxPrice,
    OpenRouterOptions,
    PdfParserConfig,
    PercentileCutoffs,
    Prediction,
    ProviderPreferences,
    ProviderSortConfig,
    ReasoningConfig,
    ResponseHealingPlugin,
    WebSearchPlugin,
    build_extra_body,
)

USAGE = {"usage": {"include": True}}


def body(**fields: Any) -> dict[str, Any]:
    """The extra_body for a single layer built from keyword arguments."""
    return OpenRouterOptions(**fields).to_extra_body()


def only_error(data: Mapping[str, Any]) -> tuple[str, str]:
    """Validate ``data`` and return the location and message of its single error."""
    with pytest.raises(ValidationError) as excinfo:
        OpenRouterOptions.model_validate(data)
    errors = excinfo.value.errors()
    assert len(errors) == 1, errors
    return ".".join(str(part) for part in errors[0]["loc"]), errors[0]["msg"]


# --------------------------------------------------------------------------------------------
# Public surface
# --------------------------------------------------------------------------------------------


def test_all_is_pinned() -> None:
    assert sorted(options_module.__all__) == sorted(
        [
            "OPENROUTER_OPTION_FIELDS",
            "CacheControl",
            "ContextCompressionPlugin",
            "FileParserPlugin",
            "MaxPrice",
            "OpenRouterOptions",
            "PdfParserConfig",
            "PercentileCutoffs",
            "Plugin",
            "Prediction",
            "ProviderPreferences",
            "ProviderSortConfig",
            "ReasoningConfig",
            "ResponseHealingPlugin",
            "WebSearchPlugin",
            "to_plain",
        ]
    )
    for name in options_module.__all__:
        assert hasattr(options_module, name)
    # Layering the options lives with the request builder; the old import path still works.
    assert options_module.build_extra_body is request_module.build_extra_body


def test_option_fields_lists_every_field_for_kwarg_routing() -> None:
    assert OPENROUTER_OPTION_FIELDS == (
        "provider",
        "models",
        "route",
        "transforms",
        "plugins",
        "reasoning",
        "session_id",
        "user",
        "prediction",
        "verbosity",
        "top_k",
        "min_p",
        "top_a",
        "repetition_penalty",
        "cache_control",
        "include_reasoning",
        "trace",
        "image_config",
    )
    call_kwargs = {"models": ["a/b"], "reasoning": {"effort": "low"}, "temperature": 0.2}
    layer = {k: v for k, v in call_kwargs.items() if k in OPENROUTER_OPTION_FIELDS}
    assert build_extra_body(layer) == {
        "models": ["a/b"],
        "reasoning": {"effort": "low"},
        **USAGE,
    }


def test_module_does_not_import_frameworks() -> None:
    code = (
        "import sys, openrouter_core.options as o; "
        "o.build_extra_body({'provider': {'sort': 'price'}}); "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('langchain_core', 'langchain', "
        "'llama_index')]; print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --------------------------------------------------------------------------------------------
# Documented shapes round-trip to the exact dict
# --------------------------------------------------------------------------------------------


def test_provider_doc_example_round_trips() -> None:
    provider = {
        "order": ["anthropic", "openai"],
        "allow_fallbacks": False,
        "sort": {"by": "price", "partition": "none"},
        "max_price": {"prompt": 1, "completion": 2},
    }
    result = body(provider=provider)
    assert result == {"provider": provider, **USAGE}
    # ints stay ints on the wire (not 1.0)
    assert json.dumps(result["provider"]["max_price"]) == '{"prompt": 1, "completion": 2}'
    options = OpenRouterOptions(provider=provider)
    assert isinstance(options.provider, ProviderPreferences)
    assert isinstance(options.provider.sort, ProviderSortConfig)
    assert isinstance(options.provider.max_price, MaxPrice)


@pytest.mark.parametrize(
    "provider",
    [
        {"allow_fallbacks": True, "require_parameters": False, "data_collection": "deny"},
        {"data_collection": "deny", "zdr": True},
        {"quantizations": ["fp16", "bf16"]},
        {"only": ["xai"]},
        {"ignore": ["deepinfra"], "enforce_distillable_text": True},
        {"order": ["google-vertex/us-east5", "deepinfra/turbo"], "sort": "throughput"},
        {"sort": "exacto"},
        {"sort": {"by": "latency", "partition": "model"}},
        {"preferred_min_throughput": 50, "preferred_max_latency": 1.5},
        {
            "preferred_min_throughput": {"p50": 40, "p90": 20},
            "preferred_max_latency": {"p75": 2, "p99": 9.5},
        },
        {
            "max_price": {
                "prompt": 1,
                "completion": 2.5,
                "request": "0.01",
                "image": 0,
                "audio": "3",
            }
        },
    ],
)
def test_provider_shapes_round_trip(provider: dict[str, Any]) -> None:
    assert body(provider=provider) == {"provider": provider, **USAGE}


def test_percentile_cutoffs_become_a_model() -> None:
    options = OpenRouterOptions(provider={"preferred_max_latency": {"p50": 1}})
    assert options.provider is not None
    assert isinstance(options.provider.preferred_max_latency, PercentileCutoffs)


def test_max_price_keeps_the_value_type_and_sends_decimal_as_a_number() -> None:
    price = MaxPrice(prompt=Decimal("0.5"), completion=Decimal("2"), request="0.01", image=3)
    assert price.prompt == Decimal("0.5")  # the model keeps what the user gave
    result = body(provider={"max_price": price})
    assert result["provider"]["max_price"] == {
        "prompt": 0.5,
        "completion": 2,
        "request": "0.01",
        "image": 3,
    }
    assert type(result["provider"]["max_price"]["completion"]) is int
    assert type(result["provider"]["max_price"]["prompt"]) is float
    # the SDK's encoder is plain json: the whole body must serialise
    json.dumps(result, allow_nan=False)


@pytest.mark.parametrize(
    "reasoning",
    [
        {"effort": "medium"},
        {"max_tokens": 2000},
        {"enabled": True},
        {"effort": "xhigh", "exclude": False, "summary": "concise"},
        {"effort": "none"},
        {"max_tokens": 1024, "exclude": True},
        {"effort": "high", "context": "all_turns", "mode": "pro"},
    ],
)
def test_reasoning_shapes_round_trip(reasoning: dict[str, Any]) -> None:
    assert body(reasoning=reasoning) == {"reasoning": reasoning, **USAGE}


def test_reasoning_context_and_mode_pass_through_as_extras() -> None:
    config = ReasoningConfig(effort="high", context="current_turn", mode="standard")
    assert config.model_extra == {"context": "current_turn", "mode": "standard"}


@pytest.mark.parametrize(
    "plugin",
    [
        {
            "id": "web",
            "enabled": True,
            "engine": "exa",
            "max_results": 3,
            "search_prompt": "Sources:",
            "include_domains": ["python.org"],
            "exclude_domains": ["example.com"],
            "max_uses": 2,
            "mode": "auto",
            "user_location": {"type": "approximate", "country": "FR"},
        },
        {"id": "file-parser", "pdf": {"engine": "mistral-ocr"}},
        {"id": "file-parser", "enabled": False, "pdf": {"engine": "pdf-text"}},
        {"id": "response-healing"},
        {"id": "context-compression", "engine": "middle-out"},
        {"id": "moderation"},
        {"id": "auto-router", "allowed_models": ["openai/*"], "cost_tier": "low"},
    ],
)
def test_plugin_shapes_round_trip(plugin: dict[str, Any]) -> None:
    assert body(plugins=[plugin]) == {"plugins": [plugin], **USAGE}


def test_plugin_models_fill_in_their_id_and_defaults() -> None:
    result = body(
        plugins=[
            WebSearchPlugin(max_results=5),
            FileParserPlugin(pdf=PdfParserConfig(engine="native")),
            ResponseHealingPlugin(),
            ContextCompressionPlugin(),
        ]
    )
    assert result["plugins"] == [
        {"id": "web", "max_results": 5},
        {"id": "file-parser", "pdf": {"engine": "native"}},
        {"id": "response-healing"},
        {"id": "context-compression", "engine": "middle-out"},
    ]


def test_prediction_and_cache_control_round_trip() -> None:
    assert body(
        prediction={"type": "content", "content": "def f(): ..."},
        cache_control={"type": "ephemeral", "ttl": "1h"},
    ) == {
        "prediction": {"type": "content", "content": "def f(): ..."},
        "cache_control": {"type": "ephemeral", "ttl": "1h"},
        **USAGE,
    }
    # the constant `type` is filled in
    assert body(prediction=Prediction(content="x"), cache_control=CacheControl()) == {
        "prediction": {"type": "content", "content": "x"},
        "cache_control": {"type": "ephemeral"},
        **USAGE,
    }


def test_prediction_requires_content() -> None:
    loc, msg = only_error({"prediction": {"type": "content"}})
    assert loc == "prediction.content"
    assert msg == "Field required"


def test_top_level_extensions_round_trip() -> None:
    extensions = {
        "models": ["anthropic/claude-sonnet-4", "gryphe/mythomax-l2-13b"],
        "route": "fallback",
        "transforms": ["middle-out"],
        "include_reasoning": True,
        "session_id": "abc",
        "user": "user-123",
        "verbosity": "low",
        "top_k": 40,
        "min_p": 0.05,
        "top_a": 0.2,
        "repetition_penalty": 1.1,
        # not modelled: passed through untouched
        "debug": {"echo_upstream_body": True},
        "prompt_cache_options": {"mode": "explicit", "ttl": "30m"},
    }
    assert build_extra_body(extensions) == {**extensions, **USAGE}


# --------------------------------------------------------------------------------------------
# Unknown keys, None, falsy values
# --------------------------------------------------------------------------------------------


def test_unknown_keys_pass_through_at_every_level() -> None:
    data = {
        "future_top_level": {"nested": [1, 2]},
        "provider": {
            "order": ["anthropic"],
            "future_provider_field": "x",
            "sort": {"by": "price", "future_sort_field": 1},
            "max_price": {"prompt": 1, "video": 4},
            "preferred_max_latency": {"p50": 1, "p95": 2},
        },
        "reasoning": {"effort": "low", "future_reasoning": True},
        "plugins": [
            {"id": "web", "future_web_option": "y"},
            {"id": "file-parser", "pdf": {"engine": "native", "pages": "1-3"}},
        ],
        "prediction": {"type": "content", "content": "c", "extra": 1},
        "cache_control": {"type": "ephemeral", "scope": "x"},
    }
    assert build_extra_body(data) == {**data, **USAGE}


def test_none_is_dropped_recursively_but_false_zero_and_empty_are_kept() -> None:
    result = build_extra_body(
        {
            "models": None,
            "transforms": [],
            "top_k": 0,
            "include_reasoning": False,
            "provider": {
                "allow_fallbacks": False,
                "order": [],
                "sort": None,
                "max_price": {"prompt": 0, "completion": None},
                "future": {"keep": 0, "drop": None},
            },
            "reasoning": {"exclude": False, "effort": None},
            "plugins": [
                {"id": "web", "engine": None, "max_results": 3},
                {"id": "custom", "opt": None, "deep": [{"a": None, "b": False}]},
            ],
            "future_extra": None,
            "future_nested": {"a": None, "b": {"c": None}},
        }
    )
    assert result == {
        "transforms": [],
        "top_k": 0,
        "include_reasoning": False,
        "provider": {
            "allow_fallbacks": False,
            "order": [],
            "max_price": {"prompt": 0},
            # an unknown key is sent as given, its nulls included
            "future": {"keep": 0, "drop": None},
        },
        "reasoning": {"exclude": False},
        "plugins": [
            {"id": "web", "max_results": 3},
            {"id": "custom", "opt": None, "deep": [{"a": None, "b": False}]},
        ],
        "future_nested": {"a": None, "b": {"c": None}},
        **USAGE,
    }


@pytest.mark.parametrize(
    "options",
    [
        {"provider": {"newfield": {"x": None}}},
        {"provider": {"newfield": None, "order": ["a"]}},
        {"provider": {"max_price": {"future_unit": None, "prompt": 1}}},
        {"reasoning": {"effort": "low", "future": [{"x": None}, None]}},
        {"plugins": [{"id": "web", "future": {"x": None}}]},
        {"plugins": [{"id": "some-new-plugin", "setting": None}]},
        {"web_search_options": {"search_context_size": None}},
    ],
)
def test_unknown_keys_are_sent_untouched_nulls_included(options: dict[str, Any]) -> None:
    expected = {**copy.deepcopy(options), **USAGE}
    assert build_extra_body(options) == expected
    assert OpenRouterOptions.model_validate(options).to_extra_body() == expected
    assert OpenRouterOptions(**options).to_extra_body() == expected


def test_documented_fields_set_to_none_are_still_dropped_next_to_unknown_nulls() -> None:
    options = OpenRouterOptions(provider={"sort": None, "newfield": {"x": None}}, user=None)
    assert options.to_extra_body() == {"provider": {"newfield": {"x": None}}, **USAGE}
    # at the top level of a layer None means "not set", for unknown keys too
    assert build_extra_body({"future_top_level": None}) == USAGE


def test_empty_options_give_only_usage() -> None:
    assert OpenRouterOptions().to_extra_body() == USAGE
    assert build_extra_body() == USAGE
    assert build_extra_body(None, {}, OpenRouterOptions()) == USAGE


# --------------------------------------------------------------------------------------------
# usage
# --------------------------------------------------------------------------------------------


def test_usage_is_always_included_unless_set_explicitly() -> None:
    assert build_extra_body({"models": ["a/b"]})["usage"] == {"include": True}
    assert build_extra_body({"usage": {"include": False}})["usage"] == {"include": False}
    assert build_extra_body(usage={"include": False})["usage"] == {"include": False}
    layered = build_extra_body(OpenRouterOptions(usage={"include": False}), {"models": ["a"]})
    assert layered["usage"] == {"include": False}
    # None means "not set", so the default comes back
    assert build_extra_body({"usage": None})["usage"] == {"include": True}


def test_usage_default_is_not_shared_between_calls() -> None:
    first = build_extra_body()
    first["usage"]["include"] = False
    assert build_extra_body()["usage"] == {"include": True}


# --------------------------------------------------------------------------------------------
# Layer merging
# --------------------------------------------------------------------------------------------


def test_later_layers_replace_top_level_keys() -> None:
    base = OpenRouterOptions(
        models=["a/one", "a/two"],
        reasoning={"effort": "high", "exclude": True},
        transforms=["middle-out"],
        user="u-base",
    )
    result = build_extra_body(base, {"models": ["b/one"], "reasoning": {"max_tokens": 500}})
    assert result == {
        "models": ["b/one"],
        # reasoning is replaced whole, not merged: effort+max_tokens would be invalid
        "reasoning": {"max_tokens": 500},
        "transforms": ["middle-out"],
        "user": "u-base",
        **USAGE,
    }


def test_none_in_a_later_layer_does_not_clear_an_earlier_value() -> None:
    base = OpenRouterOptions(models=["a/one"], provider={"order": ["x"]})
    assert build_extra_body(base, {"models": None, "provider": {"order": None}}) == {
        "models": ["a/one"],
        "provider": {"order": ["x"]},
        **USAGE,
    }


def test_empty_list_in_a_later_layer_replaces_an_earlier_list() -> None:
    base = OpenRouterOptions(transforms=["middle-out"])
    assert build_extra_body(base, {"transforms": []})["transforms"] == []


def test_provider_fields_merge_one_level_deep() -> None:
    instance = OpenRouterOptions(
        provider={
            "order": ["anthropic", "openai"],
            "allow_fallbacks": False,
            "max_price": {"prompt": 1, "completion": 2},
        }
    )
    result = build_extra_body(instance, {"provider": {"sort": "price", "max_price": {"prompt": 5}}})
    assert result["provider"] == {
        "order": ["anthropic", "openai"],
        "allow_fallbacks": False,
        # max_price comes from the later layer whole: the merge is one level deep only
        "max_price": {"prompt": 5},
        "sort": "price",
    }


def test_provider_merge_across_three_layers_and_keyword_overrides() -> None:
    result = build_extra_body(
        OpenRouterOptions(provider={"order": ["a"], "zdr": True}),
        None,
        {"provider": {"order": ["b"], "data_collection": "deny"}},
        provider={"zdr": False},
        user="u-1",
    )
    assert result == {
        "provider": {"order": ["b"], "zdr": False, "data_collection": "deny"},
        "user": "u-1",
        **USAGE,
    }


def test_keyword_overrides_win_over_layers() -> None:
    base = OpenRouterOptions(models=["a/b"], session_id="s1")
    assert build_extra_body(base, session_id="s2") == {
        "models": ["a/b"],
        "session_id": "s2",
        **USAGE,
    }


def test_mapping_layers_that_are_not_dicts_are_accepted() -> None:
    layer = MappingProxyType({"provider": MappingProxyType({"sort": "latency"})})
    assert build_extra_body(layer) == {"provider": {"sort": "latency"}, **USAGE}


def test_building_does_not_mutate_inputs_and_returns_fresh_containers() -> None:
    base = OpenRouterOptions(provider={"order": ["a"]}, models=["m/1"])
    snapshot = base.model_dump()
    call_layer = {"provider": {"sort": "price"}}
    first = build_extra_body(base, call_layer)
    first["provider"]["order"].append("b")
    first["models"].append("m/2")
    assert base.model_dump() == snapshot
    assert call_layer == {"provider": {"sort": "price"}}
    assert build_extra_body(base) == {"provider": {"order": ["a"]}, "models": ["m/1"], **USAGE}


def test_built_models_are_not_validated_again(monkeypatch: pytest.MonkeyPatch) -> None:
    base = OpenRouterOptions(provider={"order": ["a"]}, plugins=[{"id": "web"}])

    def fail(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("model_validate called for an OpenRouterOptions layer")

    monkeypatch.setattr(OpenRouterOptions, "model_validate", fail)
    assert build_extra_body(base, None) == {
        "provider": {"order": ["a"]},
        "plugins": [{"id": "web"}],
        **USAGE,
    }


def test_to_extra_body_equals_build_extra_body() -> None:
    options = OpenRouterOptions(
        provider={"order": ["anthropic"], "sort": "price"},
        models=["x/y"],
        reasoning={"effort": "high"},
    )
    assert options.to_extra_body() == build_extra_body(options)
    assert options.to_extra_body() == {
        "provider": {"order": ["anthropic"], "sort": "price"},
        "models": ["x/y"],
        "reasoning": {"effort": "high"},
        **USAGE,
    }


def test_mapping_layers_are_validated_early() -> None:
    with pytest.raises(ValidationError) as excinfo:
        build_extra_body(OpenRouterOptions(), {"provider": {"sort": "cheapest"}})
    assert isinstance(excinfo.value, ValueError)
    assert excinfo.value.errors()[0]["loc"] == ("provider", "sort")
    with pytest.raises(ValidationError):
        build_extra_body(top_k=-1)


def test_a_layer_of_the_wrong_type_is_rejected() -> None:
    with pytest.raises(TypeError, match="options layer"):
        build_extra_body(ProviderPreferences(order=["a"]))  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Validation errors name the field and what is allowed
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["prompt", "completion", "request", "image", "audio"])
def test_negative_max_price_fails_naming_the_field(field: str) -> None:
    loc, msg = only_error({"provider": {"max_price": {field: -0.5}}})
    assert loc == f"provider.max_price.{field}"
    assert "non-negative" in msg


@pytest.mark.parametrize("value", ["-1", "abc", True, float("nan"), [1], Decimal("-2")])
def test_non_numeric_or_negative_prices_fail(value: object) -> None:
    loc, msg = only_error({"provider": {"max_price": {"prompt": value}}})
    assert loc == "provider.max_price.prompt"
    assert "non-negative number" in msg


def test_unknown_sort_fails_naming_sort_and_the_allowed_values() -> None:
    loc, msg = only_error({"provider": {"sort": "cheapest"}})
    assert loc == "provider.sort"
    assert "'cheapest'" in msg
    for allowed in ("'price'", "'throughput'", "'latency'", "'exacto'"):
        assert allowed in msg


def test_unknown_sort_object_fails_naming_by() -> None:
    loc, msg = only_error({"provider": {"sort": {"by": "cheapest"}}})
    assert loc.startswith("provider.sort")
    assert loc.endswith(".by")
    assert "'price'" in msg


def test_non_string_sort_fails() -> None:
    loc, _ = only_error({"provider": {"sort": 3}})
    assert loc == "provider.sort"


def test_unknown_quantization_fails_naming_the_list_item() -> None:
    loc, msg = only_error({"provider": {"quantizations": ["fp16", "int3"]}})
    assert loc == "provider.quantizations.1"
    assert "'fp8'" in msg


def test_unknown_data_collection_fails() -> None:
    loc, msg = only_error({"provider": {"data_collection": "maybe"}})
    assert loc == "provider.data_collection"
    assert "'deny'" in msg


def test_negative_throughput_and_percentiles_fail() -> None:
    loc, _ = only_error({"provider": {"preferred_max_latency": {"p90": -1}}})
    assert loc.startswith("provider.preferred_max_latency")
    assert loc.endswith("p90")
    with pytest.raises(ValidationError, match="preferred_min_throughput"):
        OpenRouterOptions(provider={"preferred_min_throughput": -5})


def test_effort_and_max_tokens_together_fail() -> None:
    loc, msg = only_error({"reasoning": {"effort": "high", "max_tokens": 1000}})
    assert loc == "reasoning"
    assert "effort" in msg
    assert "max_tokens" in msg
    assert "not both" in msg


@pytest.mark.parametrize(
    ("reasoning", "field"),
    [
        ({"effort": "extreme"}, "effort"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"summary": "long"}, "summary"),
    ],
)
def test_bad_reasoning_values_fail(reasoning: dict[str, Any], field: str) -> None:
    loc, _ = only_error({"reasoning": reasoning})
    assert loc == f"reasoning.{field}"


def test_session_id_longer_than_256_chars_fails() -> None:
    assert body(session_id="s" * 256)["session_id"] == "s" * 256
    loc, msg = only_error({"session_id": "s" * 257})
    assert loc == "session_id"
    assert "256" in msg


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("min_p", [0, 0.5, 1], [-0.01, 1.01]),
        ("top_a", [0, 1], [-0.1, 1.5]),
        ("repetition_penalty", [0.01, 1, 2], [0, -1, 2.01]),
        ("top_k", [0, 50], [-1]),
    ],
)
def test_sampling_ranges(field: str, good: list[float], bad: list[float]) -> None:
    for value in good:
        assert body(**{field: value})[field] == value
    for value in bad:
        loc, msg = only_error({field: value})
        assert loc == field
        assert "than" in msg  # "greater than ..." / "less than or equal to ..."


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        ({"route": "cheapest"}, "route"),
        ({"verbosity": "huge"}, "verbosity"),
        ({"cache_control": {"ttl": "2h"}}, "cache_control.ttl"),
        ({"cache_control": {"type": "persistent"}}, "cache_control.type"),
        ({"prediction": {"type": "diff", "content": "x"}}, "prediction.type"),
        ({"models": "a/b"}, "models"),
    ],
)
def test_other_invalid_values_name_the_field(data: dict[str, Any], loc: str) -> None:
    assert only_error(data)[0] == loc


def test_invalid_assignment_is_rejected() -> None:
    options = OpenRouterOptions(provider={"order": ["a"]})
    assert options.provider is not None
    with pytest.raises(ValidationError, match="sort"):
        options.provider.sort = "cheapest"  # type: ignore[assignment]


# --------------------------------------------------------------------------------------------
# Plugins
# --------------------------------------------------------------------------------------------


def test_plugin_dicts_with_known_ids_become_models_and_unknown_ids_stay_dicts() -> None:
    options = OpenRouterOptions(
        plugins=[
            {"id": "web", "max_results": 2},
            {"id": "file-parser", "pdf": {"engine": "cloudflare-ai"}},
            {"id": "response-healing"},
            {"id": "context-compression"},
            {"id": "moderation", "x": 1},
        ]
    )
    assert options.plugins is not None
    web, parser, healing, compression, other = options.plugins
    assert isinstance(web, WebSearchPlugin)
    assert web.max_results == 2
    assert isinstance(parser, FileParserPlugin)
    assert isinstance(parser.pdf, PdfParserConfig)
    assert parser.pdf.engine == "cloudflare-ai"
    assert isinstance(healing, ResponseHealingPlugin)
    assert isinstance(compression, ContextCompressionPlugin)
    assert compression.engine == "middle-out"
    assert type(other) is dict
    assert other == {"id": "moderation", "x": 1}
    assert options.to_extra_body()["plugins"][3] == {
        "id": "context-compression",
        "engine": "middle-out",
    }


def test_plugin_model_instances_are_kept() -> None:
    web = WebSearchPlugin(engine="native")
    options = OpenRouterOptions(plugins=[web])
    assert options.plugins is not None
    assert options.plugins[0] is web


@pytest.mark.parametrize("plugin", [{"engine": "native"}, {"id": 3}, "web"])
def test_plugin_without_a_string_id_fails(plugin: object) -> None:
    loc, msg = only_error({"plugins": [{"id": "web"}, plugin]})
    assert loc == "plugins.1"
    assert "'id'" in msg


def test_known_plugin_with_a_bad_option_fails_naming_the_option() -> None:
    loc, msg = only_error({"plugins": [{"id": "file-parser", "pdf": {"engine": "tesseract"}}]})
    assert loc.startswith("plugins.0")
    assert loc.endswith("pdf.engine")
    assert "'mistral-ocr'" in msg
    loc, _ = only_error({"plugins": [{"id": "web", "max_results": 0}]})
    assert loc.endswith("max_results")
