"""langchain_openrouter."""

from langchain_openrouter.callbacks import (
    OpenRouterUsageCallbackHandler,
    get_openrouter_callback,
)
from openrouter_core._version import __version__

__all__ = ["OpenRouterUsageCallbackHandler", "__version__", "get_openrouter_callback"]
