"""llama_index_openrouter."""

from llama_index_openrouter.callbacks import (
    OpenRouterUsageEventHandler,
    attach_usage_handler,
    detach_usage_handler,
    get_openrouter_usage_handler,
)
from openrouter_core._version import __version__

__all__ = [
    "OpenRouterUsageEventHandler",
    "__version__",
    "attach_usage_handler",
    "detach_usage_handler",
    "get_openrouter_usage_handler",
]
