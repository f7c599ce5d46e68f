"""What ``ChatOpenRouter`` offers on top of a call: tool binding, structured output, tokens.

:class:`ToolsAndTokens` is the abstract LangChain chat model ``ChatOpenRouter`` builds on: it
binds tools and ``tool_choice`` (:mod:`langchain_openrouter._tools`), wraps the model for
structured output, and counts tokens offline (:mod:`openrouter_core.tokens`). It sends nothing
itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any, Literal

from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from pydantic import BaseModel

from langchain_openrouter import _messages, _tools
from openrouter_core import tokens

__all__ = ["ToolsAndTokens"]


class ToolsAndTokens(BaseChatModel):
    """Tool binding, structured output and offline token counting for an OpenRouter model."""

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | Any],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools: LangChain tools, functions, pydantic models, TypedDicts, schemas.

        OpenRouter server tools (``{"type": "openrouter:web_search"}``) are sent as given,
        beside function tools.

        Args:
            tools: The tools; function tools are converted with ``convert_to_openai_tool``.
            tool_choice: ``"auto"``, ``"none"``, ``"required"`` (or ``"any"``), a tool name,
                ``True`` (the only tool) or an OpenAI ``tool_choice`` dict.
            strict: Ask for arguments that match the schema exactly (``None``: not sent).
            parallel_tool_calls: ``False`` asks for at most one call per turn.
            **kwargs: Other parameters bound with the tools.

        Raises:
            ValueError: A tool cannot be converted, or ``tool_choice`` names no bound tool.
        """
        formatted = _tools.format_tools(tools, strict=strict)
        choice = _tools.format_tool_choice(tool_choice, formatted)
        if choice is not None:
            kwargs["tool_choice"] = choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: Literal["json_schema", "function_calling", "json_mode"] = "json_schema",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Return a runnable whose output follows ``schema``.

        Args:
            schema: A pydantic class (the output is an instance), a TypedDict or a JSON schema
                (the output is a dict). Optional only for ``json_mode``.
            method: ``"json_schema"`` (``response_format`` with the schema),
                ``"function_calling"`` (a forced tool call) or ``"json_mode"``
                (``response_format={"type": "json_object"}``; describe the format in the prompt).
            include_raw: Return ``{"raw", "parsed", "parsing_error"}`` instead of raising on a
                parsing error.
            strict: Ask for output that matches the schema exactly (``None``: not sent).
            **kwargs: Other parameters bound to the model.

        Raises:
            ValueError: An unknown method, or no schema for a method that needs one.
        """
        bound, parser = _tools.structured_output(schema, method=method, strict=strict)
        llm = self.bind(**bound, **kwargs)
        if not include_raw:
            return llm | parser
        parsed = RunnablePassthrough.assign(
            parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
        )
        fallback = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | parsed.with_fallbacks(
            [fallback], exception_key="parsing_error"
        )

    def get_token_ids(self, text: str) -> list[int]:
        """Token ids of ``text``, without ``transformers`` and without any download.

        ``custom_get_token_ids`` when set; else tiktoken's cached ``o200k_base`` ids; else
        stand-in ids, one per 4 characters (not real token ids). Never raises ``ImportError``.
        """
        if self.custom_get_token_ids is not None:
            return self.custom_get_token_ids(text)
        return tokens.text_token_ids()(text)

    def get_num_tokens(self, text: str) -> int:
        """Tokens in ``text``: ``len(get_token_ids(text))``, counted the same way."""
        if self.custom_get_token_ids is not None:
            return len(self.custom_get_token_ids(text))
        return tokens.text_token_counter()(text)

    def get_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        """Approximate prompt tokens of ``messages`` (and ``tools``), without any request.

        See :func:`openrouter_core.tokens.count_tokens`. Never raises ``ImportError``.
        """
        formatted_tools = _tools.format_tools(tools) if tools else None
        return tokens.count_tokens(
            _messages.convert_messages(messages), formatted_tools, tokens.text_token_counter()
        )
