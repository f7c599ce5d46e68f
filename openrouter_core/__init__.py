"""Framework-neutral OpenRouter support shared by the LangChain and LlamaIndex integrations.

The pieces: :mod:`~openrouter_core.settings` and :mod:`~openrouter_core.client` (key, base URL,
headers, the shared pooled ``openai`` clients), :mod:`~openrouter_core.options` (typed
OpenRouter request options), :mod:`~openrouter_core.usage` (tokens and exact cost),
:mod:`~openrouter_core.errors` (typed errors), :mod:`~openrouter_core.streaming` (the stream
accumulator), :mod:`~openrouter_core.transport` (the one request path) and
:mod:`~openrouter_core.ledger` (``track_usage()``: one account of cost and cache tokens across
both frameworks, with a budget guard) and :mod:`openrouter_core.testing` (a local emulator).
Nothing here imports LangChain or LlamaIndex.
"""

from typing import TYPE_CHECKING, Any

from openrouter_core._version import __version__
from openrouter_core.options import (
    OpenRouterOptions,
    ProviderPreferences,
    ReasoningConfig,
    build_extra_body,
)
from openrouter_core.usage import OpenRouterUsage

if TYPE_CHECKING:
    from openrouter_core.budget import BudgetExceededError
    from openrouter_core.errors import (
        APIConnectionError,
        APIStatusError,
        AuthenticationError,
        BadRequestError,
        ContextLengthExceededError,
        InsufficientCreditsError,
        MissingAPIKeyError,
        ModelNotFoundError,
        ModerationError,
        OpenRouterError,
        PermissionDeniedError,
        ProviderError,
        RateLimitError,
        RequestTimeoutError,
    )
    from openrouter_core.ledger import UsageLedger, UsageRecord, track_usage

_LAZY_ERRORS = frozenset(
    {
        "APIConnectionError",
        "APIStatusError",
        "AuthenticationError",
        "BadRequestError",
        "ContextLengthExceededError",
        "InsufficientCreditsError",
        "MissingAPIKeyError",
        "ModelNotFoundError",
        "ModerationError",
        "OpenRouterError",
        "PermissionDeniedError",
        "ProviderError",
        "RateLimitError",
        "RequestTimeoutError",
    }
)

# The usage ledger is light, but it is only needed once someone tracks usage.
_LAZY_LEDGER = frozenset({"UsageLedger", "UsageRecord", "track_usage"})


def __getattr__(name: str) -> Any:
    # The error classes subclass the openai SDK's, and importing the SDK costs more than half a
    # second; they are resolved on first use so importing this package stays light.
    if name in _LAZY_ERRORS:
        from openrouter_core import errors

        return getattr(errors, name)
    if name in _LAZY_LEDGER:
        from openrouter_core import ledger

        return getattr(ledger, name)
    if name == "BudgetExceededError":
        from openrouter_core.budget import BudgetExceededError

        return BudgetExceededError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "AuthenticationError",
    "BadRequestError",
    "BudgetExceededError",
    "ContextLengthExceededError",
    "InsufficientCreditsError",
    "MissingAPIKeyError",
    "ModelNotFoundError",
    "ModerationError",
    "OpenRouterError",
    "OpenRouterOptions",
    "OpenRouterUsage",
    "PermissionDeniedError",
    "ProviderError",
    "ProviderPreferences",
    "RateLimitError",
    "ReasoningConfig",
    "RequestTimeoutError",
    "UsageLedger",
    "UsageRecord",
    "__version__",
    "build_extra_body",
    "track_usage",
]
