"""``OpenRouter``: a LlamaIndex function-calling LLM for every model on OpenRouter."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.constants import DEFAULT_NUM_OUTPUTS
from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
from llama_index.core.instrumentation.events.exception import ExceptionEvent
from llama_index.core.instrumentation.events.llm import (
    LLMStructuredPredictEndEvent,
    LLMStructuredPredictInProgressEvent,
    LLMStructuredPredictStartEvent,
)
from llama_index.core.instrumentation.span import active_span_id
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.types import PydanticProgramMode
from pydantic import Field, PrivateAttr, SecretStr, field_serializer

from llama_index_openrouter import utils
from llama_index_openrouter._stream import (
    AsyncResponseStream,
    ResponseStream,
    instrument_astream,
    instrument_stream,
)
from openrouter_core.options import (
    OpenRouterOptions,
    OptionsMemo,
    Plugin,
    ProviderPreferences,
    ReasoningConfig,
)
from openrouter_core.settings import build_headers, public_headers, resolve_base_url
from openrouter_core.validation import check_chat_body, check_model_id

if TYPE_CHECKING:
    from llama_index.core.prompts import BasePromptTemplate
    from llama_index.core.tools.types import BaseTool
    from llama_index.core.types import Model

    from openrouter_core.client import ClientConfig
    from openrouter_core.model_info import ModelInfo
    from openrouter_core.transport import RequestOptions

__all__ = ["DEFAULT_CONTEXT_WINDOW", "DEFAULT_MODEL", "OpenRouter"]

dispatcher = get_dispatcher(__name__)

DEFAULT_MODEL = "openrouter/auto"
"""OpenRouter's router, which picks a model for each request."""

DEFAULT_CONTEXT_WINDOW = 32_768
"""Context window assumed when neither the constructor nor the model catalog gives one."""

_BASE_URL_ENV = ("OPENROUTER_BASE_URL", "OPENROUTER_API_BASE")
_OPTION_FIELDS = ("provider", "models", "route", "transforms", "plugins", "reasoning", "session_id")
_CLIENT_FIELDS = frozenset(
    {"api_key", "api_base", "timeout", "max_retries", "app_url", "app_title", "default_headers"}
)


class OpenRouter(FunctionCallingLLM):
    """An OpenRouter model as a LlamaIndex ``FunctionCallingLLM``.

    Chat, completion, streaming, tool calling (``FunctionAgent``, ``AgentWorkflow``,
    ``ReActAgent``), structured output, reasoning tokens and OpenRouter's routing options, with
    the usage, cost and provider of every call in ``ChatResponse.additional_kwargs``.

    The API key comes from ``api_key`` or ``OPENROUTER_API_KEY``; the base URL from ``api_base``,
    ``OPENROUTER_BASE_URL`` or ``OPENROUTER_API_BASE``. Constructing the model is offline; a
    missing key raises :class:`~openrouter_core.errors.MissingAPIKeyError` at the first call.

    Example:
        ```python
        from llama_index_openrouter import OpenRouter

        llm = OpenRouter(model="anthropic/claude-haiku-4.5", provider={"sort": "price"})
        response = llm.complete("Say hello")
        print(response.text, response.additional_kwargs["cost"])
        ```
    """

    model: str = Field(
        default=DEFAULT_MODEL,
        description="The OpenRouter model slug, e.g. 'anthropic/claude-haiku-4.5'.",
    )
    api_key: SecretStr | None = Field(
        default=None,
        exclude=True,
        repr=False,
        description="OpenRouter API key; OPENROUTER_API_KEY when not given.",
    )
    api_base: str | None = Field(
        default=None,
        description="API root; OPENROUTER_BASE_URL, OPENROUTER_API_BASE or "
        "https://openrouter.ai/api/v1 when not given.",
    )
    temperature: float | None = Field(
        default=None, ge=0, le=2, description="Sampling temperature; not sent when None."
    )
    max_tokens: int | None = Field(
        default=None, gt=0, description="Most tokens to generate; not sent when None."
    )
    timeout: float | None = Field(
        default=None, gt=0, description="Seconds per request; the openai SDK default when None."
    )
    max_retries: int = Field(
        default=2,
        ge=0,
        description="Retries made by the openai SDK (backoff, Retry-After); 0 = one attempt.",
    )
    reasoning: ReasoningConfig | None = Field(
        default=None, description="Reasoning-token settings, sent as the `reasoning` object."
    )
    provider: ProviderPreferences | None = Field(
        default=None, description="Provider routing preferences."
    )
    models: list[str] | None = Field(
        default=None, description="Fallback models, tried in order when the first fails."
    )
    plugins: list[Plugin] | None = Field(default=None, description="OpenRouter plugins.")
    transforms: list[str] | None = Field(default=None, description="Message transforms.")
    route: Literal["fallback", "sort"] | None = Field(
        default=None, description="Deprecated routing switch (prefer provider.sort)."
    )
    session_id: str | None = Field(
        default=None, max_length=256, description="Groups requests and keeps a session sticky."
    )
    app_url: str | None = Field(default=None, description="Sent as HTTP-Referer.")
    app_title: str | None = Field(default=None, description="Sent as X-Title.")
    default_headers: dict[str, str] | None = Field(
        default=None, repr=False, description="Extra headers sent with every request."
    )
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra body fields for every request (OpenRouter options are validated).",
    )
    context_window: int | None = Field(
        default=None, gt=0, description="Context window; from the model catalog when None."
    )
    is_function_calling_model: bool | None = Field(
        default=None, description="Whether the model takes tools; from the catalog, else True."
    )
    supports_json_schema: bool | None = Field(
        default=None,
        description="Whether structured output uses response_format json_schema (True) or "
        "tool calling (False); from the model catalog when None, else tool calling.",
    )

    _client_config: Any = PrivateAttr(default=None)
    _options_memo: OptionsMemo = PrivateAttr(default_factory=OptionsMemo)

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        api_key: str | SecretStr | None = None,
        api_base: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        timeout: float | None = None,
        max_retries: int = 2,
        reasoning: ReasoningConfig | Mapping[str, Any] | None = None,
        provider: ProviderPreferences | Mapping[str, Any] | None = None,
        models: list[str] | None = None,
        plugins: list[Any] | None = None,
        transforms: list[str] | None = None,
        route: Literal["fallback", "sort"] | None = None,
        session_id: str | None = None,
        app_url: str | None = None,
        app_title: str | None = None,
        default_headers: dict[str, str] | None = None,
        additional_kwargs: dict[str, Any] | None = None,
        context_window: int | None = None,
        is_function_calling_model: bool | None = None,
        supports_json_schema: bool | None = None,
        **kwargs: Any,
    ) -> None:
        """Create the model; nothing is sent and no key is needed until the first call.

        Args:
            model: OpenRouter model slug (default ``openrouter/auto``).
            api_key: API key (default: ``OPENROUTER_API_KEY``).
            api_base: API root (default: ``OPENROUTER_BASE_URL``, ``OPENROUTER_API_BASE``, then
                ``https://openrouter.ai/api/v1``).
            temperature: Sampling temperature, sent only when set.
            max_tokens: Most tokens to generate, sent only when set (no cut-off by default).
            timeout: Seconds per request (default: the openai SDK's).
            max_retries: SDK retries; one budget for plain calls and streams.
            reasoning: Reasoning settings, e.g. ``{"effort": "high"}`` or
                ``{"max_tokens": 2000}``.
            provider: Provider routing, e.g. ``{"order": ["anthropic"], "sort": "price"}``.
            models: Fallback models.
            plugins: Plugins, e.g. ``[{"id": "web"}]``.
            transforms: Message transforms, e.g. ``["middle-out"]``.
            route: Deprecated routing switch.
            session_id: Session id for grouping and sticky routing.
            app_url: Your app's URL (``HTTP-Referer``).
            app_title: Your app's name (``X-Title``).
            default_headers: Extra headers for every request.
            additional_kwargs: Extra body fields for every request.
            context_window: Context window reported in ``metadata``.
            is_function_calling_model: Reported in ``metadata``.
            supports_json_schema: How ``structured_predict`` asks for structure.
            **kwargs: Other ``LLM`` fields (``system_prompt``, ``callback_manager``,
                ``pydantic_program_mode``...).

        Raises:
            TypeError: An argument name is unknown (body fields go in ``additional_kwargs``).
            pydantic.ValidationError: An argument has an invalid value.

        Warns:
            UserWarning: ``model`` is not shaped ``author/slug`` (OpenRouter also accepts a few
                aliases, so this is not an error).
        """
        unknown = sorted(kwargs.keys() - type(self).model_fields.keys())
        if unknown:
            msg = (
                f"OpenRouter got unexpected argument(s) {', '.join(unknown)}; request body "
                "fields such as top_p or seed go in additional_kwargs={...}"
            )
            raise TypeError(msg)
        super().__init__(
            model=model,
            api_key=api_key,
            api_base=api_base,
            temperature=temperature,
            max_tokens=max_tokens,
            timeout=timeout,
            max_retries=max_retries,
            reasoning=reasoning,
            provider=provider,
            models=models,
            plugins=plugins,
            transforms=transforms,
            route=route,
            session_id=session_id,
            app_url=app_url,
            app_title=app_title,
            default_headers=default_headers,
            additional_kwargs=additional_kwargs or {},
            context_window=context_window,
            is_function_calling_model=is_function_calling_model,
            supports_json_schema=supports_json_schema,
            **kwargs,
        )
        check_model_id(self.model)

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in _CLIENT_FIELDS:
            self._client_config = None

    @field_serializer("default_headers")
    def _serialize_headers(self, headers: dict[str, str] | None) -> dict[str, str] | None:
        return public_headers(headers)

    @classmethod
    def class_name(cls) -> str:
        """The name LlamaIndex serialises this class under."""
        return "OpenRouter_LLM"

    # ---------------------------------------------------------------------------- metadata

    def _catalog_model_info(self) -> ModelInfo | None:
        """The model's entry in OpenRouter's model catalog, or ``None`` when not at hand.

        Read from memory or the disk cache, never from the network on this thread; a miss
        starts loading the shared catalog in the background (unless
        ``OPENROUTER_CATALOG_PREFETCH=0``), so later lookups find it.
        """
        from openrouter_core.catalog import catalog_info  # loads on first use, not at import

        base_url = resolve_base_url(self.api_base, env=_BASE_URL_ENV)
        return catalog_info(base_url, self.model, prefetch=True)

    @property
    def metadata(self) -> LLMMetadata:
        """Context window, output size and tool support: constructor, then catalog, then defaults.

        Returns:
            The metadata; ``is_function_calling_model`` defaults to ``True`` because OpenRouter
            accepts tools for most models.
        """
        info = self._catalog_model_info()
        context = self.context_window or (info.context_length if info else None)
        tools = self.is_function_calling_model
        if tools is None:
            tools = info.supports_tools if info is not None else True
        num_output = self.max_tokens or (info.max_completion_tokens if info else None)
        return LLMMetadata(
            context_window=int(context or DEFAULT_CONTEXT_WINDOW),
            num_output=int(num_output or DEFAULT_NUM_OUTPUTS),
            is_chat_model=True,
            is_function_calling_model=tools,
            model_name=self.model,
        )

    def _uses_json_schema(self) -> bool:
        if self.pydantic_program_mode != PydanticProgramMode.DEFAULT:
            return False
        if self.supports_json_schema is not None:
            return self.supports_json_schema
        info = self._catalog_model_info()
        return info is not None and info.supports_structured_outputs

    # ---------------------------------------------------------------------------- requests

    def _config(self) -> ClientConfig:
        config: ClientConfig | None = self._client_config
        if config is None:
            from openrouter_core.client import ClientConfig

            config = ClientConfig.build(
                api_key=self.api_key,
                base_url=resolve_base_url(self.api_base, env=_BASE_URL_ENV),
                timeout=self.timeout,
                max_retries=self.max_retries,
                headers=build_headers(
                    app_url=self.app_url,
                    app_title=self.app_title,
                    default_headers=self.default_headers,
                ),
                model=self.model,
            )
            self._client_config = config
        return config

    def _options(self) -> OpenRouterOptions | None:
        values = {name: getattr(self, name) for name in _OPTION_FIELDS}
        present = {name: value for name, value in values.items() if value is not None}
        # Validated once while unchanged; values assigned or changed later are checked.
        return self._options_memo.get(present)

    def _prepare(
        self, messages: Sequence[ChatMessage], kwargs: Mapping[str, Any]
    ) -> tuple[ClientConfig, dict[str, Any], RequestOptions | None]:
        """Resolve the client settings and build the body: every error before any request."""
        config = self._config()
        call_kwargs = dict(kwargs)
        transport_kwargs = {k: call_kwargs.pop(k) for k in utils.TRANSPORT_KWARGS & kwargs.keys()}
        params: dict[str, Any] = {}
        if self.temperature is not None:
            params["temperature"] = self.temperature
        if self.max_tokens is not None:
            params["max_tokens"] = self.max_tokens
        body = utils.build_request_body(
            self.model,
            utils.to_openrouter_messages(messages),
            params=params,
            options=self._options(),
            additional_kwargs=self.additional_kwargs,
            call_kwargs=call_kwargs,
        )
        check_chat_body(body)
        if body["model"] != self.model:
            check_model_id(body["model"], stacklevel=4)
        options = None
        if transport_kwargs:
            from openrouter_core.transport import RequestOptions

            options = RequestOptions(
                timeout=transport_kwargs.get("timeout"),
                max_retries=transport_kwargs.get("max_retries"),
                headers=transport_kwargs.get("extra_headers"),
            )
        return config, body, options

    def _send(self, messages: Sequence[ChatMessage], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        config, body, options = self._prepare(messages, kwargs)
        from openrouter_core import transport
        from openrouter_core.client import get_client

        try:
            return transport.complete(get_client(config), body, options=options)
        except Exception as exc:
            _report_failure(exc)
            raise

    async def _asend(
        self, messages: Sequence[ChatMessage], kwargs: Mapping[str, Any]
    ) -> dict[str, Any]:
        config, body, options = self._prepare(messages, kwargs)
        from openrouter_core import transport
        from openrouter_core.client import get_async_client

        try:
            return await transport.acomplete(get_async_client(config), body, options=options)
        except Exception as exc:
            _report_failure(exc)
            raise

    def _stream(
        self,
        messages: Sequence[ChatMessage],
        kwargs: Mapping[str, Any],
        on_delta: Any,
        on_end: Any,
    ) -> ResponseStream[Any]:
        config, body, options = self._prepare(messages, kwargs)

        def open_stream() -> Any:
            from openrouter_core import transport
            from openrouter_core.client import get_client

            return transport.open_stream(get_client(config), body, options=options)

        return ResponseStream(open_stream, on_delta, on_end)

    def _astream(
        self,
        messages: Sequence[ChatMessage],
        kwargs: Mapping[str, Any],
        on_delta: Any,
        on_end: Any,
    ) -> AsyncResponseStream[Any]:
        config, body, options = self._prepare(messages, kwargs)

        async def open_stream() -> Any:
            from openrouter_core import transport
            from openrouter_core.client import get_async_client

            return await transport.aopen_stream(get_async_client(config), body, options=options)

        return AsyncResponseStream(open_stream, on_delta, on_end)

    # ---------------------------------------------------------------------------- chat

    @dispatcher.span
    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Send the conversation; return the answer with usage, cost and provider.

        Args:
            messages: The conversation (never modified).
            **kwargs: Body fields for this call (``tools``, ``response_format``, ``stop``...),
                OpenRouter options (``provider``, ``reasoning``, ``user``...), or ``timeout``,
                ``max_retries``, ``extra_headers``.

        Returns:
            The response; see :func:`llama_index_openrouter.utils.chat_response_from_body`.

        Raises:
            MissingAPIKeyError: No API key is configured.
            OpenRouterError: The request failed (a typed subclass says how).
        """
        return utils.chat_response_from_body(self._send(messages, kwargs))

    @dispatcher.span
    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Asynchronous :meth:`chat`."""
        return utils.chat_response_from_body(await self._asend(messages, kwargs))

    @dispatcher.span
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Stream the answer: one response per chunk, then one with usage, cost and provider.

        Each response's ``message`` is the whole answer so far (text, a ``ThinkingBlock`` with
        the reasoning, every tool call so far) and ``delta`` the text just added; the reasoning
        just added is in ``additional_kwargs["thinking_delta"]``. The request is sent when
        reading starts; stopping early closes it and still reports what was received.
        """
        return instrument_stream(
            self,
            kwargs,
            lambda: self._stream(
                messages, kwargs, utils.chat_response_from_delta, utils.chat_response_from_body
            ),
            messages=messages,
        )

    @dispatcher.span
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """Asynchronous :meth:`stream_chat`."""
        return await instrument_astream(
            self,
            kwargs,
            lambda: self._astream(
                messages, kwargs, utils.chat_response_from_delta, utils.chat_response_from_body
            ),
            messages=messages,
        )

    # ---------------------------------------------------------------------------- complete

    @staticmethod
    def _prompt_messages(prompt: str) -> list[ChatMessage]:
        return [ChatMessage(role=MessageRole.USER, content=prompt)]

    @dispatcher.span
    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Send ``prompt`` as a user message; return the text with usage, cost and provider."""
        data = self._send(self._prompt_messages(prompt), kwargs)
        return utils.completion_response_from_body(data)

    @dispatcher.span
    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        """Asynchronous :meth:`complete`."""
        data = await self._asend(self._prompt_messages(prompt), kwargs)
        return utils.completion_response_from_body(data)

    @dispatcher.span
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        """Stream the completion of ``prompt`` (see :meth:`stream_chat`)."""
        return instrument_stream(
            self,
            kwargs,
            lambda: self._stream(
                self._prompt_messages(prompt),
                kwargs,
                utils.completion_response_from_delta,
                utils.completion_response_from_body,
            ),
            prompt=prompt,
        )

    @dispatcher.span
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """Asynchronous :meth:`stream_complete`."""
        return await instrument_astream(
            self,
            kwargs,
            lambda: self._astream(
                self._prompt_messages(prompt),
                kwargs,
                utils.completion_response_from_delta,
                utils.completion_response_from_body,
            ),
            prompt=prompt,
        )

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
        specs = utils.to_openrouter_tools(tools)
        if specs:
            prepared["tools"] = specs
            prepared["tool_choice"] = utils.resolve_tool_choice(tool_choice, required=tool_required)
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
            user_msg=user_msg,
            chat_history=chat_history,
            verbose=verbose,
            allow_parallel_tool_calls=allow_parallel_tool_calls,
            tool_required=tool_required,
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
            user_msg=user_msg,
            chat_history=chat_history,
            verbose=verbose,
            allow_parallel_tool_calls=allow_parallel_tool_calls,
            tool_required=tool_required,
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
            return utils.keep_first_tool_call(response)
        return response

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        """The tool calls of a response as ``ToolSelection``s.

        Args:
            response: A response of this model (streamed or not).
            error_on_no_tool_call: Raise ``ValueError`` when there is no tool call or its
                arguments are not a JSON object; otherwise return ``[]``, or put the arguments
                as received under :data:`~llama_index_openrouter.utils.RAW_ARGUMENTS_KEY`.
            **kwargs: Ignored.

        Returns:
            One selection per call.
        """
        return utils.tool_selections_from_response(
            response, error_on_no_tool_call=error_on_no_tool_call
        )

    # ---------------------------------------------------------------------------- structured

    def _structured_messages(
        self, prompt: BasePromptTemplate, prompt_args: Mapping[str, Any]
    ) -> list[ChatMessage]:
        return self._extend_messages(prompt.format_messages(llm=self, **prompt_args))

    @staticmethod
    def _parse_structured(output_cls: type[Model], response: ChatResponse) -> Model:
        content = response.message.content or ""
        if not content.strip():
            msg = f"the model returned no JSON for {output_cls.__name__}"
            raise ValueError(msg)
        return output_cls.model_validate_json(content)

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
            return cast(
                "Model", super().structured_predict(output_cls, prompt, llm_kwargs, **prompt_args)
            )
        dispatcher.event(
            LLMStructuredPredictStartEvent(
                output_cls=output_cls, template=prompt, template_args=prompt_args
            )
        )
        kwargs = {
            **(llm_kwargs or {}),
            "response_format": utils.json_schema_response_format(output_cls),
        }
        response = self.chat(self._structured_messages(prompt, prompt_args), **kwargs)
        result = self._parse_structured(output_cls, response)
        dispatcher.event(LLMStructuredPredictEndEvent(output=result))
        return result

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
        dispatcher.event(
            LLMStructuredPredictStartEvent(
                output_cls=output_cls, template=prompt, template_args=prompt_args
            )
        )
        kwargs = {
            **(llm_kwargs or {}),
            "response_format": utils.json_schema_response_format(output_cls),
        }
        response = await self.achat(self._structured_messages(prompt, prompt_args), **kwargs)
        result = self._parse_structured(output_cls, response)
        dispatcher.event(LLMStructuredPredictEndEvent(output=result))
        return result

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
        from llama_index.core.program.utils import process_streaming_objects

        dispatcher.event(
            LLMStructuredPredictStartEvent(
                output_cls=output_cls, template=prompt, template_args=prompt_args
            )
        )
        kwargs = {
            **(llm_kwargs or {}),
            "response_format": utils.json_schema_response_format(output_cls),
        }
        current: Any = None
        for response in self.stream_chat(self._structured_messages(prompt, prompt_args), **kwargs):
            current = process_streaming_objects(
                response,
                output_cls,
                cur_objects=[current] if current is not None else None,
                llm=self,  # a model may answer with a tool call even so
            )
            dispatcher.event(LLMStructuredPredictInProgressEvent(output=current))
            yield current
        dispatcher.event(LLMStructuredPredictEndEvent(output=current))

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
        from llama_index.core.program.utils import process_streaming_objects

        kwargs = {
            **(llm_kwargs or {}),
            "response_format": utils.json_schema_response_format(output_cls),
        }
        messages = self._structured_messages(prompt, prompt_args)

        async def gen() -> AsyncGenerator[Any, None]:
            dispatcher.event(
                LLMStructuredPredictStartEvent(
                    output_cls=output_cls, template=prompt, template_args=prompt_args
                )
            )
            current: Any = None
            async for response in await self.astream_chat(messages, **kwargs):
                current = process_streaming_objects(
                    response,
                    output_cls,
                    cur_objects=[current] if current is not None else None,
                    llm=self,
                )
                dispatcher.event(LLMStructuredPredictInProgressEvent(output=current))
                yield current
            dispatcher.event(LLMStructuredPredictEndEvent(output=current))

        return gen()


def _first_calls_only(responses: ChatResponseGen) -> ChatResponseGen:
    """The responses, each with only its first tool call; closing this closes ``responses``."""
    try:
        for response in responses:
            yield utils.first_tool_call_only(response)
    finally:
        responses.close()


async def _afirst_calls_only(responses: ChatResponseAsyncGen) -> ChatResponseAsyncGen:
    """Asynchronous :func:`_first_calls_only`."""
    try:
        async for response in responses:
            yield utils.first_tool_call_only(response)
    finally:
        await responses.aclose()


def _report_failure(exc: Exception) -> None:
    """Emit an ``ExceptionEvent`` for a request that failed, in the call's span.

    ``llm_chat_callback`` emits none for a plain call that raises (only streams get one), so
    event handlers would never see the error, nor the usage OpenRouter billed for it
    (``OpenRouterError.usage``), which the usage handler records as a failed call.
    """
    dispatcher.event(ExceptionEvent(exception=exc, span_id=active_span_id.get()))
