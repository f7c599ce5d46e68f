"""Key management against the emulator (issue 14): ``OpenRouterAccount`` and the ``/keys`` API.

A key created with a credit limit is refused once it has spent it, with OpenRouter's 403
"Key limit exceeded", raised as ``KeyLimitExceededError`` (and as its LangChain twin from
``ChatOpenRouter``), whichever client spends it: the limit lives on the server.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import openai
import pytest
from langchain_core.exceptions import ModelPermissionDeniedError
from pydantic import SecretStr

from langchain_openrouter import ChatOpenRouter
from llama_index_openrouter import OpenRouter
from openrouter_core.account import ApiKey, OpenRouterAccount
from openrouter_core.errors import (
    AuthenticationError,
    BadRequestError,
    InsufficientCreditsError,
    KeyLimitExceededError,
    PermissionDeniedError,
    error_from_payload,
)
from openrouter_core.testing import OpenRouterEmulator

MODEL = "anthropic/claude-haiku-4.5"


@pytest.fixture
def emu() -> OpenRouterEmulator:
    with OpenRouterEmulator() as server:
        yield server


@pytest.fixture
def admin(emu: OpenRouterEmulator) -> OpenRouterAccount:
    return OpenRouterAccount(api_key="management-key", base_url=emu.base_url, max_retries=0)


def test_create_list_update_disable_delete(admin: OpenRouterAccount) -> None:
    created = admin.create_key(
        "nightly-eval", limit=Decimal("5"), limit_reset="monthly", expires_at="2030-01-01T00:00:00Z"
    )
    assert isinstance(created.key, SecretStr)
    assert created.key.get_secret_value().startswith("sk-or-v1-")
    info = created.info
    assert (info.name, info.limit, info.limit_reset) == ("nightly-eval", Decimal(5), "monthly")
    assert info.limit_remaining == Decimal(5)
    assert info.usage == 0
    assert info.expires_at == "2030-01-01T00:00:00Z"
    assert info.disabled is False
    assert created.key.get_secret_value() not in repr(created)

    assert [k.hash for k in admin.list_keys()] == [info.hash]
    assert admin.get_key(info.hash) == info

    updated = admin.update_key(info.hash, name="renamed", limit=2.5, limit_reset=None)
    assert (updated.name, updated.limit, updated.limit_reset) == ("renamed", Decimal("2.5"), None)
    unlimited = admin.update_key(info.hash, limit=None)
    assert unlimited.limit is None
    assert unlimited.limit_remaining is None

    assert admin.disable_key(info.hash).disabled is True
    assert admin.list_keys() == []
    assert [k.hash for k in admin.list_keys(include_disabled=True)] == [info.hash]

    admin.delete_key(info.hash)
    assert admin.list_keys(include_disabled=True) == []


def test_the_key_limit_is_enforced_across_clients(emu: OpenRouterEmulator) -> None:
    admin = OpenRouterAccount(api_key="management-key", base_url=emu.base_url)
    created = admin.create_key("worker-fleet", limit=Decimal("0.0003"))
    secret = created.key.get_secret_value()
    langchain = ChatOpenRouter(model=MODEL, api_key=secret, base_url=emu.base_url, max_retries=0)
    llama = OpenRouter(model=MODEL, api_key=secret, api_base=emu.base_url, max_retries=0)
    calls = 0
    with pytest.raises(KeyLimitExceededError) as refused:
        for _ in range(50):  # each call costs about $0.0001; the limit holds after a few
            langchain.invoke("Hello there") if calls % 2 else llama.complete("Hello there")
            calls += 1
    assert 1 <= calls < 50
    error = refused.value
    assert error.status_code == 403
    assert error.limit_period == "total"
    assert "Key limit exceeded (total limit)" in error.message
    assert isinstance(error, PermissionDeniedError)
    assert isinstance(error, openai.PermissionDeniedError)
    spent = admin.get_key(created.info.hash)
    assert spent.usage == sum(c.cost for c in emu.charges) >= Decimal("0.0003")
    assert spent.limit_remaining == 0
    # The limit is the key's own: another key still works.
    other = ChatOpenRouter(model=MODEL, api_key="another", base_url=emu.base_url, max_retries=0)
    assert other.invoke("Hello").content


def test_langchain_raises_the_langchain_twin(emu: OpenRouterEmulator) -> None:
    admin = OpenRouterAccount(api_key="management-key", base_url=emu.base_url)
    secret = admin.create_key("job", limit=0).key.get_secret_value()
    llm = ChatOpenRouter(model=MODEL, api_key=secret, base_url=emu.base_url, max_retries=0)
    with pytest.raises(ModelPermissionDeniedError) as refused:
        llm.invoke("Hello")
    assert isinstance(refused.value, KeyLimitExceededError)
    assert refused.value.is_retryable is False  # type: ignore[attr-defined]


def test_a_reset_period_is_named_in_the_error(emu: OpenRouterEmulator) -> None:
    admin = OpenRouterAccount(api_key="management-key", base_url=emu.base_url)
    secret = admin.create_key("daily-job", limit=0, limit_reset="daily").key.get_secret_value()
    llm = ChatOpenRouter(model=MODEL, api_key=secret, base_url=emu.base_url, max_retries=0)
    with pytest.raises(KeyLimitExceededError) as refused:
        llm.invoke("Hello")
    assert refused.value.limit_period == "daily"


def test_a_disabled_or_deleted_key_is_refused(emu: OpenRouterEmulator) -> None:
    admin = OpenRouterAccount(api_key="management-key", base_url=emu.base_url)
    created = admin.create_key("temp")
    llm = ChatOpenRouter(
        model=MODEL, api_key=created.key.get_secret_value(), base_url=emu.base_url, max_retries=0
    )
    assert llm.invoke("Hello").content
    admin.disable_key(created.info.hash)
    with pytest.raises(AuthenticationError):
        llm.invoke("Hello")
    admin.update_key(created.info.hash, disabled=False)
    assert llm.invoke("Hello").content
    admin.delete_key(created.info.hash)
    with pytest.raises(AuthenticationError):
        llm.invoke("Hello")


def test_an_expired_key_is_refused(emu: OpenRouterEmulator) -> None:
    admin = OpenRouterAccount(api_key="management-key", base_url=emu.base_url)
    created = admin.create_key("old", expires_at="2001-01-01T00:00:00Z")
    llm = ChatOpenRouter(
        model=MODEL, api_key=created.key.get_secret_value(), base_url=emu.base_url, max_retries=0
    )
    with pytest.raises(AuthenticationError):
        llm.invoke("Hello")


def test_the_created_key_reads_its_own_limit(emu: OpenRouterEmulator) -> None:
    admin = OpenRouterAccount(api_key="management-key", base_url=emu.base_url)
    created = admin.create_key("reader", limit=1)
    worker = OpenRouterAccount(api_key=created.key, base_url=emu.base_url)
    info = worker.key_info()
    assert (info.limit, info.limit_remaining, info.usage) == (Decimal(1), Decimal(1), 0)
    # A created key is not a management key.
    with pytest.raises(AuthenticationError):
        worker.list_keys()


def test_bad_arguments(admin: OpenRouterAccount, emu: OpenRouterEmulator) -> None:
    with pytest.raises(ValueError, match="name"):
        admin.create_key(" ")
    with pytest.raises(ValueError, match="limit"):
        admin.create_key("x", limit=-1)
    with pytest.raises(ValueError, match="key hash"):
        admin.get_key("../key")
    with pytest.raises(BadRequestError, match="limit_reset"):
        admin.create_key("x", limit_reset="hourly")  # type: ignore[arg-type]
    with pytest.raises(BadRequestError, match="expires_at"):
        admin.create_key("x", expires_at="tomorrow")
    assert emu.errors == []


def test_concurrent_workers_share_one_limit(emu: OpenRouterEmulator) -> None:
    admin = OpenRouterAccount(api_key="management-key", base_url=emu.base_url)
    created = admin.create_key("fleet", limit=Decimal("0.0005"))
    secret = created.key.get_secret_value()
    refused: list[BaseException] = []

    def worker() -> None:
        llm = ChatOpenRouter(model=MODEL, api_key=secret, base_url=emu.base_url, max_retries=0)
        try:
            for _ in range(40):
                llm.invoke("Hello")
        except KeyLimitExceededError as exc:
            refused.append(exc)

    with ThreadPoolExecutor(4) as pool:
        for future in [pool.submit(worker) for _ in range(4)]:
            future.result(timeout=120)  # a worker's unexpected error fails the test here
    assert len(refused) == 4  # every worker was stopped by the one limit
    spent = sum(c.cost for c in emu.charges)
    # Calls already admitted may finish past the limit (as on OpenRouter), by at most one each.
    assert Decimal("0.0005") <= spent < Decimal("0.0005") + 4 * max(c.cost for c in emu.charges)


@pytest.mark.parametrize(
    ("status", "message", "period"),
    [
        (403, "Key limit exceeded (monthly limit). Manage it using https://x", "monthly"),
        (403, "Key limit exceeded", None),
        (402, "Key limit exceeded (total limit).", "total"),
    ],
)
def test_the_real_key_limit_bodies_are_typed(status: int, message: str, period: str) -> None:
    error = error_from_payload({"code": status, "message": message})
    assert type(error) is KeyLimitExceededError
    assert error.limit_period == period
    other = error_from_payload({"code": 402, "message": "This request requires more credits"})
    assert type(other) is InsufficientCreditsError


def test_key_objects_parse_the_openapi_example() -> None:
    from openrouter_core.account import parse_api_key

    example = {
        "byok_usage": 17.38,
        "created_at": "2025-08-24T10:30:00Z",
        "disabled": False,
        "expires_at": "2027-12-31T23:59:59Z",
        "hash": "f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943",
        "include_byok_in_limit": False,
        "label": "sk-or-v1-0e6...1c96",
        "limit": 100,
        "limit_remaining": 74.5,
        "limit_reset": "monthly",
        "name": "My Production Key",
        "updated_at": "2025-08-24T15:45:00Z",
        "usage": 25.5,
        "usage_daily": 25.5,
        "usage_monthly": 25.5,
        "usage_weekly": 25.5,
        "workspace_id": "0df9e665-d932-5740-b2c7-b52af166bc11",
    }
    key = parse_api_key(example)
    assert isinstance(key, ApiKey)
    assert (key.limit, key.limit_remaining, key.usage) == (100, Decimal("74.5"), Decimal("25.5"))
    assert key.byok_usage == Decimal("17.38")
    with pytest.raises(ValueError, match="hash"):
        parse_api_key({"name": "no hash"})
