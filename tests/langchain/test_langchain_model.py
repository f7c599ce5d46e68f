"""``ChatOpenRouter`` construction: the drop-in constructor, secrets, serialisation, checks."""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.load import dumpd, dumps, load, loads
from langchain_core.messages import HumanMessage
from pydantic import SecretStr

from langchain_openrouter import ChatOpenRouter
from openrouter_core import tokens
from openrouter_core.options import ProviderPreferences, ReasoningConfig
from openrouter_core.testing import OpenRouterEmulator

MODEL = "anthropic/claude-haiku-4.5"
KEY = "sk-or-v1-" + "0123456789abcdef" * 4

Make = Callable[..., ChatOpenRouter]

# Field names of ChatOpenRouter in the langchain-openrouter package (0.2.9), the class this one
# replaces; objects serialised by either package carry these names as kwargs.
REFERENCE_FIELDS = {
    "openrouter_api_key",
    "openrouter_api_base",
    "app_url",
    "app_title",
    "app_categories",
    "request_timeout",
    "max_retries",
    "model_name",
    "temperature",
    "max_tokens",
    "max_completion_tokens",
    "top_p",
    "frequency_penalty",
    "presence_penalty",
    "seed",
    "stop",
    "n",
    "streaming",
    "stream_usage",
    "model_kwargs",
    "reasoning",
    "openrouter_provider",
    "route",
    "plugins",
    "default_headers",
    "session_id",
    "trace",
}


# ----------------------------------------------------------------------------- constructor


def test_field_names_and_aliases_of_the_existing_package() -> None:
    by_alias = ChatOpenRouter(
        model=MODEL,
        api_key="k1",
        base_url="http://127.0.0.1:1/api/v1",
        timeout=12.5,
        stop_sequences=["END"],
        provider={"order": ["anthropic"]},
    )
    by_name = ChatOpenRouter(
        model_name=MODEL,
        openrouter_api_key="k1",
        openrouter_api_base="http://127.0.0.1:1/api/v1",
        request_timeout=12.5,
        stop=["END"],
        openrouter_provider={"order": ["anthropic"]},
    )
    for llm in (by_alias, by_name):
        assert llm.model_name == MODEL
        assert llm.openrouter_api_key == SecretStr("k1")
        assert llm.openrouter_api_base == "http://127.0.0.1:1/api/v1"
        assert llm.request_timeout == 12.5
        assert llm.stop == ["END"]
        assert llm.openrouter_provider == {"order": ["anthropic"]}
    assert set(ChatOpenRouter.model_fields) >= REFERENCE_FIELDS


def test_defaults() -> None:
    llm = ChatOpenRouter(model=MODEL)
    assert (llm.max_retries, llm.n, llm.streaming, llm.stream_usage) == (2, 1, False, True)
    assert llm._llm_type == "openrouter-chat"


def test_api_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "from-env")
    assert ChatOpenRouter(model=MODEL).openrouter_api_key == SecretStr("from-env")


def test_construction_is_offline_and_needs_no_key(openrouter_emulator: OpenRouterEmulator) -> None:
    ChatOpenRouter(model=MODEL, base_url=openrouter_emulator.base_url)
    assert openrouter_emulator.requests == []


def test_missing_key_fails_before_any_request(openrouter_emulator: OpenRouterEmulator) -> None:
    from langchain_core.exceptions import ModelAuthenticationError

    from openrouter_core.errors import MissingAPIKeyError

    llm = ChatOpenRouter(model=MODEL, base_url=openrouter_emulator.base_url)
    with pytest.raises(MissingAPIKeyError, match="OPENROUTER_API_KEY") as info:
        llm.invoke("hi")
    assert isinstance(info.value, ModelAuthenticationError)
    assert isinstance(info.value, ValueError)
    assert openrouter_emulator.requests == []


def test_unknown_arguments_go_to_model_kwargs_with_a_warning(
    make_model: Make, openrouter_emulator: OpenRouterEmulator
) -> None:
    with pytest.warns(UserWarning, match="logit_bias"):
        llm = make_model(logit_bias={"50256": -100})
    assert llm.model_kwargs == {"logit_bias": {"50256": -100}}
    llm.invoke("hi")
    assert openrouter_emulator.last_request.body["logit_bias"] == {"50256": -100}


@pytest.mark.parametrize(
    ("key", "field", "value"),
    [
        ("models", "models", ["openai/gpt-4o-mini"]),
        ("provider", "openrouter_provider", {"order": ["anthropic"]}),
        ("openrouter_provider", "openrouter_provider", {"sort": "price"}),
        ("transforms", "transforms", ["middle-out"]),
        ("route", "route", "fallback"),
        ("plugins", "plugins", [{"id": "web"}]),
        ("reasoning", "reasoning", {"effort": "low"}),
        ("session_id", "session_id", "s-1"),
        ("temperature", "temperature", 0.5),
    ],
)
def test_model_kwargs_naming_a_field_move_into_it_with_a_warning(
    make_model: Make, openrouter_emulator: OpenRouterEmulator, key: str, field: str, value: Any
) -> None:
    with pytest.warns(UserWarning, match=rf"model_kwargs\[{key!r}\] is a ChatOpenRouter field"):
        llm = make_model(model_kwargs={key: value, "logit_bias": {"1": 1}})
    assert getattr(llm, field) == value
    assert llm.model_kwargs == {"logit_bias": {"1": 1}}
    llm.invoke("hi")
    body = openrouter_emulator.last_request.body
    sent_as = "provider" if field == "openrouter_provider" else field
    assert body[sent_as] == value
    assert body["logit_bias"] == {"1": 1}


def test_an_argument_wins_over_the_same_key_in_model_kwargs(
    make_model: Make, openrouter_emulator: OpenRouterEmulator
) -> None:
    with pytest.warns(UserWarning, match=r"model_kwargs\['provider'\] is ignored"):
        llm = make_model(
            openrouter_provider={"order": ["anthropic"]},
            model_kwargs={"provider": {"order": ["openai"]}},
        )
    assert llm.openrouter_provider == {"order": ["anthropic"]}
    assert llm.model_kwargs == {}
    with pytest.warns(UserWarning, match=r"model_kwargs\['models'\] is ignored"):
        both = make_model(models=["a/b"], model_kwargs={"models": ["c/d"]})
    assert both.models == ["a/b"]
    both.invoke("hi")
    assert openrouter_emulator.last_request.body["models"] == ["a/b"]


@pytest.mark.parametrize(
    ("kwargs", "ms"), [({"timeout": 30000}, "30"), ({"request_timeout": 1000}, "1")]
)
def test_a_timeout_that_looks_like_milliseconds_warns(kwargs: dict[str, Any], ms: str) -> None:
    with pytest.warns(UserWarning, match=rf"in seconds .* for .* ms pass timeout={ms}$"):
        llm = ChatOpenRouter(model=MODEL, **kwargs)
    assert llm.request_timeout == next(iter(kwargs.values()))  # kept as given, in seconds


def test_an_ordinary_timeout_does_not_warn() -> None:
    # filterwarnings=error: any warning here fails the test
    assert ChatOpenRouter(model=MODEL, timeout=999).request_timeout == 999
    assert ChatOpenRouter(model=MODEL, timeout=0.5).request_timeout == 0.5


def test_typed_options_are_accepted_and_kept_as_plain_data(
    make_model: Make, openrouter_emulator: OpenRouterEmulator
) -> None:
    llm = make_model(
        provider=ProviderPreferences(order=["anthropic"], sort="price"),
        reasoning=ReasoningConfig(effort="low"),
        plugins=[{"id": "web", "max_results": 2}],
    )
    assert llm.openrouter_provider == {"order": ["anthropic"], "sort": "price"}
    assert llm.reasoning == {"effort": "low"}
    llm.invoke("hi")
    body = openrouter_emulator.last_request.body
    assert body["provider"] == {"order": ["anthropic"], "sort": "price"}
    assert body["reasoning"] == {"effort": "low"}
    assert body["plugins"] == [{"id": "web", "max_results": 2}]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"provider": {"sort": "cheapest"}}, "sort"),
        ({"reasoning": {"effort": "high", "max_tokens": 10}}, "effort"),
        ({"session_id": "x" * 300}, "session_id"),
        ({"temperature": 3}, "temperature"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"timeout": 0}, "timeout"),
        ({"n": 2, "streaming": True}, "n must be 1"),
    ],
)
def test_bad_configuration_fails_at_construction(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ChatOpenRouter(model=MODEL, **kwargs)


def test_a_model_id_that_is_not_author_slug_warns() -> None:
    with pytest.warns(UserWarning, match="author/slug"):
        ChatOpenRouter(model="gpt-4o")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ChatOpenRouter(model="openrouter/auto")


def test_init_chat_model_returns_this_class() -> None:
    from langchain.chat_models import init_chat_model

    llm = init_chat_model("openrouter:anthropic/claude-haiku-4.5", temperature=0)
    assert isinstance(llm, ChatOpenRouter)
    assert llm.model_name == MODEL
    assert llm.temperature == 0


def test_langsmith_params() -> None:
    llm = ChatOpenRouter(model=MODEL, temperature=0.5, max_tokens=10, stop="x")
    params = llm._get_ls_params()
    assert params["ls_provider"] == "openrouter"
    assert params["ls_model_name"] == MODEL
    assert params["ls_stop"] == ["x"]
    assert llm._get_ls_params(model="openai/gpt-4o-mini")["ls_model_name"] == "openai/gpt-4o-mini"


# ----------------------------------------------------------------------------- secrets


def test_the_key_never_shows(openrouter_emulator: OpenRouterEmulator) -> None:
    llm = ChatOpenRouter(
        model=MODEL,
        api_key=KEY,
        base_url=openrouter_emulator.base_url,
        default_headers={"X-Custom-Auth": "header-secret"},
    )
    for text in (repr(llm), str(llm), dumps(llm), str(dumpd(llm)), str(llm.asdict())):
        assert KEY not in text
        assert "header-secret" not in text


# langchain-core marks load/loads as beta and warns on every call; the warning is theirs.
_LOAD_IS_BETA = pytest.mark.filterwarnings(
    "ignore::langchain_core._api.beta_decorator.LangChainBetaWarning"
)


@_LOAD_IS_BETA
def test_dumps_and_loads_round_trip_without_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    llm = ChatOpenRouter(
        model=MODEL,
        api_key=KEY,
        temperature=0.2,
        provider={"order": ["anthropic"]},
        models=["openai/gpt-4o-mini"],
        reasoning={"effort": "low"},
    )
    text = dumps(llm)
    assert KEY not in text
    data = dumpd(llm)
    assert data["id"] == ["langchain_openrouter", "chat_models", "ChatOpenRouter"]
    assert data["kwargs"]["openrouter_api_key"] == {
        "lc": 1,
        "type": "secret",
        "id": ["OPENROUTER_API_KEY"],
    }
    restored = loads(
        text,
        valid_namespaces=["langchain_openrouter"],
        allowed_objects="all",
        secrets_map={"OPENROUTER_API_KEY": "other-key"},
    )
    assert isinstance(restored, ChatOpenRouter)
    assert restored.openrouter_api_key == SecretStr("other-key")
    assert restored.asdict() == llm.asdict()


@_LOAD_IS_BETA
def test_objects_serialised_by_the_existing_package_load() -> None:
    # What langchain-openrouter 0.2.9 writes for ChatOpenRouter(model=..., temperature=0,
    # openrouter_provider=..., reasoning=...) (its app_url/app_title defaults included).
    serialised = {
        "lc": 1,
        "type": "constructor",
        "id": ["langchain_openrouter", "chat_models", "ChatOpenRouter"],
        "kwargs": {
            "model_name": MODEL,
            "openrouter_api_key": {"lc": 1, "type": "secret", "id": ["OPENROUTER_API_KEY"]},
            "app_url": "https://docs.langchain.com",
            "app_title": "LangChain",
            "max_retries": 2,
            "temperature": 0.0,
            "n": 1,
            "stream_usage": True,
            "openrouter_provider": {"order": ["Anthropic"]},
            "reasoning": {"effort": "high", "summary": "auto"},
        },
        "name": "ChatOpenRouter",
    }
    llm = load(
        serialised,
        valid_namespaces=["langchain_openrouter"],
        allowed_objects="all",
        secrets_map={"OPENROUTER_API_KEY": "k"},
    )
    assert isinstance(llm, ChatOpenRouter)
    assert llm.openrouter_provider == {"order": ["Anthropic"]}
    assert llm.app_title == "LangChain"


@_LOAD_IS_BETA
@pytest.mark.parametrize(
    ("model_kwargs", "field", "value"),
    [
        ({"provider": {"order": ["A"]}}, "openrouter_provider", {"order": ["A"]}),
        ({"models": ["openai/gpt-4o-mini"]}, "models", ["openai/gpt-4o-mini"]),
        ({"transforms": ["middle-out"]}, "transforms", ["middle-out"]),
    ],
)
def test_existing_package_objects_with_options_in_model_kwargs_load(
    model_kwargs: dict[str, Any], field: str, value: Any
) -> None:
    # The existing package has no models/transforms fields and no provider alias: such
    # options travel in its model_kwargs, and that is how its objects are serialised.
    serialised = {
        "lc": 1,
        "type": "constructor",
        "id": ["langchain_openrouter", "chat_models", "ChatOpenRouter"],
        "kwargs": {
            "model_name": MODEL,
            "openrouter_api_key": {"lc": 1, "type": "secret", "id": ["OPENROUTER_API_KEY"]},
            "model_kwargs": {**model_kwargs, "logit_bias": {"1": 1}},
        },
        "name": "ChatOpenRouter",
    }
    with pytest.warns(UserWarning, match="is a ChatOpenRouter field"):
        llm = load(
            serialised,
            valid_namespaces=["langchain_openrouter"],
            allowed_objects="all",
            secrets_map={"OPENROUTER_API_KEY": "k"},
        )
    assert isinstance(llm, ChatOpenRouter)
    assert getattr(llm, field) == value
    assert llm.model_kwargs == {"logit_bias": {"1": 1}}


def test_our_serialised_kwargs_are_fields_of_the_existing_package() -> None:
    llm = ChatOpenRouter(
        model=MODEL,
        api_key=KEY,
        timeout=30,
        temperature=0,
        max_tokens=50,
        provider={"order": ["anthropic"]},
        reasoning={"effort": "low"},
        app_title="demo",
    )
    assert set(dumpd(llm)["kwargs"]) <= REFERENCE_FIELDS


# ----------------------------------------------------------------------------- profile


def test_the_profile_arrives_on_an_instance_built_before_the_catalog(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    from openrouter_core import default_catalog

    base = openrouter_emulator.base_url
    llm = ChatOpenRouter(model=MODEL, base_url=base, api_key="k", max_retries=0)
    assert llm.profile is None  # nothing at hand, and construction fetches nothing
    assert openrouter_emulator.requests == []
    catalog = default_catalog(base)
    catalog.load()  # what the first request starts in the background
    info = catalog.get(MODEL)
    profile = llm.profile  # the same instance
    assert profile is not None
    assert profile["max_input_tokens"] == info.context_length
    assert profile["tool_calling"] is True
    assert llm.profile is profile  # resolved once, then kept
    explicit = ChatOpenRouter(model=MODEL, base_url=base, profile={"max_input_tokens": 7})
    assert explicit.profile == {"max_input_tokens": 7}  # a given profile wins


def test_the_first_request_fills_the_profile_of_the_same_instance(
    openrouter_emulator: OpenRouterEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.setenv("OPENROUTER_CATALOG_PREFETCH", "1")
    llm = ChatOpenRouter(
        model=MODEL, base_url=openrouter_emulator.base_url, api_key="k", max_retries=0
    )
    assert llm.profile is None
    llm.invoke("hello")  # starts loading the catalog in the background
    deadline = time.monotonic() + 10
    while llm.profile is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert llm.profile is not None


def test_an_unreachable_catalog_leaves_the_profile_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_CATALOG_PREFETCH", "1")
    llm = ChatOpenRouter(model=MODEL, base_url="http://127.0.0.1:9/api/v1", api_key="k")
    assert llm.profile is None
    assert llm.profile is None  # asking again neither fails nor blocks


# ----------------------------------------------------------------------------- headers


def test_attribution_and_user_headers_are_sent(
    make_model: Make, openrouter_emulator: OpenRouterEmulator
) -> None:
    llm = make_model(
        app_url="https://example.org",
        app_title="Demo",
        app_categories=["cli-agent", "programming-app"],
        default_headers={"x-title": "Mine", "X-Extra": "1"},
    )
    llm.invoke("hi")
    request = openrouter_emulator.last_request
    assert request.header("HTTP-Referer") == "https://example.org"
    assert request.header("X-Title") == "Mine"  # the user's header wins, sent once
    assert request.header("X-OpenRouter-Title") == "Mine"  # and under the current name too
    assert request.header("X-OpenRouter-Categories") == "cli-agent,programming-app"
    assert request.header("X-Extra") == "1"
    assert request.header("Authorization") == "Bearer test-key"


def test_base_url_from_the_environment(
    openrouter_emulator: OpenRouterEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENROUTER_BASE_URL", openrouter_emulator.base_url)
    monkeypatch.setenv("OPENROUTER_API_KEY", "env-key")
    ChatOpenRouter(model=MODEL, max_retries=0).invoke("hi")
    assert openrouter_emulator.last_request.header("Authorization") == "Bearer env-key"


# ----------------------------------------------------------------------------- import time


def test_importing_the_package_does_not_import_the_openai_sdk() -> None:
    code = (
        "import sys, langchain_openrouter; "
        "from langchain_openrouter import ChatOpenRouter; "
        "ChatOpenRouter(model='openai/gpt-4o-mini'); "
        "print('openai' in sys.modules, 'tiktoken' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]


# ----------------------------------------------------------------------------- token counting


@pytest.fixture
def no_cached_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    tokens._tiktoken_encoding.cache_clear()
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")
    yield
    tokens._tiktoken_encoding.cache_clear()


def test_token_count_without_a_cached_encoding_is_an_offline_estimate(
    no_cached_encoding: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiktoken = pytest.importorskip("tiktoken")

    def download(name: str) -> Any:
        raise AssertionError("tiktoken must not be asked to download an encoding")

    monkeypatch.setattr(tiktoken, "get_encoding", download)
    llm = ChatOpenRouter(model=MODEL)
    messages = [HumanMessage("a" * 40)]
    assert llm.get_num_tokens_from_messages(messages) == 3 + 3 + 1 + 10
    assert llm.get_num_tokens("a" * 40) == 10


def test_token_count_without_tiktoken_never_raises_import_error(
    no_cached_encoding: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tiktoken", None)
    llm = ChatOpenRouter(model=MODEL)
    assert llm.get_num_tokens_from_messages([HumanMessage("hello")]) > 0


def test_token_count_uses_a_cached_tiktoken_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    class Encoding:
        def encode(self, text: str, disallowed_special: Any = ()) -> list[int]:
            return [0] * len(text.split())

    monkeypatch.setattr(tokens, "_tiktoken_encoding", Encoding)
    llm = ChatOpenRouter(model=MODEL)
    assert llm.get_num_tokens("one two three") == 3
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    with_tools = llm.get_num_tokens_from_messages([HumanMessage("one two")], tools=tools)
    assert with_tools > llm.get_num_tokens_from_messages([HumanMessage("one two")])


def test_token_ids_without_transformers_or_tiktoken(
    no_cached_encoding: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)  # import transformers fails
    monkeypatch.setitem(sys.modules, "tiktoken", None)
    llm = ChatOpenRouter(model=MODEL)
    ids = llm.get_token_ids("hello world, again")
    assert len(ids) == 5 == llm.get_num_tokens("hello world, again")  # one per 4 characters
    assert all(isinstance(i, int) for i in ids)
    assert llm.get_token_ids("hello world, again") == ids
    messages = [HumanMessage("a" * 40)]
    assert llm.get_num_tokens_from_messages(messages) == 3 + 3 + 1 + len(
        llm.get_token_ids("a" * 40)
    )
    assert llm.get_token_ids("") == []


def test_token_ids_from_a_cached_tiktoken_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)

    class Encoding:
        def encode(self, text: str, disallowed_special: Any = ()) -> list[int]:
            return [len(word) for word in text.split()]

    monkeypatch.setattr(tokens, "_tiktoken_encoding", Encoding)
    llm = ChatOpenRouter(model=MODEL)
    assert llm.get_token_ids("one three") == [3, 5]
    assert llm.get_num_tokens("one three") == 2


def test_custom_get_token_ids_wins() -> None:
    llm = ChatOpenRouter(model=MODEL, custom_get_token_ids=lambda text: [1] * len(text))
    assert llm.get_token_ids("abc") == [1, 1, 1]
    assert llm.get_num_tokens("abc") == 3
