"""The catalog package's public names: one name per error, the deprecated ``UnknownModelError``
alias, and the old import paths (``openrouter_core.catalog``, ``openrouter_core.model_info``)."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

import openrouter_core.catalog as catalog_package
import openrouter_core.model_info as model_info_module
from openrouter_core import errors as api_errors
from openrouter_core.catalog import (
    AmbiguousModelError,
    CatalogError,
    CatalogUnavailableError,
    ModelNotListedError,
    NoModelMatchesError,
    PriceUnknownError,
)

# The ``__all__`` of the two modules before the catalog became a package.
OLD_CATALOG_NAMES = {
    "CACHE_DIR_ENV",
    "CAPABILITIES",
    "DEFAULT_TTL",
    "AmbiguousModelError",
    "CatalogError",
    "CatalogUnavailableError",
    "ModelCatalog",
    "ModelEndpoints",
    "ModelInfo",
    "ModelPricing",
    "NoModelMatchesError",
    "PriceUnknownError",
    "ProviderEndpoint",
    "StaleCatalogWarning",
    "UnknownModelError",
    "catalog_info",
    "default_catalog",
    "resolve_cache_dir",
    "user_cache_dir",
}
OLD_MODEL_INFO_NAMES = {
    "CAPABILITIES",
    "CAPABILITY_ALIASES",
    "ModelEndpoints",
    "ModelInfo",
    "ModelPricing",
    "ProviderEndpoint",
    "check_token_counts",
    "parse_endpoints",
    "parse_model",
    "parse_models",
    "parse_pricing",
}


# --------------------------------------------------------------------------------------------
# Old import paths
# --------------------------------------------------------------------------------------------


def test_the_package_exports_every_old_name() -> None:
    # UnknownModelError left __all__ (a star import must not warn); it still imports, below.
    current = OLD_CATALOG_NAMES - {"UnknownModelError"} | OLD_MODEL_INFO_NAMES
    new = {"Candidate", "ModelNotListedError", "PREFETCH_ENV", "RankedModel"}
    assert set(catalog_package.__all__) == current | new
    for name in current | new:
        assert getattr(catalog_package, name) is not None


def test_model_info_re_exports_the_same_objects() -> None:
    assert set(model_info_module.__all__) == OLD_MODEL_INFO_NAMES
    for name in OLD_MODEL_INFO_NAMES:
        assert getattr(model_info_module, name) is getattr(catalog_package, name)


def test_the_top_level_lazy_names_are_the_catalogs() -> None:
    import openrouter_core

    for name in ("ModelCatalog", "ModelInfo", "ModelPricing", "default_catalog"):
        assert getattr(openrouter_core, name) is getattr(catalog_package, name)


def test_importing_the_package_loads_neither_the_sdk_nor_a_framework() -> None:
    code = (
        "import sys\n"
        "from openrouter_core.catalog import ModelCatalog, catalog_info, default_catalog\n"
        "import openrouter_core.model_info\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('openai', 'langchain_core', 'llama_index'))\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# --------------------------------------------------------------------------------------------
# One name per error
# --------------------------------------------------------------------------------------------


def test_an_unlisted_model_is_model_not_listed_error(catalog) -> None:
    with pytest.raises(ModelNotListedError) as info:
        catalog.get("nope/nothing")
    error = info.value
    assert type(error) is ModelNotListedError
    assert isinstance(error, CatalogError)
    assert isinstance(error, LookupError)
    assert error.model_id == "nope/nothing"
    # A local lookup failure, not the API's HTTP 400 for an invalid model id.
    assert ModelNotListedError is not api_errors.UnknownModelError
    assert not isinstance(error, api_errors.OpenRouterError)


def test_an_ambiguous_name_is_a_model_not_listed_error(catalog) -> None:
    with pytest.raises(AmbiguousModelError) as info:
        catalog.get("small")
    assert isinstance(info.value, ModelNotListedError)
    assert info.value.model_id == "small"
    assert info.value.candidates == ["acme/small", "dup/small"]


def test_each_other_catalog_error_under_its_name(emu, make_catalog, catalog) -> None:
    with pytest.raises(NoModelMatchesError) as no_match:
        catalog.cheapest(min_context=10**9)
    assert isinstance(no_match.value, CatalogError)
    assert isinstance(no_match.value, LookupError)
    with pytest.raises(PriceUnknownError) as no_price:
        catalog.estimate_cost("acme/router", 1, 1)
    assert isinstance(no_price.value, ValueError)
    emu.models_status = 503
    with pytest.raises(CatalogUnavailableError) as unavailable:
        make_catalog(emu, disk_cache=False).load()
    assert isinstance(unavailable.value, CatalogError)


# --------------------------------------------------------------------------------------------
# The deprecated alias
# --------------------------------------------------------------------------------------------


def test_the_old_name_still_imports_with_a_deprecation_warning() -> None:
    new_name = r"use openrouter_core\.catalog\.ModelNotListedError"
    with pytest.warns(DeprecationWarning, match=new_name) as caught:
        from openrouter_core.catalog import UnknownModelError
    assert UnknownModelError is ModelNotListedError
    assert all(w.filename == __file__ for w in caught)  # points at the importing line

    with pytest.warns(DeprecationWarning, match="ModelNotListedError"):
        assert catalog_package.UnknownModelError is ModelNotListedError


def test_the_old_name_still_catches_the_lookup_failure(catalog) -> None:
    with pytest.warns(DeprecationWarning, match="UnknownModelError is deprecated"):
        old_name = catalog_package.UnknownModelError
    with pytest.raises(old_name):
        catalog.get("nope/nothing")
    with pytest.raises(old_name):
        catalog.get("small")  # ambiguous


def test_the_current_names_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        namespace: dict[str, object] = {}
        exec("from openrouter_core.catalog import *", namespace)  # noqa: S102
    assert "UnknownModelError" not in namespace
    assert namespace["ModelNotListedError"] is ModelNotListedError
    with pytest.raises(AttributeError, match="NoSuchName"):
        _ = catalog_package.NoSuchName
