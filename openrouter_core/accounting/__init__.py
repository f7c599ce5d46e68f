"""One truthful account of what OpenRouter calls cost; this module only re-exports its names.

The modules:

- :mod:`~openrouter_core.accounting.records`: :class:`UsageRecord` (one call) and
  :class:`UsageTotals` (sums);
- :mod:`~openrouter_core.accounting.names`: :func:`same_model`, :func:`is_fallback`;
- :mod:`~openrouter_core.accounting.ledger`: :class:`UsageLedger`, and which ledgers hold a
  failed call (:func:`mark_recorded`, :func:`already_recorded`);
- :mod:`~openrouter_core.accounting.report`: a ledger's text and HTML tables;
- :mod:`~openrouter_core.accounting.prices`: :class:`ModelPrices`, price sources and the worst
  case of a request;
- :mod:`~openrouter_core.accounting.tracking`: :func:`track_usage` (with its budget guard) and
  usage listeners;
- :mod:`~openrouter_core.accounting.budget`: :class:`BudgetExceededError` (loaded on first use:
  it subclasses the ``openai`` SDK's errors);
- :mod:`~openrouter_core.accounting.calls`: :class:`CallBook`, the bookkeeping the LangChain
  and LlamaIndex usage handlers share;
- :mod:`~openrouter_core.accounting.otel`: the optional OpenTelemetry export.

Nothing here imports the ``openai`` SDK or a framework.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from openrouter_core.accounting.calls import CallBook, Reported
from openrouter_core.accounting.ledger import UsageLedger, already_recorded, mark_recorded
from openrouter_core.accounting.names import is_fallback, same_model
from openrouter_core.accounting.prices import (
    ModelPrices,
    PriceSource,
    catalog_price_source,
    estimate_prompt_tokens,
    get_price_source,
    set_price_source,
    worst_case_cost,
)
from openrouter_core.accounting.records import (
    SOURCE_LANGCHAIN,
    SOURCE_LLAMAINDEX,
    SOURCE_OPENROUTER,
    UsageRecord,
    UsageTotals,
)
from openrouter_core.accounting.tracking import (
    BudgetBypassWarning,
    active_ledgers,
    add_listener,
    remove_listener,
    track_usage,
)

if TYPE_CHECKING:
    from openrouter_core.accounting.budget import BudgetExceededError

__all__ = [
    "SOURCE_LANGCHAIN",
    "SOURCE_LLAMAINDEX",
    "SOURCE_OPENROUTER",
    "BudgetBypassWarning",
    "BudgetExceededError",
    "CallBook",
    "ModelPrices",
    "PriceSource",
    "Reported",
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


def __getattr__(name: str) -> Any:
    if name == "BudgetExceededError":
        from openrouter_core.accounting.budget import BudgetExceededError

        return BudgetExceededError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
