"""``ChatOpenRouter``: a LangChain chat model for OpenRouter, on the shared ``openai`` client.

The class is thin: it builds the request body (conversions live in
:mod:`langchain_openrouter._convert`), sends it through :mod:`openrouter_core.transport` and
turns every failure into an error that is at once an ``openrouter_core`` typed error, the
matching ``openai`` exception and the matching ``langchain_core`` ``Model*Error``.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Generator,
    Iterator,
    Mapping,
    Sequence,
)
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LangSmithParams, LanguageModelInput
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.utils import from_env, secret_from_env
from langchain_core.utils.utils import LC_ID_PREFIX
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
)

from langchain_openrouter import _convert
from openrouter_core.options import (
    OPENROUTER_OPTION_FIELDS,
    OpenRouterOptions,
    OptionsMemo,
    build_extra_body,
)
from openrouter_core.settings import build_headers, resolve_base_url
from openrouter_core.validation import check_messages, check_params

if TYPE_CHECKING:
    from langchain_core.language_models.model_profile import ModelProfile

    from openrouter_core.model_info import ModelInfo


def _catalog_info(base_url: str | None, model: str, *, prefetch: bool = False) -> ModelInfo | None:
    from openrouter_core.catalog import catalog_info  # loads on first use, not at import

    return catalog_info(base_url, model, prefetch=prefetch)


__all__ = ["ChatOpenRouter"]

_BASE_URL_ENV = ("OPENROUTER_BASE_URL", "OPENROUTER_API_BASE")
# Constructor fields sent in the OpenRouter options layer, by the option name they become.
_OPTION_FIELDS = {
    "openrouter_provider": "provider",
    **{name: name for name in OPENROUTER_OPTION_FIELDS if name != "provider"},
    "trace": "trace",
}
_CALL_OPTIONS = frozenset(_OPTION_FIELDS.values())
_OPENAI_FIELDS = (
    "temperature",
    "max_tokens",
    "max_completion_tokens",
    "top_p",
    "frequency_penalty",
    "presence_penalty",
    "seed",
    "stop",
)
# A timeout this large (seconds) is probably milliseconds, the unit of langchain-openrouter.
_MILLISECONDS_LIKE = 1000
# Keyword arguments LangChain passes around that are not request parameters.
_INTERNAL_KWARGS = (
    "ls_structured_output_format",
    "structured_output_format",
    "stream",
    "stream_usage",
)


@contextlib.contextmanager
def _langchain_errors() -> Iterator[None]:
    """Re-raise ``openrouter_core`` errors as their LangChain-flavoured subclasses."""
    from openrouter_core.errors import OpenRouterError  # the openai SDK loads on the first call

    try:
        yield
    except OpenRouterError as exc:
        from langchain_openrouter._errors import to_langchain_error

        translated = to_langchain_error(exc)
        if translated is exc:
            raise
        raise translated from exc


class ChatOpenRouter(BaseChatModel):
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
    openrouter_api_base: str | None = Field(default=None, alias="base_url")
    """API root; default env ``OPENROUTER_BASE_URL`` / ``OPENROUTER_API_BASE``, then OpenRouter."""
    request_timeout: float | None = Field(default=None, alias="timeout", gt=0)
    """Timeout in **seconds** (the ``openai`` SDK default when unset).

    The ``langchain-openrouter`` package took milliseconds: a value of 1000 or more
    (``_MILLISECONDS_LIKE``, over 16 minutes) warns that it is read as seconds."""
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
    """Groups requests in logs and keeps a conversation on one provider (≤ 256 characters)."""
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
    trace: dict[str, Any] | None = None
    """Trace metadata forwarded to OpenRouter broadcast destinations."""

    _client_config: Any = PrivateAttr(default=None)
    _options_memo: OptionsMemo = PrivateAttr(default_factory=OptionsMemo)

    @model_validator(mode="before")
    @classmethod
    def _collect_model_kwargs(cls, values: Any) -> Any:
        """Sort constructor arguments into fields and ``model_kwargs`` (with warnings).

        - An unknown argument is sent in the request body: it moves into ``model_kwargs``.
        - A ``model_kwargs`` key that names a field or an alias (``models``, ``provider``,
          ``transforms``, ``reasoning``, ``temperature``...) moves into that field. Code and
          serialised objects of the ``langchain-openrouter`` package pass newer OpenRouter
          options that way, so they keep working. When the field is also given as an
          argument, the argument wins and the ``model_kwargs`` value is dropped.
        """
        if not isinstance(values, dict):
            return values
        by_key = {name: name for name in cls.model_fields}
        by_key.update({f.alias: name for name, f in cls.model_fields.items() if f.alias})
        del by_key["model_kwargs"]
        values = dict(values)
        extra = dict(values.get("model_kwargs") or {})
        for key in [k for k in extra if k in by_key]:
            field = by_key[key]
            given = [k for k in (field, cls.model_fields[field].alias) if k and k in values]
            value = extra.pop(key)
            if given:
                warnings.warn(
                    f"model_kwargs[{key!r}] is ignored: {given[0]!r} is also given as an "
                    "argument, which wins",
                    UserWarning,
                    stacklevel=2,
                )
                continue
            warnings.warn(
                f"model_kwargs[{key!r}] is a ChatOpenRouter field; it is used as {key}=... "
                f"(pass it as an argument instead of inside model_kwargs)",
                UserWarning,
                stacklevel=2,
            )
            values[key] = value
        for name in [n for n in values if n not in by_key and n != "model_kwargs"]:
            warnings.warn(
                f"{name!r} is not a ChatOpenRouter field; it is sent in the request body as "
                f"model_kwargs[{name!r}]",
                UserWarning,
                stacklevel=2,
            )
            extra[name] = values.pop(name)
        values["model_kwargs"] = extra
        for name in _OPTION_FIELDS:
            for key in (name, cls.model_fields[name].alias):
                if key and key in values:
                    values[key] = _convert.plain_option(values[key])
        return values

    @field_validator("request_timeout")
    @classmethod
    def _timeout_in_seconds(cls, value: float | None) -> float | None:
        if value is not None and value >= _MILLISECONDS_LIKE:
            warnings.warn(
                f"timeout={value:g} is in seconds ({value / 3600:.1f} hours), not milliseconds "
                f"as in the langchain-openrouter package; for {value:g} ms pass "
                f"timeout={value / 1000:g}",
                UserWarning,
                stacklevel=2,
            )
        return value

    @model_validator(mode="after")
    def _validate(self) -> ChatOpenRouter:
        OpenRouterOptions.model_validate(self._option_layer())  # bad options fail here
        if self.n > 1 and self.streaming:
            raise ValueError("n must be 1 when streaming=True")
        _convert.check_model_id(self.model_name)
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
            **self._openai_params(),
            **self._option_layer(),
            "streaming": self.streaming,
            "model_kwargs": self.model_kwargs,
        }

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

    def _openai_params(self) -> dict[str, Any]:
        params = {name: getattr(self, name) for name in _OPENAI_FIELDS}
        params = {k: v for k, v in params.items() if v is not None and v != []}
        if self.n > 1:
            params["n"] = self.n
        return params

    def _option_layer(self) -> dict[str, Any]:
        return {
            option: getattr(self, field)
            for field, option in _OPTION_FIELDS.items()
            if getattr(self, field) is not None
        }

    def _request_body(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        """The chat-completions body for one call; bad input raises before any request."""
        check_messages(messages)
        call = {k: v for k, v in kwargs.items() if k not in _INTERNAL_KWARGS}
        model = call.pop("model", None) or self.model_name
        if model != self.model_name:
            _convert.check_model_id(model)
        if "openrouter_provider" in call:
            call["provider"] = call.pop("openrouter_provider")
        options = {k: _convert.plain_option(call.pop(k)) for k in list(call) if k in _CALL_OPTIONS}
        params = {**self.model_kwargs, **self._openai_params()}
        if stop:
            params["stop"] = stop
        params.update(call)
        check_params(params)
        return {
            "model": model,
            "messages": _convert.convert_messages(messages),
            **params,
            # the instance's options are validated once while unchanged, not on every call
            **build_extra_body(self._options_memo.get(self._option_layer()), options),
        }

    def _config(self) -> Any:
        """The client configuration, resolved (and the key checked) at the first call."""
        config = self._client_config  # a private attribute costs a __getattr__: read it once
        if config is None:
            from openrouter_core.client import ClientConfig

            user_headers = dict(self.default_headers or {})
            if self.app_categories:
                user_headers = {
                    "X-OpenRouter-Categories": ",".join(self.app_categories),
                    **user_headers,
                }
            config = self._client_config = ClientConfig.build(
                api_key=self.openrouter_api_key,
                base_url=resolve_base_url(self.openrouter_api_base, env=_BASE_URL_ENV),
                timeout=self.request_timeout,
                max_retries=self.max_retries,
                headers=build_headers(
                    app_url=self.app_url, app_title=self.app_title, default_headers=user_headers
                ),
                model=self.model_name,
            )
            # The first request is when going online is expected: start loading the model
            # catalog in the background (if it is not at hand) so profiles can be filled.
            _catalog_info(config.base_url, self.model_name, prefetch=True)
        return config

    def _resolve_model_profile(self) -> ModelProfile | None:
        """The model's profile from OpenRouter's catalog, when it is at hand (no network).

        The catalog is read from memory or the disk cache; it is loaded in the background at
        the first request (and cached on disk for the next process). ``profile`` calls this
        on access while it is unset, so an instance built before the catalog was at hand
        gets its profile once it is.
        """
        base_url = resolve_base_url(self.openrouter_api_base, env=_BASE_URL_ENV)
        info = _catalog_info(base_url, self.model_name)
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

        LangChain asks this in ``stream``/``astream`` (no run manager: whether to stream at
        all) and inside ``invoke``/``batch`` (with the run's manager: whether to build the
        answer from the summed chunks, whose tool calls it parses with a partial-JSON parser
        that "repairs" truncated arguments). For the second question the answer is no:
        :meth:`_generate` streams by itself when LangChain would, and answers from the
        accumulated completion, so ``invoke`` returns the same message whether it streamed
        or not (malformed arguments stay ``invalid_tool_calls``).
        """
        if run_manager is not None:
            return False
        return super()._should_stream(async_api=async_api, run_manager=run_manager, **kwargs)

    def _streams_invoke(
        self,
        run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None,
        kwargs: dict[str, Any],
        *,
        async_api: bool,
    ) -> bool:
        """Whether an invoke streams, as LangChain decides it (``disable_streaming`` wins).

        It does for ``streaming=True``, ``stream=True`` or an attached streaming handler.
        """
        return super()._should_stream(async_api=async_api, run_manager=run_manager, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self._streams_invoke(run_manager, kwargs, async_api=False):
            completions: list[dict[str, Any]] = []
            run_id = f"{LC_ID_PREFIX}{run_manager.run_id}" if run_manager else None
            for chunk in self._chunks(messages, stop, kwargs, completions):
                if run_manager:
                    if chunk.message.id is None:
                        chunk.message.id = run_id
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            return _convert.chat_result(completions[0])
        body = self._request_body(messages, stop, kwargs)
        from openrouter_core import transport
        from openrouter_core.client import get_client

        with _langchain_errors():
            data = transport.complete(get_client(self._config()), body)
        return _convert.chat_result(data)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self._streams_invoke(run_manager, kwargs, async_api=True):
            completions: list[dict[str, Any]] = []
            run_id = f"{LC_ID_PREFIX}{run_manager.run_id}" if run_manager else None
            async for chunk in self._achunks(messages, stop, kwargs, completions):
                if run_manager:
                    if chunk.message.id is None:
                        chunk.message.id = run_id
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            return _convert.chat_result(completions[0])
        body = self._request_body(messages, stop, kwargs)
        from openrouter_core import transport
        from openrouter_core.client import get_async_client

        with _langchain_errors():
            data = await transport.acomplete(get_async_client(self._config()), body)
        return _convert.chat_result(data)

    def _chunks(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        kwargs: dict[str, Any],
        completions: list[dict[str, Any]] | None = None,
    ) -> Generator[ChatGenerationChunk, None, None]:
        """The chunks of one streamed call; the accumulated completion goes to ``completions``."""
        converter = _convert.StreamConverter(
            stream_usage=kwargs.pop("stream_usage", self.stream_usage)
        )
        body = self._request_body(messages, stop, kwargs)
        from openrouter_core import transport
        from openrouter_core.client import get_client

        with _langchain_errors():
            stream = transport.open_stream(get_client(self._config()), body)
            try:
                for delta in stream:
                    chunk = converter.chunk(delta)
                    if chunk is not None:
                        yield chunk
            finally:
                if not stream.finished:
                    stream.close()  # abandoned: the usage so far is reported as incomplete
            if completions is not None:
                completions.append(stream.accumulator.completion())
            yield converter.final(stream.accumulator)

    async def _achunks(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        kwargs: dict[str, Any],
        completions: list[dict[str, Any]] | None = None,
    ) -> AsyncGenerator[ChatGenerationChunk, None]:
        """Async :meth:`_chunks`."""
        converter = _convert.StreamConverter(
            stream_usage=kwargs.pop("stream_usage", self.stream_usage)
        )
        body = self._request_body(messages, stop, kwargs)
        from openrouter_core import transport
        from openrouter_core.client import get_async_client

        with _langchain_errors():
            stream = await transport.aopen_stream(get_async_client(self._config()), body)
            try:
                async for delta in stream:
                    chunk = converter.chunk(delta)
                    if chunk is not None:
                        yield chunk
            finally:
                if not stream.finished:
                    await stream.aclose()
            if completions is not None:
                completions.append(stream.accumulator.completion())
            yield converter.final(stream.accumulator)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Stream chunks: text, ``tool_call_chunks`` and reasoning deltas, then a final chunk.

        Tool calls travel only as ``tool_call_chunks`` (the argument text fragments, as
        received). LangChain parses the joined fragments of a chunk sum with its partial-JSON
        parser, which completes truncated JSON: ``sum(stream)`` may show a call cut short
        (``'{"city": "Par'``) as a valid call with repaired arguments. ``invoke`` (streaming or
        not) parses strictly and reports such a call in ``invalid_tool_calls`` with the error.
        """
        chunks = self._chunks(messages, stop, kwargs)
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
        chunks = self._achunks(messages, stop, kwargs)
        try:
            async for chunk in chunks:
                if run_manager:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
        finally:
            await chunks.aclose()

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | Any],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (LangChain tools, functions, pydantic models, TypedDicts or schemas).

        Args:
            tools: The tools, converted with ``convert_to_openai_tool``.
            tool_choice: ``"auto"``, ``"none"``, ``"required"`` (or ``"any"``), a tool name,
                ``True`` (the only tool) or an OpenAI ``tool_choice`` dict.
            strict: Ask for arguments that match the schema exactly (``None``: not sent).
            parallel_tool_calls: ``False`` asks for at most one call per turn.
            **kwargs: Other parameters bound with the tools.

        Raises:
            ValueError: A tool cannot be converted, or ``tool_choice`` names no bound tool.
        """
        formatted = _convert.format_tools(tools, strict=strict)
        choice = _convert.format_tool_choice(tool_choice, formatted)
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
        bound, parser = _convert.structured_output(schema, method=method, strict=strict)
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

        ``custom_get_token_ids`` when set; else tiktoken's ``o200k_base`` ids when tiktoken is
        installed and that encoding is already cached locally; else stand-in ids, one per 4
        characters (the estimate :meth:`get_num_tokens_from_messages` uses for text), which
        are not real token ids. Never raises ``ImportError``.
        """
        if self.custom_get_token_ids is not None:
            return self.custom_get_token_ids(text)
        return _convert.text_token_ids()(text)

    def get_num_tokens(self, text: str) -> int:
        """Tokens in ``text``: ``len(get_token_ids(text))``, counted the same way."""
        if self.custom_get_token_ids is not None:
            return len(self.custom_get_token_ids(text))
        return _convert.text_token_counter()(text)

    def get_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        """Approximate prompt tokens of ``messages`` (and ``tools``), without any request.

        OpenRouter serves many tokenizers, so this is an approximation: with tiktoken installed
        and its ``o200k_base`` encoding already cached, text is counted with it; otherwise text
        counts one token per 4 characters. Each message adds 3 tokens, each image, file or
        audio part 85, and the reply priming 3. Never raises ``ImportError``.
        """
        formatted_tools = _convert.format_tools(tools) if tools else None
        return _convert.count_tokens(
            _convert.convert_messages(messages), formatted_tools, _convert.text_token_counter()
        )


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
