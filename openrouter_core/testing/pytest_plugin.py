"""Pytest plugin providing the ``openrouter_emulator`` fixture.

Registered through the ``pytest11`` entry point ``openrouter_emulator``, so any project that
installs this package can use the fixture without importing anything. The emulator module is
imported lazily, inside the fixture, to keep pytest start-up light.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from openrouter_core.testing import OpenRouterEmulator

__all__ = ["openrouter_emulator"]


@pytest.fixture
def openrouter_emulator() -> Iterator[OpenRouterEmulator]:
    """Yield a started :class:`~openrouter_core.testing.OpenRouterEmulator`; stop it afterwards.

    Example:
        .. code-block:: python

            import openai


            def test_hello(openrouter_emulator):
                client = openai.OpenAI(base_url=openrouter_emulator.base_url, api_key="k")
                client.chat.completions.create(
                    model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
                )
                assert openrouter_emulator.last_request.body["model"] == "openai/gpt-4o-mini"
    """
    from openrouter_core.testing import OpenRouterEmulator

    emulator = OpenRouterEmulator()
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()
