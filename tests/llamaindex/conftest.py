"""Shared helpers for the LlamaIndex ``OpenRouter`` tests (all run against the local emulator)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, ClassVar

import pytest
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent

from llama_index_openrouter import OpenRouter
from openrouter_core.client import aclose_clients
from openrouter_core.testing import OpenRouterEmulator

MODEL = "anthropic/claude-haiku-4.5"
KEY = "sk-or-v1-test-secret-key-0123456789"


@pytest.fixture(autouse=True)
async def _close_async_pools() -> AsyncIterator[None]:
    """Close the connection pools of the test's event loop, as an application would at exit."""
    yield
    await aclose_clients()


@pytest.fixture
def make_llm(openrouter_emulator: OpenRouterEmulator) -> Callable[..., OpenRouter]:
    """Build an ``OpenRouter`` pointed at the emulator (one attempt, short timeout)."""

    def make(**overrides: Any) -> OpenRouter:
        kwargs: dict[str, Any] = {
            "model": MODEL,
            "api_key": KEY,
            "api_base": openrouter_emulator.base_url,
            "max_retries": 0,
            "timeout": 20.0,
        }
        kwargs.update(overrides)
        return OpenRouter(**kwargs)

    return make


@pytest.fixture
def api_key() -> str:
    """The key the ``make_llm`` models use (tests check it never leaks)."""
    return KEY


@pytest.fixture
def llm(make_llm: Callable[..., OpenRouter]) -> OpenRouter:
    return make_llm()


class EventCollector(BaseEventHandler):
    """Records every instrumentation event LlamaIndex dispatches."""

    events: ClassVar[list[BaseEvent]] = []

    @classmethod
    def class_name(cls) -> str:
        return "EventCollector"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)

    def of(self, kind: type[BaseEvent]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
def events() -> Iterator[EventCollector]:
    """Collect the events dispatched during the test (the handler is removed afterwards)."""
    collector = EventCollector()
    collector.events.clear()
    root = get_dispatcher()
    root.add_event_handler(collector)
    try:
        yield collector
    finally:
        root.event_handlers.remove(collector)
