"""LangChain tools, ``tool_choice`` and structured output in OpenRouter's request shape.

Tools (LangChain tools, functions, pydantic models, TypedDicts, JSON schemas) become OpenAI
function specs with LangChain's own converter; OpenRouter server tools
(``{"type": "openrouter:web_search"}``) pass through untouched. What ``tool_choice`` values mean
and how a JSON schema is asked for are core rules (:mod:`openrouter_core.tools`). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import (
    JsonOutputKeyToolsParser,
    PydanticToolsParser,
)
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass

from openrouter_core import tools as core_tools

__all__ = ["format_tool_choice", "format_tools", "json_schema_format", "structured_output"]


def format_tools(tools: Sequence[Any], *, strict: bool | None = None) -> list[dict[str, Any]]:
    """Convert LangChain tools, functions, pydantic models or schemas to OpenAI tools.

    OpenRouter server tools (dicts whose ``type`` starts with ``openrouter:``) are sent as given.

    Raises:
        ValueError: A tool cannot be converted to a JSON-schema function.
    """
    return [
        dict(tool) if core_tools.is_server_tool(tool) else _format_tool(tool, strict)
        for tool in tools
    ]


def _format_tool(tool: Any, strict: bool | None) -> dict[str, Any]:
    try:
        return convert_to_openai_tool(tool, strict=strict)
    except Exception as exc:
        raise ValueError(f"cannot convert {tool!r} to an OpenAI tool schema: {exc}") from exc


def format_tool_choice(
    tool_choice: dict[str, Any] | str | bool | None, tools: Sequence[Mapping[str, Any]]
) -> dict[str, Any] | str | None:
    """LangChain's ``tool_choice`` values as OpenRouter's (see :func:`core_tools.tool_choice`).

    Raises:
        ValueError: ``True`` with several tools, or a name that is not one of the tools.
    """
    return core_tools.tool_choice(tool_choice, tools)


def json_schema_format(schema: Any, *, strict: bool | None = None) -> dict[str, Any]:
    """The ``response_format`` asking for JSON that follows ``schema``.

    Args:
        schema: A pydantic class, a TypedDict, a JSON schema or an OpenAI function schema.
        strict: Sent as ``json_schema.strict`` when not ``None``.
    """
    if isinstance(schema, Mapping) and "title" not in schema and "function" not in schema:
        return core_tools.json_schema_format("response", schema, strict=strict)
    function = _format_tool(schema, strict)["function"]
    return core_tools.json_schema_format(
        function["name"],
        function.get("parameters") or {"type": "object", "properties": {}},
        description=function.get("description"),
        strict=strict,
    )


def structured_output(
    schema: Any, *, method: str, strict: bool | None
) -> tuple[dict[str, Any], Runnable[Any, Any]]:
    """What ``with_structured_output`` binds to the model, and the parser of its answer.

    Args:
        schema: A pydantic class, a TypedDict or a JSON schema (optional for ``json_mode``).
        method: ``"json_schema"``, ``"function_calling"`` or ``"json_mode"``.
        strict: Sent as ``strict`` when not ``None``.

    Returns:
        The keyword arguments to bind (``response_format``, or ``tools`` and a forced
        ``tool_choice``, plus LangChain's ``ls_structured_output_format``) and the parser.

    Raises:
        ValueError: An unknown method, or no schema for a method that needs one.
    """
    if method not in ("json_schema", "function_calling", "json_mode"):
        raise ValueError(f"unknown structured output method {method!r}")
    if schema is None and method != "json_mode":
        raise ValueError(f"method {method!r} needs a schema")
    pydantic_schema = isinstance(schema, type) and is_basemodel_subclass(schema)
    trace: dict[str, Any] = {"kwargs": {"method": method, "strict": strict}}
    if method == "function_calling":
        tool = format_tools([schema], strict=strict)[0]
        name = tool["function"]["name"]
        bound = {
            "tools": [tool],
            "tool_choice": format_tool_choice(name, [tool]),
            "ls_structured_output_format": {**trace, "schema": tool},
        }
        if pydantic_schema:
            return bound, PydanticToolsParser(tools=[schema], first_tool_only=True)
        return bound, JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
    bound = {"response_format": {"type": "json_object"}}
    if method == "json_schema":
        bound["response_format"] = json_schema_format(schema, strict=strict)
    if schema is not None:
        bound["ls_structured_output_format"] = {**trace, "schema": schema}
    if pydantic_schema:
        return bound, PydanticOutputParser(pydantic_object=schema)
    return bound, JsonOutputParser()
