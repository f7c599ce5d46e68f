"""Tools that carry OpenRouter-only settings through ``chat_with_tools`` and agents.

LlamaIndex tools become OpenAI function specs, which have no place for a prompt-cache mark, a
per-function ``strict`` flag or a tool OpenRouter runs itself. These two tools carry them, and
``OpenRouter`` (``chat_with_tools``, ``FunctionAgent``, ``AgentWorkflow``...) sends them as given:

- :class:`OpenRouterServerTool`: a server tool such as ``{"type": "openrouter:web_search"}``;
  OpenRouter runs it, the model never calls it through ``tool_calls``.
- :func:`with_tool_options`: any tool with ``cache_control`` (caches the tool list up to this
  tool, on Anthropic models) and/or ``strict``.

Example:
    .. code-block:: python

        from llama_index.core.agent.workflow import FunctionAgent
        from llama_index_openrouter import OpenRouter
        from llama_index_openrouter.tools import OpenRouterServerTool, with_tool_options

        agent = FunctionAgent(
            tools=[
                with_tool_options(lookup_tool, cache_control={"type": "ephemeral"}),
                OpenRouterServerTool("openrouter:web_search", max_results=3),
            ],
            llm=OpenRouter(model="anthropic/claude-haiku-4.5"),
        )
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llama_index.core.tools.types import (
    AsyncBaseTool,
    BaseTool,
    ToolMetadata,
    ToolOutput,
    adapt_to_async_tool,
)

from openrouter_core.tools import SERVER_TOOL_PREFIX

__all__ = ["OpenRouterServerTool", "ToolWithOptions", "with_tool_options"]


class OpenRouterServerTool(AsyncBaseTool):
    """A tool OpenRouter runs on its side, sent as ``{"type": kind, "parameters": {...}}``.

    Args:
        kind: The server tool's type, e.g. ``"openrouter:web_search"``.
        **parameters: Its parameters (``max_results=3``...), sent as ``parameters``.

    Raises:
        ValueError: ``kind`` does not start with ``openrouter:``.
    """

    def __init__(self, kind: str = "openrouter:web_search", **parameters: Any) -> None:
        if not kind.startswith(SERVER_TOOL_PREFIX):
            raise ValueError(f"a server tool's type starts with {SERVER_TOOL_PREFIX!r}: {kind!r}")
        self.kind = kind
        self.parameters = parameters
        self._metadata = ToolMetadata(
            name=kind.removeprefix(SERVER_TOOL_PREFIX),
            description=f"{kind}, run by OpenRouter",
            fn_schema=None,
        )

    @property
    def metadata(self) -> ToolMetadata:
        """The tool's name (``web_search``) and description."""
        return self._metadata

    def openrouter_spec(self) -> dict[str, Any]:
        """The tool as sent in the request's ``tools``."""
        spec: dict[str, Any] = {"type": self.kind}
        if self.parameters:
            spec["parameters"] = dict(self.parameters)
        return spec

    def call(self, *args: Any, **kwargs: Any) -> ToolOutput:
        """Server tools run on OpenRouter's side; a local call is a mistake."""
        raise RuntimeError(f"{self.kind} is run by OpenRouter, not locally")

    async def acall(self, *args: Any, **kwargs: Any) -> ToolOutput:
        """See :meth:`call`."""
        return self.call(*args, **kwargs)


class ToolWithOptions(AsyncBaseTool):
    """A tool whose spec carries ``cache_control`` and/or ``strict`` (:func:`with_tool_options`).

    It runs as the wrapped tool does.
    """

    def __init__(
        self,
        tool: BaseTool,
        *,
        cache_control: Mapping[str, Any] | None = None,
        strict: bool | None = None,
    ) -> None:
        self.tool = tool
        self.cache_control = dict(cache_control) if cache_control is not None else None
        self.strict = strict

    @property
    def metadata(self) -> ToolMetadata:
        """The wrapped tool's metadata."""
        return self.tool.metadata

    def openrouter_spec(self) -> dict[str, Any]:
        """The wrapped tool's function spec with the options added."""
        from llama_index_openrouter._tools import function_spec

        spec = function_spec(self.tool)
        if self.strict is not None:
            spec["function"]["strict"] = self.strict
        if self.cache_control is not None:
            spec["cache_control"] = dict(self.cache_control)
        return spec

    def call(self, *args: Any, **kwargs: Any) -> ToolOutput:
        """Run the wrapped tool."""
        return adapt_to_async_tool(self.tool).call(*args, **kwargs)

    async def acall(self, *args: Any, **kwargs: Any) -> ToolOutput:
        """Run the wrapped tool asynchronously."""
        return await adapt_to_async_tool(self.tool).acall(*args, **kwargs)


def with_tool_options(
    tool: BaseTool,
    *,
    cache_control: Mapping[str, Any] | None = None,
    strict: bool | None = None,
) -> ToolWithOptions:
    """``tool``, sent with ``cache_control`` (e.g. ``{"type": "ephemeral"}``) and/or ``strict``.

    Marking the last tool of a list with ``cache_control`` caches the whole tool list on models
    with explicit prompt caching (Anthropic).
    """
    return ToolWithOptions(tool, cache_control=cache_control, strict=strict)
