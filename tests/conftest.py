"""Shared test configuration.

- Live tests (``@pytest.mark.live``) run only when ``OPENROUTER_API_KEY`` is set; every other
  test runs with the OpenRouter environment variables cleared, so a developer's own key or
  base URL can never leak into a replay or reach the network.
- The real recordings in ``../shared/openrouter-wire`` are read in place; tests that need them
  skip cleanly where that folder is absent (a user's clone has no ``../shared``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
WIRE_DIR = ROOT.parent / "shared" / "openrouter-wire"
_ENV_VARS = ("OPENROUTER_API_KEY", "OPENROUTER_BASE_URL", "OPENROUTER_API_BASE")
_LIVE_KEY = os.environ.get("OPENROUTER_API_KEY")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_live = pytest.mark.skip(reason="live test: set OPENROUTER_API_KEY to run it")
    for item in items:
        if "live" in item.keywords and not _LIVE_KEY:
            item.add_marker(skip_live)


@pytest.fixture(autouse=True)
def _isolated_environment(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if "live" in request.keywords:
        return
    for name in _ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _isolated_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    """Point the model catalog's disk cache at a fresh temporary directory in every test.

    Nothing a test does (the catalog, ``default_catalog()``, the CLI, README examples) may read
    or write the real user cache directory.
    """
    cache = tmp_path_factory.mktemp("openrouter-cache")
    monkeypatch.setenv("OPENROUTER_CACHE_DIR", str(cache))
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache / "xdg"))
    # Framework classes load the catalog in the background at their first request; in tests
    # that extra GET /models would land in the emulator's request log at an arbitrary moment.
    # Tests of that behaviour turn it back on.
    monkeypatch.setenv("OPENROUTER_CATALOG_PREFETCH", "0")


@pytest.fixture(scope="session", autouse=True)
def _close_shared_clients() -> Iterator[None]:
    """Close the process-wide connection pools once the session ends (no unclosed sockets)."""
    yield
    from openrouter_core.client import close_clients

    close_clients()


class Wire:
    """Read-only access to the real OpenRouter recordings."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        path = self.root / name
        if not path.exists():
            pytest.skip(f"recording {name} is not in {self.root}")
        return path

    def text(self, name: str) -> str:
        return self.path(name).read_text(encoding="utf-8")

    def bytes(self, name: str) -> bytes:
        return self.path(name).read_bytes()

    def json(self, name: str) -> Any:
        return json.loads(self.text(name))

    def names(self, suffix: str) -> list[str]:
        return sorted(p.name for p in self.root.glob(f"*{suffix}"))


@pytest.fixture(scope="session")
def wire() -> Wire:
    """The recordings folder, or a skip when it is absent."""
    if not WIRE_DIR.is_dir():
        pytest.skip("../shared/openrouter-wire is absent (recordings are not part of the project)")
    return Wire(WIRE_DIR)
