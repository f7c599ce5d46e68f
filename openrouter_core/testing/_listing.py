"""The emulator's read-only endpoints: the model list, model endpoints and generations.

``GET /models`` (with the ``supported_parameters`` and ``output_modalities`` filters),
``GET /embeddings/models``, ``GET /models/{author}/{slug}/endpoints`` (public, no key) and
``GET /generation?id=`` (the record :mod:`~openrouter_core.testing._billing` kept).
"""

from __future__ import annotations

from openrouter_core.testing._billing import Billing
from openrouter_core.testing._catalog import (
    default_providers_for,
    endpoints_payload,
    filter_models,
)
from openrouter_core.testing._http import HttpRequest, Responder
from openrouter_core.testing._state import EmulatorState
from openrouter_core.testing._wire import send_error, send_json

__all__ = ["Listing", "is_public"]

_PUBLIC = frozenset({"/models", "/embeddings/models"})


def is_public(method: str, route: str) -> bool:
    """Whether a request is for a public catalog endpoint (no key needed)."""
    return method == "GET" and (
        route in _PUBLIC or (route.startswith("/models/") and route.endswith("/endpoints"))
    )


class Listing:
    """Answers the catalog endpoints and ``GET /generation``.

    Args:
        state: The shared state.
        billing: Where generation records are kept.
    """

    def __init__(self, state: EmulatorState, billing: Billing) -> None:
        self._state = state
        self._billing = billing

    async def models(self, request: HttpRequest, out: Responder, route: str) -> None:
        """Answer a public catalog request."""
        state = self._state
        if route == "/models":
            await send_json(out, 200, {"data": filter_models(state.catalog, request.query)})
            return
        if route == "/embeddings/models":
            query = {**request.query, "output_modalities": "embeddings"}
            await send_json(out, 200, {"data": filter_models(state.catalog, query)})
            return
        slug = route[len("/models/") : -len("/endpoints")]
        model = state.by_id.get(slug) or next(
            (m for m in state.catalog if m.get("canonical_slug") == slug), None
        )
        if model is None:
            await send_error(out, 404, f"No endpoints found for {slug}.", user_id=None)
            return
        providers = state.providers.get(str(model["id"])) or default_providers_for(slug)
        await send_json(out, 200, endpoints_payload(model, providers))

    async def generation(self, request: HttpRequest, out: Responder) -> None:
        """Answer ``GET /generation?id=``."""
        generation_id = request.query.get("id", "")
        user_id = self._state.user_id
        if not generation_id:
            await send_error(out, 400, "Missing required parameter: id", user_id=user_id)
            return
        data = self._billing.generation(generation_id)
        if data is None:
            await send_error(out, 404, f"Generation {generation_id} not found", user_id=user_id)
            return
        await send_json(out, 200, {"data": data})
