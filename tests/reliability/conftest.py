"""Fixtures of the reliability suite (the adapter itself is in ``rel_support``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from rel_support import FRAMEWORKS, METHODS, MODES, Target

from openrouter_core.testing import OpenRouterEmulator

TARGET_IDS = [f"{f}-{METHODS[f][m]}" for f in FRAMEWORKS for m in MODES]


@pytest.fixture(params=[(f, m) for f in FRAMEWORKS for m in MODES], ids=TARGET_IDS)
def target(request: pytest.FixtureRequest, openrouter_emulator: OpenRouterEmulator) -> Target:
    """Each framework, called each way (8 targets)."""
    framework, mode = request.param
    return Target(framework, mode, openrouter_emulator)


@pytest.fixture(params=FRAMEWORKS)
def framework_target(
    request: pytest.FixtureRequest, openrouter_emulator: OpenRouterEmulator
) -> Target:
    """Each framework, called plainly and synchronously (for rows that do not depend on mode)."""
    return Target(request.param, "call", openrouter_emulator)


@pytest.fixture(autouse=True)
async def _close_async_pools() -> AsyncIterator[None]:
    """Close the connection pools of the test's event loop before the loop closes."""
    yield
    from openrouter_core.client import aclose_clients

    await aclose_clients()
