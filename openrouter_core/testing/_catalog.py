"""The emulator's catalog, provider table and model routing.

The catalog is the package's dated snapshot of OpenRouter's model list (:func:`default_catalog`).
Model dicts follow the real ``GET /api/v1/models`` schema: prices are decimal strings in USD per
token (per request / image / search for those keys).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = [
    "AUTO_ROUTER_ID",
    "DEFAULT_AUTO_MODEL",
    "DEFAULT_PROVIDERS",
    "Route",
    "RoutingError",
    "default_catalog",
    "default_providers_for",
    "endpoints_payload",
    "filter_models",
    "model_prices",
    "provider_slug",
    "resolve_route",
]

AUTO_ROUTER_ID = "openrouter/auto"
"""The router model id; it resolves to a fixed catalog model (``auto_model``)."""

DEFAULT_AUTO_MODEL = "openai/gpt-4o-mini"
"""The catalog model that ``openrouter/auto`` resolves to unless configured otherwise."""

_VARIANT_SUFFIXES = (
    ":free",
    ":nitro",
    ":floor",
    ":online",
    ":thinking",
    ":extended",
    ":exacto",
    ":beta",
)


def listed_models() -> list[Mapping[str, Any]]:
    """The snapshot's model objects with their ``links``, sharing the snapshot's nested values.

    For a reader that copies them (the emulator's state does); :func:`default_catalog` is the
    copy to change.
    """
    from openrouter_core.catalog.snapshot import bundled_snapshot

    def details(model: Mapping[str, Any]) -> str:
        return f"/api/v1/models/{model.get('canonical_slug') or model['id']}/endpoints"

    return [
        model if "links" in model else {**model, "links": {"details": details(model)}}
        for model in bundled_snapshot().models
    ]


def default_catalog() -> list[dict[str, Any]]:
    """The emulator's catalog: the package's dated snapshot of OpenRouter's model list.

    The same list the model catalog falls back on offline
    (:func:`openrouter_core.catalog.snapshot.bundled_snapshot`), so the catalog never lists a
    model the emulator rejects. Returns deep copies.
    """
    return [copy.deepcopy(dict(model)) for model in listed_models()]


DEFAULT_PROVIDERS: Mapping[str, tuple[str, ...]] = {
    "anthropic/claude-haiku-4.5": ("Amazon Bedrock", "Anthropic"),
    "anthropic/claude-sonnet-4.5": ("Anthropic", "Google Vertex"),
    "openai/gpt-4o-mini": ("OpenAI", "Azure"),
    "openai/gpt-5-mini": ("OpenAI", "Azure"),
    "google/gemini-2.5-flash": ("Google AI Studio", "Google Vertex"),
    "google/gemini-2.5-flash-image": ("Google", "Google AI Studio"),
    "meta-llama/llama-3.3-70b-instruct": ("DeepInfra", "Together"),
    "meta-llama/llama-3.3-70b-instruct:free": ("Venice", "DeepInfra"),
    "openai/text-embedding-3-small": ("OpenAI", "Azure"),
}
"""Provider display names serving some models, in default routing order (others: by author)."""

_AUTHOR_PROVIDERS: Mapping[str, tuple[str, str]] = {
    "anthropic": ("Anthropic", "Amazon Bedrock"),
    "openai": ("OpenAI", "Azure"),
    "google": ("Google AI Studio", "Google Vertex"),
    "meta-llama": ("DeepInfra", "Together"),
    "mistralai": ("Mistral", "DeepInfra"),
    "x-ai": ("xAI", "xAI"),
    "deepseek": ("DeepSeek", "DeepInfra"),
    "qwen": ("Alibaba", "DeepInfra"),
    "z-ai": ("Z.AI", "DeepInfra"),
    "perplexity": ("Perplexity", "Perplexity"),
    "moonshotai": ("Moonshot AI", "DeepInfra"),
    "openrouter": ("OpenRouter", "OpenRouter"),
}


def default_providers_for(model_id: str) -> tuple[str, ...]:
    """Return the providers the emulator reports for a model it has no explicit table entry for.

    Args:
        model_id: An ``author/slug`` model id.

    Returns:
        Two provider display names derived from the author prefix.
    """
    author = model_id.split("/", 1)[0]
    if author in _AUTHOR_PROVIDERS:
        return _AUTHOR_PROVIDERS[author]
    title = author.replace("-", " ").title() or "OpenRouter"
    return (title, "DeepInfra")


def provider_slug(name: str) -> str:
    """Return the routing slug of a provider name (``"Amazon Bedrock"`` -> ``"amazon-bedrock"``).

    Args:
        name: Provider display name.

    Returns:
        The lower-case, dash-separated slug.
    """
    return name.strip().lower().replace(" ", "-")


def model_prices(model: Mapping[str, Any]) -> dict[str, Decimal]:
    """Return a model's pricing table as ``Decimal`` values (USD per token, request, image...).

    Args:
        model: A catalog model dict.

    Returns:
        Every pricing key mapped to its ``Decimal`` value.
    """
    pricing = model.get("pricing") or {}
    return {str(k): Decimal(str(v)) for k, v in pricing.items()}


def _strip_variant(model_id: str) -> tuple[str, str | None]:
    for suffix in _VARIANT_SUFFIXES:
        if model_id.endswith(suffix):
            return model_id[: -len(suffix)], suffix
    return model_id, None


@dataclass(frozen=True)
class Route:
    """Where a chat request is served.

    Attributes:
        requested: The model id the client asked for.
        model_id: The catalog id actually used (after fallbacks, variants and the auto router).
        served: The model name reported in responses (the canonical slug).
        provider: The provider display name reported in responses.
        model: The catalog entry (``{}`` for lenient routes of unknown models).
        prices: Prices used for cost (the catalog entry's: zero for a listed ``:free`` model;
            zero for unknown models served leniently).
        router: ``"openrouter/auto"`` when the auto router chose the model, else ``None``.
    """

    requested: str
    model_id: str
    served: str
    provider: str
    model: Mapping[str, Any]
    prices: Mapping[str, Decimal]
    router: str | None = None

    @property
    def family(self) -> str:
        """The model family driving native finish reasons, reasoning formats and tool-call ids."""
        author = self.model_id.split("/", 1)[0]
        if author in {"anthropic", "google"}:
            return author
        if author == "openai":
            params = self.model.get("supported_parameters") or ()
            return "openai-reasoning" if "reasoning" in params else "openai"
        return "other"

    def supports(self, parameter: str) -> bool:
        """Return whether the model lists ``parameter`` in ``supported_parameters``."""
        return parameter in (self.model.get("supported_parameters") or ())

    @property
    def reasoning_by_default(self) -> bool:
        """Whether the model reasons when a request does not mention reasoning."""
        reasoning = self.model.get("reasoning")
        return isinstance(reasoning, Mapping) and bool(reasoning.get("default_enabled"))

    @property
    def supports_caching(self) -> bool:
        """Whether the model has cache pricing (prompt caching is simulated only then)."""
        return "input_cache_read" in self.prices


class RoutingError(Exception):
    """A request cannot be routed; carries the HTTP status and the error message.

    Args:
        status: HTTP status (400 or 404).
        message: The ``error.message`` text.
        with_user_id: Whether the error body carries a top-level ``user_id``.
    """

    def __init__(self, status: int, message: str, *, with_user_id: bool = True) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.with_user_id = with_user_id


def _served_name(model: Mapping[str, Any], model_id: str) -> str:
    canonical = str(model.get("canonical_slug") or model_id)
    if model_id.endswith(":free") and not canonical.endswith(":free"):
        return canonical + ":free"
    return canonical


def _matches(name: str, preference: str) -> bool:
    pref = preference.strip().lower()
    return pref in {name.lower(), provider_slug(name)} or pref.split("/", 1)[0] == provider_slug(
        name
    )


def _pick_provider(providers: Sequence[str], prefs: Mapping[str, Any]) -> str | None:
    candidates = list(providers)
    ignore = [str(p) for p in prefs.get("ignore") or ()]
    candidates = [c for c in candidates if not any(_matches(c, p) for p in ignore)]
    only = [str(p) for p in prefs.get("only") or ()]
    if only:
        candidates = [c for c in candidates if any(_matches(c, p) for p in only)]
    for preference in [str(p) for p in prefs.get("order") or ()]:
        for candidate in candidates:
            if _matches(candidate, preference):
                return candidate
    if prefs.get("order") and prefs.get("allow_fallbacks") is False:
        return None
    return candidates[0] if candidates else None


def _lookup(catalog: Mapping[str, Mapping[str, Any]], model_id: str) -> str | None:
    """Return the catalog id serving a requested id, resolving variant suffixes."""
    if model_id in catalog:
        return model_id
    base, suffix = _strip_variant(model_id)
    # ":free" is a model of its own, served only where the catalog lists it (OpenRouter answers
    # an unlisted one with 400 "<id> is not a valid model ID"); other variants apply to any model.
    if suffix is not None and suffix != ":free" and base in catalog:
        return base
    for key, entry in catalog.items():
        if entry.get("canonical_slug") == model_id and not key.endswith(":free"):
            return key
    return None


def resolve_route(
    body: Mapping[str, Any],
    catalog: Mapping[str, Mapping[str, Any]],
    providers: Mapping[str, Sequence[str]],
    *,
    auto_model: str = DEFAULT_AUTO_MODEL,
    lenient: bool = False,
) -> Route:
    """Resolve which model and provider serve a chat request.

    Rules: the primary ``model`` then each ``models`` fallback is tried in order; unknown ids and
    models lacking tool support (when ``tools`` are sent) are skipped. ``openrouter/auto`` resolves
    to ``auto_model``. Variant suffixes (``:nitro``, ``:online``...) resolve to the base model; a
    ``:free`` id is served, at zero, only when the catalog lists it. ``provider.order`` /
    ``only`` / ``ignore`` / ``allow_fallbacks`` pick among the model's providers.

    Args:
        body: The parsed request body.
        catalog: Catalog entries keyed by model id.
        providers: Provider display names per model id.
        auto_model: The model ``openrouter/auto`` resolves to.
        lenient: Serve unknown models anyway (used for scripted replies): the requested id is
            reported as served, priced at zero.

    Returns:
        The route.

    Raises:
        RoutingError: No candidate can serve the request (400 invalid model id, 404 no endpoints).
    """
    requested = body.get("model")
    fallbacks = [str(m) for m in body.get("models") or () if isinstance(m, str)]
    primary = str(requested) if isinstance(requested, str) and requested else None
    if primary is None:
        primary = fallbacks[0] if fallbacks else AUTO_ROUTER_ID
    candidates = [primary, *[m for m in fallbacks if m != primary]]
    wants_tools = bool(body.get("tools")) and body.get("tool_choice") != "none"
    raw_prefs = body.get("provider")
    prefs: Mapping[str, Any] = raw_prefs if isinstance(raw_prefs, Mapping) else {}
    unknown: list[str] = []
    no_tools = False
    no_provider = False
    for candidate in candidates:
        router = None
        target = candidate
        if _strip_variant(candidate)[0] == AUTO_ROUTER_ID:
            router = AUTO_ROUTER_ID
            target = auto_model
        model_id = _lookup(catalog, target)
        if model_id is None:
            unknown.append(candidate)
            continue
        model = catalog[model_id]
        if "text" not in (model.get("architecture") or {}).get("output_modalities", ["text"]):
            unknown.append(candidate)
            continue
        if wants_tools and not lenient and "tools" not in (model.get("supported_parameters") or ()):
            no_tools = True
            continue
        served_by = providers.get(model_id) or default_providers_for(model_id)
        provider = _pick_provider(served_by, prefs)
        if provider is None and lenient:
            provider = served_by[0]
        if provider is None:
            no_provider = True
            continue
        # A listed ":free" entry carries its own (zero) prices and keeps its suffix when served.
        prices = model_prices(model)
        served = _served_name(model, model_id)
        return Route(
            requested=primary,
            model_id=model_id,
            served=served,
            provider=provider,
            model=model,
            prices=prices,
            router=router,
        )
    if lenient:
        base = _strip_variant(primary)[0]
        return Route(
            requested=primary,
            model_id=base,
            served=base,
            provider=default_providers_for(base)[0],
            model={},
            prices={},
        )
    if no_tools:
        raise RoutingError(
            404,
            "No endpoints found that support tool use. To learn more about provider routing, "
            "visit: https://openrouter.ai/docs/guides/routing/provider-selection",
        )
    if no_provider:
        raise RoutingError(404, "No allowed providers are available for the selected model.")
    raise RoutingError(400, f"{unknown[0]} is not a valid model ID")


def filter_models(models: Iterable[Mapping[str, Any]], query: Mapping[str, str]) -> list[Any]:
    """Apply the ``/models`` query filters.

    ``supported_parameters`` (comma list): every listed parameter must be supported.
    ``output_modalities`` (comma list, default ``text``; ``all`` disables the filter): the model
    must output at least one of them.

    Args:
        models: Catalog entries.
        query: The request's query parameters.

    Returns:
        The matching entries themselves (to encode, not to change).
    """
    wanted_params = [p for p in query.get("supported_parameters", "").split(",") if p.strip()]
    modalities = {
        m.strip() for m in query.get("output_modalities", "text").split(",") if m.strip()
    } or {"text"}
    out: list[Any] = []
    for model in models:
        supported = set(model.get("supported_parameters") or ())
        if any(p.strip() not in supported for p in wanted_params):
            continue
        outputs = set((model.get("architecture") or {}).get("output_modalities") or ["text"])
        if "all" not in modalities and not outputs & modalities:
            continue
        out.append(model)
    return out


def _percentiles(base: float, step: float) -> dict[str, float]:
    return {
        "p50": round(base, 2),
        "p75": round(base + step, 2),
        "p90": round(base + 2 * step, 2),
        "p99": round(base + 4 * step, 2),
    }


def endpoints_payload(model: Mapping[str, Any], providers: Sequence[str]) -> dict[str, Any]:
    """Build the ``GET /models/{author}/{slug}/endpoints`` body for one model.

    Args:
        model: The catalog entry.
        providers: Provider display names serving it.

    Returns:
        ``{"data": {id, name, created, description, architecture, endpoints: [...]}}``.
    """
    pricing = dict(model.get("pricing") or {})
    endpoints = []
    for i, provider in enumerate(providers):
        endpoint_pricing = dict(pricing)
        endpoint_pricing["discount"] = 0
        endpoints.append(
            {
                "name": f"{provider} | {model.get('canonical_slug', model['id'])}",
                "model_id": model["id"],
                "model_name": model.get("name", model["id"]),
                "context_length": model.get("context_length"),
                "pricing": endpoint_pricing,
                "provider_name": provider,
                "tag": provider_slug(provider),
                "quantization": "unknown" if i == 0 else "fp8",
                "max_completion_tokens": (model.get("top_provider") or {}).get(
                    "max_completion_tokens"
                ),
                "max_prompt_tokens": None,
                "supported_parameters": list(model.get("supported_parameters") or ()),
                "status": 0,
                "uptime_last_5m": 100.0 - i,
                "uptime_last_30m": 99.8 - i,
                "uptime_last_1d": 99.5 - i,
                "latency_last_30m": _percentiles(0.45 + 0.2 * i, 0.15),
                "throughput_last_30m": _percentiles(85.0 - 10 * i, -8.0),
                "supports_implicit_caching": "input_cache_read" in pricing
                and "input_cache_write" not in pricing,
            }
        )
    return {
        "data": {
            "id": model["id"],
            "name": model.get("name", model["id"]),
            "created": model.get("created"),
            "description": model.get("description", ""),
            "architecture": copy.deepcopy(model.get("architecture")),
            "endpoints": endpoints,
        }
    }
