"""Key info (GET /key) and generation lookups (GET /generation) against the emulator."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openrouter_core import transport
from openrouter_core.account import (
    Generation,
    KeyInfo,
    OpenRouterAccount,
    generation,
    key_info,
    parse_generation,
    parse_key_info,
)
from openrouter_core.client import ClientConfig, get_client
from openrouter_core.errors import (
    AuthenticationError,
    MissingAPIKeyError,
    ModelNotFoundError,
    ProviderError,
)
from openrouter_core.testing import OpenRouterEmulator

KEY = "sk-or-v1-account-test-key-0123456789"


def _chat(emu: OpenRouterEmulator) -> dict:
    client = get_client(
        ClientConfig.build(api_key=KEY, base_url=emu.base_url, timeout=10, max_retries=0)
    )
    body = {
        "model": "anthropic/claude-haiku-4.5",
        "messages": [{"role": "user", "content": "Name three rivers."}],
        "usage": {"include": True},
    }
    return transport.complete(client, body)


@pytest.fixture
def emu():
    with OpenRouterEmulator(credit_limit=Decimal(10)) as server:
        yield server


@pytest.fixture
def account(emu) -> OpenRouterAccount:
    return OpenRouterAccount(api_key=KEY, base_url=emu.base_url, max_retries=0)


def test_key_info_reports_limit_usage_and_remaining(emu, account) -> None:
    _chat(emu)
    _chat(emu)
    spent = emu.total_cost
    assert spent > 0
    info = account.key_info()
    assert isinstance(info, KeyInfo)
    assert info.limit == Decimal(10)
    assert info.usage == spent
    assert info.usage_daily == spent
    assert info.limit_remaining == Decimal(10) - spent
    assert not info.unlimited
    assert info.is_free_tier is False
    assert info.is_management_key is False
    assert info.rate_limit is not None
    assert info.rate_limit.interval == "10s"
    request = emu.last_request
    assert request.path.endswith("/key")
    assert request.header("authorization") == f"Bearer {KEY}"


def test_key_info_of_an_unlimited_key(openrouter_emulator, monkeypatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    monkeypatch.setenv("OPENROUTER_BASE_URL", openrouter_emulator.base_url)
    info = key_info(max_retries=0)
    assert info.unlimited
    assert info.limit_remaining is None
    assert info.usage == 0


def test_generation_has_native_counts_and_exact_cost(emu, account) -> None:
    body = _chat(emu)
    gen_id = body["id"]
    result = account.generation(gen_id)
    stored = emu.generation(gen_id)
    charge = emu.charges[-1]
    assert isinstance(result, Generation)
    assert result.id == gen_id
    assert result.total_cost == charge.cost
    assert result.provider_name == charge.provider == body["provider"]
    assert result.model == "anthropic/claude-haiku-4.5"
    assert result.native_tokens_prompt == body["usage"]["prompt_tokens"]
    assert result.native_tokens_completion == body["usage"]["completion_tokens"]
    assert result.latency == stored["latency"]
    assert result.generation_time == stored["generation_time"]
    assert result.streamed is False
    assert result.api_type == stored["api_type"] == "completions"
    usage = result.to_usage()
    assert usage.cost == charge.cost
    assert usage.input_tokens == body["usage"]["prompt_tokens"]
    assert usage.generation_id == gen_id
    assert emu.last_request.query == {"id": gen_id}


def test_generation_module_function(emu) -> None:
    gen_id = _chat(emu)["id"]
    result = generation(gen_id, api_key=KEY, base_url=emu.base_url, max_retries=0)
    assert result.total_cost == emu.charges[-1].cost


async def test_async_forms(emu, account, async_pool) -> None:
    gen_id = _chat(emu)["id"]
    info = await account.akey_info()
    assert info.usage == emu.total_cost
    result = await account.ageneration(gen_id)
    assert result.id == gen_id


def test_unknown_generation_is_a_typed_404(emu, account) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        account.generation("gen-0-doesnotexist")
    assert info.value.status_code == 404


def test_bad_input_fails_before_any_request(emu, account) -> None:
    with pytest.raises(ValueError, match="generation_id"):
        account.generation("  ")
    assert emu.requests == []


def test_missing_key_fails_before_any_request(emu) -> None:
    account = OpenRouterAccount(base_url=emu.base_url)
    assert "OpenRouterAccount(base_url=" in repr(account)
    with pytest.raises(MissingAPIKeyError, match="OPENROUTER_API_KEY"):
        account.key_info()
    assert emu.requests == []


def test_a_rejected_key_is_typed_and_not_echoed() -> None:
    with OpenRouterEmulator(api_keys={"the-right-key"}) as server:
        account = OpenRouterAccount(api_key=KEY, base_url=server.base_url, max_retries=0)
        with pytest.raises(AuthenticationError) as info:
            account.key_info()
    assert KEY not in str(info.value)
    assert KEY not in repr(account)


def test_parsers_tolerate_missing_fields_and_reject_bad_bodies() -> None:
    info = parse_key_info({"data": {"limit": None, "usage": 1.4e-07, "is_provisioning_key": True}})
    assert info.usage == Decimal("1.4E-7")
    assert info.is_management_key is True
    assert info.rate_limit is None
    with pytest.raises(ValueError, match="data"):
        parse_key_info({"error": "nope"})
    older = parse_generation(
        {"data": {"id": "gen-1", "total_cost": 0.0004688775, "native_tokens_reasoning": None}}
    )
    assert older.total_cost == Decimal("0.0004688775")
    assert older.native_tokens_reasoning is None
    assert older.to_usage().input_tokens == 0
    with pytest.raises(ValueError, match="id"):
        parse_generation({"data": {}})


def test_real_2024_generation_record(wire) -> None:
    result = parse_generation(wire.json("rx_cache_generation_3.response.json"))
    assert result.total_cost == Decimal("0.0004688775")
    assert result.cache_discount == Decimal("0.0010926")
    assert result.native_tokens_prompt == 4884
    assert result.tokens_prompt == 4538
    assert result.provider_name == "Anthropic"
    assert result.finish_reason == "end_turn"
    assert result.is_byok is None  # the 2024 shape has no is_byok
    usage = result.to_usage()
    assert (usage.input_tokens, usage.output_tokens) == (4884, 285)
    assert usage.cost == Decimal("0.0004688775")


class ErrorBodyEmulator(OpenRouterEmulator):
    """Answers GET /key with HTTP 200 and an error body, as OpenRouter sometimes does."""

    async def _handle_key(self, request, out) -> None:
        await self._send_json(out, 200, {"error": {"code": 502, "message": "upstream hiccup"}})


def test_an_error_body_in_a_200_is_typed() -> None:
    # It must not parse as an empty KeyInfo.
    with ErrorBodyEmulator() as server:
        account = OpenRouterAccount(api_key=KEY, base_url=server.base_url, max_retries=0)
        with pytest.raises(ProviderError, match="upstream hiccup"):
            account.key_info()
