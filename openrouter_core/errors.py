"""One typed error hierarchy for everything OpenRouter (or the connection to it) can fail with.

Each class says what happened and what to do. Where the ``openai`` SDK has a matching class,
ours is also an instance of it, so existing ``except openai.RateLimitError`` code keeps working.
Which class a failure becomes is decided in one place, :mod:`openrouter_core.error_mapping`
(OpenRouter's error bodies, an error inside an HTTP 200, the SDK's exceptions); its functions
are also importable from here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import openai

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
]

_MAPPING = (
    "decode_raw",
    "error_from_payload",
    "map_errors",
    "raise_for_error_body",
    "translate_exception",
)
KEY_LIMIT_PATTERN = re.compile(r"key limit exceeded(?: \((\w+) limit\))?", re.IGNORECASE)
"""OpenRouter's message for a key past its credit limit ("Key limit exceeded (daily limit)")."""


def __getattr__(name: str) -> Any:
    # The mapping functions lived here first; they live with the rules that choose a class.
    if name in _MAPPING:
        from openrouter_core import error_mapping

        return getattr(error_mapping, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    """HTTP 403 (or 402) "Key limit exceeded": this API key has spent the credit limit set on it.

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
        match = KEY_LIMIT_PATTERN.search(self.message)
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
