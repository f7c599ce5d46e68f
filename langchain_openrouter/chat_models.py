"""``ChatOpenRouter``: a LangChain chat model for OpenRouter, on the shared ``openai`` client.

The class holds LangChain's side only: fields, LangChain's hooks and the methods users call.
Messages and tools are converted by :mod:`langchain_openrouter._messages` and
:mod:`langchain_openrouter._tools`; the request body is built by the core builder
(:func:`openrouter_core.request.build_chat_request`); calls run in
:mod:`langchain_openrouter._calls` and answers are mapped by :mod:`langchain_openrouter._results`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LangSmithParams
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.utils import from_env, secret_from_env
from langchain_core.utils.utils import LC_ID_PREFIX
from pydantic import (
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
)

from langchain_openrouter import _calls, _compat, _messages
from langchain_openrouter._binding import ToolsAndTokens
from openrouter_core._version import __version__
from openrouter_core.request import (
    OPENAI_PARAMS,
    OPTION_FIELDS,
    ChatRequest,
    OptionsMemo,
    build_chat_request,
    check_model_id,
)
from openrouter_core.settings import BASE_URL_ENVS, ClientConfig, resolve_base_url

if TYPE_CHECKING:
    from langchain_core.language_models.model_profile import ModelProfile

    from openrouter_core.catalog import ModelInfo

__all__ = ["ChatOpenRouter"]

# Keyword arguments LangChain passes around that are not request parameters.
_INTERNAL_KWARGS = frozenset(
    {"ls_structured_output_format", "structured_output_format", "stream", "stream_usage"}
)


def _catalog_info(base_url: str | None, model: str, *, prefetch: bool = False) -> ModelInfo | None:
    from openrouter_core.catalog import catalog_info  # loads on first use, not at import

    return catalog_info(base_url, model, prefetch=prefetch)


def _base_url_from_env() -> str | None:
    """The base URL the environment sets, if any (what the requests will use)."""
    return next((url for name in BASE_URL_ENVS if (url := os.environ.get(name))), None)


def _field_of(option: str) -> str:
    """The field holding an OpenRouter option (``provider`` keeps the official class's name)."""
    return "openrouter_provider" if option == "provider" else option


class ChatOpenRouter(ToolsAndTokens):
    """OpenRouter chat model: hundreds of models behind one OpenAI-compatible API.

    A drop-in for the ``langchain-openrouter`` package (same class path, field names and
    aliases) that sends requests through the official ``openai`` client and reports every
    OpenRouter fact: served model, provider, exact cost, cache and reasoning tokens.

    Setup: ``export OPENROUTER_API_KEY=sk-or-...`` (or pass ``api_key=``).

    Example:
        ```python
        from langchain_openrouter import ChatOpenRouter

        llm = ChatOpenRouter(
            model="anthropic/claude-haiku-4.5",
            temperature=0,
            openrouter_provider={"sort": "price"},
            models=["openai/gpt-4o-mini"],  # fallbacks
        )
        reply = llm.invoke("Hello!")
        reply.response_metadata["cost"], reply.usage_metadata
        ```

    Per call, keyword arguments named like OpenRouter options (``provider``, ``models``,
    ``reasoning``, ``plugins``...) are merged over the instance's options, ``model=`` overrides
    the model, and anything else is sent in the request body (``llm.invoke(..., reasoning={...})``
    or ``llm.bind(provider={...})``).

    Tool-call arguments are parsed strictly: ``invoke`` reports malformed or truncated JSON in
    ``invalid_tool_calls`` (raw text and error), whether or not it streams under the hood. In
    ``.stream()``, calls travel as ``tool_call_chunks``; adding chunks up is LangChain's, and its
    partial-JSON parser completes a truncated call (``'{"city": "Par'`` shows as a valid call).
    """

    model_config = ConfigDict(populate_by_name=True)

    model_name: str = Field(alias="model")
    """OpenRouter model id, e.g. ``'anthropic/claude-haiku-4.5'`` or ``'openrouter/auto'``."""
    openrouter_api_key: SecretStr | None = Field(
        alias="api_key", default_factory=secret_from_env("OPENROUTER_API_KEY", default=None)
    )
    """API key (env ``OPENROUTER_API_KEY``); checked at the first call, never shown."""
    openrouter_api_base: str | None = Field(default_factory=_base_url_from_env, alias="base_url")
    """API root; default env ``OPENROUTER_BASE_URL`` / ``OPENROUTER_API_BASE``, then OpenRouter's
    (``None`` here means the default, ``https://openrouter.ai/api/v1``)."""
    request_timeout: float | None = Field(default=None, alias="timeout", gt=0)
    """Timeout in **seconds** (unset: 120 s without a byte, 10 s to connect); 1000 or more
    warns, as the ``langchain-openrouter`` package took milliseconds."""
    max_retries: int = Field(default=2, ge=0)
    """Retries the SDK makes on 408/409/429/5xx and connection errors (``0``: one attempt)."""
    app_url: str | None = Field(default_factory=from_env("OPENROUTER_APP_URL", default=None))
    """Your app's URL, sent as ``HTTP-Referer`` for attribution."""
    app_title: str | None = Field(default_factory=from_env("OPENROUTER_APP_TITLE", default=None))
    """Your app's name, sent as ``X-Title`` and ``X-OpenRouter-Title``."""
    app_categories: list[str] | None = None
    """Marketplace categories, sent as ``X-OpenRouter-Categories``."""
    default_headers: Mapping[str, str] | None = Field(default=None, exclude=True, repr=False)
    """Extra headers on every request (never serialised; they win over built-in ones)."""

    temperature: float | None = Field(default=None, ge=0, le=2)
    """Sampling temperature in [0, 2]."""
    max_tokens: int | None = Field(default=None, gt=0)
    """Maximum tokens to generate."""
    max_completion_tokens: int | None = Field(default=None, gt=0)
    """Maximum completion tokens (newer name of ``max_tokens``)."""
    top_p: float | None = None
    """Nucleus sampling."""
    frequency_penalty: float | None = None
    """Frequency penalty in [-2, 2]."""
    presence_penalty: float | None = None
    """Presence penalty in [-2, 2]."""
    seed: int | None = None
    """Seed for providers that support deterministic sampling."""
    stop: list[str] | str | None = Field(default=None, alias="stop_sequences")
    """Stop sequences."""
    n: int = Field(default=1, ge=1)
    """Completions per prompt (only 1 when streaming)."""
    streaming: bool = False
    """Whether ``invoke`` streams under the hood."""
    stream_usage: bool = True
    """Whether streams end with a chunk carrying ``usage_metadata``."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Other body parameters; unknown constructor arguments land here with a warning.

    A key that names a field (``models``, ``provider``, ``transforms``...) is moved into that
    field with a warning, unless the field is also given as an argument (the argument wins)."""

    openrouter_provider: dict[str, Any] | None = Field(default=None, alias="provider")
    """Provider routing (``ProviderPreferences`` or a dict: order, sort, only, max_price...)."""
    models: list[str] | None = None
    """Fallback models, tried in order when the first one fails."""
    route: str | None = None
    """Legacy routing mode (``'fallback'``)."""
    transforms: list[str] | None = None
    """Legacy message transforms such as ``['middle-out']``."""
    plugins: list[dict[str, Any]] | None = None
    """Plugins (``web``, ``file-parser``, ``response-healing``, ``context-compression``...)."""
    reasoning: dict[str, Any] | None = None
    """Reasoning tokens (``ReasoningConfig`` or a dict: effort, max_tokens, exclude...)."""
    include_reasoning: bool | None = None
    """Legacy switch for returning reasoning."""
    session_id: str | None = Field(default_factory=from_env("OPENROUTER_SESSION_ID", default=None))
    """Groups related requests in OpenRouter's logs and keeps a conversation on one provider
    (≤ 256 characters; env ``OPENROUTER_SESSION_ID``; ``""`` means unset)."""
    user: str | None = None
    """Stable identifier of your end user."""
    prediction: dict[str, Any] | None = None
    """Predicted output ``{'type': 'content', 'content': ...}``."""
    verbosity: str | None = None
    """Answer verbosity (``low``, ``medium``, ``high``...) for models that support it."""
    top_k: int | None = None
    """Sample from the k most likely tokens."""
    min_p: float | None = None
    """Minimum token probability relative to the most likely one."""
    top_a: float | None = None
    """Dynamic top-p."""
    repetition_penalty: float | None = None
    """Penalty for repeated tokens, in (0, 2]."""
    cache_control: dict[str, Any] | None = None
    """Top-level prompt caching, e.g. ``{'type': 'ephemeral'}`` (Anthropic models)."""
    modalities: list[str] | None = None
    """Output modalities, e.g. ``["image", "text"]`` to get images (as image content blocks)."""
    image_config: dict[str, Any] | None = None
    """Image output settings, e.g. ``{"aspect_ratio": "16:9"}``."""
    trace: dict[str, Any] | None = None
    """Trace metadata forwarded to OpenRouter broadcast destinations."""

    _client_config: ClientConfig | None = PrivateAttr(default=None)
    _options_memo: OptionsMemo = PrivateAttr(default_factory=OptionsMemo)
    _option_fields: ClassVar[dict[str, str]]
    _param_fields: ClassVar[tuple[str, ...]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._bind_field_tables()

    @classmethod
    def _bind_field_tables(cls) -> None:
        """Which fields hold OpenRouter options and OpenAI parameters (from the core tables)."""
        cls._option_fields = {
            _field_of(o): o for o in sorted(OPTION_FIELDS) if _field_of(o) in cls.model_fields
        }
        cls._param_fields = tuple(p for p in OPENAI_PARAMS if p in cls.model_fields)

    @model_validator(mode="before")
    @classmethod
    def _collect_model_kwargs(cls, values: Any) -> Any:
        """Unknown arguments go to ``model_kwargs``; field names in it become fields."""
        if not isinstance(values, dict):
            return values
        return _compat.sort_arguments(values, cls.model_fields, cls._option_fields)

    @property
    def model(self) -> str:
        """The model id (the same as ``model_name``)."""
        return self.model_name

    @field_validator("request_timeout")
    @classmethod
    def _timeout_in_seconds(cls, value: float | None) -> float | None:
        return _compat.check_timeout(value)

    @model_validator(mode="after")
    def _set_openrouter_frameworks_version(self) -> ChatOpenRouter:
        """Name this package in ``metadata["lc_versions"]``, as LangChain's partners do."""
        self._add_version("openrouter-frameworks", __version__)
        return self

    @model_validator(mode="after")
    def _validate(self) -> ChatOpenRouter:
        self._options_memo.get(self._option_layer())  # bad options fail here
        if self.n > 1 and self.streaming:
            raise ValueError("n must be 1 when streaming=True")
        check_model_id(self.model_name, stacklevel=4)
        return self

    @property
    def lc_secrets(self) -> dict[str, str]:
        """The API key is serialised as a reference to ``OPENROUTER_API_KEY``."""
        return {"openrouter_api_key": "OPENROUTER_API_KEY"}

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """``dumps``/``loads`` round-trip the model (without the key)."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """The class path shared with the ``langchain-openrouter`` package."""
        return ["langchain_openrouter", "chat_models"]

    @property
    def _llm_type(self) -> str:
        return "openrouter-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            **self._params(),
            **self._option_layer(),
            "streaming": self.streaming,
            "model_kwargs": self.model_kwargs,
        }

    def _combine_llm_outputs(self, llm_outputs: list[dict[str, Any] | None]) -> dict[str, Any]:
        """``generate()``'s ``llm_output``: the call's (``id``, ``created``...) for one prompt."""
        outputs = [output for output in llm_outputs if output]
        if len(outputs) == 1:
            return dict(outputs[0])
        return {"model_name": self.model_name} if outputs else {}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="openrouter",
            ls_model_name=kwargs.get("model") or self.model_name,
            ls_model_type="chat",
            ls_temperature=kwargs.get("temperature", self.temperature),
        )
        if max_tokens := kwargs.get("max_tokens", self.max_tokens):
            params["ls_max_tokens"] = max_tokens
        if ls_stop := stop or kwargs.get("stop") or self.stop:
            params["ls_stop"] = [ls_stop] if isinstance(ls_stop, str) else list(ls_stop)
        return params

    def _params(self) -> dict[str, Any]:
        """The OpenAI parameters set on the instance (``n`` only above 1, no empty ``stop``)."""
        params = {name: getattr(self, name) for name in self._param_fields}
        if params.get("n") == 1:
            del params["n"]
        return {k: v for k, v in params.items() if v is not None and v != []}

    def _option_layer(self) -> dict[str, Any]:
        values = {option: getattr(self, field) for field, option in self._option_fields.items()}
        return {option: value for option, value in values.items() if value is not None}

    def _request(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> ChatRequest:
        """The request of one call; bad input raises before anything is sent."""
        call = {k: v for k, v in kwargs.items() if k not in _INTERNAL_KWARGS}
        if "openrouter_provider" in call:
            call["provider"] = call.pop("openrouter_provider")
        if stop:
            call["stop"] = stop
        return build_chat_request(
            model=self.model_name,
            messages=_messages.convert_messages(messages) if messages else [],
            params=self._params(),
            options=self._options_memo.get(self._option_layer()),
            extra=self.model_kwargs,
            call=call,
            stacklevel=6,
        )

    def _config(self) -> ClientConfig:
        """The client configuration, resolved (and the key checked) at the first call."""
        config = self._client_config  # a private attribute costs a __getattr__: read it once
        if config is None:
            with _calls.langchain_errors():  # no key: LangChain's authentication error too
                config = self._client_config = ClientConfig.build(
                    api_key=self.openrouter_api_key,
                    base_url=self.openrouter_api_base,
                    timeout=self.request_timeout,
                    max_retries=self.max_retries,
                    headers=self.default_headers,
                    model=self.model_name,
                    app_url=self.app_url,
                    app_title=self.app_title,
                    app_categories=self.app_categories,
                )
            # The first request is when going online is expected: start loading the model
            # catalog in the background (if it is not at hand) so profiles can be filled.
            _catalog_info(config.base_url, self.model_name, prefetch=True)
        return config

    def _resolve_model_profile(self) -> ModelProfile | None:
        """The model's profile from OpenRouter's catalog, when it is at hand (no network)."""
        info = _catalog_info(resolve_base_url(self.openrouter_api_base), self.model_name)
        if info is None:
            return None
        from langchain_openrouter._profile import model_profile

        return model_profile(info)

    def _should_stream(
        self,
        *,
        async_api: bool,
        run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> bool:
        """Whether LangChain should answer by adding up ``_stream``'s chunks: never for invoke.

        Asked with a run manager (inside ``invoke``/``batch``), the answer is no:
        :meth:`_generate` streams by itself when LangChain would, and answers from the
        accumulated completion, so ``invoke`` returns the same message whether it streamed or
        not (LangChain's chunk sum would "repair" truncated tool-call arguments).
        """
        if run_manager is not None:
            return False
        return super()._should_stream(async_api=async_api, run_manager=run_manager, **kwargs)

    def _stream_run(
        self,
        run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None,
        kwargs: dict[str, Any],
        *,
        async_api: bool,
    ) -> _calls.StreamRun | None:
        """The state of an invoke's stream, when it streams (else ``None``).

        LangChain decides: ``streaming=True``, ``stream=True`` or a streaming handler;
        ``disable_streaming`` wins.
        """
        if not super()._should_stream(async_api=async_api, run_manager=run_manager, **kwargs):
            return None
        return _calls.StreamRun(
            stream_usage=kwargs.get("stream_usage", self.stream_usage),
            run_id=f"{LC_ID_PREFIX}{run_manager.run_id}" if run_manager else None,
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request = self._request(messages, stop, kwargs)
        run = self._stream_run(run_manager, kwargs, async_api=False)
        if run is None:
            return _calls.generate(self._config(), request)
        for chunk in _calls.stream(self._config(), request, run):
            if run_manager:
                run_manager.on_llm_new_token(chunk.text, chunk=run.labelled(chunk))
        return run.result()

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request = self._request(messages, stop, kwargs)
        run = self._stream_run(run_manager, kwargs, async_api=True)
        if run is None:
            return await _calls.agenerate(self._config(), request)
        async for chunk in _calls.astream(self._config(), request, run):
            if run_manager:
                await run_manager.on_llm_new_token(chunk.text, chunk=run.labelled(chunk))
        return run.result()

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Stream chunks: text, ``tool_call_chunks`` and reasoning deltas, then a final chunk.

        Tool calls travel only as ``tool_call_chunks`` (the argument fragments, as received).
        LangChain parses the joined fragments of a chunk sum with its partial-JSON parser, which
        completes truncated JSON; ``invoke`` parses strictly (``invalid_tool_calls``).
        """
        request = self._request(messages, stop, kwargs)
        run = _calls.StreamRun(stream_usage=kwargs.get("stream_usage", self.stream_usage))
        chunks = _calls.stream(self._config(), request, run)
        try:
            for chunk in chunks:
                if run_manager:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
        finally:
            chunks.close()  # an abandoned stream closes the connection now, not at GC

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        """Async :meth:`_stream`."""
        request = self._request(messages, stop, kwargs)
        run = _calls.StreamRun(stream_usage=kwargs.get("stream_usage", self.stream_usage))
        chunks = _calls.astream(self._config(), request, run)
        try:
            async for chunk in chunks:
                if run_manager:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
        finally:
            await chunks.aclose()


ChatOpenRouter._bind_field_tables()


def _profile_get(self: ChatOpenRouter) -> ModelProfile | None:
    stored: ModelProfile | None = self.__dict__.get("profile")
    if stored is None:
        try:
            stored = self._resolve_model_profile()
        except Exception:  # a profile is a nicety: it must never break a model
            return None
        if stored is not None:
            self.__dict__["profile"] = stored
    return stored


def _profile_set(self: ChatOpenRouter, value: ModelProfile | None) -> None:
    self.__dict__["profile"] = value


# ``profile`` is LangChain's field, filled once at construction; here it is resolved on access
# while unset, so an instance built before the model catalog was at hand gets its profile once
# the catalog is loaded (in the background at the first request, or from the disk cache). A
# lookup reads memory or disk only: it never blocks on the network and never raises. Set after
# the class is built, since pydantic would read a property in the class body as the field's
# default; pydantic routes assignment to a property's setter.
ChatOpenRouter.profile = property(  # type: ignore[assignment]
    _profile_get,
    _profile_set,
    doc="The model's LangChain profile from OpenRouter's catalog (``None`` until it is at hand).",
)
