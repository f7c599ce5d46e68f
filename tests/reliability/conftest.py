"""Fixtures of the reliability suite (the adapter itself is in ``rel_support``)."""

from __future__ import annotations

import collections
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rel_support import FRAMEWORKS, METHODS, MODES, Target

from openrouter_core.testing import OpenRouterEmulator

HERE = Path(__file__).resolve().parent
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


@pytest.fixture
def constructions(monkeypatch: pytest.MonkeyPatch) -> collections.Counter[str]:
    """How many ``openai`` clients and HTTP pools get built during the test, by class name."""
    import openai

    from openrouter_core.client import close_clients

    # Pools are shared per base URL for the whole process, and an emulator may get the port
    # of one that an earlier test closed: start from none, so "built during the test" holds.
    close_clients()

    from openrouter_core import client

    counts: collections.Counter[str] = collections.Counter()
    # The SDK's clients (as subclassed by openrouter_core.client) and the SDK's HTTP pools.
    classes = {
        "OpenAI": (client, "_OpenAI"),
        "AsyncOpenAI": (client, "_AsyncOpenAI"),
        "DefaultHttpxClient": (openai, "DefaultHttpxClient"),
        "DefaultAsyncHttpxClient": (openai, "DefaultAsyncHttpxClient"),
    }
    for name, (module, attribute) in classes.items():
        base = getattr(module, attribute)

        def init(self: Any, *args: Any, _name: str = name, _base: Any = base, **kw: Any) -> None:
            counts[_name] += 1
            _base.__init__(self, *args, **kw)

        monkeypatch.setattr(module, attribute, type(name, (base,), {"__init__": init}))
    return counts


@pytest.fixture
def emulator_process() -> Iterator[Callable[..., str]]:
    """Start an emulator in another process (see ``emulator_process.py``); return its URL."""
    started: list[subprocess.Popen[str]] = []

    def start(**spec: Any) -> str:
        process = subprocess.Popen(
            [sys.executable, str(HERE / "emulator_process.py"), json.dumps(spec)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        assert process.stdout is not None
        return process.stdout.readline().strip()

    yield start
    for process in started:
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.close()
        process.wait(timeout=30)
        process.stdout.close()
