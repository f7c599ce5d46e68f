"""Typed views of OpenRouter's model catalog (``GET /models``) and endpoint lists (pure parsing).

Everything here is a frozen dataclass built by a tolerant parser: a missing field, ``null`` and
``""`` all read as "unknown" (``None``), unknown fields are ignored (the original object stays on
``raw``), and unknown pricing keys are kept in :attr:`ModelPricing.extra`. Prices are exact
``Decimal`` USD amounts per token (per request, image or web search for those keys), parsed from
the decimal strings OpenRouter sends.

Nothing here touches the network; :mod:`openrouter_core.catalog` fetches and caches.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from decimal import Decimal
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
from openrouter_core.usage import to_decimal

__all__ = [
    "CAPABILITIES",
    "CAPABILITY_ALIASES",
    "ModelEndpoints",
    "ModelInfo",
    "ModelPricing",
    "ProviderEndpoint",
    "check_token_counts",
    "parse_endpoints",
    "parse_model",
    "parse_models",
    "parse_pricing",
]

_KNOWN_PRICES = (
    "prompt",
    "completion",
    "request",
    "image",
    "web_search",
    "internal_reasoning",
    "input_cache_read",
    "input_cache_write",
)

CAPABILITIES: Mapping[str, str] = {
    "tools": "calls tools (function calling)",
    "tool_choice": "accepts tool_choice",
    "structured_outputs": "returns JSON that follows a JSON schema (response_format json_schema)",
    "response_format": "accepts response_format (at least JSON mode)",
    "reasoning": "produces reasoning tokens",
    "vision": "reads images (alias: image)",
    "pdf": "reads files such as PDFs (alias: file)",
    "audio": "reads audio",
    "video": "reads video",
    "embeddings": "produces embeddings",
    "image_output": "produces images",
}
"""Capability names accepted by :meth:`ModelInfo.supports` (any ``supported_parameters`` name
is accepted too)."""

CAPABILITY_ALIASES: Mapping[str, str] = {
    "image": "vision",
    "image_input": "vision",
    "file": "pdf",
    "json": "response_format",
}
"""Other names accepted for capabilities."""


def _price(value: Any) -> Decimal | None:
    """A price; negative values (the router's ``"-1"``) mean "depends on the routed model"."""
    number = to_decimal(value)
    if number is None or number < 0:
        return None
    return number


# --------------------------------------------------------------------------------------------
# Pricing
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class ModelPricing:
    """A model's (or one provider endpoint's) prices, in USD, as exact ``Decimal`` values.

    ``None`` means "not listed" (or variable: the ``openrouter/auto`` router lists ``-1``).

    Attributes:
        prompt: Per input token.
        completion: Per output token (reasoning tokens included, unless
            ``internal_reasoning`` is above zero).
        request: Per request.
        image: Per input image.
        web_search: Per web search (the ``web`` plugin and ``:online`` variants).
        internal_reasoning: Per reasoning token, for models that price reasoning apart
            (``0`` means "billed as completion tokens").
        input_cache_read: Per input token read from the prompt cache.
        input_cache_write: Per input token written to the prompt cache.
        extra: Any other numeric pricing key OpenRouter sends (``audio``, ``image_output``,
            ``input_cache_write_1h``, ``discount``...), kept as ``Decimal``.
    """

    prompt: Decimal | None = None
    completion: Decimal | None = None
    request: Decimal | None = None
    image: Decimal | None = None
    web_search: Decimal | None = None
    internal_reasoning: Decimal | None = None
    input_cache_read: Decimal | None = None
    input_cache_write: Decimal | None = None
    extra: Mapping[str, Decimal] = dataclasses.field(default_factory=dict)

    def get(self, key: str) -> Decimal | None:
        """Return the price listed under an OpenRouter pricing key (known or extra)."""
        if key in _KNOWN_PRICES:
            value: Decimal | None = getattr(self, key)
            return value
        return self.extra.get(key)

    @property
    def known(self) -> bool:
        """Whether both token prices are listed (so a cost can be estimated)."""
        return self.prompt is not None and self.completion is not None

    @property
    def is_free(self) -> bool:
        """Whether input, output and requests all cost nothing."""
        return self.prompt == 0 and self.completion == 0 and not self.request

    def cost_parts(
        self,
        input_tokens: int,
        output_tokens: int,
        cached_tokens: int = 0,
        reasoning_tokens: int = 0,
        *,
        cache_write_tokens: int = 0,
        requests: int = 1,
    ) -> dict[str, Decimal]:
        """Break an estimated cost into its parts (same arguments as :meth:`cost`).

        Returns:
            ``{"input", "cache_read", "cache_write", "output", "reasoning", "request"}``, each
            a ``Decimal`` in USD (zero when it does not apply).

        Raises:
            ValueError: A count is negative, cached plus cache-write tokens exceed the input,
                or reasoning tokens exceed the output; or the prices are not listed.
        """
        check_token_counts(
            input_tokens, output_tokens, cached_tokens, reasoning_tokens, cache_write_tokens
        )
        if requests < 0:
            raise ValueError(f"requests must be >= 0, got {requests}")
        if self.prompt is None or self.completion is None:
            raise ValueError("this model lists no token prices (its cost depends on routing)")
        read = self.input_cache_read if self.input_cache_read is not None else self.prompt
        write = self.input_cache_write if self.input_cache_write is not None else self.prompt
        separate = self.internal_reasoning is not None and self.internal_reasoning > 0
        priced_reasoning = reasoning_tokens if separate else 0
        return {
            "input": (input_tokens - cached_tokens - cache_write_tokens) * self.prompt,
            "cache_read": cached_tokens * read,
            "cache_write": cache_write_tokens * write,
            "output": (output_tokens - priced_reasoning) * self.completion,
            "reasoning": priced_reasoning * (self.internal_reasoning or Decimal(0)),
            "request": requests * (self.request or Decimal(0)),
        }

    def cost(
        self,
        input_tokens: int,
        output_tokens: int,
        cached_tokens: int = 0,
        reasoning_tokens: int = 0,
        *,
        cache_write_tokens: int = 0,
        requests: int = 1,
    ) -> Decimal:
        """Estimate the cost of a call from its token counts, the way OpenRouter bills them.

        Token counts follow :class:`~openrouter_core.usage.OpenRouterUsage`: ``input_tokens``
        includes the cached and cache-write tokens, ``output_tokens`` includes the reasoning
        tokens. Cached tokens cost ``input_cache_read`` and written ones ``input_cache_write``
        (the prompt price where a key is missing); reasoning tokens cost the completion price
        unless ``internal_reasoning`` is above zero. Images, audio and web searches are not
        included.

        Args:
            input_tokens: Prompt tokens.
            output_tokens: Completion tokens.
            cached_tokens: Prompt tokens read from the cache.
            reasoning_tokens: Completion tokens spent on reasoning.
            cache_write_tokens: Prompt tokens written to the cache.
            requests: Number of requests (for a per-request price).

        Returns:
            The cost in USD.

        Raises:
            ValueError: Inconsistent counts, or no token prices listed.
        """
        parts = self.cost_parts(
            input_tokens,
            output_tokens,
            cached_tokens,
            reasoning_tokens,
            cache_write_tokens=cache_write_tokens,
            requests=requests,
        )
        return sum(parts.values(), Decimal(0))

    def to_dict(self) -> dict[str, str]:
        """Plain-JSON form: every listed price as an exact decimal string."""
        out = {k: str(v) for k in _KNOWN_PRICES if (v := getattr(self, k)) is not None}
        out.update((k, str(v)) for k, v in self.extra.items())
        return out


def check_token_counts(
    input_tokens: int,
    output_tokens: int,
    cached_tokens: int,
    reasoning_tokens: int,
    cache_write_tokens: int,
) -> None:
    """Reject counts that are not non-negative ints or do not add up, before any request.

    Raises:
        TypeError: A count is not an int.
        ValueError: A count is negative, cached plus cache-write tokens exceed the input, or
            reasoning tokens exceed the output.
    """
    counts = {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cached_tokens": cached_tokens,
        "reasoning_tokens": reasoning_tokens,
        "cache_write_tokens": cache_write_tokens,
    }
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {value!r}")
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
    if cached_tokens + cache_write_tokens > input_tokens:
        raise ValueError(
            f"cached_tokens + cache_write_tokens ({cached_tokens + cache_write_tokens}) "
            f"exceed input_tokens ({input_tokens}); input_tokens counts them all"
        )
    if reasoning_tokens > output_tokens:
        raise ValueError(
            f"reasoning_tokens ({reasoning_tokens}) exceed output_tokens ({output_tokens}); "
            "output_tokens counts the reasoning tokens"
        )


def parse_pricing(value: Any) -> ModelPricing:
    """Parse a ``pricing`` object (decimal strings or numbers); anything else gives no prices."""
    if not isinstance(value, Mapping):
        return ModelPricing()
    known = {key: _price(value.get(key)) for key in _KNOWN_PRICES}
    extra = {
        str(key): number
        for key, raw in value.items()
        if key not in _KNOWN_PRICES and (number := to_decimal(raw)) is not None
    }
    return ModelPricing(**known, extra=extra)


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class ModelInfo:
    """One model of OpenRouter's catalog.

    Attributes:
        id: The id to request, e.g. ``"anthropic/claude-haiku-4.5"`` (variants such as
            ``":free"`` are listed as their own entries).
        name: Display name, e.g. ``"Anthropic: Claude Haiku 4.5"``.
        canonical_slug: The dated, permanent slug (responses often report this one).
        hugging_face_id: The Hugging Face repository of open-weights models.
        created: Unix time the model was added.
        description: OpenRouter's description (Markdown).
        context_length: The largest context window across its providers, in tokens.
        max_completion_tokens: The default provider's output limit, in tokens.
        top_provider_context_length: The default provider's context window, in tokens.
        is_moderated: Whether the default provider moderates inputs.
        modality: E.g. ``"text+image->text"``.
        input_modalities: E.g. ``("text", "image", "file")``.
        output_modalities: E.g. ``("text",)`` or ``("embeddings",)``.
        tokenizer: Tokenizer family, e.g. ``"Claude"``.
        instruct_type: Prompt format of open models, e.g. ``"llama3"``.
        pricing: Prices per token, request, image and search.
        supported_parameters: Request parameters some provider honours
            (``"tools"``, ``"structured_outputs"``, ``"reasoning"``...).
        default_parameters: Default sampling parameters, when listed.
        per_request_limits: Per-request token limits, when listed.
        reasoning: The reasoning configuration (``supported_efforts``, ``default_effort``,
            ``mandatory``...), when listed.
        knowledge_cutoff: Training-data cutoff date, when listed.
        expiration_date: Date the model is retired, when announced.
        raw: The model object exactly as received (fields newer than this parser live here).
    """

    id: str
    name: str
    canonical_slug: str | None = None
    hugging_face_id: str | None = None
    created: int | None = None
    description: str = ""
    context_length: int | None = None
    max_completion_tokens: int | None = None
    top_provider_context_length: int | None = None
    is_moderated: bool | None = None
    modality: str | None = None
    input_modalities: tuple[str, ...] = ()
    output_modalities: tuple[str, ...] = ()
    tokenizer: str | None = None
    instruct_type: str | None = None
    pricing: ModelPricing = dataclasses.field(default_factory=ModelPricing)
    supported_parameters: tuple[str, ...] = ()
    default_parameters: Mapping[str, Any] | None = None
    per_request_limits: Mapping[str, Any] | None = None
    reasoning: Mapping[str, Any] | None = None
    knowledge_cutoff: str | None = None
    expiration_date: str | None = None
    raw: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    # ---------------------------------------------------------------- naming

    @property
    def author(self) -> str:
        """The part before ``/`` (``"anthropic"``)."""
        return self.id.split("/", 1)[0] if "/" in self.id else ""

    @property
    def base_id(self) -> str:
        """The id without a variant suffix (``"x/y:free"`` -> ``"x/y"``)."""
        return self.id.partition(":")[0]

    @property
    def variant(self) -> str | None:
        """The variant suffix without its colon (``"free"``), or ``None``."""
        return self.id.partition(":")[2] or None

    # ---------------------------------------------------------------- limits

    @property
    def max_output_tokens(self) -> int | None:
        """Output limit in tokens (``max_completion_tokens``), when listed."""
        return self.max_completion_tokens

    @property
    def is_free(self) -> bool:
        """Whether the model costs nothing to call (``:free`` variants)."""
        return self.pricing.is_free

    # ---------------------------------------------------------------- capabilities

    @property
    def supports_tools(self) -> bool:
        """Whether the model can call tools."""
        return "tools" in self.supported_parameters

    @property
    def supports_tool_choice(self) -> bool:
        """Whether ``tool_choice`` (forcing a tool) is honoured."""
        return "tool_choice" in self.supported_parameters

    @property
    def supports_structured_outputs(self) -> bool:
        """Whether ``response_format={"type": "json_schema", ...}`` is enforced natively."""
        return "structured_outputs" in self.supported_parameters

    @property
    def supports_response_format(self) -> bool:
        """Whether ``response_format`` is accepted (at least JSON mode)."""
        return (
            "response_format" in self.supported_parameters
            or "structured_outputs" in self.supported_parameters
        )

    @property
    def supports_reasoning(self) -> bool:
        """Whether the model produces reasoning tokens."""
        params = self.supported_parameters
        return "reasoning" in params or "include_reasoning" in params or bool(self.reasoning)

    @property
    def reasoning_efforts(self) -> tuple[str, ...]:
        """Reasoning effort levels the model accepts (empty when not listed)."""
        return strings((self.reasoning or {}).get("supported_efforts"))

    @property
    def supports_image_input(self) -> bool:
        """Whether images can be sent."""
        return "image" in self.input_modalities

    @property
    def supports_pdf_input(self) -> bool:
        """Whether files such as PDFs can be sent natively."""
        return "file" in self.input_modalities

    @property
    def supports_audio_input(self) -> bool:
        """Whether audio can be sent."""
        return "audio" in self.input_modalities

    @property
    def supports_video_input(self) -> bool:
        """Whether video can be sent."""
        return "video" in self.input_modalities

    @property
    def is_embedding_model(self) -> bool:
        """Whether the model produces embeddings (``POST /embeddings``)."""
        return "embeddings" in self.output_modalities

    def supports(self, capability: str) -> bool:
        """Whether the model has a capability from :data:`CAPABILITIES` or accepts a parameter.

        Args:
            capability: ``"tools"``, ``"structured_outputs"``, ``"reasoning"``, ``"vision"``
                (``"image"``), ``"pdf"`` (``"file"``), ``"audio"``, ``"video"``,
                ``"embeddings"``, ``"image_output"``, ``"json"``, or any request parameter
                name such as ``"seed"`` or ``"logprobs"``.
        """
        name = CAPABILITY_ALIASES.get(capability, capability)
        checks = {
            "tools": lambda: self.supports_tools,
            "structured_outputs": lambda: self.supports_structured_outputs,
            "response_format": lambda: self.supports_response_format,
            "reasoning": lambda: self.supports_reasoning,
            "vision": lambda: self.supports_image_input,
            "pdf": lambda: self.supports_pdf_input,
            "audio": lambda: self.supports_audio_input,
            "video": lambda: self.supports_video_input,
            "embeddings": lambda: self.is_embedding_model,
            "image_output": lambda: "image" in self.output_modalities,
        }
        check = checks.get(name)
        return check() if check is not None else name in self.supported_parameters


def parse_model(data: Any) -> ModelInfo | None:
    """Parse one ``/models`` entry; ``None`` when it has no usable ``id``."""
    if not isinstance(data, Mapping):
        return None
    model_id = str_or_none(data.get("id"))
    if model_id is None:
        return None
    architecture = mapping_or_none(data.get("architecture")) or {}
    top = mapping_or_none(data.get("top_provider")) or {}
    description = data.get("description")
    return ModelInfo(
        id=model_id,
        name=str_or_none(data.get("name")) or model_id,
        canonical_slug=str_or_none(data.get("canonical_slug")),
        hugging_face_id=str_or_none(data.get("hugging_face_id")),
        created=int_or_none(data.get("created")),
        description=description if isinstance(description, str) else "",
        context_length=int_or_none(data.get("context_length"))
        or int_or_none(top.get("context_length")),
        max_completion_tokens=int_or_none(top.get("max_completion_tokens")),
        top_provider_context_length=int_or_none(top.get("context_length")),
        is_moderated=bool_or_none(top.get("is_moderated")),
        modality=str_or_none(architecture.get("modality")),
        input_modalities=strings(architecture.get("input_modalities")),
        output_modalities=strings(architecture.get("output_modalities")),
        tokenizer=str_or_none(architecture.get("tokenizer")),
        instruct_type=str_or_none(architecture.get("instruct_type")),
        pricing=parse_pricing(data.get("pricing")),
        supported_parameters=strings(data.get("supported_parameters")),
        default_parameters=mapping_or_none(data.get("default_parameters")),
        per_request_limits=mapping_or_none(data.get("per_request_limits")),
        reasoning=mapping_or_none(data.get("reasoning")),
        knowledge_cutoff=str_or_none(data.get("knowledge_cutoff")),
        expiration_date=str_or_none(data.get("expiration_date")),
        raw=data,
    )


def parse_models(data: Any) -> list[ModelInfo]:
    """Parse a ``GET /models`` body (``{"data": [...]}``) or its list; bad entries are skipped.

    Raises:
        ValueError: The body is neither a list nor an object with a ``data`` list.
    """
    entries = data.get("data") if isinstance(data, Mapping) else data
    if not isinstance(entries, list):
        raise ValueError("expected {'data': [...]} from GET /models")
    return [info for entry in entries if (info := parse_model(entry)) is not None]


# --------------------------------------------------------------------------------------------
# Endpoints
# --------------------------------------------------------------------------------------------


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
