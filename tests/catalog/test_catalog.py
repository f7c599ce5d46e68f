"""ModelCatalog against the emulator: fetching, caching, offline fallback, queries."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import threading
import warnings
from decimal import Decimal
from pathlib import Path

import pytest
from catalog_support import FIXTURE_MODELS, Clock, ScriptedEmulator, models_requests

from openrouter_core.catalog import (
    AmbiguousModelError,
    CatalogUnavailableError,
    ModelCatalog,
    ModelNotListedError,
    NoModelMatchesError,
    PriceUnknownError,
    StaleCatalogWarning,
    default_catalog,
    resolve_cache_dir,
    user_cache_dir,
)
from openrouter_core.errors import ModelNotFoundError

D = Decimal


# --------------------------------------------------------------------------------------------
# Fetching
# --------------------------------------------------------------------------------------------


def test_construction_does_no_io(emu, make_catalog) -> None:
    catalog = make_catalog(emu)
    assert catalog.fetched_at is None
    assert not catalog.is_fresh
    assert emu.requests == []
    assert repr(catalog).startswith("ModelCatalog(base_url=")


def test_fetches_all_modalities_without_a_key(emu, make_catalog, clock, monkeypatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-v1-secret")
    catalog = make_catalog(emu, app_title="Catalog Test")
    models = catalog.load()
    assert {m.id for m in models} == {m["id"] for m in FIXTURE_MODELS}
    (request,) = models_requests(emu)
    assert request.method == "GET"
    assert request.query == {"output_modalities": "all"}
    assert request.header("authorization") is None
    assert request.header("x-title") == "Catalog Test"
    assert catalog.fetched_at == clock()


def test_an_error_status_without_cache_is_a_clear_error(emu, make_catalog) -> None:
    emu.models_status = 503
    catalog = make_catalog(emu)
    with pytest.raises(CatalogUnavailableError) as info:
        catalog.get("acme/small")
    message = str(info.value)
    assert "unavailable" in message
    assert "no cached copy" in message
    assert str(catalog.cache_path) in message
    assert info.value.__cause__ is not None


def test_no_network_and_no_cache_is_a_clear_error(make_catalog) -> None:
    server = ScriptedEmulator()
    server.start()
    server.stop()  # a port nothing listens on
    catalog = make_catalog(server)
    with pytest.raises(CatalogUnavailableError, match="no cached copy"):
        catalog.load()
    catalog_off = make_catalog(server, disk_cache=False)
    with pytest.raises(CatalogUnavailableError, match="disk cache is off"):
        catalog_off.load()


# --------------------------------------------------------------------------------------------
# Caching: memory TTL, disk, offline fallback
# --------------------------------------------------------------------------------------------


def test_memory_cache_lasts_ttl(emu, make_catalog, clock: Clock) -> None:
    catalog = make_catalog(emu, ttl=100)
    catalog.get("acme/small")
    clock.advance(99)
    catalog.search("acme")
    catalog.get("bolt/fast")
    assert len(models_requests(emu)) == 1
    assert catalog.is_fresh
    clock.advance(2)
    assert not catalog.is_fresh
    catalog.get("acme/small")
    assert len(models_requests(emu)) == 2


def test_the_default_ttl_is_one_hour(emu, make_catalog, clock: Clock) -> None:
    catalog = make_catalog(emu)  # no ttl given
    assert catalog.ttl == 3600
    catalog.load()
    clock.advance(3599)
    catalog.get("acme/small")
    assert catalog.is_fresh
    assert len(models_requests(emu)) == 1
    clock.advance(2)
    assert not catalog.is_fresh
    catalog.get("acme/small")
    assert len(models_requests(emu)) == 2


def test_refresh_fetches_even_when_fresh(catalog, emu) -> None:
    catalog.load()
    catalog.refresh()
    assert len(models_requests(emu)) == 2


def test_disk_cache_survives_a_restart(emu, make_catalog, clock: Clock) -> None:
    first = make_catalog(emu, ttl=100)
    first.load()
    assert first.cache_path is not None
    assert first.cache_path.exists()
    stored = json.loads(first.cache_path.read_text())
    assert stored["base_url"] == emu.base_url
    assert len(stored["data"]) == len(FIXTURE_MODELS)

    second = make_catalog(emu, ttl=100)  # a new process, same cache directory
    clock.advance(50)
    assert second.get("acme/large").context_length == 200000
    assert len(models_requests(emu)) == 1
    assert second.fetched_at == first.fetched_at

    third = make_catalog(emu, ttl=100)
    clock.advance(51)  # the disk copy is now stale: fetched again
    third.get("acme/large")
    assert len(models_requests(emu)) == 2


def test_disk_cache_is_per_base_url(emu, make_catalog) -> None:
    make_catalog(emu).load()
    with ScriptedEmulator(models=FIXTURE_MODELS[:2]) as other:
        other_catalog = make_catalog(other)
        assert len(other_catalog.load()) == 2
        assert other_catalog.cache_path != make_catalog(emu).cache_path


def test_disk_cache_can_be_turned_off(emu, make_catalog, cache_dir: Path) -> None:
    catalog = make_catalog(emu, disk_cache=False)
    catalog.load()
    assert catalog.cache_path is None
    assert not cache_dir.exists()


def test_corrupt_or_foreign_cache_files_are_ignored(emu, make_catalog, caplog) -> None:
    catalog = make_catalog(emu)
    path = catalog.cache_path
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert len(catalog.load()) == len(FIXTURE_MODELS)
    assert "unreadable catalog cache" in caplog.text
    data = json.loads(path.read_text())
    data["base_url"] = "https://elsewhere.example/api/v1"
    path.write_text(json.dumps(data))
    fresh = make_catalog(emu)
    fresh.load()
    assert len(models_requests(emu)) == 2


def test_offline_uses_the_stale_copy_with_a_warning(emu, make_catalog, clock: Clock) -> None:
    catalog = make_catalog(emu, ttl=100, retry_interval=30)
    catalog.load()
    emu.models_status = 503
    clock.advance(3600)
    with pytest.warns(StaleCatalogWarning, match=r"using the cached copy from 60 min ago"):
        info = catalog.get("acme/small")
    assert info.pricing.prompt == D("0.0000001")
    assert len(models_requests(emu)) == 2
    # Within retry_interval the stale copy is served quietly, without another attempt.
    clock.advance(29)
    assert catalog.get("bolt/fast").id == "bolt/fast"
    assert len(models_requests(emu)) == 2
    # Then it tries again, and recovers when OpenRouter answers.
    clock.advance(2)
    emu.models_status = None
    catalog.get("bolt/fast")
    assert len(models_requests(emu)) == 3
    assert catalog.is_fresh


def test_offline_restart_uses_the_disk_copy(emu, make_catalog, clock: Clock) -> None:
    make_catalog(emu, ttl=100).load()
    emu.stop()
    clock.advance(10)
    fresh_enough = make_catalog(emu, ttl=100)
    assert fresh_enough.get("dup/small").id == "dup/small"  # no fetch, no warning
    clock.advance(1000)
    restarted = make_catalog(emu, ttl=100)
    with pytest.warns(StaleCatalogWarning, match="could not refresh"):
        assert restarted.get("dup/small").id == "dup/small"


# --------------------------------------------------------------------------------------------
# One fetch for all threads
# --------------------------------------------------------------------------------------------


def test_concurrent_callers_share_one_fetch(emu, make_catalog) -> None:
    emu.models_delay = 0.3
    catalog = make_catalog(emu)
    barrier = threading.Barrier(8)
    results: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(catalog.get("acme/small").id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results == ["acme/small"] * 8
    assert len(models_requests(emu)) == 1


def test_concurrent_callers_share_one_failed_fetch(emu, make_catalog) -> None:
    emu.models_delay = 0.3
    emu.models_status = 503
    catalog = make_catalog(emu)
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def worker() -> None:
        barrier.wait()
        try:
            catalog.load()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 6
    assert all(isinstance(e, CatalogUnavailableError) for e in errors)
    assert len(models_requests(emu)) == 1


async def test_async_access_runs_off_the_event_loop(catalog, emu) -> None:
    models, info = await asyncio.gather(catalog.aload(), catalog.aget("fast"))
    assert len(models) == len(FIXTURE_MODELS)
    assert info.id == "bolt/fast"
    assert len(models_requests(emu)) == 1


# --------------------------------------------------------------------------------------------
# Non-blocking access for the framework classes
# --------------------------------------------------------------------------------------------


def test_peek_never_touches_the_network(emu, make_catalog) -> None:
    catalog = make_catalog(emu)
    assert catalog.peek("acme/small") is None
    assert catalog.prices("acme/small") is None
    assert emu.requests == []
    catalog.load()
    assert catalog.peek("large").id == "acme/large"
    assert catalog.peek("nope/nothing") is None
    assert catalog.peek("small") is None  # ambiguous
    assert catalog.peek("") is None


def test_peek_reads_a_stale_disk_copy_offline(emu, make_catalog, clock: Clock) -> None:
    make_catalog(emu, ttl=100).load()
    emu.stop()
    clock.advance(10_000)
    restarted = make_catalog(emu, ttl=100)
    info = restarted.peek("acme/large")
    assert info is not None
    assert info.supports_image_input
    assert restarted.prices("acme/large").input_cache_write == D("0.0000025")


def test_prices_can_fetch_and_never_raise(emu, make_catalog) -> None:
    catalog = make_catalog(emu)
    pricing = catalog.prices("bolt/fast", fetch=True)
    assert (pricing.prompt, pricing.completion, pricing.request) == (
        D("0.0000005"),
        D("0.0000005"),
        D("0.0001"),
    )
    assert catalog.prices("nope/nothing", fetch=True) is None
    emu.models_status = 503
    assert make_catalog(emu, disk_cache=False).prices("bolt/fast", fetch=True) is None


def test_peek_does_not_import_the_openai_sdk(emu, make_catalog, cache_dir: Path) -> None:
    make_catalog(emu).load()
    code = (
        "import sys\n"
        "from openrouter_core.catalog import ModelCatalog\n"
        f"c = ModelCatalog(base_url={emu.base_url!r}, cache_dir={str(cache_dir)!r})\n"
        "info = c.peek('acme/large')\n"
        "print(info.context_length, 'openai' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["200000", "False"]


def test_prefetch_loads_in_the_background(emu, make_catalog) -> None:
    emu.models_delay = 0.2
    catalog = make_catalog(emu)
    thread = catalog.prefetch()
    assert thread is not None
    assert catalog.prefetch() is None  # one at a time
    thread.join(timeout=30)
    assert catalog.peek("acme/large").id == "acme/large"
    assert catalog.prefetch() is None  # fresh: nothing to do
    assert len(models_requests(emu)) == 1


def test_prefetch_failures_are_quiet_and_rate_limited(emu, make_catalog, clock, caplog) -> None:
    caplog.set_level(logging.INFO, logger="openrouter_core.catalog")
    emu.models_status = 503
    catalog = make_catalog(emu, retry_interval=60)
    thread = catalog.prefetch()
    thread.join(timeout=30)
    assert catalog.peek("acme/large") is None
    assert "background catalog prefetch" in caplog.text
    assert catalog.prefetch() is None  # failed a moment ago
    clock.advance(61)
    emu.models_status = None
    catalog.prefetch().join(timeout=30)
    assert catalog.peek("acme/large") is not None
    assert len(models_requests(emu)) == 2


def test_prefetch_with_a_stale_copy_offline_does_not_warn(emu, make_catalog, clock) -> None:
    catalog = make_catalog(emu, ttl=10)
    catalog.load()
    emu.models_status = 503
    clock.advance(100)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        catalog.prefetch().join(timeout=30)
    assert caught == []
    assert len(models_requests(emu)) == 2
    assert catalog.peek("acme/small") is not None


def test_default_catalog_is_shared_per_base_url(emu) -> None:
    first = default_catalog(emu.base_url)
    assert default_catalog(emu.base_url + "/") is first
    assert default_catalog("http://127.0.0.1:9/api/v1") is not first
    assert first.base_url == emu.base_url


# --------------------------------------------------------------------------------------------
# get(): ids, variants, bare names
# --------------------------------------------------------------------------------------------


def test_get_by_id_canonical_slug_and_case(catalog) -> None:
    assert catalog.get("acme/large").id == "acme/large"
    assert catalog.get("acme/large-2025-01-01").id == "acme/large"
    assert catalog.get("ACME/Large").id == "acme/large"
    assert catalog.get("  acme/large ").id == "acme/large"


def test_variants_resolve_to_their_base_unless_listed(catalog) -> None:
    assert catalog.get("bolt/fast:nitro").id == "bolt/fast"
    assert catalog.get("bolt/fast:online").id == "bolt/fast"
    listed = catalog.get("bolt/fast:free")
    assert listed.id == "bolt/fast:free"
    assert listed.context_length == 8000
    # acme/small has no ":free" entry: the base model at its real price, never a made-up $0
    base = catalog.get("acme/small")
    free = catalog.get("acme/small:free")
    assert free.id == "acme/small"
    assert free.context_length == 32000
    assert free.pricing == base.pricing
    assert free.pricing.prompt == base.pricing.prompt > 0
    assert not free.is_free
    assert catalog.estimate_cost("acme/small:free", 1000, 1000) == catalog.estimate_cost(
        "acme/small", 1000, 1000
    )
    assert catalog.peek("acme/small:free") == base  # what the budget guard prices from


def test_bare_names_resolve_when_unambiguous(catalog) -> None:
    assert catalog.get("fast").id == "bolt/fast"
    assert catalog.get("fast:free").id == "bolt/fast:free"
    assert catalog.get("thinker").id == "cogs/thinker"
    assert catalog.get("large-2025-01-01").id == "acme/large"
    with pytest.raises(AmbiguousModelError) as info:
        catalog.get("small")
    assert info.value.candidates == ["acme/small", "dup/small"]
    assert "acme/small, dup/small" in str(info.value)
    assert isinstance(info.value, LookupError)


def test_unknown_models_list_close_matches(catalog) -> None:
    with pytest.raises(ModelNotListedError) as info:
        catalog.get("acme/smal")
    assert info.value.candidates[0] == "acme/small"
    assert "did you mean acme/small" in str(info.value)
    with pytest.raises(ModelNotListedError) as info:
        catalog.get("thinke")
    assert info.value.candidates == ["cogs/thinker"]
    with pytest.raises(ValueError, match="non-empty"):
        catalog.get("")


def test_an_unknown_id_in_an_older_catalog_triggers_one_refetch(
    emu, make_catalog, clock: Clock
) -> None:
    catalog = make_catalog(emu, retry_interval=60)
    catalog.load()
    with pytest.raises(ModelNotListedError):
        catalog.get("new/model")  # the catalog is seconds old: no refetch
    assert len(models_requests(emu)) == 1
    clock.advance(120)
    with pytest.raises(ModelNotListedError):
        catalog.get("new/model")
    assert len(models_requests(emu)) == 2


# --------------------------------------------------------------------------------------------
# search / cheapest / estimate_cost on the fixture catalog (hand-checked)
# --------------------------------------------------------------------------------------------


def ids(models) -> list[str]:
    return [m.id for m in models]


def test_search_by_text_and_capability(catalog) -> None:
    assert ids(catalog.search("small")) == ["acme/small", "dup/small"]
    assert ids(catalog.search("ACME la")) == ["acme/large"]
    assert ids(catalog.search(supports="reasoning")) == ["acme/large", "cogs/thinker"]
    assert ids(catalog.search(supports=["tools", "structured_outputs"])) == [
        "acme/large",
        "bolt/fast",
        "bolt/fast:free",
    ]
    assert ids(catalog.search(supports="tools,vision")) == ["acme/large"]
    assert ids(catalog.search(supports="seed")) == ["cogs/thinker"]  # a request parameter


def test_search_by_price_context_and_output(catalog) -> None:
    # prompt <= $0.50/M: acme/small 0.10, bolt/fast 0.50, bolt/fast:free 0, dup/small 0.05;
    # the router (variable price) and acme/large are out; the embedding model is not text.
    assert ids(catalog.search(max_prompt_price=D("0.0000005"))) == [
        "acme/small",
        "bolt/fast",
        "bolt/fast:free",
        "dup/small",
    ]
    # completion <= $0.50/M as well drops dup/small ($1/M out)
    assert ids(catalog.search(max_prompt_price="5e-7", max_completion_price=5e-7)) == [
        "acme/small",
        "bolt/fast",
        "bolt/fast:free",
    ]
    assert ids(catalog.search(min_context=128000)) == ["acme/large", "acme/router", "bolt/fast"]
    assert ids(catalog.search(output="embeddings")) == ["acme/embed"]
    assert len(catalog.search(output=None)) == len(FIXTURE_MODELS)
    assert "bolt/fast:free" not in ids(catalog.search(include_free=False))


def test_search_sorting(catalog) -> None:
    assert ids(catalog.search(supports="tools", sort="price")) == [
        "bolt/fast:free",  # 0 / 0
        "dup/small",  # 0.05 / 1.00
        "acme/small",  # 0.10 / 0.40
        "bolt/fast",  # 0.50 / 0.50
        "acme/large",  # 2.00 / 8.00
        "acme/router",  # variable: last
    ]
    assert ids(catalog.search(supports="tools", sort="context"))[:2] == [
        "acme/router",
        "acme/large",
    ]
    assert ids(catalog.search("acme", sort="name")) == ["acme/large", "acme/router", "acme/small"]


def test_search_rejects_bad_filters(catalog, emu) -> None:
    with pytest.raises(ValueError, match="unknown sort"):
        catalog.search(sort="cost")
    assert emu.requests == []  # checked before any request
    with pytest.raises(ValueError, match="unknown capability 'tool'"):
        catalog.search(supports="tool")
    with pytest.raises(ValueError, match="max_prompt_price"):
        catalog.search(max_prompt_price=-1)
    with pytest.raises(ValueError, match="min_context"):
        catalog.search(min_context=-5)


def test_cheapest_for_the_default_mix(catalog) -> None:
    # 3,000 in + 1,000 out: acme/small 0.0003 + 0.0004 = 0.0007; dup/small 0.00015 + 0.001
    # = 0.00115; bolt/fast 0.0015 + 0.0005 + 0.0001 = 0.0021; acme/large 0.006 + 0.008.
    assert catalog.cheapest(supports="tools", include_free=False).id == "acme/small"
    assert catalog.cheapest(supports="tools").id == "bolt/fast:free"
    assert (
        catalog.cheapest(supports=["tools", "structured_outputs"], include_free=False).id
        == "bolt/fast"
    )


def test_cheapest_depends_on_the_token_mix(catalog) -> None:
    # 100,000 in + 100 out: acme/small 0.01 + 0.00004 = 0.01004; dup/small 0.005 + 0.0001
    # = 0.0051, so the input-cheap model wins.
    winner = catalog.cheapest(
        supports="tools", include_free=False, input_tokens=100_000, output_tokens=100
    )
    assert winner.id == "dup/small"
    assert catalog.estimate_cost(winner, 100_000, 100) == D("0.0051")
    assert catalog.estimate_cost("acme/small", 100_000, 100) == D("0.01004")


def test_cheapest_with_no_match_says_why(catalog) -> None:
    with pytest.raises(NoModelMatchesError, match=r"supports='vision', min_context=500000"):
        catalog.cheapest(supports="vision", min_context=500_000)
    with pytest.raises(ValueError, match="output_tokens"):
        catalog.cheapest(output_tokens=-1)


def test_estimate_cost_hand_checked(catalog) -> None:
    # acme/large: 2,000 uncached x $2/M = 0.004; 6,000 cached x $0.20/M = 0.0012;
    # 2,000 written x $2.50/M = 0.005; 1,000 out x $8/M = 0.008 -> 0.0182
    assert catalog.estimate_cost(
        "acme/large", 10_000, 1_000, cached_tokens=6_000, cache_write_tokens=2_000
    ) == D("0.0182")
    # cogs/thinker: 1,000 in x $1/M = 0.001; 1,000 out x $4/M = 0.004;
    # 2,000 reasoning x $2/M = 0.004 -> 0.009
    assert catalog.estimate_cost("thinker", 1_000, 3_000, reasoning_tokens=2_000) == D("0.009")
    # bolt/fast bills $0.0001 per request even for an empty call
    assert catalog.estimate_cost("bolt/fast", 0, 0) == D("0.0001")
    assert catalog.estimate_cost("bolt/fast", 0, 0, requests=3) == D("0.0003")
    assert catalog.estimate_cost("bolt/fast:free", 10_000, 10_000) == 0


def test_estimate_cost_errors(catalog, emu) -> None:
    with pytest.raises(ValueError, match="exceed input_tokens"):
        catalog.estimate_cost("acme/small", 10, 10, cached_tokens=11)
    assert emu.requests == []  # bad counts fail before the catalog is fetched
    with pytest.raises(PriceUnknownError, match="acme/router lists no token prices"):
        catalog.estimate_cost("acme/router", 10, 10)
    with pytest.raises(ModelNotListedError):
        catalog.estimate_cost("nope/nothing", 10, 10)


# --------------------------------------------------------------------------------------------
# endpoints()
# --------------------------------------------------------------------------------------------


def test_endpoints_of_a_model(openrouter_emulator, tmp_path) -> None:
    catalog = ModelCatalog(base_url=openrouter_emulator.base_url, cache_dir=tmp_path)
    result = catalog.endpoints("claude-haiku-4.5")
    request = openrouter_emulator.last_request
    assert request.path.endswith("/models/anthropic/claude-haiku-4.5/endpoints")
    assert request.header("authorization") is None
    assert result.id == "anthropic/claude-haiku-4.5"
    assert [e.provider_name for e in result.endpoints] == ["Amazon Bedrock", "Anthropic"]
    assert result.providers == ["amazon-bedrock", "anthropic"]
    first = result.endpoints[0]
    assert first.pricing.prompt == D("0.000001")
    assert first.pricing.input_cache_write == D("0.00000125")
    assert first.context_length == 200000
    assert first.uptime_last_30m == 99.8
    assert first.latency_last_30m["p50"] == 0.45
    assert first.throughput_last_30m["p50"] == 85.0
    assert "tools" in first.supported_parameters


def test_endpoints_of_an_unknown_model(emu, catalog) -> None:
    with pytest.raises(ModelNotListedError):
        catalog.endpoints("nope/nothing")
    assert [r for r in emu.requests if r.path.endswith("/endpoints")] == []


def test_endpoints_404_is_typed(emu, catalog) -> None:
    emu.endpoints_status = 404
    with pytest.raises(ModelNotFoundError, match="No endpoints found"):
        catalog.endpoints("acme/small")


# --------------------------------------------------------------------------------------------
# Cache location
# --------------------------------------------------------------------------------------------


def test_cache_dir_precedence(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("OPENROUTER_CACHE_DIR", str(tmp_path / "env"))
    assert resolve_cache_dir(tmp_path / "arg") == tmp_path / "arg"
    assert resolve_cache_dir() == tmp_path / "env"
    monkeypatch.delenv("OPENROUTER_CACHE_DIR")
    assert resolve_cache_dir() == user_cache_dir()


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="XDG layout")
def test_user_cache_dir_follows_xdg(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert user_cache_dir() == tmp_path / "openrouter-frameworks"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # ignored, as the spec says
    assert user_cache_dir() == Path.home() / ".cache" / "openrouter-frameworks"


def test_platform_cache_dirs(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert user_cache_dir() == Path.home() / "Library" / "Caches" / "openrouter-frameworks"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path))
    assert user_cache_dir() == tmp_path / "openrouter-frameworks" / "Cache"


def test_tests_never_use_the_real_cache(emu) -> None:
    # The suite-wide fixture points OPENROUTER_CACHE_DIR at a temporary directory.
    path = default_catalog(emu.base_url).cache_path
    assert path is not None
    assert str(path).startswith(os.environ["OPENROUTER_CACHE_DIR"])
    assert not str(path).startswith(str(Path.home() / ".cache"))


def test_clear_forgets_memory_and_disk(catalog, emu) -> None:
    catalog.load()
    assert catalog.cache_path.exists()
    catalog.clear()
    assert catalog.fetched_at is None
    assert not catalog.cache_path.exists()
    assert catalog.peek("acme/small") is None
    catalog.load()
    assert len(models_requests(emu)) == 2


def test_bad_constructor_arguments() -> None:
    with pytest.raises(ValueError, match="ttl"):
        ModelCatalog(ttl=-1)


def test_new_core_modules_import_no_framework_and_no_sdk() -> None:
    code = (
        "import sys\n"
        "import openrouter_core.catalog, openrouter_core.model_info, openrouter_core.account\n"
        "import openrouter_core.embeddings, openrouter_core.cli\n"
        "from openrouter_core import ModelCatalog, OpenRouterAccount, default_catalog\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('langchain_core', 'langchain', 'llama_index', 'openai'))\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
