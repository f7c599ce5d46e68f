"""Fixtures of the usage-ledger tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from usage_helpers import make_config

from openrouter_core import accounting
from openrouter_core.client import ClientConfig
from openrouter_core.testing import OpenRouterEmulator


@pytest.fixture
def config(openrouter_emulator: OpenRouterEmulator) -> ClientConfig:
    return make_config(openrouter_emulator)


@pytest.fixture(autouse=True)
def _no_price_source() -> Iterator[None]:
    """Each test starts without a process-wide price source and leaves none behind."""
    previous = accounting.set_price_source(None)
    yield
    accounting.set_price_source(previous)
