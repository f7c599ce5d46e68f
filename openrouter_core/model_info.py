"""Compatibility: the old home of the catalog's model types, re-exported from the package.

Its one job is to keep ``from openrouter_core.model_info import ModelInfo`` (and the other names
below) working. The types now live in :mod:`openrouter_core.catalog`
(:mod:`~openrouter_core.catalog.pricing`, :mod:`~openrouter_core.catalog.info` and
:mod:`~openrouter_core.catalog.endpoints`); new code imports them from there.
"""

from __future__ import annotations

from openrouter_core.catalog import (
    CAPABILITIES,
    CAPABILITY_ALIASES,
    ModelEndpoints,
    ModelInfo,
    ModelPricing,
    ProviderEndpoint,
    check_token_counts,
    parse_endpoints,
    parse_model,
    parse_models,
    parse_pricing,
)

__all__ = [
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
]
