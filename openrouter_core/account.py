"""The account side of OpenRouter: keys, their credit and limits, and per-generation details.

:class:`OpenRouterAccount` reads ``GET /key`` (credit limit, what is left, usage, free tier,
rate limit) and ``GET /generation?id=`` (native token counts, exact cost, provider, latency),
and manages API keys through OpenRouter's key-management API (``/keys``: create a key with a
credit ``limit``, an optional ``limit_reset`` period and ``expires_at``; list, update, disable,
delete; a management key is needed). OpenRouter enforces a key's limit across every process and
machine using it: a call past it raises
:class:`~openrouter_core.errors.KeyLimitExceededError`. Everything goes through the shared
``openai`` client, so retries and timeouts are the SDK's. Results are frozen dataclasses with
``Decimal`` amounts; the response object stays on ``raw``.

Example:
    .. code-block:: python

        from openrouter_core.account import OpenRouterAccount

        account = OpenRouterAccount()  # key from OPENROUTER_API_KEY
        info = account.key_info()
        print(info.limit_remaining, info.usage)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import SecretStr

from openrouter_core import _json
from openrouter_core._fields import bool_or_none, float_or_none, int_or_none, str_or_none
from openrouter_core.keys import (
    ApiKey,
    CreatedKey,
    LimitReset,
    parse_api_key,
    parse_created_key,
    parse_key_list,
    parse_one_key,
)
from openrouter_core.settings import build_headers, resolve_api_key, resolve_base_url
from openrouter_core.usage import OpenRouterUsage, to_decimal

if TYPE_CHECKING:
    import openai

    from openrouter_core.client import ClientConfig

_T = TypeVar("_T")

__all__ = [
    "ApiKey",
    "CreatedKey",
    "Generation",
    "KeyInfo",
    "OpenRouterAccount",
    "RateLimit",
    "generation",
    "key_info",
    "parse_api_key",
    "parse_generation",
    "parse_key_info",
]

_UNSET: Any = object()


# --------------------------------------------------------------------------------------------
# Result types and their parsers (pure)
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class RateLimit:
    """The key's request rate limit (deprecated by OpenRouter, still reported).

    Attributes:
        requests: Requests allowed per interval (``-1`` = unlimited).
        interval: The interval, e.g. ``"10s"``.
    """

    requests: int | None
    interval: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class KeyInfo:
    """The API key's limits and spending (``GET /key``); amounts are USD credits.

    Attributes:
        label: The key's label as OpenRouter shows it (a masked form of the key by default).
        limit: Credit limit of the key; ``None`` = unlimited.
        limit_remaining: Credits left under the limit; ``None`` = unlimited.
        limit_reset: How often the limit resets (e.g. ``"monthly"``), if it does.
        usage: Credits used by the key, all time.
        usage_daily: Credits used today (UTC).
        usage_weekly: Credits used this week.
        usage_monthly: Credits used this month.
        byok_usage: Spending on the user's own provider keys, all time.
        include_byok_in_limit: Whether BYOK spending counts towards ``limit``.
        is_free_tier: Whether the account has never bought credits (stricter free-model
            limits apply).
        is_management_key: Whether this is a management (provisioning) key.
        expires_at: When the key expires, if it does.
        rate_limit: The deprecated request rate limit.
        raw: The ``data`` object as received.
    """

    label: str | None = None
    limit: Decimal | None = None
    limit_remaining: Decimal | None = None
    limit_reset: str | None = None
    usage: Decimal | None = None
    usage_daily: Decimal | None = None
    usage_weekly: Decimal | None = None
    usage_monthly: Decimal | None = None
    byok_usage: Decimal | None = None
    include_byok_in_limit: bool | None = None
    is_free_tier: bool | None = None
    is_management_key: bool | None = None
    expires_at: str | None = None
    rate_limit: RateLimit | None = None
    raw: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    @property
    def unlimited(self) -> bool:
        """Whether the key has no credit limit."""
        return self.limit is None


def _data(body: Any, what: str) -> Mapping[str, Any]:
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, Mapping):
        raise ValueError(f"expected {{'data': {{...}}}} from {what}")
    return data


def parse_key_info(body: Any) -> KeyInfo:
    """Parse a ``GET /key`` body (``{"data": {...}}``).

    Raises:
        ValueError: The body has no ``data`` object.
    """
    data = _data(body, "GET /key")
    rate = data.get("rate_limit")
    return KeyInfo(
        label=str_or_none(data.get("label")),
        limit=to_decimal(data.get("limit")),
        limit_remaining=to_decimal(data.get("limit_remaining")),
        limit_reset=str_or_none(data.get("limit_reset")),
        usage=to_decimal(data.get("usage")),
        usage_daily=to_decimal(data.get("usage_daily")),
        usage_weekly=to_decimal(data.get("usage_weekly")),
        usage_monthly=to_decimal(data.get("usage_monthly")),
        byok_usage=to_decimal(data.get("byok_usage")),
        include_byok_in_limit=bool_or_none(data.get("include_byok_in_limit")),
        is_free_tier=bool_or_none(data.get("is_free_tier")),
        is_management_key=bool_or_none(data.get("is_management_key"))
        if "is_management_key" in data
        else bool_or_none(data.get("is_provisioning_key")),
        expires_at=str_or_none(data.get("expires_at")),
        rate_limit=RateLimit(int_or_none(rate.get("requests")), str_or_none(rate.get("interval")))
        if isinstance(rate, Mapping)
        else None,
        raw=data,
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Generation:
    """One generation's final accounting (``GET /generation?id=``).

    Token counts come in two flavours: ``tokens_*`` are OpenRouter's normalised counts,
    ``native_tokens_*`` the upstream provider's own, which is what is billed.

    Attributes:
        id: The ``gen-...`` id.
        model: The model that served it.
        provider_name: The provider that served it.
        total_cost: Credits charged (USD).
        upstream_inference_cost: What the upstream provider charged (BYOK).
        cache_discount: Saving from prompt caching (negative for cache writes).
        is_byok: Whether the user's own provider key was used.
        created_at: ISO timestamp.
        streamed: Whether the response was streamed.
        cancelled: Whether the client cancelled it.
        finish_reason: Normalised finish reason.
        native_finish_reason: The provider's finish reason.
        latency: Time to first token, in milliseconds.
        generation_time: Total generation time, in milliseconds.
        moderation_latency: Moderation time, in milliseconds.
        tokens_prompt: Normalised prompt tokens.
        tokens_completion: Normalised completion tokens.
        native_tokens_prompt: Provider prompt tokens.
        native_tokens_completion: Provider completion tokens.
        native_tokens_reasoning: Provider reasoning tokens.
        native_tokens_cached: Provider cached prompt tokens.
        num_media_prompt: Images and files in the prompt.
        num_search_results: Web search results used.
        api_type: ``"completions"``, ``"embeddings"``...
        origin: The app origin (``HTTP-Referer``).
        upstream_id: The provider's own response id.
        raw: The ``data`` object as received.
    """

    id: str
    model: str | None = None
    provider_name: str | None = None
    total_cost: Decimal | None = None
    upstream_inference_cost: Decimal | None = None
    cache_discount: Decimal | None = None
    is_byok: bool | None = None
    created_at: str | None = None
    streamed: bool | None = None
    cancelled: bool | None = None
    finish_reason: str | None = None
    native_finish_reason: str | None = None
    latency: float | None = None
    generation_time: float | None = None
    moderation_latency: float | None = None
    tokens_prompt: int | None = None
    tokens_completion: int | None = None
    native_tokens_prompt: int | None = None
    native_tokens_completion: int | None = None
    native_tokens_reasoning: int | None = None
    native_tokens_cached: int | None = None
    num_media_prompt: int | None = None
    num_search_results: int | None = None
    api_type: str | None = None
    origin: str | None = None
    upstream_id: str | None = None
    raw: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    def to_usage(self) -> OpenRouterUsage:
        """The generation as :class:`~openrouter_core.usage.OpenRouterUsage` (native counts)."""
        prompt = _first(self.native_tokens_prompt, self.tokens_prompt)
        completion = _first(self.native_tokens_completion, self.tokens_completion)
        return OpenRouterUsage(
            input_tokens=prompt,
            output_tokens=completion,
            total_tokens=prompt + completion,
            cached_tokens=self.native_tokens_cached or 0,
            reasoning_tokens=self.native_tokens_reasoning or 0,
            cost=self.total_cost,
            upstream_cost=self.upstream_inference_cost if self.is_byok else None,
            is_byok=self.is_byok,
            model=self.model,
            provider=self.provider_name,
            generation_id=self.id,
        )


def _first(*values: int | None) -> int:
    return next((v for v in values if v is not None), 0)


def parse_generation(body: Any) -> Generation:
    """Parse a ``GET /generation`` body (``{"data": {...}}``).

    Raises:
        ValueError: The body has no ``data`` object with an ``id``.
    """
    data = _data(body, "GET /generation")
    gen_id = str_or_none(data.get("id"))
    if gen_id is None:
        raise ValueError("GET /generation returned no generation id")
    return Generation(
        id=gen_id,
        model=str_or_none(data.get("model")),
        provider_name=str_or_none(data.get("provider_name")),
        total_cost=to_decimal(data.get("total_cost")),
        upstream_inference_cost=to_decimal(data.get("upstream_inference_cost")),
        cache_discount=to_decimal(data.get("cache_discount")),
        is_byok=bool_or_none(data.get("is_byok")),
        created_at=str_or_none(data.get("created_at")),
        streamed=bool_or_none(data.get("streamed")),
        cancelled=bool_or_none(data.get("cancelled")),
        finish_reason=str_or_none(data.get("finish_reason")),
        native_finish_reason=str_or_none(data.get("native_finish_reason")),
        latency=float_or_none(data.get("latency")),
        generation_time=float_or_none(data.get("generation_time")),
        moderation_latency=float_or_none(data.get("moderation_latency")),
        tokens_prompt=int_or_none(data.get("tokens_prompt")),
        tokens_completion=int_or_none(data.get("tokens_completion")),
        native_tokens_prompt=int_or_none(data.get("native_tokens_prompt")),
        native_tokens_completion=int_or_none(data.get("native_tokens_completion")),
        native_tokens_reasoning=int_or_none(data.get("native_tokens_reasoning")),
        native_tokens_cached=int_or_none(data.get("native_tokens_cached")),
        num_media_prompt=int_or_none(data.get("num_media_prompt")),
        num_search_results=int_or_none(data.get("num_search_results")),
        api_type=str_or_none(data.get("api_type")),
        origin=str_or_none(data.get("origin")),
        upstream_id=str_or_none(data.get("upstream_id")),
        raw=data,
    )


# --------------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------------


class OpenRouterAccount:
    """A small client for the account endpoints (``/key``, ``/generation``, ``/keys``).

    Construction does no I/O; a missing key raises
    :class:`~openrouter_core.errors.MissingAPIKeyError` at the first call, before any request.

    Args:
        api_key: The OpenRouter key; default ``$OPENROUTER_API_KEY``.
        base_url: API root; default ``$OPENROUTER_BASE_URL`` or the public API.
        timeout: Seconds to wait for a response.
        max_retries: Retries the SDK makes on connection errors, 429 and 5xx.
        app_url: Sent as ``HTTP-Referer``.
        app_title: Sent as ``X-Title`` / ``X-OpenRouter-Title``.
        default_headers: Extra headers for every request.
    """

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        timeout: float | None = 30.0,
        max_retries: int = 2,
        app_url: str | None = None,
        app_title: str | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        self._api_key = resolve_api_key(api_key)
        self._base_url = resolve_base_url(base_url)
        self._timeout = timeout
        self._max_retries = max_retries
        self._headers = build_headers(
            app_url=app_url, app_title=app_title, default_headers=default_headers
        )
        self._config: ClientConfig | None = None

    def __repr__(self) -> str:
        return f"OpenRouterAccount(base_url={self._base_url!r})"

    def _client_config(self) -> ClientConfig:
        if self._config is None:
            from openrouter_core.client import ClientConfig

            self._config = ClientConfig.build(
                api_key=self._api_key,
                base_url=self._base_url,
                timeout=self._timeout,
                max_retries=self._max_retries,
                headers=self._headers,
            )
        return self._config

    @staticmethod
    def _options(params: Mapping[str, str] | None) -> openai.RequestOptions:
        return {"params": dict(params)} if params else {}

    @staticmethod
    def _decode(raw: bytes, path: str, method: str = "GET") -> Any:
        from openrouter_core.error_mapping import raise_for_error_body
        from openrouter_core.errors import ProviderError

        try:
            body = _json.loads(raw)
        except _json.JSONDecodeError as exc:
            snippet = raw[:120].decode("utf-8", "replace").strip()
            raise ProviderError(f"{method} {path} did not return JSON: {snippet!r}") from exc
        return raise_for_error_body(body, require_choices=False)

    def _get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        return self._send("GET", path, params=params)

    def _send(
        self,
        method: Literal["GET", "POST", "PATCH", "DELETE"],
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        from openrouter_core.client import get_client
        from openrouter_core.error_mapping import map_errors

        client = get_client(self._client_config())
        options = self._options(params)
        with map_errors(None):
            if method == "GET":
                raw = client.get(path, cast_to=bytes, options=options)
            elif method == "POST":
                raw = client.post(path, cast_to=bytes, body=body, options=options)
            elif method == "PATCH":
                raw = client.patch(path, cast_to=bytes, body=body, options=options)
            else:
                raw = client.delete(path, cast_to=bytes, options=options)
        return self._decode(raw, path, method)

    async def _aget(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        from openrouter_core.client import get_async_client
        from openrouter_core.error_mapping import map_errors

        client = get_async_client(self._client_config())
        with map_errors(None):
            raw = await client.get(path, cast_to=bytes, options=self._options(params))
        return self._decode(raw, path)

    def key_info(self) -> KeyInfo:
        """The key's credit limit, remaining credit, usage and rate limit.

        Raises:
            MissingAPIKeyError: No key is configured (before any request).
            AuthenticationError: The key is invalid.
            OpenRouterError: The request failed.
        """
        return _checked(parse_key_info, self._get("/key"), "GET /key")

    async def akey_info(self) -> KeyInfo:
        """Asynchronous :meth:`key_info`."""
        return _checked(parse_key_info, await self._aget("/key"), "GET /key")

    def generation(self, generation_id: str) -> Generation:
        """A generation's native token counts, exact cost, provider and latency.

        OpenRouter makes a generation available a moment after the call ends; asking too
        early gives :class:`~openrouter_core.errors.ModelNotFoundError` (HTTP 404), which the
        caller may retry after a short wait.

        Args:
            generation_id: The ``gen-...`` id (``OpenRouterUsage.generation_id``).

        Raises:
            ValueError: ``generation_id`` is empty (before any request).
            MissingAPIKeyError: No key is configured (before any request).
            OpenRouterError: The request failed (404: not found, or not available yet).
        """
        params = {"id": _check_id(generation_id)}
        return _checked(parse_generation, self._get("/generation", params), "GET /generation")

    async def ageneration(self, generation_id: str) -> Generation:
        """Asynchronous :meth:`generation`."""
        params = {"id": _check_id(generation_id)}
        body = await self._aget("/generation", params)
        return _checked(parse_generation, body, "GET /generation")

    # ------------------------------------------------------------------ key management

    def create_key(
        self,
        name: str,
        *,
        limit: Decimal | float | None = None,
        limit_reset: LimitReset | None = None,
        expires_at: str | None = None,
        include_byok_in_limit: bool | None = None,
    ) -> CreatedKey:
        """Create an API key with its own credit limit (``POST /keys``; a management key).

        OpenRouter refuses calls with the new key once it has spent ``limit`` USD in the
        current period (all time, or since the last daily / weekly / monthly reset), with
        :class:`~openrouter_core.errors.KeyLimitExceededError`, whichever process or machine
        makes them.

        Args:
            name: The key's name.
            limit: Its credit limit in USD (``None``: unlimited).
            limit_reset: ``"daily"``, ``"weekly"`` or ``"monthly"``; ``None`` never resets.
            expires_at: ISO 8601 UTC expiry (``"2027-12-31T23:59:59Z"``); ``None`` never.
            include_byok_in_limit: Whether BYOK spending counts towards the limit.

        Returns:
            The secret (shown once) and the key's details.

        Raises:
            ValueError: ``name`` is empty or ``limit`` is negative (before any request).
            AuthenticationError: The configured key is not a management key.
        """
        if not isinstance(name, str) or not name.strip():
            raise ValueError("a key needs a non-empty name")
        body: dict[str, Any] = {"name": name}
        if limit is not None:
            body["limit"] = _usd(limit)
        options = {
            "limit_reset": limit_reset,
            "expires_at": expires_at,
            "include_byok_in_limit": include_byok_in_limit,
        }
        body.update({field: value for field, value in options.items() if value is not None})
        return _checked(parse_created_key, self._send("POST", "/keys", body=body), "POST /keys")

    def list_keys(self, *, include_disabled: bool = False, offset: int = 0) -> list[ApiKey]:
        """The account's API keys (``GET /keys``, up to 100 from ``offset``)."""
        params = {"include_disabled": "true" if include_disabled else "false"}
        if offset:
            params["offset"] = str(offset)
        return _checked(parse_key_list, self._send("GET", "/keys", params=params), "GET /keys")

    def get_key(self, key_hash: str) -> ApiKey:
        """One key's details and spending (``GET /keys/{hash}``)."""
        path = f"/keys/{_check_hash(key_hash)}"
        return _checked(parse_one_key, self._send("GET", path), f"GET {path}")

    def update_key(
        self,
        key_hash: str,
        *,
        name: str = _UNSET,
        limit: Decimal | float | None = _UNSET,
        limit_reset: LimitReset | None = _UNSET,
        disabled: bool = _UNSET,
        include_byok_in_limit: bool = _UNSET,
    ) -> ApiKey:
        """Change a key (``PATCH /keys/{hash}``); only the arguments given are sent.

        ``limit=None`` removes the limit, ``limit_reset=None`` stops the resets.
        """
        fields = {
            "name": name,
            "limit": limit if limit is _UNSET or limit is None else _usd(limit),
            "limit_reset": limit_reset,
            "disabled": disabled,
            "include_byok_in_limit": include_byok_in_limit,
        }
        body = {k: v for k, v in fields.items() if v is not _UNSET}
        path = f"/keys/{_check_hash(key_hash)}"
        return _checked(parse_one_key, self._send("PATCH", path, body=body), f"PATCH {path}")

    def disable_key(self, key_hash: str) -> ApiKey:
        """Refuse every further request with the key (it can be enabled again)."""
        return self.update_key(key_hash, disabled=True)

    def delete_key(self, key_hash: str) -> None:
        """Delete a key for good (``DELETE /keys/{hash}``)."""
        self._send("DELETE", f"/keys/{_check_hash(key_hash)}")


def _usd(amount: Decimal | float) -> float:
    value = to_decimal(amount)
    if value is None or not value.is_finite() or value < 0:
        raise ValueError(f"a key's limit is USD >= 0, not {amount!r}")
    return float(value)


def _check_hash(key_hash: str) -> str:
    if not isinstance(key_hash, str) or not key_hash.strip() or "/" in key_hash:
        raise ValueError(f"expected a key hash (ApiKey.hash), not {key_hash!r}")
    return key_hash.strip()


def _check_id(generation_id: str) -> str:
    if not isinstance(generation_id, str) or not generation_id.strip():
        raise ValueError(
            f"generation_id must be a non-empty 'gen-...' string, not {generation_id!r}"
        )
    return generation_id.strip()


def _checked(parse: Callable[[Any], _T], body: Any, request: str) -> _T:
    """``parse(body)``; a body it cannot read is the server's error, named by ``request``."""
    from openrouter_core.errors import ProviderError

    try:
        return parse(body)
    except ValueError as exc:
        raise ProviderError(f"{request}: {exc}") from exc


def key_info(**kwargs: Any) -> KeyInfo:
    """``OpenRouterAccount(**kwargs).key_info()``."""
    return OpenRouterAccount(**kwargs).key_info()


def generation(generation_id: str, **kwargs: Any) -> Generation:
    """``OpenRouterAccount(**kwargs).generation(generation_id)``."""
    return OpenRouterAccount(**kwargs).generation(generation_id)
