"""Build a LangChain ``ModelProfile`` from an OpenRouter catalog entry (pure).

``ChatOpenRouter`` fills ``profile`` from the model catalog without blocking: it looks the model
up with :meth:`openrouter_core.catalog.ModelCatalog.peek` (memory or disk, never the network)
and converts the entry here. Only facts the catalog states are set; anything unknown is left
out, as ``ModelProfile`` is a ``total=False`` dict.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_core.language_models.model_profile import ModelProfile

if TYPE_CHECKING:
    from openrouter_core.model_info import ModelInfo

__all__ = ["model_profile"]


def model_profile(info: ModelInfo) -> ModelProfile:
    """Return the LangChain profile of an OpenRouter model.

    Args:
        info: The catalog entry (from ``ModelCatalog.peek`` or ``get``).

    Returns:
        Context and output limits, input and output modalities, and support for tool
        calling, structured output and reasoning.
    """
    profile = ModelProfile(
        name=info.name,
        text_inputs="text" in info.input_modalities or not info.input_modalities,
        image_inputs=info.supports_image_input,
        image_url_inputs=info.supports_image_input,
        pdf_inputs=info.supports_pdf_input,
        audio_inputs=info.supports_audio_input,
        video_inputs=info.supports_video_input,
        text_outputs="text" in info.output_modalities or not info.output_modalities,
        image_outputs="image" in info.output_modalities,
        audio_outputs="audio" in info.output_modalities,
        tool_calling=info.supports_tools,
        tool_choice=info.supports_tool_choice,
        structured_output=info.supports_structured_outputs,
        reasoning_output=info.supports_reasoning,
        temperature="temperature" in info.supported_parameters,
    )
    if info.context_length is not None:
        profile["max_input_tokens"] = info.context_length
    if info.max_completion_tokens is not None:
        profile["max_output_tokens"] = info.max_completion_tokens
    efforts = info.reasoning_efforts
    if info.supports_reasoning and efforts:
        profile["reasoning_effort_levels"] = list(efforts)
        default = (info.reasoning or {}).get("default_effort")
        if isinstance(default, str) and default:
            profile["reasoning_effort_default"] = default
    return profile
