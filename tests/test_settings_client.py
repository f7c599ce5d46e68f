from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest
from pydantic import SecretStr

from openrouter_core.client import ClientConfig, aclose_clients, get_async_client, get_client
from openrouter_core.errors import MissingAPIKeyError
from openrouter_core.settings import (
    DEFAULT_BASE_URL,
    build_headers,
    require_api_key,
    resolve_api_key,
    resolve_base_url,
)


def test_key_from_argument_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_api_key(None) is None
    monkeypatch.setenv("OPENROUTER_API_KEY", "env-key")
    assert resolve_api_key(None).get_secret_value() == "env-key"
    assert resolve_api_key("arg-key").get_secret_value() == "arg-key"
    assert resolve_api_key(SecretStr("s")).get_secret_value() == "s"
    assert "env-key" not in repr(resolve_api_key(None))


def test_missing_key_names_the_variable() -> None:
    with pytest.raises(MissingAPIKeyError, match="OPENROUTER_API_KEY") as info:
        require_api_key(None, model="a/b")
    assert isinstance(info.value, ValueError)
    with pytest.raises(MissingAPIKeyError):
        ClientConfig.build(api_key=None, base_url=None, timeout=None, max_retries=2)


def test_base_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_base_url(None) == DEFAULT_BASE_URL
    monkeypatch.setenv("OPENROUTER_BASE_URL", "http://127.0.0.1:9/api/v1/")
    assert resolve_base_url(None) == "http://127.0.0.1:9/api/v1"
    assert resolve_base_url("http://x/api/v1") == "http://x/api/v1"
    monkeypatch.delenv("OPENROUTER_BASE_URL")
    monkeypatch.setenv("OPENROUTER_API_BASE", "http://legacy/api/v1")
    assert (
        resolve_base_url(None, env=("OPENROUTER_BASE_URL", "OPENROUTER_API_BASE"))
        == "http://legacy/api/v1"
    )


def test_attribution_headers_merge_case_insensitively_user_wins() -> None:
    assert build_headers(app_url="https://a.example", app_title="App") == {
        "HTTP-Referer": "https://a.example",
        "X-Title": "App",
        "X-OpenRouter-Title": "App",
    }
    merged = build_headers(
        app_url="https://a.example",
        app_title="App",
        default_headers={"http-referer": "https://mine.example", "X-Custom": "1"},
    )
    assert merged == {
        "http-referer": "https://mine.example",
        "X-Title": "App",
        "X-OpenRouter-Title": "App",
        "X-Custom": "1",
    }
    assert build_headers() == {}


def test_a_user_title_under_either_name_renames_the_app_under_both() -> None:
    for name in ("x-title", "X-OpenRouter-Title"):
        merged = build_headers(app_title="App", default_headers={name: "Mine"})
        assert {k.lower(): v for k, v in merged.items()} == {
            "x-title": "Mine",
            "x-openrouter-title": "Mine",
        }


def _config(**overrides: object) -> ClientConfig:
    kwargs: dict = {
        "api_key": "k",
        "base_url": "http://127.0.0.1:1/api/v1",
        "timeout": 5.0,
        "max_retries": 0,
    }
    kwargs.update(overrides)
    return ClientConfig.build(**kwargs)


def test_clients_are_shared_per_configuration_and_pool_per_base_url() -> None:
    a, b = get_client(_config()), get_client(_config())
    assert a is b
    other = get_client(_config(timeout=9.0, headers={"X-Title": "t"}))
    assert other is not a
    assert other._client is a._client  # one connection pool per base URL
    assert a.max_retries == 0
    assert a.timeout == 5.0
    assert other.default_headers["X-Title"] == "t"


def test_config_repr_hides_the_key() -> None:
    assert "secret-value" not in repr(_config(api_key="secret-value"))


def test_second_lookup_is_cheap() -> None:
    # What keeps the lookup cheap is that it builds nothing: every equal configuration, each a
    # new object, gets the one client (and so the one pool) back.
    first = get_client(_config())
    assert all(get_client(_config()) is first for _ in range(1000))


async def test_async_clients_are_per_event_loop() -> None:
    config = _config()
    first = get_async_client(config)
    assert get_async_client(config) is first
    await aclose_clients()
    assert get_async_client(config) is not first
    await aclose_clients()

    def other_loop() -> object:
        async def inner() -> object:
            client = get_async_client(config)
            await aclose_clients()
            return client

        return asyncio.run(inner())

    assert await asyncio.to_thread(other_loop) is not first


_IMPORT_EVERY_CORE_MODULE = """
import importlib, json, pkgutil, sys
import openrouter_core

def failed(name):
    raise ImportError(f"cannot import {name}")

imported = []
for info in pkgutil.walk_packages(
    openrouter_core.__path__, "openrouter_core.", onerror=failed
):
    if info.name.rsplit(".", 1)[-1] == "__main__":
        continue  # runs the CLI
    importlib.import_module(info.name)
    imported.append(info.name)
frameworks = ("langchain_core", "langchain", "llama_index", "langchain_openrouter",
              "llama_index_openrouter")
bad = sorted(m for m in sys.modules if m.split(".")[0] in frameworks)
print(json.dumps({"imported": imported, "frameworks": bad}))
"""


def test_core_never_imports_a_framework() -> None:
    # Every submodule, found by walking the package, so a module added later is covered too.
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_EVERY_CORE_MODULE],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout)
    assert result["frameworks"] == []
    imported = set(result["imported"])
    expected = {"openrouter_core.catalog", "openrouter_core.cli", "openrouter_core.testing"}
    assert expected <= imported
    assert any(name.startswith("openrouter_core.testing.") for name in imported)


def test_importing_the_core_does_not_import_the_openai_sdk() -> None:
    # The SDK takes over half a second to import; it is loaded at the first request instead.
    code = (
        "import sys, openrouter_core, openrouter_core.settings, openrouter_core.options, "
        "openrouter_core.usage, openrouter_core.streaming, openrouter_core.request, "
        "openrouter_core.response, openrouter_core.parts, openrouter_core.tools, "
        "openrouter_core.tokens, openrouter_core.gateway, openrouter_core.observers\n"
        "print('openai' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    import openrouter_core

    assert openrouter_core.RateLimitError.__name__ == "RateLimitError"
    assert openrouter_core.settings.MissingAPIKeyError is MissingAPIKeyError


def test_requests_say_they_come_from_the_openai_sdk_and_this_package() -> None:
    from openrouter_core import __version__
    from openrouter_core.testing import OpenRouterEmulator

    with OpenRouterEmulator() as emu:
        client = get_client(_config(base_url=emu.base_url))
        client.chat.completions.create(
            model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
        )
        agent = emu.last_request.header("user-agent") or ""
    assert agent.startswith("OpenAI/Python ")
    assert agent.endswith(f" openrouter-frameworks/{__version__}")


def test_each_request_goes_to_the_clients_current_base_url_and_path() -> None:
    # The clients join a path to the base URL once and reuse it: a changed base URL, another
    # path and a query must still reach the right place.
    from openrouter_core.testing import OpenRouterEmulator

    hi = [{"role": "user", "content": "Hi"}]
    with OpenRouterEmulator() as first, OpenRouterEmulator() as second:
        client = get_client(_config(base_url=first.base_url))
        ids = [
            client.chat.completions.create(model="openai/gpt-4o-mini", messages=hi).id  # type: ignore[arg-type]
            for _ in range(2)
        ]
        client.embeddings.create(model="openai/text-embedding-3-small", input="Hi")
        for gen_id in ids:
            client.get(f"/generation?id={gen_id}", cast_to=bytes)
        assert [(r.path, r.query) for r in first.requests] == [
            ("/api/v1/chat/completions", {}),
            ("/api/v1/chat/completions", {}),
            ("/api/v1/embeddings", {}),
            ("/api/v1/generation", {"id": ids[0]}),
            ("/api/v1/generation", {"id": ids[1]}),
        ]
        client.base_url = second.base_url
        client.chat.completions.create(model="openai/gpt-4o-mini", messages=hi)  # type: ignore[arg-type]
        assert len(first.requests) == 5
        assert [r.path for r in second.requests] == ["/api/v1/chat/completions"]
