"""OpenRouter for LlamaIndex: ``OpenRouter``, a function-calling LLM for every OpenRouter model.

Names are resolved on first use, so ``import llama_index_openrouter`` stays light (LlamaIndex
itself is imported when ``OpenRouter`` is first touched, the ``openai`` SDK at the first
request).
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

if importlib.util.find_spec("llama_index") is None:
    raise ImportError(
        "llama_index_openrouter needs LlamaIndex (llama-index-core), which is not installed. "
        'Install the extra: pip install "openrouter-frameworks[llamaindex]" '
        '(from a clone: pip install -e ".[llamaindex]").'
    )

from openrouter_core._version import __version__

if TYPE_CHECKING:
    from llama_index_openrouter._tools import RAW_ARGUMENTS_KEY
    from llama_index_openrouter.base import OpenRouter
    from llama_index_openrouter.callbacks import (
        OpenRouterUsageEventHandler,
        attach_usage_handler,
        detach_usage_handler,
        get_openrouter_usage_handler,
    )
    from llama_index_openrouter.embeddings import OpenRouterEmbedding

_LAZY: dict[str, str] = {
    "OpenRouter": "llama_index_openrouter.base",
    "OpenRouterEmbedding": "llama_index_openrouter.embeddings",
    "RAW_ARGUMENTS_KEY": "llama_index_openrouter._tools",
    "OpenRouterUsageEventHandler": "llama_index_openrouter.callbacks",
    "attach_usage_handler": "llama_index_openrouter.callbacks",
    "detach_usage_handler": "llama_index_openrouter.callbacks",
    "get_openrouter_usage_handler": "llama_index_openrouter.callbacks",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "RAW_ARGUMENTS_KEY",
    "OpenRouter",
    "OpenRouterEmbedding",
    "OpenRouterUsageEventHandler",
    "__version__",
    "attach_usage_handler",
    "detach_usage_handler",
    "get_openrouter_usage_handler",
]
