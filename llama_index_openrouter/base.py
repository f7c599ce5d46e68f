"""``OpenRouter``: a LlamaIndex function-calling LLM for every model on OpenRouter.

The class holds LlamaIndex's side: fields, ``metadata`` and the chat and completion methods.
Messages are converted by :mod:`llama_index_openrouter._messages`; the request body is built by
the core builder (:func:`openrouter_core.request.build_chat_request`) and sent through
:mod:`openrouter_core.gateway`; answers are mapped by :mod:`llama_index_openrouter._responses`;
streams are instrumented by :mod:`llama_index_openrouter._stream`. Tool calling and structured
output come from :class:`~llama_index_openrouter._function_calling.OpenRouterFunctionCalling`.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

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
from llama_index.core.instrumentation.span import active_span_id
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.types import PydanticProgramMode
from pydantic import Field, PrivateAttr, SecretStr, field_serializer, model_validator

from llama_index_openrouter import _responses
from llama_index_openrouter._arguments import sort_arguments
from llama_index_openrouter._function_calling import OpenRouterFunctionCalling
from llama_index_openrouter._messages import to_openrouter_messages
from llama_index_openrouter._stream import (
    AsyncResponseStream,
    ResponseStream,
    instrument_astream,
    instrument_stream,
)
from openrouter_core import gateway
from openrouter_core.options import Plugin, ProviderPreferences, ReasoningConfig
from openrouter_core.request import (
    OPENAI_PARAMS,
    OPTION_FIELDS,
    ChatRequest,
    OptionsMemo,
    build_chat_request,
    check_model_id,
)
from openrouter_core.settings import ClientConfig, public_headers, resolve_base_url

if TYPE_CHECKING:
    from openrouter_core.catalog import ModelInfo

__all__ = ["DEFAULT_CONTEXT_WINDOW", "DEFAULT_MODEL", "OpenRouter"]

dispatcher = get_dispatcher(__name__)

DEFAULT_MODEL = "openrouter/auto"
"""OpenRouter's router, which picks a model for each request."""

DEFAULT_CONTEXT_WINDOW = 32_768
"""Context window assumed when neither the constructor nor the model catalog gives one."""

R = TypeVar("R", ChatResponse, CompletionResponse)
_CLIENT_FIELDS = frozenset(
    {"api_key", "api_base", "timeout", "max_retries", "app_url", "app_title", "default_headers"}
)


@contextlib.contextmanager
def _failures_reported() -> Iterator[None]:
    """Emit an ``ExceptionEvent`` for a plain request that fails, in the call's span.

    ``llm_chat_callback`` emits none for a plain call that raises (only streams get one), so
    event handlers would never see the error, nor the usage OpenRouter billed for it
    (``OpenRouterError.usage``), which the usage handler records as a failed call.
    """
    try:
        yield
    except Exception as exc:
        dispatcher.event(ExceptionEvent(exception=exc, span_id=active_span_id.get()))
        raise


class OpenRouter(OpenRouterFunctionCalling):
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
        default=None,
        gt=0,
        description="Seconds per request; None: 120 s without a byte, 10 s to connect.",
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
    is_chat_model: bool = Field(default=True, description="Reported in metadata.")
    modalities: list[str] | None = Field(
        default=None, description='Output modalities, e.g. ["image", "text"] for images.'
    )
    image_config: dict[str, Any] | None = Field(
        default=None, description='Image output settings, e.g. {"aspect_ratio": "16:9"}.'
    )
    logprobs: bool | None = Field(default=None, description="Return token logprobs.")
    top_logprobs: int | None = Field(
        default=None, ge=0, le=20, description="Alternatives per token with logprobs."
    )

    _client_config: ClientConfig | None = PrivateAttr(default=None)
    _options_memo: OptionsMemo = PrivateAttr(default_factory=OptionsMemo)
    _catalog_entry: tuple[tuple[str, str], ModelInfo | None] | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _sort_arguments(cls, data: Any) -> Any:
        """The official class's ``order``/``allow_fallbacks``/``reasoning_effort``; refusals."""
        if not isinstance(data, dict):
            return data
        return sort_arguments(data, cls.model_fields)

    @model_validator(mode="after")
    def _check_model_id(self) -> OpenRouter:
        check_model_id(self.model, stacklevel=5)  # a warning, pointing at the caller's line
        return self

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
        """The model's entry in OpenRouter's model catalog, settled once per model and base URL.

        Read from memory or the disk cache, never from the network on this thread; a miss
        starts loading the shared catalog in the background (unless
        ``OPENROUTER_CATALOG_PREFETCH=0``) for the next process. Whatever the first look finds
        decides ``metadata``, function calling and the structured-output path from then on, so
        they never change between two calls of one instance (another ``model`` looks again).
        """
        key = (resolve_base_url(self.api_base), self.model)
        settled = self._catalog_entry
        if settled is None or settled[0] != key:
            from openrouter_core.catalog import catalog_info  # loads on first use

            settled = self._catalog_entry = (key, catalog_info(*key, prefetch=True))
        return settled[1]

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
            is_chat_model=self.is_chat_model,
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
        config = self._client_config
        if config is None:
            config = self._client_config = ClientConfig.build(
                api_key=self.api_key,
                base_url=self.api_base,
                timeout=self.timeout,
                max_retries=self.max_retries,
                headers=self.default_headers,
                model=self.model,
                app_url=self.app_url,
                app_title=self.app_title,
            )
        return config

    def _request(self, messages: Sequence[ChatMessage], kwargs: Mapping[str, Any]) -> ChatRequest:
        """The request of one call; bad input raises before anything is sent."""
        fields = type(self).model_fields
        options = {o: getattr(self, o) for o in OPTION_FIELDS if o in fields}
        return build_chat_request(
            model=self.model,
            messages=to_openrouter_messages(messages),
            params={p: getattr(self, p) for p in OPENAI_PARAMS if p in fields},
            # validated once while unchanged; values assigned or changed later are checked
            options=self._options_memo.get({k: v for k, v in options.items() if v is not None}),
            extra=self.additional_kwargs,
            call=kwargs,
            stacklevel=5,
        )

    def _prepare(
        self, messages: Sequence[ChatMessage], kwargs: Mapping[str, Any]
    ) -> tuple[ClientConfig, ChatRequest]:
        """Resolve the client settings and build the request: every error before any request."""
        return self._config(), self._request(messages, kwargs)

    def _send(
        self, messages: Sequence[ChatMessage], kwargs: Mapping[str, Any], build: Callable[..., R]
    ) -> R:
        """Send a plain call; ``build`` (a ``_responses`` function) makes the response."""
        config, request = self._prepare(messages, kwargs)
        with _failures_reported():
            body = gateway.complete(config, request)
        return build(body, requested=request.model, base_url=config.base_url)

    async def _asend(
        self, messages: Sequence[ChatMessage], kwargs: Mapping[str, Any], build: Callable[..., R]
    ) -> R:
        config, request = self._prepare(messages, kwargs)
        with _failures_reported():
            body = await gateway.acomplete(config, request)
        return build(body, requested=request.model, base_url=config.base_url)

    def _stream(
        self,
        messages: Sequence[ChatMessage],
        kwargs: Mapping[str, Any],
        on_delta: Callable[..., R | None],
        build: Callable[..., R],
    ) -> ResponseStream[R]:
        config, request = self._prepare(messages, kwargs)
        on_end = functools.partial(build, requested=request.model, base_url=config.base_url)
        return ResponseStream(lambda: gateway.open_stream(config, request), on_delta, on_end)

    def _astream(
        self,
        messages: Sequence[ChatMessage],
        kwargs: Mapping[str, Any],
        on_delta: Callable[..., R | None],
        build: Callable[..., R],
    ) -> AsyncResponseStream[R]:
        config, request = self._prepare(messages, kwargs)
        on_end = functools.partial(build, requested=request.model, base_url=config.base_url)
        return AsyncResponseStream(lambda: gateway.aopen_stream(config, request), on_delta, on_end)

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
            The response; see :func:`llama_index_openrouter._responses.chat_response`.

        Raises:
            MissingAPIKeyError: No API key is configured.
            OpenRouterError: The request failed (a typed subclass says how).
        """
        return self._send(messages, kwargs, _responses.chat_response)

    @dispatcher.span
    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Asynchronous :meth:`chat`."""
        return await self._asend(messages, kwargs, _responses.chat_response)

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
            lambda: self._stream(messages, kwargs, _responses.chat_delta, _responses.chat_response),
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
                messages, kwargs, _responses.chat_delta, _responses.chat_response
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
        return self._send(self._prompt_messages(prompt), kwargs, _responses.completion_response)

    @dispatcher.span
    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        """Asynchronous :meth:`complete`."""
        messages = self._prompt_messages(prompt)
        return await self._asend(messages, kwargs, _responses.completion_response)

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
                _responses.completion_delta,
                _responses.completion_response,
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
                _responses.completion_delta,
                _responses.completion_response,
            ),
            prompt=prompt,
        )
