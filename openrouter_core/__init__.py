"""Framework-neutral OpenRouter support shared by the LangChain and LlamaIndex integrations."""

from openrouter_core._version import __version__

__all__ = ["__version__"]
