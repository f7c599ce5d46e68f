"""The one place failures become typed errors: OpenRouter's error bodies and the SDK's exceptions.

:func:`error_from_payload` chooses the class of an OpenRouter error object (by status, by
``metadata.error_type``, by the message for an unknown model, a context overflow or a key
limit); :func:`raise_for_error_body` raises what an HTTP 200 body carried (an ``error``, no
choices, a choice that failed); :func:`translate_exception` and :func:`map_errors` turn the
SDK's and the HTTP library's exceptions into the classes of :mod:`openrouter_core.errors`,
including a server that does not answer like OpenRouter and a timeout naming its limit.
"""

from __future__ import annotations

import contextlib
import email.utils
import re
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import openai

from openrouter_core import _json
from openrouter_core.errors import (
    KEY_LIMIT_PATTERN,
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ContextLengthExceededError,
    HTTPRequestTimeoutError,
    InsufficientCreditsError,
    KeyLimitExceededError,
    ModelNotFoundError,
    ModerationError,
    NotOpenRouterError,
    OpenRouterError,
    PermissionDeniedError,
    ProviderError,
    RateLimitError,
    RequestTimeoutError,
    UnknownModelError,
)

if TYPE_CHECKING:
    from openrouter_core.usage import OpenRouterUsage

__all__ = [
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
_CONTEXT_PATTERN = re.compile(
    r"context[ _-]?(length|window)|maximum context|too many tokens|token limit|prompt is too long",
    re.IGNORECASE,
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
    if status in (402, 403) and KEY_LIMIT_PATTERN.search(message):
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
