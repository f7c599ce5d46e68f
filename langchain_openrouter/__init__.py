"""LangChain integration for OpenRouter: ``ChatOpenRouter``.

Importing this package does not import the ``openai`` SDK; it loads at the first request.
"""

from langchain_openrouter.chat_models import ChatOpenRouter
from openrouter_core._version import __version__

__all__ = ["ChatOpenRouter", "__version__"]
