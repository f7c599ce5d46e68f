"""OpenRouter's model catalog: live prices and capabilities, cached, searchable.

This module only re-exports the catalog's public names; import them from here. The parts:
:mod:`~openrouter_core.catalog.pricing`, :mod:`~openrouter_core.catalog.info` and
:mod:`~openrouter_core.catalog.endpoints` (typed views of ``GET /models`` and endpoint lists,
pure parsing), :mod:`~openrouter_core.catalog.query` (lookup and search over a list of models,
pure), :mod:`~openrouter_core.catalog.ranking` (the cheapest model for a task, priced like the
budget guard prices a request, pure), :mod:`~openrouter_core.catalog.store` (fetching, memory
and disk cache, stale fallback, prefetch), :mod:`~openrouter_core.catalog.errors`, and
:mod:`~openrouter_core.catalog.model_catalog` (:class:`ModelCatalog`, the one entry point, and
the shared instances).

:class:`ModelCatalog` fetches ``GET /models`` (a public endpoint: no key is sent) through the
shared ``openai`` client, keeps it in memory for ``ttl`` seconds and on disk under the user
cache directory, so a restart does not refetch. When OpenRouter cannot be reached, a stale copy
is used with a :class:`StaleCatalogWarning`; with no copy at all,
:class:`CatalogUnavailableError` says so. Concurrent callers share one fetch.

Framework integrations read it without blocking: :func:`default_catalog` returns the shared
instance for a base URL, :meth:`ModelCatalog.peek` answers from memory or disk only, never
from the network, and :meth:`ModelCatalog.prefetch` loads it in a background thread.

Example:
    .. code-block:: python

        from openrouter_core.catalog import ModelCatalog

        catalog = ModelCatalog()
        info = catalog.get("claude-haiku-4.5")  # -> anthropic/claude-haiku-4.5
        catalog.estimate_cost(info, input_tokens=12_000, output_tokens=800)
        best = catalog.cheapest(supports="tools", prompt="Summarise: ...", max_cost="0.01")
        best.id, best.worst_case_cost, best.fallback_models(2)
        catalog.search(free=True)  # models that cost nothing to call
"""

from __future__ import annotations

import warnings
from typing import Any

from openrouter_core.catalog.endpoints import ModelEndpoints, ProviderEndpoint, parse_endpoints
from openrouter_core.catalog.errors import (
    AmbiguousModelError,
    CatalogError,
    CatalogUnavailableError,
    ModelNotListedError,
    NoModelMatchesError,
    PriceUnknownError,
    StaleCatalogWarning,
)
from openrouter_core.catalog.info import (
    CAPABILITIES,
    CAPABILITY_ALIASES,
    ModelInfo,
    parse_model,
    parse_models,
)
from openrouter_core.catalog.model_catalog import (
    PREFETCH_ENV,
    ModelCatalog,
    catalog_info,
    default_catalog,
)
from openrouter_core.catalog.pricing import ModelPricing, check_token_counts, parse_pricing
from openrouter_core.catalog.ranking import Candidate, RankedModel
from openrouter_core.catalog.store import (
    CACHE_DIR_ENV,
    DEFAULT_TTL,
    resolve_cache_dir,
    user_cache_dir,
)

__all__ = [
    "CACHE_DIR_ENV",
    "CAPABILITIES",
    "CAPABILITY_ALIASES",
    "DEFAULT_TTL",
    "PREFETCH_ENV",
    "AmbiguousModelError",
    "Candidate",
    "CatalogError",
    "CatalogUnavailableError",
    "ModelCatalog",
    "ModelEndpoints",
    "ModelInfo",
    "ModelNotListedError",
    "ModelPricing",
    "NoModelMatchesError",
    "PriceUnknownError",
    "ProviderEndpoint",
    "RankedModel",
    "StaleCatalogWarning",
    "catalog_info",
    "check_token_counts",
    "default_catalog",
    "parse_endpoints",
    "parse_model",
    "parse_models",
    "parse_pricing",
    "resolve_cache_dir",
    "user_cache_dir",
]


def __getattr__(name: str) -> Any:
    # ``UnknownModelError`` was this package's name for ModelNotListedError; it clashed with
    # openrouter_core.errors.UnknownModelError (the API's HTTP 400), so it is an alias now.
    if name == "UnknownModelError":
        warnings.warn(
            "openrouter_core.catalog.UnknownModelError is deprecated; use "
            "openrouter_core.catalog.ModelNotListedError (the same class: the catalog lists no "
            "such model). openrouter_core.errors.UnknownModelError is a different error, "
            "OpenRouter's HTTP 400 for a model id a request named.",
            DeprecationWarning,
            stacklevel=2,
        )
        return ModelNotListedError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
