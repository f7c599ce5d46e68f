"""Where the API key, base URL and attribution headers come from.

Precedence everywhere: an explicit argument, then the environment, then the default.
The key is held as a :class:`pydantic.SecretStr` so it never shows in ``repr`` or logs.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

if TYPE_CHECKING:
    from openrouter_core.errors import MissingAPIKeyError

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "BASE_URL_ENVS",
    "DEFAULT_BASE_URL",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "SECRET_HEADERS",
    "ClientConfig",
    "MissingAPIKeyError",
    "build_headers",
    "public_headers",
    "require_api_key",
    "resolve_api_key",
    "resolve_base_url",
]

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
API_KEY_ENV = "OPENROUTER_API_KEY"
BASE_URL_ENV = "OPENROUTER_BASE_URL"
BASE_URL_ENVS = (BASE_URL_ENV, "OPENROUTER_API_BASE")
"""Where the base URL is read from, in order (the second is ``langchain-openrouter``'s name)."""
DEFAULT_TIMEOUT = 120.0
"""Seconds a request may go without a byte from the server before it fails (per attempt).

OpenRouter keeps a slow answer's connection alive with whitespace and ``: OPENROUTER PROCESSING``
comments, so only a dead connection reaches it; the SDK's own default is 600 s."""
DEFAULT_CONNECT_TIMEOUT = 10.0
"""Seconds to establish a connection."""
SECRET_HEADERS = frozenset(
    {"authorization", "x-api-key", "api-key", "cookie", "proxy-authorization"}
)
"""Header names (lower case) that carry credentials: never shown or serialized."""


def __getattr__(name: str) -> Any:
    # MissingAPIKeyError lives with the other errors, which import the openai SDK; resolving it
    # lazily keeps `import openrouter_core.settings` (and the framework packages) light.
    if name == "MissingAPIKeyError":
        from openrouter_core.errors import MissingAPIKeyError

        return MissingAPIKeyError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def resolve_api_key(
    value: str | SecretStr | None, env: Iterable[str] = (API_KEY_ENV,)
) -> SecretStr | None:
    """Return the key from the argument or the first set environment variable, else ``None``."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value:
        return SecretStr(value)
    for name in env:
        found = os.environ.get(name)
        if found:
            return SecretStr(found)
    return None


def require_api_key(key: SecretStr | None, *, model: str | None = None) -> str:
    """Return the plain key for the SDK, or raise :class:`MissingAPIKeyError` before any request."""
    if key is None or not key.get_secret_value():
        from openrouter_core.errors import MissingAPIKeyError

        raise MissingAPIKeyError("no OpenRouter API key is configured", model=model)
    return key.get_secret_value()


def resolve_base_url(value: str | None, env: Iterable[str] = BASE_URL_ENVS) -> str:
    """Return the base URL from the argument, the environment or the default, without a final /."""
    if not value:
        for name in env:
            value = os.environ.get(name)
            if value:
                break
    return (value or DEFAULT_BASE_URL).rstrip("/")


_TITLE_HEADERS = ("x-title", "x-openrouter-title")


def build_headers(
    *,
    app_url: str | None = None,
    app_title: str | None = None,
    default_headers: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Merge app attribution headers with the user's headers, case-insensitively.

    ``app_url`` becomes ``HTTP-Referer``; ``app_title`` becomes both ``X-Title`` and
    ``X-OpenRouter-Title`` (the current name; the old one is still accepted). A header the user
    sets in ``default_headers`` under any capitalisation replaces the built-in one, so nothing
    is sent twice; a title the user sets under either name is sent under both.
    """
    merged: dict[str, tuple[str, str]] = {}
    if app_url:
        merged["http-referer"] = ("HTTP-Referer", app_url)
    if app_title:
        merged["x-title"] = ("X-Title", app_title)
        merged["x-openrouter-title"] = ("X-OpenRouter-Title", app_title)
    user = {name.lower(): (name, value) for name, value in (default_headers or {}).items()}
    titles = [key for key in _TITLE_HEADERS if key in user]
    if app_title and len(titles) == 1:
        # The user renamed the app under one of the two names: the built-in title must not
        # go on under the other one, contradicting it.
        (kept,) = titles
        other = next(key for key in _TITLE_HEADERS if key != kept)
        merged[other] = (merged[other][0], user[kept][1])
    merged.update(user)
    return dict(merged.values())


def public_headers(headers: Mapping[str, str] | None) -> dict[str, str] | None:
    """``headers`` without the ones that carry credentials (:data:`SECRET_HEADERS`).

    What a model shows in its ``repr`` and serialized forms, so a key passed as a header (say
    ``{"Authorization": "Bearer ..."}``) is as hidden as one passed as ``api_key``.
    """
    if headers is None:
        return None
    return {k: v for k, v in headers.items() if k.lower() not in SECRET_HEADERS}


@dataclasses.dataclass(frozen=True)
class ClientConfig:
    """Everything that distinguishes one ``openai`` client from another.

    Attributes:
        api_key: The plain key (kept out of ``repr``).
        base_url: The API root, e.g. ``https://openrouter.ai/api/v1``.
        timeout: Seconds per request; ``None`` means :data:`DEFAULT_TIMEOUT` (at most that long
            without a byte from the server, so a dead connection fails while a slow answer that
            keeps sending OpenRouter's keep-alives never does; connecting gets
            :data:`DEFAULT_CONNECT_TIMEOUT`). A number applies to every phase, as in the SDK.
        max_retries: Retries the SDK makes on 408/409/429/5xx and connection errors;
            ``0`` means exactly one HTTP attempt.
        headers: Extra headers sent on every request (attribution, user headers); kept out
            of ``repr`` too, since a user's headers may carry credentials.
    """

    api_key: str = dataclasses.field(repr=False)
    base_url: str
    timeout: float | None
    max_retries: int
    headers: tuple[tuple[str, str], ...] = dataclasses.field(default=(), repr=False)

    @classmethod
    def build(
        cls,
        *,
        api_key: Any,
        base_url: str | None,
        timeout: float | None,
        max_retries: int,
        headers: Mapping[str, str] | None = None,
        model: str | None = None,
        app_url: str | None = None,
        app_title: str | None = None,
        app_categories: Sequence[str] | None = None,
    ) -> ClientConfig:
        """Resolve the key (raising a clear error when there is none) and freeze the rest.

        Args:
            api_key: The key, or ``None`` for ``OPENROUTER_API_KEY``.
            base_url: The API root, or ``None`` for the environment or the default.
            timeout: Seconds per request (``None``: :data:`DEFAULT_TIMEOUT` without a byte,
                :data:`DEFAULT_CONNECT_TIMEOUT` to connect).
            max_retries: SDK retries.
            headers: The user's extra headers; they win over the attribution headers.
            model: The model, named in the missing-key error.
            app_url: Sent as ``HTTP-Referer`` (app attribution).
            app_title: Sent as ``X-Title`` and ``X-OpenRouter-Title``.
            app_categories: Sent as ``X-OpenRouter-Categories``.
        """
        key = require_api_key(resolve_api_key(api_key), model=model)
        user = dict(headers or {})
        if app_categories:
            user = {"X-OpenRouter-Categories": ",".join(app_categories), **user}
        merged = build_headers(app_url=app_url, app_title=app_title, default_headers=user)
        return cls(
            api_key=key,
            base_url=resolve_base_url(base_url),
            timeout=timeout,
            max_retries=max_retries,
            headers=tuple(sorted(merged.items())),
        )

    def client_kwargs(self) -> dict[str, Any]:
        """The ``openai`` client's constructor arguments (``timeout`` only when set)."""
        kwargs: dict[str, Any] = {
            "api_key": self.api_key,
            "base_url": self.base_url,
            "max_retries": self.max_retries,
            "default_headers": dict(self.headers) or None,
        }
        if self.timeout is not None:
            kwargs["timeout"] = self.timeout
        return kwargs
