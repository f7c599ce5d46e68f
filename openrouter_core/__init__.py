"""Framework-neutral OpenRouter support shared by the LangChain and LlamaIndex integrations.

The pieces: :mod:`~openrouter_core.settings` and :mod:`~openrouter_core.client` (key, base URL,
headers, the shared pooled ``openai`` clients), :mod:`~openrouter_core.options` (typed
OpenRouter request options), :mod:`~openrouter_core.usage` (tokens and exact cost),
:mod:`~openrouter_core.errors` (typed errors), :mod:`~openrouter_core.streaming` (the stream
accumulator), :mod:`~openrouter_core.transport` (the one request path) and
:mod:`openrouter_core.testing` (a local emulator). Nothing here imports LangChain or LlamaIndex.
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
    from openrouter_core.account import OpenRouterAccount
    from openrouter_core.catalog import ModelCatalog, ModelInfo, ModelPricing, default_catalog
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

# The model catalog and the account client load on first use as well.
_LAZY_CATALOG = {
    "ModelCatalog": "openrouter_core.catalog",
    "ModelInfo": "openrouter_core.catalog",
    "ModelPricing": "openrouter_core.catalog",
    "default_catalog": "openrouter_core.catalog",
    "OpenRouterAccount": "openrouter_core.account",
}


def __getattr__(name: str) -> Any:
    # The error classes subclass the openai SDK's, and importing the SDK costs more than half a
    # second; they are resolved on first use so importing this package stays light.
    if name in _LAZY_ERRORS:
        from openrouter_core import errors

        return getattr(errors, name)
    if name in _LAZY_CATALOG:
        import importlib

        return getattr(importlib.import_module(_LAZY_CATALOG[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "AuthenticationError",
    "BadRequestError",
    "ContextLengthExceededError",
    "InsufficientCreditsError",
    "MissingAPIKeyError",
    "ModelCatalog",
    "ModelInfo",
    "ModelNotFoundError",
    "ModelPricing",
    "ModerationError",
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
    "__version__",
    "build_extra_body",
    "default_catalog",
]
