"""llama_index_openrouter."""

from llama_index_openrouter.embeddings import OpenRouterEmbedding
from openrouter_core._version import __version__

__all__ = ["OpenRouterEmbedding", "__version__"]
