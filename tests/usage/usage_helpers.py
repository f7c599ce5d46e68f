"""Helpers of the usage-ledger tests: client configs for the emulator and request bodies."""

from __future__ import annotations

from typing import Any

from openrouter_core.client import ClientConfig
from openrouter_core.parts import text_part, with_cache_control
from openrouter_core.testing import OpenRouterEmulator

HAIKU = "anthropic/claude-haiku-4.5"
MINI = "openai/gpt-4o-mini"
GPT5 = "openai/gpt-5-mini"
GEMINI = "google/gemini-2.5-flash"
# Long enough to be worth caching; the emulator caches prefixes marked with cache_control.
SYSTEM_PROMPT = "You are a meticulous assistant who answers in one short sentence. " * 60


def make_config(emu: OpenRouterEmulator, **overrides: Any) -> ClientConfig:
    kwargs: dict[str, Any] = {
        "api_key": "test-key",
        "base_url": emu.base_url,
        "timeout": 30.0,
        "max_retries": 0,
    }
    kwargs.update(overrides)
    return ClientConfig.build(**kwargs)


def chat_body(model: str = HAIKU, text: str = "Hello there", **extra: Any) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [{"role": "user", "content": text}],
        "usage": {"include": True},
        **extra,
    }


def cached_body(model: str, question: str, **extra: Any) -> dict[str, Any]:
    """A request whose system prompt is a prompt-cache breakpoint."""
    return {
        "model": model,
        "messages": [
            {"role": "system", "content": [with_cache_control(text_part(SYSTEM_PROMPT))]},
            {"role": "user", "content": question},
        ],
        "usage": {"include": True},
        **extra,
    }
