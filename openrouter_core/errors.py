"""One typed error hierarchy for everything OpenRouter (or the connection to it) can fail with.

Each class says what happened and what to do. Where the ``openai`` SDK has a matching class,
ours is also an instance of it, so existing ``except openai.RateLimitError`` code keeps working.
:func:`map_errors` is the single place SDK and transport exceptions become these types; the
stream accumulator and the response check raise them directly for the failures OpenRouter
reports inside an HTTP 200 (an error body, or an error chunk in the middle of a stream).
"""

from __future__ import annotations

import contextlib
import email.utils
import re
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import openai

from openrouter_core import _json

if TYPE_CHECKING:
    from openrouter_core.usage import OpenRouterUsage

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "AuthenticationError",
    "BadRequestError",
    "ContextLengthExceededError",
    "HTTPRequestTimeoutError",
    "InsufficientCreditsError",
    "KeyLimitExceededError",
    "MissingAPIKeyError",
    "ModelNotFoundError",
    "ModerationError",
    "NotOpenRouterError",
    "OpenRouterError",
    "PermissionDeniedError",
    "ProviderError",
    "RateLimitError",
    "RequestTimeoutError",
    "UnknownModelError",
    "decode_raw",
    "error_from_payload",
    "map_errors",
    "raise_for_error_body",
    "translate_exception",
]

_CONTEXT_ERROR_TYPES = frozenset(
    {"context_length_exceeded", "max_tokens_exceeded", "token_limit_exceeded", "string_too_long"}
)
_UNKNOWN_MODEL_PATTERN = re.compile(r"is not a valid model id", re.IGNORECASE)
_KEY_LIMIT_PATTERN = re.compile(r"key limit exceeded(?: \((\w+) limit\))?", re.IGNORECASE)
_CONTEXT_PATTERN = re.compile(
    r"context[ _-]?(length|window)|maximum context|too many tokens|token limit|prompt is too long",
    re.IGNORECASE,
)


class OpenRouterError(Exception):
    """Base class of every error this package raises for a failed OpenRouter call.

    Attributes:
        message: The message OpenRouter (or the transport) gave.
        status_code: HTTP status, or the ``error.code`` of a mid-stream error; ``None`` when
            the request never got an answer.
        provider_name: The upstream provider named in the error metadata, if any.
        raw: The upstream provider's raw error, JSON-decoded when it was JSON inside a string.
        error_type: OpenRouter's ``metadata.error_type`` (e.g. ``"rate_limit_exceeded"``).
        metadata: The whole ``error.metadata`` object.
        model: The model the request asked for.
        generation_id: The ``gen-...`` id when OpenRouter assigned one.
        partial_text: For a stream that failed midway, the text received before the error.
        usage: Usage already billed for the failed call, when OpenRouter reported it.
        retry_after: Seconds OpenRouter asked to wait before retrying, when it said so.
        attempts: How many HTTP attempts the SDK made (retries included), when known.
    """

    hint: ClassVar[str] = ""
    """What the caller can do about it; appended to the message."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        provider_name: str | None = None,
        raw: Any = None,
        error_type: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        model: str | None = None,
        generation_id: str | None = None,
        partial_text: str | None = None,
        usage: OpenRouterUsage | None = None,
        retry_after: float | None = None,
        attempts: int | None = None,
        body: Any = None,
        response: Any = None,
    ) -> None:
        self.message = message
        self.status_code = status_code
        self.provider_name = provider_name
        self.raw = raw
        self.error_type = error_type
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.model = model
        self.generation_id = generation_id
        self.partial_text = partial_text
        self.usage = usage
        self.retry_after = retry_after
        self.attempts = attempts
        # The attributes of ``openai.APIError`` / ``APIStatusError``, so code written against
        # the SDK's exceptions can read them from ours.
        self.body = body
        self.response = response
        self.request = getattr(response, "request", None)
        headers = getattr(response, "headers", None)
        self.request_id = headers.get("x-request-id") if headers is not None else None
        code = body.get("code") if isinstance(body, Mapping) else None
        self.code = str(code) if code is not None else None
        self.param = None
        self.type = error_type
        Exception.__init__(self, self._describe())

    def _describe(self) -> str:
        parts = [f"OpenRouter error {self.status_code}" if self.status_code else "OpenRouter error"]
        if self.model:
            parts.append(f" for model {self.model!r}")
        if self.provider_name:
            parts.append(f" (provider {self.provider_name})")
        parts.append(f": {self.message.strip() or type(self).__name__}")
        if self.partial_text is not None:
            parts.append(f" [stream failed after {len(self.partial_text)} characters of output]")
        text = "".join(parts)
        if self.hint:
            text = f"{text.rstrip('.')}. {self.hint}"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by attributes (the constructor takes keyword arguments only)."""
        state = dict(self.__dict__)
        state.pop("response", None)
        state.pop("request", None)
        return (_rebuild_error, (type(self), state))


def _rebuild_error(cls: type[OpenRouterError], state: dict[str, Any]) -> OpenRouterError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    error.response = None
    error.request = None
    Exception.__init__(error, error._describe())
    return error


class APIStatusError(OpenRouterError, openai.APIStatusError):  # type: ignore[misc]
    """OpenRouter answered with an error status that has no more specific class."""


class BadRequestError(APIStatusError, openai.BadRequestError):  # type: ignore[misc]
    """HTTP 400: the request was invalid (a parameter, a message or the model id)."""

    hint = "Fix the request; retrying it unchanged will fail again."


class ContextLengthExceededError(BadRequestError):
    """HTTP 400: the prompt plus ``max_tokens`` does not fit the model's context window."""

    hint = (
        "Shorten the conversation, lower max_tokens, pick a model with a longer context, "
        "or enable the context-compression plugin."
    )


class AuthenticationError(APIStatusError, openai.AuthenticationError):  # type: ignore[misc]
    """HTTP 401: the API key is missing, invalid, disabled or expired."""

    hint = (
        "Check OPENROUTER_API_KEY (or the api_key argument); keys are managed at "
        "https://openrouter.ai/settings/keys."
    )


class InsufficientCreditsError(APIStatusError):
    """HTTP 402: the account or the key's credit limit cannot pay for this request."""

    hint = (
        "Add credits at https://openrouter.ai/settings/credits, raise the key's limit, "
        "or lower max_tokens. This is not retried."
    )


class PermissionDeniedError(APIStatusError, openai.PermissionDeniedError):  # type: ignore[misc]
    """HTTP 403: the request is not allowed (a guardrail, a key restriction, moderation)."""

    hint = "Check the key's guardrails and the account's privacy and provider settings."


class ModerationError(PermissionDeniedError):
    """HTTP 403 from moderation: the input was flagged.

    Attributes:
        reasons: Why the input was flagged, as OpenRouter reported it.
        flagged_input: The flagged part of the input (at most 100 characters).
    """

    hint = "Rephrase the flagged input or choose a model without moderation."

    @property
    def reasons(self) -> list[str]:
        """The moderation reasons from the error metadata."""
        value = self.metadata.get("reasons")
        return [str(v) for v in value] if isinstance(value, list) else []

    @property
    def flagged_input(self) -> str | None:
        """The flagged input excerpt from the error metadata."""
        value = self.metadata.get("flagged_input")
        return value if isinstance(value, str) else None


class KeyLimitExceededError(PermissionDeniedError):
    """HTTP 403 "Key limit exceeded": this API key has spent the credit limit set on it.

    OpenRouter enforces a key's own ``limit`` (set at https://openrouter.ai/settings/keys or
    with ``OpenRouterAccount.create_key``) across every process and machine using the key.
    The account may still have credit.

    Attributes:
        limit_period: Which limit was reached: ``"total"``, ``"daily"``, ``"weekly"`` or
            ``"monthly"`` (``None`` when the message did not say).
    """

    hint = (
        "The key's own credit limit is spent: raise it, wait for its reset, or use another "
        "key (https://openrouter.ai/settings/keys). This is not retried."
    )

    @property
    def limit_period(self) -> str | None:
        """The period of the limit that was reached, from the message."""
        match = _KEY_LIMIT_PATTERN.search(self.message)
        return match.group(1).lower() if match and match.group(1) else None


class ModelNotFoundError(APIStatusError, openai.NotFoundError):  # type: ignore[misc]
    """HTTP 404: no such model, or no endpoint serves it with the requested features."""

    hint = (
        "Check the model id at https://openrouter.ai/models (ids look like 'author/slug'); "
        "some models have no endpoint for tools or other requested parameters."
    )


class NotOpenRouterError(APIStatusError, openai.NotFoundError):  # type: ignore[misc]
    """The server at ``base_url`` did not answer like OpenRouter.

    A 404 or 405 without OpenRouter's JSON error body: a ``base_url`` missing ``/api/v1``, a
    proxy, a web page. The message shows what it answered: the status, the content type and
    the first bytes.
    """

    hint = (
        "Check base_url: OpenRouter's is https://openrouter.ai/api/v1 (note the /api/v1); "
        "set it with base_url=/api_base= or OPENROUTER_BASE_URL."
    )


class UnknownModelError(BadRequestError, ModelNotFoundError):  # type: ignore[misc]
    """HTTP 400 "<id> is not a valid model ID": OpenRouter knows no model by that id.

    OpenRouter answers an unknown id with a 400, so this is a :class:`BadRequestError` (and an
    ``openai.BadRequestError``) as the status says, and a :class:`ModelNotFoundError` as the
    cause says: ``except ModelNotFoundError`` catches every unknown model.
    """

    hint = (
        "No model has this id: check its spelling at https://openrouter.ai/models or with "
        "'python -m openrouter_core models' (ids look like 'author/slug')."
    )


class RequestTimeoutError(OpenRouterError, openai.APITimeoutError):  # type: ignore[misc]
    """The request timed out (HTTP 408, or no answer within the client's ``timeout``)."""

    hint = "Raise timeout (in seconds), lower max_tokens, or stream the response."


class HTTPRequestTimeoutError(RequestTimeoutError, APIStatusError):  # type: ignore[misc]
    """HTTP 408: OpenRouter answered that the request timed out.

    The SDK raises a plain ``openai.APIStatusError`` for a 408, so this is one too (existing
    ``except openai.APIStatusError`` code keeps catching it, ``status_code`` included) as well
    as a :class:`RequestTimeoutError`. A timeout on the client side has no status and stays a
    plain :class:`RequestTimeoutError` (an ``openai.APITimeoutError``).
    """


class RateLimitError(APIStatusError, openai.RateLimitError):  # type: ignore[misc]
    """HTTP 429: OpenRouter or the upstream provider is rate-limiting this key or model."""

    hint = (
        "Wait retry_after seconds, raise max_retries, add fallback models with models=[...], "
        "or let provider routing pick another provider."
    )


class ProviderError(APIStatusError, openai.InternalServerError):  # type: ignore[misc]
    """HTTP 5xx or an upstream failure: the provider is down, overloaded or failed midway."""

    hint = "Retry later, add fallback models with models=[...], or allow provider fallbacks."


class APIConnectionError(OpenRouterError, openai.APIConnectionError):  # type: ignore[misc]
    """The connection failed or was dropped before the response was complete."""

    hint = "Check the network and base_url; the SDK retries connection errors max_retries times."


class MissingAPIKeyError(OpenRouterError, ValueError):
    """No API key was given and ``OPENROUTER_API_KEY`` is not set (raised before any request)."""

    hint = (
        "Set the OPENROUTER_API_KEY environment variable or pass api_key=...; "
        "create a key at https://openrouter.ai/settings/keys."
    )


_BY_STATUS: dict[int, type[OpenRouterError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientCreditsError,
    403: PermissionDeniedError,
    404: ModelNotFoundError,
    408: HTTPRequestTimeoutError,
    429: RateLimitError,
}

_BY_ERROR_TYPE: dict[str, type[OpenRouterError]] = {
    "authentication": AuthenticationError,
    "permission_denied": PermissionDeniedError,
    "payment_required": InsufficientCreditsError,
    "rate_limit_exceeded": RateLimitError,
    "provider_overloaded": ProviderError,
    "provider_unavailable": ProviderError,
    "not_found": ModelNotFoundError,
    "timeout": RequestTimeoutError,
    "content_policy_violation": ModerationError,
    "server": ProviderError,
}


def decode_raw(value: Any, *, _depth: int = 0) -> Any:
    """Decode JSON that providers wrap in strings, however deeply nested.

    ``metadata.raw`` is usually a string that is itself JSON, sometimes with JSON strings
    inside that. Strings that are not JSON are returned unchanged.
    """
    if _depth > 8:
        return value
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("{", "[", '"'):
            try:
                decoded = _json.loads(text)
            except _json.JSONDecodeError:
                return value
            return decode_raw(decoded, _depth=_depth + 1)
        return value
    if isinstance(value, Mapping):
        return {k: decode_raw(v, _depth=_depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_raw(v, _depth=_depth + 1) for v in value]
    return value


def _parse_retry_after(headers: Any, metadata: Mapping[str, Any]) -> float | None:
    if headers is not None:
        ms = headers.get("retry-after-ms")
        if ms:
            with contextlib.suppress(ValueError):
                return float(ms) / 1000
        value = headers.get("retry-after")
        if value:
            try:
                return float(value)
            except ValueError:
                parsed = email.utils.parsedate_tz(value)
                if parsed is not None:
                    return max(0.0, email.utils.mktime_tz(parsed) - time.time())
    seconds = metadata.get("retry_after_seconds")
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
        return float(seconds)
    return None


def _attempts(response: Any) -> int | None:
    request = getattr(response, "request", None)
    headers = getattr(request, "headers", None)
    if headers is None:
        return None
    count = headers.get("x-stainless-retry-count")
    try:
        return int(count) + 1 if count is not None else 1
    except ValueError:
        return None


def _status_of(code: Any) -> int | None:
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.isdigit():
        return int(code)
    return None


def _choose_class(
    status: int | None, error_type: str | None, message: str, metadata: Mapping[str, Any]
) -> type[OpenRouterError]:
    if error_type in _CONTEXT_ERROR_TYPES or (
        status in (400, 413, None) and _CONTEXT_PATTERN.search(message)
    ):
        return ContextLengthExceededError
    if status == 400 and _UNKNOWN_MODEL_PATTERN.search(message):
        return UnknownModelError
    if status in (402, 403) and _KEY_LIMIT_PATTERN.search(message):
        return KeyLimitExceededError
    cls: type[OpenRouterError] | None = None
    if status is not None:
        cls = _BY_STATUS.get(status)
        if cls is None and status >= 500:
            cls = ProviderError
    if cls is None and error_type is not None:
        cls = _BY_ERROR_TYPE.get(error_type)
    if cls is PermissionDeniedError and (
        "reasons" in metadata
        or "flagged_input" in metadata
        or error_type == "content_policy_violation"
    ):
        cls = ModerationError
    if cls is None:
        cls = ProviderError if status is None else APIStatusError
    return cls


def error_from_payload(
    error: Any,
    *,
    status_code: int | None = None,
    response: Any = None,
    model: str | None = None,
    generation_id: str | None = None,
    partial_text: str | None = None,
    usage: OpenRouterUsage | None = None,
) -> OpenRouterError:
    """Build the typed error for an OpenRouter error object ``{"code", "message", "metadata"}``.

    Args:
        error: The ``error`` object (or a bare string message).
        status_code: The HTTP status; when ``None`` the error's own ``code`` is used.
        response: The SDK's HTTP response, when there was one (for headers and retries).
        model: The model the request asked for (named in the message).
        generation_id: The generation id, when known.
        partial_text: Output received before a mid-stream failure.
        usage: Usage reported alongside the error.

    Returns:
        An instance of the most specific :class:`OpenRouterError` subclass.
    """
    payload: Mapping[str, Any] = error if isinstance(error, Mapping) else {"message": str(error)}
    metadata_value = payload.get("metadata")
    metadata: Mapping[str, Any] = metadata_value if isinstance(metadata_value, Mapping) else {}
    message = payload.get("message")
    message = message if isinstance(message, str) else _json.dumps(payload)
    status = status_code if status_code is not None else _status_of(payload.get("code"))
    error_type = metadata.get("error_type") or payload.get("error_type")
    error_type = error_type if isinstance(error_type, str) else None
    provider = metadata.get("provider_name")
    raw = decode_raw(metadata["raw"]) if "raw" in metadata else None
    if "raw" in metadata:
        metadata = {**metadata, "raw": raw}
    cls = _choose_class(status, error_type, message, metadata)
    return cls(
        message,
        status_code=status,
        provider_name=provider if isinstance(provider, str) else None,
        raw=raw,
        error_type=error_type,
        metadata=metadata,
        model=model,
        generation_id=generation_id,
        partial_text=partial_text,
        usage=usage,
        retry_after=_parse_retry_after(getattr(response, "headers", None), metadata),
        attempts=_attempts(response),
        body=dict(payload),
        response=response,
    )


def raise_for_error_body(
    body: Any, *, response: Any = None, model: str | None = None, require_choices: bool = True
) -> dict[str, Any]:
    """Return a chat-completion body, or raise the typed error an HTTP 200 body carried.

    OpenRouter sometimes answers 200 with ``{"error": {...}}`` (and no choices) instead of an
    error status; the SDK would hand back an empty completion. When a provider fails after part
    of a non-streamed answer, the choice carries ``error`` (and ``finish_reason: "error"`` or
    null): that partial answer is not a success either, and travels on the exception as
    ``partial_text``. Usage billed for such a call travels on the exception.

    Raises:
        OpenRouterError: When the body is an error, has ``choices: null``, has a choice that
            failed, or is not an object.
    """
    from openrouter_core.usage import usage_from_body

    if not isinstance(body, dict):
        raise ProviderError(
            f"expected a JSON object, got {type(body).__name__}", model=model, response=response
        )
    error = body.get("error")
    gen_id = body.get("id") if isinstance(body.get("id"), str) else None
    if error is not None:
        raise error_from_payload(
            error,
            response=response,
            model=model,
            generation_id=gen_id,
            usage=usage_from_body(body),
        )
    choices = body.get("choices")
    if require_choices and (not isinstance(choices, list) or not choices):
        raise ProviderError(
            "the response has no choices (OpenRouter returned an empty completion)",
            model=model,
            generation_id=gen_id,
            usage=usage_from_body(body),
            body=dict(body),
            response=response,
        )
    if isinstance(choices, list):
        for choice in choices:
            if isinstance(choice, Mapping) and (
                choice.get("error") is not None or choice.get("finish_reason") == "error"
            ):
                # The provider failed after part of the answer: that part is not a success.
                raise _choice_error(
                    choice, response=response, model=model, gen_id=gen_id, body=body
                )
    return body


def _choice_error(
    choice: Mapping[str, Any], *, response: Any, model: str | None, gen_id: str | None, body: Any
) -> OpenRouterError:
    from openrouter_core.usage import usage_from_body

    message = choice.get("message")
    content = message.get("content") if isinstance(message, Mapping) else None
    error = choice.get("error")
    if error is None:
        error = {"message": "the provider reported an error and ended the response"}
    return error_from_payload(
        error,
        response=response,
        model=model,
        generation_id=gen_id,
        partial_text=content if isinstance(content, str) else "",
        usage=usage_from_body(body),
    )


def _speaks_openrouter(response: Any) -> bool:
    """Whether an error response has OpenRouter's shape: JSON with an ``error`` object."""
    headers = getattr(response, "headers", None)
    content_type = headers.get("content-type", "") if headers is not None else ""
    if "json" not in content_type:
        return False
    try:
        body = _json.loads(response.content)
    except Exception:  # an unreadable or non-JSON body is not OpenRouter's either
        return False
    return isinstance(body, Mapping) and isinstance(body.get("error"), Mapping)


def _not_openrouter(status: int, response: Any, model: str | None) -> NotOpenRouterError:
    headers = getattr(response, "headers", None)
    content_type = (headers.get("content-type") if headers is not None else None) or "none"
    try:
        head = bytes(response.content[:200]).decode("utf-8", "replace").strip()
    except Exception:  # a streamed body that was not read
        head = ""
    url = getattr(getattr(response, "request", None), "url", None)
    where = f"the server at {url}" if url is not None else "the server at base_url"
    message = (
        f"{where} did not answer like OpenRouter: HTTP {status}, content type {content_type}, "
        f"body {head!r}"
    )
    return NotOpenRouterError(message, status_code=status, model=model, response=response)


def _timeout_message(exc: BaseException) -> str:
    """Say which limit passed: the request's timeouts, as the SDK sent them."""
    request = getattr(exc, "request", None)
    extensions = getattr(request, "extensions", None) or {}
    limits = extensions.get("timeout") if isinstance(extensions, Mapping) else None
    if isinstance(limits, Mapping) and limits.get("read") is not None:
        return (
            f"no answer within the timeout (read {limits['read']:g} s without a byte, connect "
            f"{limits.get('connect')} s); set timeout= on the model (seconds) to change it"
        )
    return "no answer within the timeout; set timeout= on the model (seconds) to change it"


def _transport_kind(exc: BaseException) -> str | None:
    """Classify an exception raised by the SDK's HTTP library while a body was being read.

    The SDK wraps errors raised while it sends a request, but not those raised while a
    streamed body is consumed; those arrive as ``httpx``/``httpx2`` exceptions, which this
    package never imports. They are recognised by their class hierarchy instead.
    """
    for klass in type(exc).__mro__:
        if not klass.__module__.startswith("httpx"):
            continue
        if klass.__name__ == "TimeoutException":
            return "timeout"
        if klass.__name__ in ("TransportError", "StreamError", "HTTPError"):
            return "connection"
    return None


def translate_exception(exc: BaseException, *, model: str | None = None) -> OpenRouterError | None:
    """Return the typed error for an SDK or transport exception, or ``None`` if it is neither."""
    if isinstance(exc, OpenRouterError):
        return None
    if isinstance(exc, openai.APIStatusError):
        response = exc.response
        if exc.status_code in (404, 405) and not _speaks_openrouter(response):
            return _not_openrouter(exc.status_code, response, model)
        return error_from_payload(
            exc.body if exc.body is not None else {"message": exc.message},
            status_code=exc.status_code,
            response=response,
            model=model,
            generation_id=response.headers.get("x-generation-id"),
        )
    if isinstance(exc, openai.APITimeoutError):
        return RequestTimeoutError(_timeout_message(exc), model=model)
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        detail = f"{exc.message} ({type(cause).__name__}: {cause})" if cause else exc.message
        return APIConnectionError(detail, model=model)
    if isinstance(exc, openai.APIError):
        # The SDK's own SSE reader raises a status-less APIError for a mid-stream error event.
        return error_from_payload(exc.body if exc.body is not None else exc.message, model=model)
    kind = _transport_kind(exc)
    if kind == "timeout":
        return RequestTimeoutError(f"timed out while reading the response ({exc})", model=model)
    if kind == "connection":
        return APIConnectionError(
            f"the connection failed while reading the response ({type(exc).__name__}: {exc})",
            model=model,
        )
    return None


@contextlib.contextmanager
def map_errors(model: str | None = None) -> Iterator[None]:
    """Turn SDK and transport exceptions raised inside the block into typed errors.

    Usable around sync calls, async calls (``with`` works inside coroutines) and stream
    iteration alike. Errors that are already typed pass through unchanged.

    Args:
        model: The requested model, named in the error message.
    """
    try:
        yield
    except Exception as exc:
        typed = translate_exception(exc, model=model)
        if typed is None:
            raise
        raise typed from exc
