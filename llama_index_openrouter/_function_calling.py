"""What ``OpenRouter`` offers on top of a chat: tool calling and structured output for LlamaIndex.

:class:`OpenRouterFunctionCalling` is the abstract ``FunctionCallingLLM`` the LlamaIndex
``OpenRouter`` builds on. It prepares tool-calling chats (``chat_with_tools``, agents), keeps
only the first tool call unless parallel calls were allowed (streams included), reads tool calls
back as ``ToolSelection``s, and answers ``structured_predict`` (all four variants) with
``response_format`` ``json_schema`` when the model supports it, tool calling otherwise. It
sends nothing itself.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, cast

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    MessageRole,
)
from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
from llama_index.core.instrumentation.events.llm import (
    LLMStructuredPredictEndEvent,
    LLMStructuredPredictInProgressEvent,
    LLMStructuredPredictStartEvent,
)
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.types import Model
from pydantic import Field

from llama_index_openrouter import _tools

if TYPE_CHECKING:
    from llama_index.core.prompts import BasePromptTemplate
    from llama_index.core.tools.types import BaseTool

__all__ = ["OpenRouterFunctionCalling"]

dispatcher = get_dispatcher(__name__)


class _Structured(Generic[Model]):
    """One ``structured_predict`` call answered with ``response_format`` ``json_schema``."""

    def __init__(
        self,
        llm: OpenRouterFunctionCalling,
        output_cls: type[Model],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None,
        prompt_args: Mapping[str, Any],
    ) -> None:
        self.output_cls = output_cls
        self.kwargs = {
            **(llm_kwargs or {}),
            "response_format": _tools.json_schema_response_format(output_cls, strict=llm.strict),
        }
        self.messages = llm._extend_messages(prompt.format_messages(llm=llm, **prompt_args))
        dispatcher.event(
            LLMStructuredPredictStartEvent(
                output_cls=output_cls, template=prompt, template_args=prompt_args
            )
        )

    def parse(self, response: ChatResponse) -> Model:
        """The answer as an ``output_cls`` instance (the end event is emitted)."""
        content = response.message.content or ""
        if not content.strip():
            msg = f"the model returned no JSON for {self.output_cls.__name__}"
            raise ValueError(msg)
        result = self.output_cls.model_validate_json(content)
        dispatcher.event(LLMStructuredPredictEndEvent(output=result))
        return result

    def progress(self, llm: OpenRouterFunctionCalling, response: ChatResponse, current: Any) -> Any:
        """The ever more complete object after one streamed response."""
        from llama_index.core.program.utils import process_streaming_objects

        current = process_streaming_objects(
            response,
            self.output_cls,
            cur_objects=[current] if current is not None else None,
            llm=llm,  # a model may answer with a tool call even so
        )
        dispatcher.event(LLMStructuredPredictInProgressEvent(output=current))
        return current

    @staticmethod
    def end(current: Any) -> None:
        dispatcher.event(LLMStructuredPredictEndEvent(output=current))


class OpenRouterFunctionCalling(FunctionCallingLLM):
    """Tool calling and structured output for an OpenRouter model (abstract)."""

    strict: bool = Field(
        default=False,
        description="Ask for tool arguments and structured output that match their schema "
        "exactly (function tools and json_schema get strict: true).",
    )

    def _uses_json_schema(self) -> bool:
        """Whether structured output asks for ``response_format`` ``json_schema``."""
        raise NotImplementedError

    # ---------------------------------------------------------------------------- tools

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Build the arguments of a tool-calling ``chat`` (``chat_history`` is not modified)."""
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            messages.append(ChatMessage(role=MessageRole.USER, content=user_msg))
        elif user_msg is not None:
            messages.append(user_msg)
        prepared: dict[str, Any] = {"messages": messages, **kwargs}
        specs = _tools.to_openrouter_tools(tools, strict=self.strict)
        if specs:
            prepared["tools"] = specs
            prepared["tool_choice"] = _tools.resolve_tool_choice(
                tool_choice, specs, required=tool_required
            )
            prepared["parallel_tool_calls"] = allow_parallel_tool_calls
        return prepared

    def stream_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> ChatResponseGen:
        """Stream a tool-calling chat, keeping only the first tool call unless told otherwise.

        As :meth:`chat_with_tools` does, each response holds only the first tool call unless
        ``allow_parallel_tool_calls``; the instrumentation events still carry every call the
        model made.
        """
        responses = super().stream_chat_with_tools(
            tools,
            user_msg,
            chat_history,
            verbose,
            allow_parallel_tool_calls,
            tool_required,
            **kwargs,
        )
        return responses if allow_parallel_tool_calls else _first_calls_only(responses)

    async def astream_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> ChatResponseAsyncGen:
        """Asynchronous :meth:`stream_chat_with_tools`."""
        responses = await super().astream_chat_with_tools(
            tools,
            user_msg,
            chat_history,
            verbose,
            allow_parallel_tool_calls,
            tool_required,
            **kwargs,
        )
        return responses if allow_parallel_tool_calls else _afirst_calls_only(responses)

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Keep only the first tool call unless parallel calls were allowed."""
        if not allow_parallel_tool_calls:
            return _tools.keep_first_tool_call(response)
        return response

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        """The tool calls of a response as ``ToolSelection``s.

        Args:
            response: A response of this model (streamed or not).
            error_on_no_tool_call: Raise ``ValueError`` when there is no tool call or its
                arguments are not a JSON object; otherwise return ``[]``, or put the arguments
                as received under :data:`~llama_index_openrouter.RAW_ARGUMENTS_KEY`.
            **kwargs: Ignored.

        Returns:
            One selection per call.
        """
        return _tools.tool_selections_from_response(
            response, error_on_no_tool_call=error_on_no_tool_call
        )

    # ---------------------------------------------------------------------------- structured

    @dispatcher.span
    def structured_predict(
        self,
        output_cls: type[Model],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """Answer with an instance of ``output_cls``.

        Uses ``response_format`` ``json_schema`` when the model supports it
        (``supports_json_schema`` or the catalog), tool calling otherwise.
        """
        if not self._uses_json_schema():
            result = super().structured_predict(output_cls, prompt, llm_kwargs, **prompt_args)
            return cast("Model", result)
        call = _Structured(self, output_cls, prompt, llm_kwargs, prompt_args)
        return call.parse(self.chat(call.messages, **call.kwargs))

    @dispatcher.span
    async def astructured_predict(
        self,
        output_cls: type[Model],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """Asynchronous :meth:`structured_predict`."""
        if not self._uses_json_schema():
            result = await super().astructured_predict(
                output_cls, prompt, llm_kwargs, **prompt_args
            )
            return cast("Model", result)
        call = _Structured(self, output_cls, prompt, llm_kwargs, prompt_args)
        return call.parse(await self.achat(call.messages, **call.kwargs))

    @dispatcher.span
    def stream_structured_predict(
        self,
        output_cls: type[Model],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Generator[Any, None, None]:
        """Stream ever more complete ``output_cls`` instances (see :meth:`structured_predict`)."""
        if not self._uses_json_schema():
            yield from super().stream_structured_predict(
                output_cls, prompt, llm_kwargs, **prompt_args
            )
            return
        call = _Structured(self, output_cls, prompt, llm_kwargs, prompt_args)
        current: Any = None
        for response in self.stream_chat(call.messages, **call.kwargs):
            current = call.progress(self, response, current)
            yield current
        call.end(current)

    @dispatcher.span
    async def astream_structured_predict(
        self,
        output_cls: type[Model],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> AsyncGenerator[Any, None]:
        """Asynchronous :meth:`stream_structured_predict`."""
        if not self._uses_json_schema():
            return await super().astream_structured_predict(
                output_cls, prompt, llm_kwargs, **prompt_args
            )

        async def gen() -> AsyncGenerator[Any, None]:
            call = _Structured(self, output_cls, prompt, llm_kwargs, prompt_args)
            current: Any = None
            async for response in await self.astream_chat(call.messages, **call.kwargs):
                current = call.progress(self, response, current)
                yield current
            call.end(current)

        return gen()


def _first_calls_only(responses: ChatResponseGen) -> ChatResponseGen:
    """The responses, each with only its first tool call; closing this closes ``responses``."""
    try:
        for response in responses:
            yield _tools.first_tool_call_only(response)
    finally:
        responses.close()


async def _afirst_calls_only(responses: ChatResponseAsyncGen) -> ChatResponseAsyncGen:
    """Asynchronous :func:`_first_calls_only`."""
    try:
        async for response in responses:
            yield _tools.first_tool_call_only(response)
    finally:
        await responses.aclose()
