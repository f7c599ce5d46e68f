"""The providers serving a model (``GET /models/{author}/{slug}/endpoints``), typed (pure parsing).

:class:`ModelEndpoints` lists one :class:`ProviderEndpoint` per provider, with its prices,
limits, uptime and latency, parsed as tolerantly as :mod:`openrouter_core.catalog.info` parses
models. Nothing here touches the network; :meth:`ModelCatalog.endpoints
<openrouter_core.catalog.ModelCatalog.endpoints>` fetches.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from openrouter_core._fields import (
    bool_or_none,
    float_map,
    float_or_none,
    int_or_none,
    mapping_or_none,
    str_or_none,
    strings,
)
from openrouter_core.catalog.pricing import ModelPricing, parse_pricing

__all__ = ["ModelEndpoints", "ProviderEndpoint", "parse_endpoints"]


@dataclasses.dataclass(frozen=True, slots=True)
class ProviderEndpoint:
    """One provider serving a model (``GET /models/{author}/{slug}/endpoints``).

    Attributes:
        provider_name: Display name, e.g. ``"Amazon Bedrock"``.
        tag: The routing slug for ``provider.order`` / ``only``, e.g. ``"amazon-bedrock"``.
        name: Endpoint name, e.g. ``"Amazon Bedrock | anthropic/claude-4.5-haiku-20251001"``.
        model_id: The model id.
        quantization: E.g. ``"fp8"``, when listed.
        context_length: Context window at this provider, in tokens.
        max_completion_tokens: Output limit at this provider.
        max_prompt_tokens: Input limit at this provider.
        pricing: This provider's prices.
        supported_parameters: Parameters this provider honours.
        status: OpenRouter's status code for the endpoint (``0`` = up).
        uptime_last_5m: Uptime percentage over the last 5 minutes.
        uptime_last_30m: Uptime percentage over the last 30 minutes.
        uptime_last_1d: Uptime percentage over the last day.
        latency_last_30m: Time-to-first-token percentiles (``p50``, ``p75``, ``p90``, ``p99``).
        throughput_last_30m: Tokens-per-second percentiles.
        supports_implicit_caching: Whether the provider caches prompts without
            ``cache_control``.
        raw: The endpoint object as received.
    """

    provider_name: str
    tag: str | None = None
    name: str | None = None
    model_id: str | None = None
    quantization: str | None = None
    context_length: int | None = None
    max_completion_tokens: int | None = None
    max_prompt_tokens: int | None = None
    pricing: ModelPricing = dataclasses.field(default_factory=ModelPricing)
    supported_parameters: tuple[str, ...] = ()
    status: int | None = None
    uptime_last_5m: float | None = None
    uptime_last_30m: float | None = None
    uptime_last_1d: float | None = None
    latency_last_30m: Mapping[str, float] | None = None
    throughput_last_30m: Mapping[str, float] | None = None
    supports_implicit_caching: bool | None = None
    raw: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)


@dataclasses.dataclass(frozen=True, slots=True)
class ModelEndpoints:
    """A model and the provider endpoints serving it.

    Attributes:
        id: The model id.
        name: Display name.
        created: Unix time the model was added.
        description: OpenRouter's description.
        input_modalities: Input modalities.
        output_modalities: Output modalities.
        endpoints: The providers, in the order OpenRouter lists them.
        raw: The ``data`` object as received.
    """

    id: str
    name: str
    created: int | None = None
    description: str = ""
    input_modalities: tuple[str, ...] = ()
    output_modalities: tuple[str, ...] = ()
    endpoints: tuple[ProviderEndpoint, ...] = ()
    raw: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    @property
    def providers(self) -> list[str]:
        """Provider routing slugs (``tag``), ready for ``provider={"order": [...]}``."""
        return [e.tag or e.provider_name for e in self.endpoints]

    def cheapest(self) -> ProviderEndpoint | None:
        """The endpoint with the lowest prompt + completion price (listed prices only)."""
        priced = [e for e in self.endpoints if e.pricing.known]
        return min(
            priced,
            key=lambda e: (e.pricing.prompt or 0) + (e.pricing.completion or 0),
            default=None,
        )


def _parse_endpoint(data: Any) -> ProviderEndpoint | None:
    if not isinstance(data, Mapping):
        return None
    provider = str_or_none(data.get("provider_name")) or str_or_none(data.get("name"))
    if provider is None:
        return None
    return ProviderEndpoint(
        provider_name=provider,
        tag=str_or_none(data.get("tag")),
        name=str_or_none(data.get("name")),
        model_id=str_or_none(data.get("model_id")),
        quantization=str_or_none(data.get("quantization")),
        context_length=int_or_none(data.get("context_length")),
        max_completion_tokens=int_or_none(data.get("max_completion_tokens")),
        max_prompt_tokens=int_or_none(data.get("max_prompt_tokens")),
        pricing=parse_pricing(data.get("pricing")),
        supported_parameters=strings(data.get("supported_parameters")),
        status=int_or_none(data.get("status")),
        uptime_last_5m=float_or_none(data.get("uptime_last_5m")),
        uptime_last_30m=float_or_none(data.get("uptime_last_30m")),
        uptime_last_1d=float_or_none(data.get("uptime_last_1d")),
        latency_last_30m=float_map(data.get("latency_last_30m")),
        throughput_last_30m=float_map(data.get("throughput_last_30m")),
        supports_implicit_caching=bool_or_none(data.get("supports_implicit_caching")),
        raw=data,
    )


def parse_endpoints(data: Any) -> ModelEndpoints:
    """Parse a ``GET /models/{author}/{slug}/endpoints`` body (``{"data": {...}}``).

    Raises:
        ValueError: The body has no model object with an ``id``.
    """
    model = data.get("data") if isinstance(data, Mapping) else None
    if not isinstance(model, Mapping) or str_or_none(model.get("id")) is None:
        raise ValueError(
            "expected {'data': {'id': ..., 'endpoints': [...]}} from the endpoints API"
        )
    architecture = mapping_or_none(model.get("architecture")) or {}
    endpoints: Iterable[Any] = model.get("endpoints") or ()
    model_id = str(model["id"])
    description = model.get("description")
    return ModelEndpoints(
        id=model_id,
        name=str_or_none(model.get("name")) or model_id,
        created=int_or_none(model.get("created")),
        description=description if isinstance(description, str) else "",
        input_modalities=strings(architecture.get("input_modalities")),
        output_modalities=strings(architecture.get("output_modalities")),
        endpoints=tuple(e for item in endpoints if (e := _parse_endpoint(item)) is not None),
        raw=model,
    )
