"""Framework-neutral OpenRouter support shared by the LangChain and LlamaIndex integrations.

The pieces: :mod:`~openrouter_core.settings` and :mod:`~openrouter_core.client` (key, base URL,
headers, the shared pooled ``openai`` clients), :mod:`~openrouter_core.options` (typed
OpenRouter request options), :mod:`~openrouter_core.usage` (tokens and exact cost),
:mod:`~openrouter_core.errors` (typed errors), :mod:`~openrouter_core.streaming` (the stream
accumulator), :mod:`~openrouter_core.transport` (the one request path),
:mod:`~openrouter_core.accounting` (``track_usage()``: one account of cost and cache tokens across
both frameworks, with a budget guard), :mod:`~openrouter_core.catalog` (models, prices and
cost estimates), :mod:`~openrouter_core.account` (key info and generation lookups) and
:mod:`openrouter_core.testing` (a local emulator). Nothing here imports LangChain or LlamaIndex.

Names outside the options and usage types load on first use: the error classes subclass the
``openai`` SDK's, whose import costs more than half a second, so ``import openrouter_core``
stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from openrouter_core._version import __version__
from openrouter_core.options import OpenRouterOptions, ProviderPreferences, ReasoningConfig
from openrouter_core.request import build_extra_body
from openrouter_core.usage import OpenRouterUsage

if TYPE_CHECKING:
    from openrouter_core.account import OpenRouterAccount
    from openrouter_core.accounting import (
        BudgetBypassWarning,
        UsageLedger,
        UsageRecord,
        track_usage,
    )
    from openrouter_core.accounting.budget import BudgetExceededError
    from openrouter_core.catalog import ModelCatalog, ModelInfo, ModelPricing, default_catalog
    from openrouter_core.errors import (
        APIConnectionError,
        APIStatusError,
        AuthenticationError,
        BadRequestError,
        ContextLengthExceededError,
        HTTPRequestTimeoutError,
        InsufficientCreditsError,
        KeyLimitExceededError,
        MissingAPIKeyError,
        ModelNotFoundError,
        ModerationError,
        NotOpenRouterError,
        OpenRouterError,
        PermissionDeniedError,
        ProviderError,
        RateLimitError,
        RequestTimeoutError,
        UnknownModelError,
    )

_ERRORS = (
    "APIConnectionError",
    "APIStatusError",
    "AuthenticationError",
    "BadRequestError",
    "ContextLengthExceededError",
    "HTTPRequestTimeoutError",
    "InsufficientCreditsError",
    "KeyLimitExceededError",
    "MissingAPIKeyError",
    "ModelNotFoundError",
    "ModerationError",
    "NotOpenRouterError",
    "OpenRouterError",
    "PermissionDeniedError",
    "ProviderError",
    "RateLimitError",
    "RequestTimeoutError",
    "UnknownModelError",
)
_LAZY: dict[str, str] = {
    **dict.fromkeys(_ERRORS, "openrouter_core.errors"),
    "BudgetExceededError": "openrouter_core.accounting.budget",
    "BudgetBypassWarning": "openrouter_core.accounting",
    "UsageLedger": "openrouter_core.accounting",
    "UsageRecord": "openrouter_core.accounting",
    "track_usage": "openrouter_core.accounting",
    "ModelCatalog": "openrouter_core.catalog",
    "ModelInfo": "openrouter_core.catalog",
    "ModelPricing": "openrouter_core.catalog",
    "default_catalog": "openrouter_core.catalog",
    "OpenRouterAccount": "openrouter_core.account",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "AuthenticationError",
    "BadRequestError",
    "BudgetBypassWarning",
    "BudgetExceededError",
    "ContextLengthExceededError",
    "HTTPRequestTimeoutError",
    "InsufficientCreditsError",
    "KeyLimitExceededError",
    "MissingAPIKeyError",
    "ModelCatalog",
    "ModelInfo",
    "ModelNotFoundError",
    "ModelPricing",
    "ModerationError",
    "NotOpenRouterError",
    "OpenRouterAccount",
    "OpenRouterError",
    "OpenRouterOptions",
    "OpenRouterUsage",
    "PermissionDeniedError",
    "ProviderError",
    "ProviderPreferences",
    "RateLimitError",
    "ReasoningConfig",
    "RequestTimeoutError",
    "UnknownModelError",
    "UsageLedger",
    "UsageRecord",
    "__version__",
    "build_extra_body",
    "default_catalog",
    "track_usage",
]
