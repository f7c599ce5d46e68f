"""The key-management API's results: API keys and a created key's secret (pure parsing).

OpenRouter's ``/keys`` endpoints (OpenAPI field names kept) answer with key objects;
:class:`~openrouter_core.account.OpenRouterAccount` sends the requests and returns these.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

from pydantic import SecretStr

from openrouter_core._fields import bool_or_none, str_or_none
from openrouter_core.usage import to_decimal

__all__ = [
    "ApiKey",
    "CreatedKey",
    "LimitReset",
    "parse_api_key",
    "parse_created_key",
    "parse_key_list",
    "parse_one_key",
]

LimitReset = Literal["daily", "weekly", "monthly"]
"""How often a key's limit resets (``None``: never)."""


@dataclasses.dataclass(frozen=True, slots=True)
class ApiKey:
    """One API key as the key-management API shows it (``/keys``); amounts are USD credits.

    Attributes:
        hash: The key's identifier in the API (not the secret).
        name: Its name.
        label: A masked form of the secret (``sk-or-v1-0e6...1c96``).
        disabled: Whether requests with it are refused.
        limit: Its credit limit; ``None`` = unlimited.
        limit_remaining: Credit left in the current period; ``None`` = unlimited.
        limit_reset: ``"daily"``, ``"weekly"`` or ``"monthly"``, or ``None`` (never resets).
        include_byok_in_limit: Whether BYOK spending counts towards ``limit``.
        usage: Credits used, all time.
        usage_daily: Credits used today (UTC).
        usage_weekly: Credits used this week (Monday to Sunday, UTC).
        usage_monthly: Credits used this month (UTC).
        byok_usage: Spending on the user's own provider keys, all time.
        created_at: ISO timestamp.
        updated_at: ISO timestamp, if it was updated.
        expires_at: When it expires, if it does.
        creator_user_id: Who created it.
        workspace_id: The workspace it belongs to.
        raw: The key object as received.
    """

    hash: str
    name: str | None = None
    label: str | None = None
    disabled: bool | None = None
    limit: Decimal | None = None
    limit_remaining: Decimal | None = None
    limit_reset: str | None = None
    include_byok_in_limit: bool | None = None
    usage: Decimal | None = None
    usage_daily: Decimal | None = None
    usage_weekly: Decimal | None = None
    usage_monthly: Decimal | None = None
    byok_usage: Decimal | None = None
    created_at: str | None = None
    updated_at: str | None = None
    expires_at: str | None = None
    creator_user_id: str | None = None
    workspace_id: str | None = None
    raw: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)


@dataclasses.dataclass(frozen=True, slots=True)
class CreatedKey:
    """A key just created: its secret (shown once by OpenRouter) and its details.

    Attributes:
        key: The secret ``sk-or-v1-...``, to hand to the job that spends it.
        info: The key's details (``info.hash`` updates, disables or deletes it).
    """

    key: SecretStr
    info: ApiKey


def parse_api_key(data: Any) -> ApiKey:
    """Parse one key object of the key-management API.

    Raises:
        ValueError: It is not an object with a ``hash``.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("hash"), str):
        raise ValueError("expected an API key object with a 'hash'")
    amounts = (
        "limit",
        "limit_remaining",
        "usage",
        "usage_daily",
        "usage_weekly",
        "usage_monthly",
        "byok_usage",
    )
    values: dict[str, Any] = {name: to_decimal(data.get(name)) for name in amounts}
    return ApiKey(
        hash=data["hash"],
        name=str_or_none(data.get("name")),
        label=str_or_none(data.get("label")),
        disabled=bool_or_none(data.get("disabled")),
        limit_reset=str_or_none(data.get("limit_reset")),
        include_byok_in_limit=bool_or_none(data.get("include_byok_in_limit")),
        created_at=str_or_none(data.get("created_at")),
        updated_at=str_or_none(data.get("updated_at")),
        expires_at=str_or_none(data.get("expires_at")),
        creator_user_id=str_or_none(data.get("creator_user_id")),
        workspace_id=str_or_none(data.get("workspace_id")),
        raw=data,
        **values,
    )


def parse_key_list(body: Any) -> list[ApiKey]:
    """Parse a ``GET /keys`` body (``{"data": [...]}``).

    Raises:
        ValueError: The body has no ``data`` list.
    """
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, list):
        raise ValueError("expected {'data': [...]} from GET /keys")
    return [parse_api_key(item) for item in data]


def parse_created_key(body: Any) -> CreatedKey:
    """Parse a ``POST /keys`` body (``{"data": {...}, "key": "sk-or-v1-..."}``).

    Raises:
        ValueError: No key or no key object.
    """
    secret = body.get("key") if isinstance(body, Mapping) else None
    if not isinstance(secret, str) or not secret:
        raise ValueError("POST /keys returned no key")
    return CreatedKey(key=SecretStr(secret), info=parse_one_key(body))


def parse_one_key(body: Any) -> ApiKey:
    """Parse a ``{"data": {...}}`` body holding one key object.

    Raises:
        ValueError: No key object.
    """
    data = body.get("data") if isinstance(body, Mapping) else None
    return parse_api_key(data)
