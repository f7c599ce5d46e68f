"""LlamaIndex tools in OpenRouter's request shape, and tool calls read back as selections.

Tools become OpenAI function specs (LlamaIndex's own converter); what ``tool_choice`` values mean
and how a JSON schema is asked for are core rules (:mod:`openrouter_core.tools`). Back from an
answer, tool calls become ``ToolSelection``s, with malformed arguments reported (or kept under
:data:`RAW_ARGUMENTS_KEY`) rather than guessed, except while a stream is still running.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse, ContentBlock, ToolCallBlock
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.utils import parse_partial_json
from pydantic import BaseModel

from llama_index_openrouter._messages import legacy_tool_calls
from llama_index_openrouter._responses import PARTIAL_KEY
from openrouter_core import tools as core_tools
from openrouter_core.response import parse_arguments

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

__all__ = [
    "RAW_ARGUMENTS_KEY",
    "first_tool_call_only",
    "function_spec",
    "json_schema_response_format",
    "keep_first_tool_call",
    "resolve_tool_choice",
    "to_openrouter_tools",
    "tool_selections_from_response",
]

RAW_ARGUMENTS_KEY = "__raw_arguments__"
"""Key under which :func:`tool_selections_from_response` puts tool-call arguments that are not
a JSON object (``error_on_no_tool_call=False``): ``{"__raw_arguments__": "<the text as sent>"}``.
A tool called with it fails with an error the agent shows the model, which can then retry."""


def to_openrouter_tools(tools: Sequence[BaseTool], *, strict: bool = False) -> list[dict[str, Any]]:
    """The request's ``tools`` for LlamaIndex tools (OpenAI function specs).

    A tool that knows its own spec (:class:`~llama_index_openrouter.tools.OpenRouterServerTool`,
    :func:`~llama_index_openrouter.tools.with_tool_options`) is sent as it says.

    Args:
        tools: The tools.
        strict: Mark every function spec ``strict: true`` unless it says otherwise.

    Raises:
        ValueError: A tool's argument schema cannot be converted to JSON schema (named in the
            message).
    """
    specs = []
    for tool in tools:
        own = getattr(tool, "openrouter_spec", None)
        spec = own() if callable(own) else function_spec(tool)
        if strict and spec.get("type") == "function":
            spec["function"].setdefault("strict", True)
        specs.append(spec)
    return specs


def function_spec(tool: BaseTool) -> dict[str, Any]:
    """A LlamaIndex tool's OpenAI function spec (a new dict)."""
    try:
        return tool.metadata.to_openai_tool(skip_length_check=True)
    except Exception as exc:
        name = getattr(tool.metadata, "name", None) or type(tool).__name__
        msg = f"cannot convert the tool {name!r} to an OpenAI tool schema: {exc}"
        raise ValueError(msg) from exc


def resolve_tool_choice(
    tool_choice: str | Mapping[str, Any] | None,
    tools: Sequence[Mapping[str, Any]],
    *,
    required: bool,
) -> Any:
    """The ``tool_choice`` to send (see :func:`openrouter_core.tools.tool_choice`).

    Args:
        tool_choice: ``"auto"``, ``"none"``, ``"required"``, a tool name, a ``tool_choice``
            object, or ``None``.
        tools: The tools of the request.
        required: Whether the model must call a tool (used when ``tool_choice`` is ``None``).

    Raises:
        ValueError: ``tool_choice`` names no tool of the request.
    """
    if tool_choice is None:
        return "required" if required else "auto"
    return core_tools.tool_choice(tool_choice, tools)


def json_schema_response_format(
    output_cls: type[BaseModel], *, strict: bool = False
) -> dict[str, Any]:
    """The ``response_format`` asking for JSON that matches a pydantic model's schema."""
    return core_tools.json_schema_format(
        output_cls.__name__, output_cls.model_json_schema(), strict=strict or None
    )


def _calls_in(message: ChatMessage) -> list[tuple[str, str, dict[str, Any] | str]]:
    calls = [
        (block.tool_call_id or "", block.tool_name, block.tool_kwargs)
        for block in message.blocks
        if isinstance(block, ToolCallBlock)
    ]
    if calls:
        return calls
    out: list[tuple[str, str, dict[str, Any] | str]] = []
    for call in legacy_tool_calls(message.additional_kwargs.get("tool_calls")):
        function = call["function"]
        out.append((call.get("id") or "", function["name"], function["arguments"]))
    return out


def tool_selections_from_response(
    response: ChatResponse, *, error_on_no_tool_call: bool = True
) -> list[ToolSelection]:
    """Read the tool calls of a response.

    Arguments that are not a JSON object raise (``error_on_no_tool_call=True``) or come back
    as ``{RAW_ARGUMENTS_KEY: "<the text as sent>"}``. While a stream is running (responses
    marked with :data:`PARTIAL_KEY`), incomplete arguments are parsed as far as they go.

    Args:
        response: A response of :class:`~llama_index_openrouter.OpenRouter`.
        error_on_no_tool_call: Raise when there is no tool call or its arguments are malformed.

    Returns:
        One :class:`ToolSelection` per call, in order.

    Raises:
        ValueError: No tool call, or malformed arguments, with ``error_on_no_tool_call=True``.
    """
    calls = _calls_in(response.message)
    if not calls:
        if error_on_no_tool_call:
            msg = (
                "expected at least one tool call, but the model answered without calling a "
                f"tool: {(response.message.content or '')[:200]!r}"
            )
            raise ValueError(msg)
        return []
    partial = response.additional_kwargs.get(PARTIAL_KEY) is True
    selections = []
    for call_id, name, arguments in calls:
        kwargs: dict[str, Any]
        if isinstance(arguments, dict):
            kwargs = arguments
        else:
            parsed = parse_arguments(arguments)
            if parsed.args is not None:
                kwargs = parsed.args
            elif partial:
                kwargs = _partial_arguments(arguments)
            elif error_on_no_tool_call:
                msg = (
                    f"the model called the tool {name!r} (call id {call_id!r}) with arguments "
                    f"that cannot be used: {parsed.error}; received {parsed.raw[:500]!r}"
                )
                raise ValueError(msg)
            else:
                kwargs = {RAW_ARGUMENTS_KEY: parsed.raw}
        selections.append(ToolSelection(tool_id=call_id, tool_name=name, tool_kwargs=kwargs))
    return selections


def _partial_arguments(raw: str) -> dict[str, Any]:
    try:
        value = parse_partial_json(raw)
    except (ValueError, TypeError):
        return {}
    return value if isinstance(value, dict) else {}


def first_tool_call_only(response: ChatResponse) -> ChatResponse:
    """``response`` itself when it holds at most one tool call, else a copy holding the first.

    For streams: the responses yielded are also the instrumentation events' payloads, which
    keep every call the model made.
    """
    message = response.message
    calls = message.additional_kwargs.get("tool_calls")
    many_calls = isinstance(calls, list) and len(calls) > 1
    if not many_calls and sum(isinstance(b, ToolCallBlock) for b in message.blocks) < 2:
        return response
    copy = response.model_copy(
        update={
            "message": message.model_copy(
                update={
                    "blocks": list(message.blocks),
                    "additional_kwargs": dict(message.additional_kwargs),
                }
            ),
            "additional_kwargs": dict(response.additional_kwargs),
        }
    )
    return keep_first_tool_call(copy)


def keep_first_tool_call(response: ChatResponse) -> ChatResponse:
    """Drop every tool call but the first from a response's message (in place); return it."""
    message = response.message
    seen = False
    blocks: list[ContentBlock] = []
    for block in message.blocks:
        if isinstance(block, ToolCallBlock):
            if seen:
                continue
            seen = True
        blocks.append(block)
    message.blocks = blocks
    calls = message.additional_kwargs.get("tool_calls")
    if isinstance(calls, list) and len(calls) > 1:
        message.additional_kwargs["tool_calls"] = calls[:1]
    return response
