"""Typed OpenRouter-only request options: what each one may hold.

OpenRouter accepts the OpenAI Chat Completions body plus its own fields (``provider``,
``models``, ``reasoning``, ``plugins`` ...). The official ``openai`` SDK sends such fields through
``extra_body=``; this module models them with pydantic so bad values fail before a request is
made. Layering them into that dict (the options of a model instance, then of one call) is the
request builder's job: :func:`openrouter_core.request.build_extra_body`, also importable from
here.

Every model allows unknown keys, which are sent unchanged, so a field OpenRouter adds tomorrow
works without a new release of this package.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeAlias, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    Strict,
    StrictFloat,
    StrictInt,
    StrictStr,
    Tag,
    field_validator,
    model_validator,
)

__all__ = [
    "OPENROUTER_OPTION_FIELDS",
    "CacheControl",
    "ContextCompressionPlugin",
    "FileParserPlugin",
    "MaxPrice",
    "OpenRouterOptions",
    "PdfParserConfig",
    "PercentileCutoffs",
    "Plugin",
    "Prediction",
    "ProviderPreferences",
    "ProviderSortConfig",
    "ReasoningConfig",
    "ResponseHealingPlugin",
    "WebSearchPlugin",
    "to_plain",
]

_ProviderSort: TypeAlias = Literal["price", "throughput", "latency", "exacto"]
_Quantization: TypeAlias = Literal[
    "int4",
    "int8",
    "fp4",
    "mxfp4",
    "nvfp4",
    "fp6",
    "fp8",
    "mxfp8",
    "fp16",
    "bf16",
    "fp32",
    "unknown",
]
_SORT_VALUES: frozenset[str] = frozenset(get_args(_ProviderSort))


class _OptionsModel(BaseModel):
    """Shared configuration: unknown keys pass through, fields accept their names."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, validate_assignment=True)


# --------------------------------------------------------------------------------------------
# Provider routing
# --------------------------------------------------------------------------------------------


def _check_price(value: Any) -> Any:
    """Accept a non-negative, finite int, float, Decimal or numeric string; reject anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        msg = (
            f"must be a non-negative number (int, float, Decimal or numeric string), got {value!r}"
        )
        raise ValueError(msg)
    if isinstance(value, str):
        value = value.strip()
    try:
        number = float(value)
    except ValueError:
        msg = f"must be a non-negative number, got {value!r}"
        raise ValueError(msg) from None
    if not math.isfinite(number) or number < 0:
        msg = f"must be a non-negative number (USD), got {value!r}"
        raise ValueError(msg)
    return value


def _dump_price(value: int | float | Decimal | str) -> int | float | str:
    """Serialise a price as the user gave it, turning a ``Decimal`` into a JSON number."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


_Price: TypeAlias = Annotated[
    # the value was checked above; strict members keep its type ("1" stays a str, 1 an int)
    StrictInt | StrictFloat | Annotated[Decimal, Strict()] | StrictStr,
    BeforeValidator(_check_price),
    PlainSerializer(_dump_price),
]


class MaxPrice(_OptionsModel):
    """Highest price to accept for a request (``provider.max_price``).

    Prompt and completion prices are USD per million tokens; ``request`` and ``image`` are USD
    per request and per image. Values keep the type given (int, float or numeric string, as the
    OpenRouter docs and OpenAPI spec use both); a ``Decimal`` is sent as a JSON number.
    """

    prompt: _Price | None = None
    """USD per million prompt tokens."""
    completion: _Price | None = None
    """USD per million completion tokens."""
    request: _Price | None = None
    """USD per request."""
    image: _Price | None = None
    """USD per image."""
    audio: _Price | None = None
    """USD per audio unit, as billed by the provider."""


class ProviderSortConfig(_OptionsModel):
    """Object form of ``provider.sort``.

    ``partition="model"`` sorts endpoints within each model of a ``models`` fallback list;
    ``"none"`` sorts all endpoints of all models together.
    """

    by: _ProviderSort
    """What to sort endpoints by."""
    partition: Literal["model", "none"] | None = None
    """How endpoints of fallback models are grouped before sorting."""


class PercentileCutoffs(_OptionsModel):
    """Percentile thresholds for ``preferred_min_throughput`` / ``preferred_max_latency``.

    Throughput is in tokens per second, latency in seconds.
    """

    p50: float | None = Field(default=None, ge=0)
    """Median threshold."""
    p75: float | None = Field(default=None, ge=0)
    """75th percentile threshold."""
    p90: float | None = Field(default=None, ge=0)
    """90th percentile threshold."""
    p99: float | None = Field(default=None, ge=0)
    """99th percentile threshold."""


def _scalar_or_object(value: Any) -> str:
    """Discriminate a "value or object" field, so a bad value reports one error, not two."""
    return "object" if isinstance(value, Mapping | BaseModel) else "scalar"


_SortValue: TypeAlias = Annotated[
    Annotated[_ProviderSort, Tag("scalar")] | Annotated[ProviderSortConfig, Tag("object")],
    Discriminator(_scalar_or_object),
]
_Cutoff: TypeAlias = Annotated[
    Annotated[float, Field(ge=0), Tag("scalar")] | Annotated[PercentileCutoffs, Tag("object")],
    Discriminator(_scalar_or_object),
]


class ProviderPreferences(_OptionsModel):
    """Provider routing preferences, sent as the ``provider`` object.

    Every field is optional; ``None`` means "not sent", so OpenRouter's default applies.
    """

    order: list[str] | None = None
    """Provider slugs to try first, in order (e.g. ``"anthropic"``, ``"deepinfra/turbo"``)."""
    allow_fallbacks: bool | None = None
    """``False`` restricts routing to the providers in ``order`` (OpenRouter default: ``True``)."""
    require_parameters: bool | None = None
    """Only use providers that support every parameter in the request."""
    data_collection: Literal["allow", "deny"] | None = None
    """``"deny"`` only uses providers that do not store or train on prompts."""
    zdr: bool | None = None
    """Only use Zero Data Retention endpoints."""
    enforce_distillable_text: bool | None = None
    """Only use models whose authors allow distillation."""
    only: list[str] | None = None
    """Allow-list of provider slugs."""
    ignore: list[str] | None = None
    """Deny-list of provider slugs."""
    quantizations: list[_Quantization] | None = None
    """Only use endpoints with these quantization levels."""
    sort: _SortValue | None = None
    """``"price"``, ``"throughput"``, ``"latency"``, ``"exacto"``, or a sort object."""
    preferred_min_throughput: _Cutoff | None = None
    """Tokens per second (p50) or per-percentile cutoffs; slower endpoints are deprioritised."""
    preferred_max_latency: _Cutoff | None = None
    """Seconds (p50) or per-percentile cutoffs; slower endpoints are deprioritised."""
    max_price: MaxPrice | None = None
    """Highest acceptable prices."""

    @field_validator("sort", mode="before")
    @classmethod
    def _check_sort(cls, value: Any) -> Any:
        if value is None or isinstance(value, Mapping | ProviderSortConfig):
            return value
        if isinstance(value, str) and value in _SORT_VALUES:
            return value
        allowed = ", ".join(repr(v) for v in get_args(_ProviderSort))
        msg = (
            f"unknown provider sort {value!r}; use one of {allowed} "
            "or an object such as {'by': 'price', 'partition': 'none'}"
        )
        raise ValueError(msg)


# --------------------------------------------------------------------------------------------
# Reasoning, prediction, caching
# --------------------------------------------------------------------------------------------


class ReasoningConfig(_OptionsModel):
    """Reasoning-token settings, sent as the ``reasoning`` object.

    Use ``effort`` (OpenAI-style) or ``max_tokens`` (a token budget, Anthropic/Gemini-style), not
    both. Newer keys such as ``context`` and ``mode`` pass through as extra fields.
    """

    effort: Literal["max", "xhigh", "high", "medium", "low", "minimal", "none"] | None = None
    """Reasoning effort level."""
    max_tokens: int | None = Field(default=None, gt=0)
    """Token budget for reasoning."""
    exclude: bool | None = None
    """``True``: the model reasons but the reasoning is not returned."""
    enabled: bool | None = None
    """``True`` enables reasoning with default settings (medium effort)."""
    summary: Literal["auto", "concise", "detailed"] | None = None
    """Reasoning summary verbosity (OpenAI models)."""

    @model_validator(mode="after")
    def _effort_or_budget(self) -> ReasoningConfig:
        if self.effort is not None and self.max_tokens is not None:
            msg = "set either reasoning `effort` or reasoning `max_tokens`, not both"
            raise ValueError(msg)
        return self


class Prediction(_OptionsModel):
    """Predicted output, which lets some providers answer faster (``prediction``)."""

    type: Literal["content"] = "content"
    """Always ``"content"``."""
    content: str
    """The expected text of the answer."""


class CacheControl(_OptionsModel):
    """Top-level ``cache_control``: automatic prompt caching on Anthropic models."""

    type: Literal["ephemeral"] = "ephemeral"
    """Always ``"ephemeral"``."""
    ttl: Literal["5m", "1h"] | None = None
    """Cache lifetime; OpenRouter's default is five minutes."""


# --------------------------------------------------------------------------------------------
# Plugins
# --------------------------------------------------------------------------------------------


class WebSearchPlugin(_OptionsModel):
    """The ``web`` plugin: adds web search results to the prompt.

    OpenRouter now prefers the ``openrouter:web_search`` server tool; the plugin still works.
    """

    id: Literal["web"] = "web"
    """Plugin id."""
    enabled: bool | None = None
    """``False`` turns off a plugin enabled by default (for example by a ``:online`` slug)."""
    engine: str | None = None
    """Search engine: ``native``, ``exa``, ``firecrawl``, ``parallel`` or ``perplexity``."""
    max_results: int | None = Field(default=None, ge=1)
    """Number of results to add (OpenRouter default: 5)."""
    search_prompt: str | None = None
    """Text placed before the results."""
    include_domains: list[str] | None = None
    """Only search these domains."""
    exclude_domains: list[str] | None = None
    """Never search these domains."""
    max_uses: int | None = Field(default=None, ge=1)
    """Maximum number of searches per request."""
    mode: str | None = None
    """Search mode, as documented by OpenRouter."""
    user_location: dict[str, Any] | None = None
    """Approximate user location used to localise results."""


class PdfParserConfig(_OptionsModel):
    """PDF options of the ``file-parser`` plugin."""

    engine: Literal["mistral-ocr", "cloudflare-ai", "native", "pdf-text"] | None = None
    """Parser engine (``"pdf-text"`` is deprecated in favour of ``"cloudflare-ai"``)."""


class FileParserPlugin(_OptionsModel):
    """The ``file-parser`` plugin: controls how attached files (PDFs) are parsed."""

    id: Literal["file-parser"] = "file-parser"
    """Plugin id."""
    enabled: bool | None = None
    """``False`` turns the plugin off."""
    pdf: PdfParserConfig | None = None
    """PDF parsing options."""


class ResponseHealingPlugin(_OptionsModel):
    """The ``response-healing`` plugin: repairs malformed JSON in non-streaming responses."""

    id: Literal["response-healing"] = "response-healing"
    """Plugin id."""
    enabled: bool | None = None
    """``False`` turns the plugin off."""


class ContextCompressionPlugin(_OptionsModel):
    """The ``context-compression`` plugin: shortens prompts that exceed the context window."""

    id: Literal["context-compression"] = "context-compression"
    """Plugin id."""
    enabled: bool | None = None
    """``False`` turns the plugin off."""
    engine: str = "middle-out"
    """Compression engine."""


_KNOWN_PLUGIN_IDS = frozenset({"web", "file-parser", "response-healing", "context-compression"})
_OTHER_PLUGIN = "other-plugin"


def _plugin_tag(value: Any) -> str | None:
    """Pick the plugin model for a value from its ``id``; ``None`` means there is no usable id."""
    plugin_id = value.get("id") if isinstance(value, Mapping) else getattr(value, "id", None)
    if not isinstance(plugin_id, str):
        return None
    return plugin_id if plugin_id in _KNOWN_PLUGIN_IDS else _OTHER_PLUGIN


Plugin: TypeAlias = Annotated[
    Annotated[WebSearchPlugin, Tag("web")]
    | Annotated[FileParserPlugin, Tag("file-parser")]
    | Annotated[ResponseHealingPlugin, Tag("response-healing")]
    | Annotated[ContextCompressionPlugin, Tag("context-compression")]
    | Annotated[dict[str, Any], Tag(_OTHER_PLUGIN)],
    Discriminator(
        _plugin_tag,
        custom_error_type="plugin_id_missing",
        custom_error_message=(
            "each plugin must be an object with a string 'id', e.g. {'id': 'web'} "
            "or {'id': 'file-parser', 'pdf': {'engine': 'native'}}"
        ),
    ),
]
"""One entry of ``plugins``: a typed plugin model, or a dict with an ``id`` for other plugins."""


# --------------------------------------------------------------------------------------------
# The options model
# --------------------------------------------------------------------------------------------


class OpenRouterOptions(_OptionsModel):
    """Every OpenRouter-only request option, sent through the OpenAI SDK's ``extra_body``.

    All fields are optional and ``None`` means "not sent". Nested fields accept plain dicts, and
    unknown keys (at any level) are sent unchanged. Values are validated on construction, so a
    typo such as ``sort="cheapest"`` raises a :class:`pydantic.ValidationError` (a
    ``ValueError``) naming the field.

    Example:
        ```python
        from openrouter_core.options import OpenRouterOptions

        options = OpenRouterOptions(
            models=["anthropic/claude-sonnet-4", "openai/gpt-4o"],
            provider={"order": ["anthropic"], "sort": "price", "max_price": {"prompt": 3}},
            reasoning={"effort": "high"},
        )
        options.to_extra_body()
        # {'provider': {'order': ['anthropic'], 'sort': 'price', 'max_price': {'prompt': 3}},
        #  'models': ['anthropic/claude-sonnet-4', 'openai/gpt-4o'],
        #  'reasoning': {'effort': 'high'}, 'usage': {'include': True}}
        ```
    """

    provider: ProviderPreferences | None = None
    """Provider routing preferences."""
    models: list[str] | None = None
    """Fallback models, tried in order when the first fails."""
    route: Literal["fallback", "sort"] | None = None
    """Deprecated by OpenRouter (use ``provider.sort.partition``); still sent if set."""
    transforms: list[str] | None = None
    """Legacy message transforms such as ``["middle-out"]``; ``[]`` disables the default."""
    plugins: list[Plugin] | None = None
    """Plugins; known ids become typed models, other ids stay dicts."""
    reasoning: ReasoningConfig | None = None
    """Reasoning-token settings."""
    session_id: str | None = Field(default=None, max_length=256)
    """Groups requests in logs and keeps a conversation on one provider (at most 256 chars)."""
    user: str | None = None
    """Stable identifier of the end user."""
    prediction: Prediction | None = None
    """Predicted output."""
    verbosity: Literal["low", "medium", "high", "xhigh", "max"] | None = None
    """Answer length and detail, for models that support it."""
    top_k: int | None = Field(default=None, ge=0)
    """Sample only from the ``k`` most likely tokens (0 disables)."""
    min_p: float | None = Field(default=None, ge=0, le=1)
    """Minimum token probability relative to the most likely token, in [0, 1]."""
    top_a: float | None = Field(default=None, ge=0, le=1)
    """Dynamic top-p based on the most likely token's probability, in [0, 1]."""
    repetition_penalty: float | None = Field(default=None, gt=0, le=2)
    """Penalty for repeated tokens, in (0, 2]."""
    cache_control: CacheControl | None = None
    """Top-level automatic prompt caching (Anthropic models)."""
    include_reasoning: bool | None = None
    """Legacy switch: ``True`` equals ``reasoning={}``, ``False`` equals ``{"exclude": True}``."""

    trace: dict[str, Any] | None = None
    """Trace metadata forwarded to OpenRouter's broadcast destinations."""
    image_config: dict[str, Any] | None = None
    """Image output settings (``{"aspect_ratio": "16:9"}``...), with ``modalities`` asking for
    images."""

    @field_validator("session_id", mode="before")
    @classmethod
    def _empty_session_is_unset(cls, value: Any) -> Any:
        # An empty value (often from an empty environment variable) groups nothing.
        return None if isinstance(value, str) and not value.strip() else value

    def to_extra_body(self) -> dict[str, Any]:
        """Return these options as the ``extra_body`` dict for the OpenAI SDK.

        Returns:
            The same as ``build_extra_body(self)``.
        """
        from openrouter_core.request import build_extra_body

        return build_extra_body(self)


OPENROUTER_OPTION_FIELDS: tuple[str, ...] = tuple(OpenRouterOptions.model_fields)
"""Field names of :class:`OpenRouterOptions`, for routing per-call keyword arguments."""


def to_plain(value: Any) -> Any:
    """Typed option models (at any depth of a list) as plain JSON-ready dicts; other values as is.

    What a framework model keeps in its serialisable fields when given a typed option.
    """
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, list):
        return [to_plain(item) for item in value]
    return value


def __getattr__(name: str) -> Any:
    # Building the extra_body (layering, merging, memoising) is the request builder's job; the
    # names stay importable from here, where they lived first.
    if name in ("build_extra_body", "OptionsMemo"):
        from openrouter_core import request

        return getattr(request, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
