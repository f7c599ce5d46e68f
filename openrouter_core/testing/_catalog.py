"""The emulator's built-in model catalog, provider table and model routing (pure functions).

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
    "DEFAULT_CATALOG",
    "DEFAULT_PROVIDERS",
    "Route",
    "RoutingError",
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

_DEFAULT_PARAMETERS: dict[str, Any] = {
    "temperature": None,
    "top_p": None,
    "frequency_penalty": None,
}


def _model(
    *,
    model_id: str,
    canonical_slug: str,
    hugging_face_id: str | None,
    name: str,
    created: int,
    description: str,
    context_length: int,
    input_modalities: list[str],
    output_modalities: list[str],
    tokenizer: str,
    instruct_type: str | None,
    pricing: dict[str, str],
    max_completion_tokens: int | None,
    is_moderated: bool,
    supported_parameters: list[str],
    knowledge_cutoff: str | None,
    reasoning: dict[str, Any] | None = None,
) -> dict[str, Any]:
    modality = "+".join(input_modalities) + "->" + "+".join(output_modalities)
    entry: dict[str, Any] = {
        "id": model_id,
        "canonical_slug": canonical_slug,
        "hugging_face_id": hugging_face_id,
        "name": name,
        "created": created,
        "description": description,
        "context_length": context_length,
        "architecture": {
            "modality": modality,
            "input_modalities": list(input_modalities),
            "output_modalities": list(output_modalities),
            "tokenizer": tokenizer,
            "instruct_type": instruct_type,
        },
        "pricing": dict(pricing),
        "top_provider": {
            "context_length": context_length,
            "max_completion_tokens": max_completion_tokens,
            "is_moderated": is_moderated,
        },
        "per_request_limits": None,
        "supported_parameters": list(supported_parameters),
        "default_parameters": dict(_DEFAULT_PARAMETERS),
        "supported_voices": None,
        "knowledge_cutoff": knowledge_cutoff,
        "expiration_date": None,
        "links": {"details": f"/api/v1/models/{canonical_slug}/endpoints"},
    }
    if reasoning is not None:
        entry["reasoning"] = dict(reasoning)
    return entry


def _reasoning(*, default_enabled: bool, mandatory: bool) -> dict[str, Any]:
    return {
        "supported_efforts": ["high", "medium", "low", "minimal"],
        "default_effort": "medium",
        "default_enabled": default_enabled,
        "mandatory": mandatory,
        "supports_max_tokens": not mandatory,
    }


_CLAUDE_PARAMS = [
    "include_reasoning",
    "max_tokens",
    "reasoning",
    "response_format",
    "stop",
    "structured_outputs",
    "temperature",
    "tool_choice",
    "tools",
    "top_k",
    "top_p",
]
_GPT4O_PARAMS = [
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "max_tokens",
    "presence_penalty",
    "response_format",
    "seed",
    "stop",
    "structured_outputs",
    "temperature",
    "tool_choice",
    "tools",
    "top_logprobs",
    "top_p",
    "web_search_options",
]
_GPT5_PARAMS = [
    "include_reasoning",
    "max_tokens",
    "reasoning",
    "response_format",
    "seed",
    "structured_outputs",
    "tool_choice",
    "tools",
]
_GEMINI_PARAMS = [
    "include_reasoning",
    "max_tokens",
    "reasoning",
    "response_format",
    "seed",
    "stop",
    "structured_outputs",
    "temperature",
    "tool_choice",
    "tools",
    "top_p",
]
_LLAMA_PARAMS = [
    "frequency_penalty",
    "max_tokens",
    "min_p",
    "presence_penalty",
    "repetition_penalty",
    "response_format",
    "seed",
    "stop",
    "temperature",
    "top_k",
    "top_p",
]

DEFAULT_CATALOG: tuple[dict[str, Any], ...] = (
    _model(
        model_id="anthropic/claude-haiku-4.5",
        canonical_slug="anthropic/claude-4.5-haiku-20251001",
        hugging_face_id="",
        name="Anthropic: Claude Haiku 4.5",
        created=1760547638,
        description="Claude Haiku 4.5 is Anthropic's fastest model (emulator catalog entry).",
        context_length=200000,
        input_modalities=["text", "image", "file"],
        output_modalities=["text"],
        tokenizer="Claude",
        instruct_type=None,
        pricing={
            "prompt": "0.000001",
            "completion": "0.000005",
            "request": "0",
            "image": "0",
            "web_search": "0.01",
            "internal_reasoning": "0",
            "input_cache_read": "0.0000001",
            "input_cache_write": "0.00000125",
        },
        max_completion_tokens=64000,
        is_moderated=True,
        supported_parameters=_CLAUDE_PARAMS,
        knowledge_cutoff="2025-02-28",
        reasoning=_reasoning(default_enabled=False, mandatory=False),
    ),
    _model(
        model_id="anthropic/claude-sonnet-4.5",
        canonical_slug="anthropic/claude-4.5-sonnet-20250929",
        hugging_face_id="",
        name="Anthropic: Claude Sonnet 4.5",
        created=1759161676,
        description="Claude Sonnet 4.5 is Anthropic's balanced frontier model (emulator entry).",
        context_length=1000000,
        input_modalities=["text", "image", "file"],
        output_modalities=["text"],
        tokenizer="Claude",
        instruct_type=None,
        pricing={
            "prompt": "0.000003",
            "completion": "0.000015",
            "request": "0",
            "image": "0",
            "web_search": "0.01",
            "internal_reasoning": "0",
            "input_cache_read": "0.0000003",
            "input_cache_write": "0.00000375",
        },
        max_completion_tokens=64000,
        is_moderated=False,
        supported_parameters=_CLAUDE_PARAMS,
        knowledge_cutoff="2025-07-31",
        reasoning=_reasoning(default_enabled=False, mandatory=False),
    ),
    _model(
        model_id="openai/gpt-4o-mini",
        canonical_slug="openai/gpt-4o-mini-2024-07-18",
        hugging_face_id=None,
        name="OpenAI: GPT-4o-mini",
        created=1721260800,
        description="GPT-4o mini is OpenAI's small multimodal model (emulator catalog entry).",
        context_length=128000,
        input_modalities=["text", "image", "file"],
        output_modalities=["text"],
        tokenizer="GPT",
        instruct_type=None,
        pricing={
            "prompt": "0.00000015",
            "completion": "0.0000006",
            "request": "0",
            "image": "0.000217",
            "web_search": "0.01",
            "internal_reasoning": "0",
            "input_cache_read": "0.000000075",
        },
        max_completion_tokens=16384,
        is_moderated=True,
        supported_parameters=_GPT4O_PARAMS,
        knowledge_cutoff="2023-10-01",
    ),
    _model(
        model_id="openai/gpt-5-mini",
        canonical_slug="openai/gpt-5-mini-2025-08-07",
        hugging_face_id="",
        name="OpenAI: GPT-5 Mini",
        created=1754587407,
        description="GPT-5 Mini is a compact reasoning model from OpenAI (emulator entry).",
        context_length=400000,
        input_modalities=["text", "image", "file"],
        output_modalities=["text"],
        tokenizer="GPT",
        instruct_type=None,
        pricing={
            "prompt": "0.00000025",
            "completion": "0.000002",
            "request": "0",
            "image": "0",
            "web_search": "0.01",
            "internal_reasoning": "0",
            "input_cache_read": "0.000000025",
        },
        max_completion_tokens=128000,
        is_moderated=True,
        supported_parameters=_GPT5_PARAMS,
        knowledge_cutoff="2024-05-31",
        reasoning=_reasoning(default_enabled=True, mandatory=True),
    ),
    _model(
        model_id="google/gemini-2.5-flash",
        canonical_slug="google/gemini-2.5-flash",
        hugging_face_id="",
        name="Google: Gemini 2.5 Flash",
        created=1750172488,
        description="Gemini 2.5 Flash is Google's fast multimodal thinking model (emulator entry).",
        context_length=1048576,
        input_modalities=["text", "image", "file", "audio", "video"],
        output_modalities=["text"],
        tokenizer="Gemini",
        instruct_type=None,
        pricing={
            "prompt": "0.0000003",
            "completion": "0.0000025",
            "request": "0",
            "image": "0.001238",
            "audio": "0.000001",
            "web_search": "0",
            "internal_reasoning": "0",
            "input_cache_read": "0.00000003",
            "input_cache_write": "0.0000003833",
        },
        max_completion_tokens=65535,
        is_moderated=False,
        supported_parameters=_GEMINI_PARAMS,
        knowledge_cutoff="2025-01-31",
        reasoning=_reasoning(default_enabled=False, mandatory=False),
    ),
    _model(
        model_id="meta-llama/llama-3.3-70b-instruct",
        canonical_slug="meta-llama/llama-3.3-70b-instruct",
        hugging_face_id="meta-llama/Llama-3.3-70B-Instruct",
        name="Meta: Llama 3.3 70B Instruct",
        created=1733506137,
        description="Llama 3.3 70B is a multilingual instruction-tuned model (emulator entry).",
        context_length=131072,
        input_modalities=["text"],
        output_modalities=["text"],
        tokenizer="Llama3",
        instruct_type="llama3",
        pricing={
            "prompt": "0.00000013",
            "completion": "0.00000039",
            "request": "0",
            "image": "0",
            "web_search": "0",
            "internal_reasoning": "0",
        },
        max_completion_tokens=16384,
        is_moderated=False,
        supported_parameters=_LLAMA_PARAMS,
        knowledge_cutoff="2023-12-31",
    ),
    _model(
        model_id="meta-llama/llama-3.3-70b-instruct:free",
        canonical_slug="meta-llama/llama-3.3-70b-instruct",
        hugging_face_id="meta-llama/Llama-3.3-70B-Instruct",
        name="Meta: Llama 3.3 70B Instruct (free)",
        created=1733506137,
        description="Free, rate-limited variant of Llama 3.3 70B Instruct (emulator entry).",
        context_length=65536,
        input_modalities=["text"],
        output_modalities=["text"],
        tokenizer="Llama3",
        instruct_type="llama3",
        pricing={
            "prompt": "0",
            "completion": "0",
            "request": "0",
            "image": "0",
            "web_search": "0",
            "internal_reasoning": "0",
        },
        max_completion_tokens=None,
        is_moderated=False,
        supported_parameters=_LLAMA_PARAMS,
        knowledge_cutoff="2023-12-31",
    ),
    _model(
        model_id=AUTO_ROUTER_ID,
        canonical_slug=AUTO_ROUTER_ID,
        hugging_face_id=None,
        name="Auto Router",
        created=1699401600,
        description="Routes each prompt to a suitable model (the emulator uses a fixed one).",
        context_length=2000000,
        input_modalities=["text", "image"],
        output_modalities=["text"],
        tokenizer="Router",
        instruct_type=None,
        pricing={"prompt": "-1", "completion": "-1"},
        max_completion_tokens=None,
        is_moderated=False,
        supported_parameters=sorted({*_GPT4O_PARAMS, "include_reasoning", "reasoning"}),
        knowledge_cutoff=None,
    ),
    _model(
        model_id="openai/text-embedding-3-small",
        canonical_slug="openai/text-embedding-3-small",
        hugging_face_id=None,
        name="OpenAI: Text Embedding 3 Small",
        created=1706140800,
        description="OpenAI's small third-generation embedding model (emulator entry).",
        context_length=8192,
        input_modalities=["text"],
        output_modalities=["embeddings"],
        tokenizer="GPT",
        instruct_type=None,
        pricing={
            "prompt": "0.00000002",
            "completion": "0",
            "request": "0",
            "image": "0",
            "web_search": "0",
            "internal_reasoning": "0",
        },
        max_completion_tokens=None,
        is_moderated=False,
        supported_parameters=[],
        knowledge_cutoff=None,
    ),
)
"""The built-in model table (override with ``OpenRouterEmulator(models=...)``)."""

DEFAULT_PROVIDERS: Mapping[str, tuple[str, ...]] = {
    "anthropic/claude-haiku-4.5": ("Amazon Bedrock", "Anthropic"),
    "anthropic/claude-sonnet-4.5": ("Anthropic", "Google Vertex"),
    "openai/gpt-4o-mini": ("OpenAI", "Azure"),
    "openai/gpt-5-mini": ("OpenAI", "Azure"),
    "google/gemini-2.5-flash": ("Google AI Studio", "Google Vertex"),
    "meta-llama/llama-3.3-70b-instruct": ("DeepInfra", "Together"),
    "meta-llama/llama-3.3-70b-instruct:free": ("Venice", "DeepInfra"),
    "openai/text-embedding-3-small": ("OpenAI", "Azure"),
}
"""Provider display names serving each built-in model, in default routing order."""

_AUTHOR_PROVIDERS: Mapping[str, tuple[str, str]] = {
    "anthropic": ("Anthropic", "Amazon Bedrock"),
    "openai": ("OpenAI", "Azure"),
    "google": ("Google AI Studio", "Google Vertex"),
    "meta-llama": ("DeepInfra", "Together"),
    "mistralai": ("Mistral", "DeepInfra"),
    "x-ai": ("xAI", "xAI"),
    "deepseek": ("DeepSeek", "DeepInfra"),
    "qwen": ("Alibaba", "DeepInfra"),
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
        Deep copies of the matching entries.
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
        out.append(copy.deepcopy(dict(model)))
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
