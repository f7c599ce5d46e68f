"""The model catalog's own errors and warning (an HTTP failure is an ``OpenRouterError``).

Every error here is a :class:`CatalogError`, raised by the catalog itself: a lookup the cached
model list cannot answer, a filter nothing matches, a price that is not listed, or a catalog
that cannot be loaded at all.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AmbiguousModelError",
    "CatalogError",
    "CatalogUnavailableError",
    "ModelNotListedError",
    "NoModelMatchesError",
    "PriceUnknownError",
    "StaleCatalogWarning",
]


class CatalogError(Exception):
    """Base class of the catalog's own errors (HTTP failures are ``OpenRouterError``)."""


class CatalogUnavailableError(CatalogError):
    """The catalog could not be fetched and there is no cached copy to fall back on."""


class ModelNotListedError(CatalogError, LookupError):
    """The catalog lists no model for the id (a local lookup, made before any request).

    Not to be confused with :class:`openrouter_core.errors.UnknownModelError`, OpenRouter's
    HTTP 400 for a model id a request named. This class was called ``UnknownModelError`` too;
    that name still imports from :mod:`openrouter_core.catalog`, with a
    ``DeprecationWarning``.

    Attributes:
        model_id: The id that was looked up.
        candidates: Close matches (or, for :class:`AmbiguousModelError`, every match).
    """

    def __init__(self, message: str, *, model_id: str, candidates: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.model_id = model_id
        self.candidates = list(candidates)

    def __str__(self) -> str:
        return str(self.args[0])


class AmbiguousModelError(ModelNotListedError):
    """A bare model name matches several ``author/slug`` ids; ``candidates`` lists them."""


class NoModelMatchesError(CatalogError, LookupError):
    """No model satisfies the filters given to :meth:`ModelCatalog.cheapest`."""


class PriceUnknownError(CatalogError, ValueError):
    """The model lists no token prices (e.g. ``openrouter/auto``, priced by the routed model)."""


class StaleCatalogWarning(UserWarning):
    """OpenRouter could not be reached; an older cached catalog is being used."""
