"""Fallback detection with the catalog at hand: an alias served under its canonical slug."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from catalog_support import FIXTURE_MODELS, ScriptedEmulator, model

from openrouter_core import default_catalog, track_usage, transport
from openrouter_core.accounting import is_fallback
from openrouter_core.client import ClientConfig, get_client

ALIAS = "meta/chat"  # an alias whose canonical slug shares no name with it
CANONICAL = "meta/llama-3.3-70b-instruct"


@pytest.fixture
def server() -> Iterator[ScriptedEmulator]:
    models = copy.deepcopy(FIXTURE_MODELS)
    models.append(
        model(ALIAS, prompt="0.0000001", completion="0.0000004", context=8000, canonical=CANONICAL)
    )
    with ScriptedEmulator(models=models) as emu:
        yield emu


def _call(emu: ScriptedEmulator, body: dict[str, object]) -> bool:
    config = ClientConfig.build(api_key="k", base_url=emu.base_url, timeout=30.0, max_retries=0)
    with track_usage() as usage:
        transport.complete(
            get_client(config), {"messages": [{"role": "user", "content": "hi"}], **body}
        )
    (record,) = usage.records
    return record.fallback


def test_an_alias_served_as_its_canonical_slug_is_no_fallback(server: ScriptedEmulator) -> None:
    # Without the catalog the names alone say "another model".
    assert is_fallback(ALIAS, CANONICAL, base_url=server.base_url)
    assert _call(server, {"model": ALIAS})
    default_catalog(server.base_url).load()
    assert not is_fallback(ALIAS, CANONICAL, base_url=server.base_url)
    assert not is_fallback(ALIAS, f"{CANONICAL}-2025-01-01", base_url=server.base_url)
    assert is_fallback(ALIAS, CANONICAL, base_url=server.base_url, use_catalog=False)
    assert not _call(server, {"model": ALIAS})


def test_a_real_fallback_is_still_flagged_with_the_catalog(server: ScriptedEmulator) -> None:
    default_catalog(server.base_url).load()
    assert is_fallback(ALIAS, "acme/small", base_url=server.base_url)
    assert is_fallback("acme/small", CANONICAL, base_url=server.base_url)
    assert is_fallback("openrouter/auto", CANONICAL, base_url=server.base_url)
    assert _call(server, {"models": ["nobody/missing", "acme/small"], "model": "nobody/missing"})
