"""llama_index_openrouter."""

from openrouter_core._version import __version__

__all__ = ["__version__"]
