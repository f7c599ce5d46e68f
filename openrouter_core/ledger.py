"""Compatibility: the usage ledger's names under their old module; this module only re-exports.

The code lives in :mod:`openrouter_core.accounting` (records, model names, the ledger, prices,
``track_usage()``). Every name importable from here before keeps working.
"""

from openrouter_core.accounting import (
    SOURCE_LANGCHAIN,
    SOURCE_LLAMAINDEX,
    SOURCE_OPENROUTER,
    ModelPrices,
    PriceSource,
    UsageLedger,
    UsageRecord,
    UsageTotals,
    active_ledgers,
    add_listener,
    already_recorded,
    catalog_price_source,
    estimate_prompt_tokens,
    get_price_source,
    is_fallback,
    mark_recorded,
    remove_listener,
    same_model,
    set_price_source,
    track_usage,
    worst_case_cost,
)

__all__ = [
    "SOURCE_LANGCHAIN",
    "SOURCE_LLAMAINDEX",
    "SOURCE_OPENROUTER",
    "ModelPrices",
    "PriceSource",
    "UsageLedger",
    "UsageRecord",
    "UsageTotals",
    "active_ledgers",
    "add_listener",
    "already_recorded",
    "catalog_price_source",
    "estimate_prompt_tokens",
    "get_price_source",
    "is_fallback",
    "mark_recorded",
    "remove_listener",
    "same_model",
    "set_price_source",
    "track_usage",
    "worst_case_cost",
]
