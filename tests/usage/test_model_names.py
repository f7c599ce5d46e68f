"""Fallback detection: is the served model the requested one, up to a version suffix?"""

from __future__ import annotations

import json

import pytest

from openrouter_core.accounting import is_fallback, same_model

SAME = [
    # Real pairs: requested id -> model as served (recordings and /models canonical slugs).
    ("anthropic/claude-haiku-4.5", "anthropic/claude-4.5-haiku-20251001"),
    ("anthropic/claude-sonnet-4.6", "anthropic/claude-4.6-sonnet-20260217"),
    ("anthropic/claude-sonnet-4", "anthropic/claude-4-sonnet-20250522"),
    ("openai/gpt-4o-mini", "openai/gpt-4o-mini-2024-07-18"),
    ("openai/gpt-5-mini", "openai/gpt-5-mini-2025-08-07"),
    (
        "mistralai/mistral-small-3.2-24b-instruct:free",
        "mistralai/mistral-small-3.2-24b-instruct-2506",
    ),
    ("qwen/qwen3-4b:free", "qwen/qwen3-4b-04-28"),
    ("openai/text-embedding-3-small", "text-embedding-3-small"),
    ("google/gemini-2.5-pro-exp-03-25", "google/gemini-2.5-pro-exp-03-25"),
    ("openai/gpt-4o", "openai/gpt-4o"),
    # Spelling variants of one model.
    ("anthropic/claude-3.5-sonnet", "anthropic/claude-3-5-sonnet-20241022"),
    ("OpenAI/GPT-4o-mini", "openai/gpt-4o-mini"),
    ("cohere/command-r", "cohere/command-r-08-2024"),
    ("meta-llama/llama-3.3-70b-instruct:nitro", "meta-llama/llama-3.3-70b-instruct"),
    # An alias and the pinned version it points at.
    ("google/gemini-2.0-flash", "google/gemini-2.0-flash-001"),
    ("mistralai/mistral-7b-instruct", "mistralai/mistral-7b-instruct-v0.1"),
    ("deepseek/deepseek-chat", "deepseek/deepseek-chat-v3-0324"),
    ("google/gemini-2.0-flash-001", "google/gemini-2.0-flash"),
    ("mistralai/mistral-7b-instruct:free", "mistralai/mistral-7b-instruct-v0.3"),
]

DIFFERENT = [
    ("openrouter/auto", "mistralai/mistral-nemo"),
    ("openrouter/auto", "openai/gpt-4o-mini-2024-07-18"),
    ("openai/gpt-4o", "openai/gpt-4o-mini-2024-07-18"),
    ("openai/gpt-4o", "anthropic/claude-4-sonnet-20250522"),
    ("anthropic/claude-haiku-4.5", "anthropic/claude-4.5-sonnet-20250929"),
    ("anthropic/claude-sonnet-4.5", "anthropic/claude-4-sonnet-20250522"),
    ("meta-llama/llama-3.1-70b-instruct", "meta-llama/llama-3.3-70b-instruct"),
    ("google/gemini-2.5-flash", "google/gemini-2.5-flash-lite"),
    ("openai/gpt-5-mini", "openai/gpt-5-nano-2025-08-07"),
    # A version stamp does not hide another model family, or another version.
    ("google/gemini-2.0-flash", "google/gemini-2.0-flash-lite-001"),
    ("google/gemini-2.0-flash", "mistralai/mistral-7b-instruct-v0.1"),
    ("deepseek/deepseek-chat", "deepseek/deepseek-r1-0528"),
    ("deepseek/deepseek-chat", "anthropic/claude-4.5-haiku-20251001"),
    ("mistralai/mistral-7b-instruct-v0.1", "mistralai/mistral-7b-instruct-v0.3"),
    ("google/gemini-2.0-flash-001", "google/gemini-2.0-flash-002"),
    ("openai/gpt-4o-mini", "openai/gpt-4o-2024-08-06"),
]


@pytest.mark.parametrize(("requested", "served"), SAME)
def test_version_and_date_suffixes_are_the_same_model(requested: str, served: str) -> None:
    assert same_model(requested, served)
    assert not is_fallback(requested, served)


@pytest.mark.parametrize(("requested", "served"), DIFFERENT)
def test_another_model_is_a_fallback(requested: str, served: str) -> None:
    assert not same_model(requested, served)
    assert is_fallback(requested, served)


def test_unknown_sides_are_never_a_fallback() -> None:
    assert not is_fallback(None, "openai/gpt-4o")
    assert not is_fallback("openai/gpt-4o", None)
    assert not is_fallback("", "")


def _served_model(wire, stem: str) -> str | None:  # type: ignore[no-untyped-def]
    json_path = wire.root / f"{stem}.response.json"
    if json_path.exists():
        body = json.loads(json_path.read_text(encoding="utf-8"))
        return body.get("model") if isinstance(body, dict) else None
    sse_path = wire.root / f"{stem}.response.sse"
    if sse_path.exists():
        for line in sse_path.read_text(encoding="utf-8").splitlines():
            if line.startswith("data: {"):
                return json.loads(line[len("data: ") :]).get("model")
    return None


def test_every_recorded_exchange_is_classified_right(wire) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for name in wire.names(".request.json"):
        stem = name.removesuffix(".request.json")
        requested = wire.json(name).get("model")
        served = _served_model(wire, stem)
        if not served or not requested:
            continue
        assert is_fallback(requested, served) == (requested == "openrouter/auto"), stem
        checked += 1
    assert checked >= 15


def test_catalog_ids_match_their_canonical_slugs(wire) -> None:  # type: ignore[no-untyped-def]
    models = wire.json("models_list_2025_07.response.json")["data"]
    for model in models:
        assert same_model(model["id"], model["canonical_slug"]), model["id"]
