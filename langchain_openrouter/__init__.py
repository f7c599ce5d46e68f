"""LangChain integration for OpenRouter: ``ChatOpenRouter``, embeddings and the usage handler.

Importing this package does not import the ``openai`` SDK; it loads at the first request.
"""

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
