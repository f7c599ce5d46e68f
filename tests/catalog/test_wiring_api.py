"""The non-blocking API the framework classes use for metadata and profiles.

``ChatOpenRouter`` and the LlamaIndex ``OpenRouter`` read the catalog with
``default_catalog(base_url).peek(model)`` (memory or disk, never the network) and fall back to
their defaults on ``None``; these tests pin that contract and the profile conversion.
"""

from __future__ import annotations

from decimal import Decimal
from typing import get_type_hints

from langchain_core.language_models.model_profile import ModelProfile

from langchain_openrouter._profile import model_profile
from openrouter_core.catalog import ModelCatalog, default_catalog, parse_model
from openrouter_core.testing import DEFAULT_CATALOG


def _builtin(model_id: str):
    entry = next(m for m in DEFAULT_CATALOG if m["id"] == model_id)
    return parse_model(entry)


def test_profile_of_a_multimodal_reasoning_model() -> None:
    profile = model_profile(_builtin("anthropic/claude-haiku-4.5"))
    assert set(profile) <= set(get_type_hints(ModelProfile))
    assert profile == {
        "name": "Anthropic: Claude Haiku 4.5",
        "max_input_tokens": 200000,
        "max_output_tokens": 64000,
        "text_inputs": True,
        "image_inputs": True,
        "image_url_inputs": True,
        "pdf_inputs": True,
        "audio_inputs": False,
        "video_inputs": False,
        "text_outputs": True,
        "image_outputs": False,
        "audio_outputs": False,
        "tool_calling": True,
        "tool_choice": True,
        "structured_output": True,
        "reasoning_output": True,
        "reasoning_effort_levels": ["high", "medium", "low", "minimal"],
        "reasoning_effort_default": "medium",
        "temperature": True,
    }


def test_profile_of_a_text_only_model_without_tools() -> None:
    profile = model_profile(_builtin("meta-llama/llama-3.3-70b-instruct"))
    assert profile["tool_calling"] is False
    assert profile["structured_output"] is False
    assert profile["reasoning_output"] is False
    assert profile["image_inputs"] is False
    assert "reasoning_effort_levels" not in profile
    free = model_profile(_builtin("meta-llama/llama-3.3-70b-instruct:free"))
    assert "max_output_tokens" not in free  # not listed: left out, not guessed
    assert free["max_input_tokens"] == 65536


def test_peek_through_the_shared_catalog_feeds_metadata(openrouter_emulator) -> None:
    shared = default_catalog(openrouter_emulator.base_url)
    # Before anything is cached, metadata lookups answer None at once (no request).
    assert shared.peek("openai/gpt-4o-mini") is None
    assert openrouter_emulator.requests == []
    # Once any instance for that base URL has loaded the catalog (disk cache), peek answers.
    ModelCatalog(base_url=openrouter_emulator.base_url).load()
    fresh_process_view = ModelCatalog(base_url=openrouter_emulator.base_url)
    info = fresh_process_view.peek("openai/gpt-4o-mini")
    assert info is not None
    # LlamaIndex metadata: context_window and is_function_calling_model
    assert info.context_length == 128000
    assert info.supports_tools
    assert not fresh_process_view.peek("meta-llama/llama-3.3-70b-instruct").supports_tools
    # Budget guard: per-token prices
    prices = fresh_process_view.prices("anthropic/claude-haiku-4.5")
    assert prices.prompt == Decimal("0.000001")
    assert prices.completion == Decimal("0.000005")
    assert prices.input_cache_read == Decimal("0.0000001")
    assert prices.input_cache_write == Decimal("0.00000125")
    assert fresh_process_view.prices("openai/unknown-model") is None
