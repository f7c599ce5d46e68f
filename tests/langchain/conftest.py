"""Fixtures for the LangChain tests: a model factory on the emulator, and cassette replay.

Cassettes (``cassettes/langchain/``) are replayed by pytest-recording with no emulator, no key
and no network. ``OPENROUTER_CASSETTE_TARGET`` chooses where a recording run
(``--record-mode=rewrite``; see ``make record`` and ``make record-live``) sends its requests:

- unset: replay only; the model points at a closed loopback port, so nothing can leave.
- ``emulator``: a local emulator is started for the session and recorded.
- ``live``: the real OpenRouter API, with the key in ``OPENROUTER_API_KEY``.

Matching uses method, path and the JSON body (host and port are ignored, so a cassette recorded
from the emulator's random port replays anywhere). The ``authorization`` header is replaced by
a redaction marker; ``x-stainless-*`` and cookie headers are dropped.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from langchain_openrouter import ChatOpenRouter
from openrouter_core.testing import OpenRouterEmulator

ROOT = Path(__file__).resolve().parents[2]
CASSETTE_DIR = ROOT / "cassettes" / "langchain"
REDACTED = "REDACTED"
TARGET_ENV = "OPENROUTER_CASSETTE_TARGET"
_TARGET = os.environ.get(TARGET_ENV, "")
# Read before tests/conftest.py clears OPENROUTER_* for every non-live test.
_LIVE_KEY = os.environ.get("OPENROUTER_API_KEY", "")
_RECORDED_HOSTS = frozenset({"openrouter.ai", "127.0.0.1", "localhost"})
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_DROPPED_REQUEST_HEADERS = ("cookie",)
_DROPPED_RESPONSE_HEADERS = ("set-cookie",)


class CassetteTarget:
    """Where the cassette-backed tests send requests (see the module docstring)."""

    def __init__(self, base_url: str | None, api_key: str) -> None:
        self.base_url = base_url
        self.api_key = api_key

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"api_key": self.api_key}
        if self.base_url is not None:
            params["base_url"] = self.base_url
        return params


@pytest.fixture(scope="session")
def cassette_target() -> Iterator[CassetteTarget]:
    """Replay target, session emulator or live API, by ``OPENROUTER_CASSETTE_TARGET``."""
    if _TARGET == "emulator":
        with OpenRouterEmulator() as emu:
            yield CassetteTarget(emu.base_url, "emulator-key")
    elif _TARGET == "live":
        if not _LIVE_KEY:
            pytest.exit("recording live cassettes needs OPENROUTER_API_KEY", returncode=2)
        yield CassetteTarget(None, _LIVE_KEY)
    elif _TARGET:
        pytest.exit(f"{TARGET_ENV} must be 'emulator', 'live' or unset, not {_TARGET!r}", 2)
    else:
        # Replay: nothing listens on port 9 of the loopback interface, so a request that is not
        # in a cassette fails instead of reaching anything.
        yield CassetteTarget("http://127.0.0.1:9/api/v1", "replay-key")


def _normalized_body(request: Any) -> Any:
    raw = request.body
    if not raw:
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    # LangChain generates uuid4 tool-call ids in few-shot examples; they differ on every run.
    text = _UUID.sub("<uuid>", text)
    try:
        return json.loads(text)
    except ValueError:
        return text


def _json_body_matcher(r1: Any, r2: Any) -> None:
    if _normalized_body(r1) != _normalized_body(r2):
        raise AssertionError("request bodies differ")


def _before_record_request(request: Any) -> Any:
    if urlsplit(request.uri).hostname not in _RECORDED_HOSTS:
        return None  # e.g. a test downloading an image: not an OpenRouter exchange, not kept
    for name in list(request.headers):
        lower = name.lower()
        if lower.startswith("x-stainless-") or lower in _DROPPED_REQUEST_HEADERS:
            del request.headers[name]
    return request


def _before_record_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers") or {}
    for name in list(headers):
        if name.lower() in _DROPPED_RESPONSE_HEADERS:
            del headers[name]
    return response


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    vcr.register_matcher("openrouter_body", _json_body_matcher)


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    # No record_mode here: it would override --record-mode and let a missing cassette reach
    # the network. The default ("none") replays only.
    return {
        "match_on": ["method", "path", "openrouter_body"],
        "filter_headers": [("authorization", REDACTED)],
        "before_record_request": _before_record_request,
        "before_record_response": _before_record_response,
        "decode_compressed_response": True,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTE_DIR)


@pytest.fixture(autouse=True)
async def _close_async_pools() -> AsyncIterator[None]:
    """Close the asynchronous connection pools of the test's event loop before it closes."""
    yield
    from openrouter_core.client import aclose_clients

    await aclose_clients()


@pytest.fixture
def make_model(openrouter_emulator: OpenRouterEmulator) -> Callable[..., ChatOpenRouter]:
    """Build a ``ChatOpenRouter`` talking to the test's emulator (one attempt, no retries)."""

    def make(**kwargs: Any) -> ChatOpenRouter:
        params: dict[str, Any] = {
            "model": "anthropic/claude-haiku-4.5",
            "api_key": "test-key",
            "base_url": openrouter_emulator.base_url,
            "max_retries": 0,
        }
        params.update(kwargs)
        return ChatOpenRouter(**params)

    return make


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The standard ``test_stream_time`` benchmark replays its one recorded stream many times."""
    for item in items:
        named = getattr(item, "originalname", None) == "test_stream_time"
        if named and item.get_closest_marker("vcr") is not None:
            item.add_marker(pytest.mark.vcr(allow_playback_repeats=True))
