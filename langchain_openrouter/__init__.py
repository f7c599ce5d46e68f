"""LangChain integration for OpenRouter: ``ChatOpenRouter``, embeddings and the usage handler.

Importing this package does not import the ``openai`` SDK; it loads at the first request.
"""

import importlib.util

if importlib.util.find_spec("langchain_core") is None:
    raise ImportError(
        "langchain_openrouter needs LangChain (langchain-core), which is not installed. "
        'Install the extra: pip install "openrouter-frameworks[langchain]" '
        '(from a clone: pip install -e ".[langchain]").'
    )

from langchain_openrouter.callbacks import (
    OpenRouterUsageCallbackHandler,
    get_openrouter_callback,
)
from langchain_openrouter.chat_models import ChatOpenRouter
from langchain_openrouter.embeddings import OpenRouterEmbeddings
from openrouter_core._version import __version__

__all__ = [
    "ChatOpenRouter",
    "OpenRouterEmbeddings",
    "OpenRouterUsageCallbackHandler",
    "__version__",
    "get_openrouter_callback",
]
