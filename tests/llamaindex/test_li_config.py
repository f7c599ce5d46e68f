"""Construction, configuration, metadata, serialization and the API key."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage, LLMMetadata
from llama_index.core.llms.function_calling import FunctionCallingLLM

from llama_index_openrouter import OpenRouter
from openrouter_core.errors import AuthenticationError, MissingAPIKeyError
from openrouter_core.testing import OpenRouterEmulator

MODEL = "anthropic/claude-haiku-4.5"
KEY = "sk-or-v1-another-secret-key-987654"


def _user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


def test_it_is_a_function_calling_llm_named_openrouter_llm() -> None:
    llm = OpenRouter(model=MODEL)

    assert isinstance(llm, FunctionCallingLLM)
    assert OpenRouter.class_name() == "OpenRouter_LLM"
    assert llm.to_dict()["class_name"] == "OpenRouter_LLM"


def test_construction_needs_no_key_and_makes_no_request(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    OpenRouter(model=MODEL, api_base=openrouter_emulator.base_url)

    assert openrouter_emulator.requests == []


@pytest.mark.parametrize("call", ["chat", "complete", "stream_chat", "stream_complete"])
def test_a_missing_key_raises_at_the_first_call_before_any_request(
    openrouter_emulator: OpenRouterEmulator, call: str
) -> None:
    llm = OpenRouter(model=MODEL, api_base=openrouter_emulator.base_url)

    with pytest.raises(MissingAPIKeyError, match="OPENROUTER_API_KEY"):
        if call == "chat":
            llm.chat(_user("Hi"))
        elif call == "complete":
            llm.complete("Hi")
        elif call == "stream_chat":
            llm.stream_chat(_user("Hi"))
        else:
            llm.stream_complete("Hi")

    assert openrouter_emulator.requests == []


async def test_a_missing_key_raises_at_the_first_async_call(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    llm = OpenRouter(model=MODEL, api_base=openrouter_emulator.base_url)

    with pytest.raises(MissingAPIKeyError, match="OPENROUTER_API_KEY"):
        await llm.achat(_user("Hi"))
    with pytest.raises(MissingAPIKeyError, match="OPENROUTER_API_KEY"):
        await llm.astream_chat(_user("Hi"))

    assert openrouter_emulator.requests == []


@pytest.mark.parametrize("base_url_env", ["OPENROUTER_BASE_URL", "OPENROUTER_API_BASE"])
def test_key_and_base_url_come_from_the_environment(
    openrouter_emulator: OpenRouterEmulator, monkeypatch: pytest.MonkeyPatch, base_url_env: str
) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "env-key")
    monkeypatch.setenv(base_url_env, openrouter_emulator.base_url)

    OpenRouter(model=MODEL).chat(_user("Hi"))

    assert openrouter_emulator.last_request.header("Authorization") == "Bearer env-key"


def test_an_explicit_key_and_base_url_win_over_the_environment(
    openrouter_emulator: OpenRouterEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "env-key")
    monkeypatch.setenv("OPENROUTER_BASE_URL", "http://127.0.0.1:9/api/v1")

    OpenRouter(model=MODEL, api_key=KEY, api_base=openrouter_emulator.base_url).chat(_user("Hi"))

    assert openrouter_emulator.last_request.header("Authorization") == f"Bearer {KEY}"


# ------------------------------------------------------------------------------ the key


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str)


def test_the_key_never_appears_in_repr_or_serialized_forms() -> None:
    llm = OpenRouter(
        model=MODEL,
        api_key=KEY,
        default_headers={"Authorization": f"Bearer {KEY}", "X-Custom": "kept"},
    )

    assert KEY not in repr(llm)
    assert KEY not in str(llm)
    assert KEY not in _dumps(llm.to_dict())
    assert KEY not in llm.to_json()
    assert KEY not in llm.model_dump_json()
    assert KEY not in _dumps(llm.to_payload())
    assert llm.to_dict()["default_headers"] == {"X-Custom": "kept"}


def test_serialization_round_trips_without_the_key(
    openrouter_emulator: OpenRouterEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm = OpenRouter(
        model=MODEL,
        api_key=KEY,
        api_base=openrouter_emulator.base_url,
        provider={"order": ["anthropic"], "max_price": {"prompt": 1}},
        reasoning={"effort": "low"},
        max_tokens=64,
    )

    restored = OpenRouter.from_json(llm.to_json())

    assert restored.api_key is None  # the key is never serialized; it comes from the env again
    assert restored.model == MODEL
    assert restored.max_tokens == 64
    assert restored.provider is not None
    assert restored.provider.order == ["anthropic"]
    monkeypatch.setenv("OPENROUTER_API_KEY", "env-key")
    restored.chat(_user("Hi"))
    assert openrouter_emulator.last_request.body["provider"] == {
        "order": ["anthropic"],
        "max_price": {"prompt": 1},
    }


def test_the_key_is_absent_from_errors(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator, api_key: str
) -> None:
    from openrouter_core.testing import replies

    openrouter_emulator.enqueue(replies.error(401, "Missing Authentication header"))

    with pytest.raises(AuthenticationError) as info:
        make_llm().chat(_user("Hi"))

    assert api_key not in str(info.value)
    assert api_key not in repr(info.value)


# ------------------------------------------------------------------------------ metadata


def test_metadata_defaults() -> None:
    metadata = OpenRouter(model="acme/not-in-any-catalog").metadata

    assert isinstance(metadata, LLMMetadata)
    assert metadata.model_name == "acme/not-in-any-catalog"
    assert metadata.is_chat_model is True
    assert metadata.is_function_calling_model is True
    assert metadata.context_window == 32_768
    assert metadata.num_output == 256


def test_metadata_offline_comes_from_the_shipped_catalog_snapshot() -> None:
    from openrouter_core.catalog.snapshot import bundled_snapshot

    # OpenRouter's own API, nothing cached, no network: the snapshot in the package answers.
    [entry] = [e for e in bundled_snapshot().entries() if e["id"] == MODEL]
    metadata = OpenRouter(model=MODEL).metadata
    assert metadata.context_window == entry["context_length"]
    assert metadata.num_output == entry["top_provider"]["max_completion_tokens"]


def test_metadata_takes_explicit_arguments() -> None:
    metadata = OpenRouter(
        model=MODEL, context_window=200_000, max_tokens=1000, is_function_calling_model=False
    ).metadata

    assert metadata.context_window == 200_000
    assert metadata.num_output == 1000
    assert metadata.is_function_calling_model is False


# The catalog-backed metadata is tested with a real catalog in tests/catalog/.


# ------------------------------------------------------------------------------ import time


def test_importing_the_package_does_not_import_the_openai_sdk() -> None:
    code = (
        "import sys, llama_index_openrouter\n"
        "assert 'openai' not in sys.modules and 'llama_index' not in sys.modules\n"
        "from llama_index_openrouter import OpenRouter\n"
        "llm = OpenRouter(model='openai/gpt-4o-mini', provider={'sort': 'price'})\n"
        "llm.metadata\n"
        "print('openai' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_public_names() -> None:
    import llama_index_openrouter

    assert set(llama_index_openrouter.__all__) == {
        "OpenRouter",
        "OpenRouterEmbedding",
        "OpenRouterUsageEventHandler",
        "RAW_ARGUMENTS_KEY",
        "__version__",
        "attach_usage_handler",
        "detach_usage_handler",
        "get_openrouter_usage_handler",
    }
    for name in llama_index_openrouter.__all__:
        assert getattr(llama_index_openrouter, name) is not None
    assert llama_index_openrouter.RAW_ARGUMENTS_KEY == "__raw_arguments__"
    with pytest.raises(AttributeError):
        _ = llama_index_openrouter.Nope  # type: ignore[attr-defined]


def test_an_unknown_argument_is_an_error_not_ignored() -> None:
    with pytest.raises(TypeError, match=r"max_token.*additional_kwargs"):
        OpenRouter(model=MODEL, max_token=5)  # type: ignore[call-arg]

    assert OpenRouter(model=MODEL, system_prompt="Be brief.").system_prompt == "Be brief."
