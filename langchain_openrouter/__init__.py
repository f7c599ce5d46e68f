"""langchain_openrouter."""

from langchain_openrouter.embeddings import OpenRouterEmbeddings
from openrouter_core._version import __version__

__all__ = ["OpenRouterEmbeddings", "__version__"]
