"""One model of OpenRouter's catalog (``GET /models``) as a typed view, and its parser (pure).

:class:`ModelInfo` is a frozen dataclass built by a tolerant parser: a missing field, ``null``
and ``""`` all read as "unknown" (``None``), and unknown fields are ignored (the original object
stays on :attr:`ModelInfo.raw`). Capabilities (:data:`CAPABILITIES`) are read from the listed
request parameters and modalities. Nothing here touches the network.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from openrouter_core._fields import (
    bool_or_none,
    int_or_none,
    mapping_or_none,
    str_or_none,
    strings,
)
from openrouter_core.catalog.pricing import ModelPricing, parse_pricing

__all__ = ["CAPABILITIES", "CAPABILITY_ALIASES", "ModelInfo", "parse_model", "parse_models"]

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
