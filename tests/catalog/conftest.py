"""Fixtures for the catalog, account, CLI and embeddings tests (helpers: catalog_support)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from catalog_support import FIXTURE_MODELS, Clock, Recorder, ScriptedEmulator

from openrouter_core import transport
from openrouter_core.catalog import ModelCatalog
from openrouter_core.testing import OpenRouterEmulator


@pytest.fixture
def emu() -> Iterator[ScriptedEmulator]:
    with ScriptedEmulator(models=copy.deepcopy(FIXTURE_MODELS)) as server:
        yield server


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def make_catalog(cache_dir: Path, clock: Clock) -> Any:
    def factory(server: OpenRouterEmulator, **kwargs: Any) -> ModelCatalog:
        options: dict[str, Any] = {
            "base_url": server.base_url,
            "cache_dir": cache_dir,
            "max_retries": 0,
            "timeout": 10.0,
            "clock": clock,
        }
        options.update(kwargs)
        return ModelCatalog(**options)

    return factory


@pytest.fixture
def catalog(emu: ScriptedEmulator, make_catalog: Any) -> ModelCatalog:
    result: ModelCatalog = make_catalog(emu)
    return result


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    transport.add_observer(rec)
    yield rec
    transport.remove_observer(rec)


@pytest.fixture
async def async_pool() -> Any:
    """Close this event loop's shared async pools after an async test (no unclosed sockets)."""
    yield
    from openrouter_core.client import aclose_clients

    await aclose_clients()
