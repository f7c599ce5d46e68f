"""Tools in OpenRouter's request shape: server tools, ``tool_choice``, JSON-schema output.

Both framework adapters convert their own tool objects to OpenAI function specs and then rely on
these rules: which ``tool_choice`` values exist and what they mean (:func:`tool_choice`), which
tool dicts are OpenRouter server tools that travel untouched (:func:`is_server_tool`), and how a
structured-output schema is asked for (:func:`json_schema_format`). Pure: no request, no SDK.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "SERVER_TOOL_PREFIX",
    "function_names",
    "is_server_tool",
    "json_schema_format",
    "tool_choice",
]

SERVER_TOOL_PREFIX = "openrouter:"
"""Server tools (run by OpenRouter, e.g. ``{"type": "openrouter:web_search"}``) have this type."""

_MODES = ("auto", "none", "required")


def is_server_tool(tool: object) -> bool:
    """Whether ``tool`` is an OpenRouter server tool dict (``{"type": "openrouter:..."}``).

    Server tools are sent exactly as given, beside function tools; the model never calls them
    through ``tool_calls``, OpenRouter runs them.
    """
    if not isinstance(tool, Mapping):
        return False
    kind = tool.get("type")
    return isinstance(kind, str) and kind.startswith(SERVER_TOOL_PREFIX)


def function_names(tools: Sequence[Mapping[str, Any]]) -> list[str]:
    """The names of the function tools among ``tools`` (server tools have none)."""
    names = []
    for tool in tools:
        function = tool.get("function") if tool.get("type") == "function" else None
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            names.append(str(function["name"]))
    return names


def tool_choice(
    choice: Mapping[str, Any] | str | bool | None, tools: Sequence[Mapping[str, Any]]
) -> dict[str, Any] | str | None:
    """The ``tool_choice`` to send for a framework's value.

    ``"auto"``, ``"none"`` and ``"required"`` pass through; ``"any"`` means ``"required"``; a
    function tool's name, or ``True`` with exactly one function tool, forces that tool; a dict
    is sent as is; ``None`` and ``False`` send nothing.

    Args:
        choice: The framework's value.
        tools: The tools of the request, in OpenAI shape.

    Raises:
        ValueError: ``True`` without exactly one function tool, or a name that is not one of
            the tools.
    """
    if choice is None or choice is False:
        return None
    if isinstance(choice, Mapping):
        return dict(choice)
    names = function_names(tools)
    if choice is True:
        if len(names) != 1:
            raise ValueError(f"tool_choice=True needs exactly one tool, got {len(names)}")
        return {"type": "function", "function": {"name": names[0]}}
    if choice in _MODES:
        return str(choice)
    if choice == "any":
        return "required"
    if choice not in names:
        raise ValueError(
            f"tool_choice {choice!r} is not one of the tools {names}; use 'auto', 'none', "
            "'required'/'any', True or a tool's name"
        )
    return {"type": "function", "function": {"name": choice}}


def json_schema_format(
    name: str,
    schema: Mapping[str, Any],
    *,
    description: str | None = None,
    strict: bool | None = None,
) -> dict[str, Any]:
    """The ``response_format`` asking for JSON that follows ``schema``.

    Args:
        name: The schema's name (a class name, or ``"response"``).
        schema: The JSON schema.
        description: Sent when given.
        strict: Sent as ``json_schema.strict`` when not ``None``.
    """
    spec: dict[str, Any] = {"name": name, "schema": dict(schema)}
    if description:
        spec["description"] = description
    if strict is not None:
        spec["strict"] = strict
    return {"type": "json_schema", "json_schema": spec}
