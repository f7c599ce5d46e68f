"""LangChain-flavoured versions of the ``openrouter_core`` errors.

Every error :class:`~langchain_openrouter.ChatOpenRouter` raises for a failed call is an
instance of three hierarchies at once: the ``openrouter_core`` typed error (with all its
attributes: ``status_code``, ``retry_after``, ``usage``, ``partial_text``...), the matching
``openai`` SDK exception, and the matching ``langchain_core.exceptions`` ``Model*Error`` with its
``is_retryable`` flag. So ``except openai.RateLimitError``, ``except ModelRateLimitError`` and
``except openrouter_core.RateLimitError`` all catch the same rate limit.

This module imports the ``openai`` SDK (through ``openrouter_core.errors``), so the chat model
imports it only when an error is actually raised.
"""

from __future__ import annotations

from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)

from openrouter_core import errors as core

__all__ = [
    "OpenRouterAPIConnectionError",
    "OpenRouterAPIStatusError",
    "OpenRouterAuthenticationError",
    "OpenRouterBadRequestError",
    "OpenRouterContextLengthExceededError",
    "OpenRouterHTTPRequestTimeoutError",
    "OpenRouterInsufficientCreditsError",
    "OpenRouterKeyLimitExceededError",
    "OpenRouterMissingAPIKeyError",
    "OpenRouterModelNotFoundError",
    "OpenRouterModerationError",
    "OpenRouterNotOpenRouterError",
    "OpenRouterPermissionDeniedError",
    "OpenRouterProviderError",
    "OpenRouterRateLimitError",
    "OpenRouterRequestTimeoutError",
    "OpenRouterUnknownModelError",
    "to_langchain_error",
]

# Statuses a retry can fix (the same set the openai SDK retries).
_RETRYABLE_STATUS = frozenset({408, 409, 429})


class OpenRouterAPIStatusError(core.APIStatusError, ModelAPIError):  # type: ignore[misc]
    """An error status without a more specific class; retryable only for 408/409/429/5xx."""


class OpenRouterBadRequestError(core.BadRequestError, ModelInvalidRequestError):  # type: ignore[misc]
    """HTTP 400: the request was invalid; not retryable."""

    is_retryable = False


class OpenRouterContextLengthExceededError(  # type: ignore[misc]
    core.ContextLengthExceededError, ContextOverflowError, ModelInvalidRequestError
):
    """HTTP 400: the prompt does not fit the model's context window; not retryable."""

    is_retryable = False


class OpenRouterAuthenticationError(core.AuthenticationError, ModelAuthenticationError):  # type: ignore[misc]
    """HTTP 401: the API key is missing, invalid or disabled; not retryable."""

    is_retryable = False


class OpenRouterInsufficientCreditsError(core.InsufficientCreditsError, ModelError):  # type: ignore[misc]
    """HTTP 402: not enough credits for this request; not retryable."""

    is_retryable = False


class OpenRouterPermissionDeniedError(core.PermissionDeniedError, ModelPermissionDeniedError):  # type: ignore[misc]
    """HTTP 403: a guardrail, key restriction or privacy setting refused it; not retryable."""

    is_retryable = False


class OpenRouterKeyLimitExceededError(  # type: ignore[misc]
    core.KeyLimitExceededError, ModelPermissionDeniedError
):
    """HTTP 403 (or 402) "Key limit exceeded": the key's credit limit is spent; not retryable."""

    is_retryable = False


class OpenRouterModerationError(core.ModerationError, ModelPermissionDeniedError):  # type: ignore[misc]
    """HTTP 403 from moderation (``reasons``, ``flagged_input``); not retryable."""

    is_retryable = False


class OpenRouterModelNotFoundError(core.ModelNotFoundError, ModelNotFoundError):  # type: ignore[misc]
    """HTTP 404: no such model, or no endpoint serving the requested features."""

    is_retryable = False


class OpenRouterNotOpenRouterError(core.NotOpenRouterError, ModelAPIError):  # type: ignore[misc]
    """The server at base_url did not answer like OpenRouter (404/405); not retryable."""

    is_retryable = False


class OpenRouterUnknownModelError(  # type: ignore[misc]
    core.UnknownModelError, ModelNotFoundError, ModelInvalidRequestError
):
    """HTTP 400 "<id> is not a valid model ID": no model has this id; not retryable.

    Like the core class it is both: LangChain's ``ModelNotFoundError`` for the cause and its
    ``ModelInvalidRequestError`` for the 400 status, so code catching either keeps working.
    """

    is_retryable = False


class OpenRouterRequestTimeoutError(core.RequestTimeoutError, ModelTimeoutError):  # type: ignore[misc]
    """The request timed out; retryable."""

    is_retryable = True


class OpenRouterHTTPRequestTimeoutError(core.HTTPRequestTimeoutError, ModelTimeoutError):  # type: ignore[misc]
    """HTTP 408: OpenRouter answered that the request timed out (a status error); retryable."""

    is_retryable = True


class OpenRouterRateLimitError(core.RateLimitError, ModelRateLimitError):  # type: ignore[misc]
    """HTTP 429: rate-limited (see ``retry_after``); retryable."""

    is_retryable = True


class OpenRouterProviderError(core.ProviderError, ModelAPIError):  # type: ignore[misc]
    """HTTP 5xx or an upstream failure, also in the middle of a stream; retryable."""

    is_retryable = True


class OpenRouterAPIConnectionError(core.APIConnectionError, ModelConnectionError):  # type: ignore[misc]
    """The connection failed or dropped before the response was complete; retryable."""

    is_retryable = True


class OpenRouterMissingAPIKeyError(core.MissingAPIKeyError, ModelAuthenticationError):
    """No API key was configured (raised before any request); not retryable."""

    is_retryable = False


# A class is looked up along the error's MRO (the order here does not matter), so subclasses
# added to openrouter_core later still map to their nearest known parent.
_LANGCHAIN_CLASS: dict[type[core.OpenRouterError], type[core.OpenRouterError]] = {
    core.ContextLengthExceededError: OpenRouterContextLengthExceededError,
    core.UnknownModelError: OpenRouterUnknownModelError,
    core.ModerationError: OpenRouterModerationError,
    core.KeyLimitExceededError: OpenRouterKeyLimitExceededError,
    core.NotOpenRouterError: OpenRouterNotOpenRouterError,
    core.BadRequestError: OpenRouterBadRequestError,
    core.AuthenticationError: OpenRouterAuthenticationError,
    core.InsufficientCreditsError: OpenRouterInsufficientCreditsError,
    core.PermissionDeniedError: OpenRouterPermissionDeniedError,
    core.ModelNotFoundError: OpenRouterModelNotFoundError,
    core.HTTPRequestTimeoutError: OpenRouterHTTPRequestTimeoutError,
    core.RequestTimeoutError: OpenRouterRequestTimeoutError,
    core.RateLimitError: OpenRouterRateLimitError,
    core.ProviderError: OpenRouterProviderError,
    core.APIConnectionError: OpenRouterAPIConnectionError,
    core.MissingAPIKeyError: OpenRouterMissingAPIKeyError,
    core.APIStatusError: OpenRouterAPIStatusError,
}
_TRANSLATED = tuple(set(_LANGCHAIN_CLASS.values()))


def _langchain_class(
    error_type: type[core.OpenRouterError],
) -> type[core.OpenRouterError] | None:
    for klass in error_type.__mro__:
        found = _LANGCHAIN_CLASS.get(klass)
        if found is not None:
            return found
    return None


def to_langchain_error(error: core.OpenRouterError) -> core.OpenRouterError:
    """Return ``error`` as an instance of its LangChain-flavoured class, attributes kept.

    Args:
        error: A typed error from ``openrouter_core``.

    Returns:
        A new exception of the matching class above, carrying the same attributes and message
        (raise it ``from error``), or ``error`` itself when it already is one or has no
        LangChain counterpart (e.g. the usage ledger's ``BudgetExceededError``).
    """
    if isinstance(error, _TRANSLATED):
        return error
    cls = _langchain_class(type(error))
    if cls is None:
        return error
    translated = cls.__new__(cls)
    translated.__dict__.update(error.__dict__)
    Exception.__init__(translated, *error.args)
    if isinstance(translated, OpenRouterAPIStatusError):
        status = error.status_code
        translated.is_retryable = status is not None and (
            status in _RETRYABLE_STATUS or status >= 500
        )
    return translated
