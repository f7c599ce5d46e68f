"""API keys on the emulator: ``GET /key``, the key-management API ``/keys``, and key limits.

Any bearer token the emulator accepts, except the keys created through ``POST /keys``, may
manage keys (it plays the management key); a created key gets 401 "Only management keys...".
``POST /keys`` creates a key with a credit ``limit`` (USD), an optional ``limit_reset``
(``daily``, ``weekly``, ``monthly``) and ``expires_at``; ``GET /keys`` lists them,
``GET /keys/{hash}`` reads one, ``PATCH /keys/{hash}`` updates (``name``, ``limit``,
``limit_reset``, ``disabled``, ``include_byok_in_limit``) and ``DELETE /keys/{hash}`` deletes.
Field names are OpenRouter's (OpenAPI ``/keys``). A request made with a created key counts
towards its usage; once the usage of the current period reaches the limit, chat and embeddings
requests get OpenRouter's 403 "Key limit exceeded (total limit)..." (``monthly limit``...); a
disabled, expired or deleted key gets 401.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from openrouter_core.testing._http import HttpRequest, Responder
from openrouter_core.testing._state import EmulatorState
from openrouter_core.testing._usage import json_number
from openrouter_core.testing._wire import send_error, send_json

__all__ = ["KeyStore", "bearer_token"]

_RESETS = ("daily", "weekly", "monthly")
_MANAGE_URL = "https://openrouter.ai/settings/keys"
_UNKNOWN_KEY = "User not found."


def bearer_token(request: HttpRequest) -> str:
    """The token of the ``Authorization: Bearer`` header (``""`` when absent)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _iso(moment: float) -> str:
    return dt.datetime.fromtimestamp(moment, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _period_start(reset: str | None, now: float) -> float:
    day = dt.datetime.fromtimestamp(now, tz=dt.timezone.utc).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    if reset == "daily":
        return day.timestamp()
    if reset == "weekly":
        return (day - dt.timedelta(days=day.weekday())).timestamp()
    if reset == "monthly":
        return day.replace(day=1).timestamp()
    return 0.0


@dataclass
class _Key:
    hash: str
    secret: str
    name: str
    limit: Decimal | None
    limit_reset: str | None
    include_byok_in_limit: bool
    expires_at: str | None
    created_at: str
    updated_at: str | None = None
    disabled: bool = False
    spend: list[tuple[float, Decimal]] = field(default_factory=list)

    def usage(self, since: float = 0.0) -> Decimal:
        return sum((cost for at, cost in self.spend if at >= since), Decimal(0))

    def expired(self, now: float) -> bool:
        if self.expires_at is None:
            return False
        moment = dt.datetime.fromisoformat(self.expires_at.replace("Z", "+00:00"))
        return moment.timestamp() <= now


class _BadRequest(ValueError):
    pass


def _limit(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _BadRequest("limit must be a number of USD, or null")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise _BadRequest("limit must be a number of USD, or null") from exc
    if amount < 0:
        raise _BadRequest("limit must be >= 0")
    return amount


def _reset(value: Any) -> str | None:
    if value is None or value in _RESETS:
        return value if value is None else str(value)
    raise _BadRequest("limit_reset must be one of daily, weekly, monthly, or null")


def _expiry(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _BadRequest("expires_at must be an ISO 8601 UTC timestamp")
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _BadRequest("expires_at must be an ISO 8601 UTC timestamp") from exc
    if moment.tzinfo is None:
        raise _BadRequest("expires_at must be in UTC (end it with Z)")
    return value


class KeyStore:
    """The keys an emulator knows, their limits and spending.

    Args:
        state: The shared state.
        credit_limit: The limit reported for (and enforced on) tokens that are not created
            keys, with HTTP 402 as OpenRouter's credit check; ``None`` is unlimited.
    """

    def __init__(self, state: EmulatorState, credit_limit: Decimal | None) -> None:
        self._state = state
        self._credit_limit = credit_limit
        self._keys: dict[str, _Key] = {}
        self._by_secret: dict[str, str] = {}
        self._deleted: set[str] = set()

    # ------------------------------------------------------------------ accounting

    def record(self, token: str, cost: Decimal) -> None:
        """Count a charge towards the key that made the request (if it is a created key)."""
        with self._state.lock:
            key_hash = self._by_secret.get(token)
            if key_hash is not None and key_hash in self._keys:
                self._keys[key_hash].spend.append((time.time(), cost))

    def created(self, token: str) -> bool:
        """Whether a token is a key created through ``/keys`` (and not deleted)."""
        with self._state.lock:
            return token in self._by_secret

    def auth_error(self, token: str) -> str | None:
        """Why a token is refused (401), or ``None``."""
        with self._state.lock:
            if token in self._deleted:
                return _UNKNOWN_KEY
            key_hash = self._by_secret.get(token)
            key = self._keys.get(key_hash) if key_hash is not None else None
        if key is not None and (key.disabled or key.expired(time.time())):
            return _UNKNOWN_KEY
        return None

    def refusal(self, token: str, total_cost: Decimal) -> tuple[int, str] | None:
        """The error for a generation the key's limit forbids: (status, message), or ``None``."""
        with self._state.lock:
            key_hash = self._by_secret.get(token)
            key = self._keys.get(key_hash) if key_hash is not None else None
            if key is None:
                if self._credit_limit is not None and total_cost >= self._credit_limit:
                    return 402, (
                        "This request requires more credits, or fewer max_tokens. To increase, "
                        "visit https://openrouter.ai/settings/credits and add more credits"
                    )
                return None
            if key.limit is None:
                return None
            used = key.usage(_period_start(key.limit_reset, time.time()))
            if used < key.limit:
                return None
            period = key.limit_reset or "total"
            return 403, f"Key limit exceeded ({period} limit). Manage it using {_MANAGE_URL}"

    # ------------------------------------------------------------------ bodies

    def _key_data(self, key: _Key) -> dict[str, Any]:
        now = time.time()
        total = key.usage()
        period = key.usage(_period_start(key.limit_reset, now))
        daily = key.usage(_period_start("daily", now))
        weekly = key.usage(_period_start("weekly", now))
        monthly = key.usage(_period_start("monthly", now))
        remaining = None if key.limit is None else max(key.limit - period, Decimal(0))
        return {
            "hash": key.hash,
            "name": key.name,
            "label": f"{key.secret[:11]}...{key.secret[-4:]}",
            "disabled": key.disabled,
            "limit": None if key.limit is None else json_number(key.limit),
            "limit_remaining": None if remaining is None else json_number(remaining),
            "limit_reset": key.limit_reset,
            "include_byok_in_limit": key.include_byok_in_limit,
            "usage": json_number(total),
            "usage_daily": json_number(daily),
            "usage_weekly": json_number(weekly),
            "usage_monthly": json_number(monthly),
            "byok_usage": 0,
            "byok_usage_daily": 0,
            "byok_usage_weekly": 0,
            "byok_usage_monthly": 0,
            "created_at": key.created_at,
            "updated_at": key.updated_at,
            "creator_user_id": self._state.user_id,
            "workspace_id": "00000000-0000-4000-8000-000000000000",
            "expires_at": key.expires_at,
        }

    def current_key(self, token: str, total_cost: Decimal) -> dict[str, Any]:
        """The ``GET /key`` data for the token making the request."""
        with self._state.lock:
            key_hash = self._by_secret.get(token)
            key = self._keys.get(key_hash) if key_hash is not None else None
            data = None if key is None else self._key_data(key)
        if data is not None:
            data = {
                k: v for k, v in data.items() if k not in {"hash", "name", "disabled", "updated_at"}
            }
            return {
                **data,
                "is_free_tier": False,
                "is_management_key": False,
                "is_provisioning_key": False,
                "rate_limit": {"requests": -1, "interval": "10s", "note": "deprecated"},
            }
        label = f"{token[:12]}...{token[-3:]}" if len(token) > 16 else token
        limit = self._credit_limit
        usage = json_number(total_cost)
        return {
            "label": label,
            "limit": None if limit is None else json_number(limit),
            "limit_remaining": None
            if limit is None
            else json_number(max(limit - total_cost, Decimal(0))),
            "limit_reset": None,
            "include_byok_in_limit": False,
            "usage": usage,
            "usage_daily": usage,
            "usage_weekly": usage,
            "usage_monthly": usage,
            "byok_usage": 0,
            "byok_usage_daily": 0,
            "byok_usage_weekly": 0,
            "byok_usage_monthly": 0,
            "is_free_tier": False,
            "is_management_key": False,
            "is_provisioning_key": False,
            "creator_user_id": self._state.user_id,
            "expires_at": None,
            "rate_limit": {
                "requests": -1,
                "interval": "10s",
                "note": "This field is deprecated and safe to ignore.",
            },
        }

    # ------------------------------------------------------------------ the /keys API

    async def handle(self, request: HttpRequest, out: Responder, route: str, body: Any) -> None:
        """Answer a ``/keys`` request (the caller has checked the bearer token)."""
        with self._state.lock:
            created = bearer_token(request) in self._by_secret
        if created:
            message = "Only management keys can perform this operation"
            await send_error(out, 401, message, user_id=None)
            return
        key_hash = route[len("/keys/") :] if route.startswith("/keys/") else None
        try:
            if key_hash is None:
                if request.method == "GET":
                    await self._list(request, out)
                elif request.method == "POST":
                    await self._create(out, body)
                else:
                    await send_error(out, 405, "Method Not Allowed", user_id=None)
                return
            await self._one(request, out, key_hash, body)
        except _BadRequest as exc:
            await send_error(out, 400, str(exc), user_id=self._state.user_id)

    async def _list(self, request: HttpRequest, out: Responder) -> None:
        include_disabled = request.query.get("include_disabled", "false").lower() == "true"
        offset = int(request.query.get("offset", "0") or 0)
        with self._state.lock:
            keys = [k for k in self._keys.values() if include_disabled or not k.disabled]
            data = [self._key_data(k) for k in keys[offset : offset + 100]]
        await send_json(out, 200, {"data": data})

    async def _create(self, out: Responder, body: Any) -> None:
        if not isinstance(body, Mapping):
            raise _BadRequest("Invalid JSON in request body")
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _BadRequest("name is required")
        include_byok = body.get("include_byok_in_limit", False)
        key = _Key(
            hash="",
            secret="",
            name=name,
            limit=_limit(body.get("limit")),
            limit_reset=_reset(body.get("limit_reset")),
            include_byok_in_limit=bool(include_byok),
            expires_at=_expiry(body.get("expires_at")),
            created_at=_iso(time.time()),
        )
        secret = "sk-or-v1-" + hashlib.sha256(self._state.random(32).encode()).hexdigest()
        key.secret = secret
        key.hash = hashlib.sha256(secret.encode()).hexdigest()
        with self._state.lock:
            self._keys[key.hash] = key
            self._by_secret[secret] = key.hash
            data = self._key_data(key)
        await send_json(out, 201, {"data": data, "key": secret})

    async def _one(self, request: HttpRequest, out: Responder, key_hash: str, body: Any) -> None:
        with self._state.lock:
            key = self._keys.get(key_hash)
        if key is None:
            await send_error(out, 404, "Resource not found", user_id=None)
            return
        if request.method == "GET":
            with self._state.lock:
                data = self._key_data(key)
            await send_json(out, 200, {"data": data})
        elif request.method == "PATCH":
            await self._update(out, key, body)
        elif request.method == "DELETE":
            with self._state.lock:
                self._keys.pop(key_hash, None)
                self._by_secret.pop(key.secret, None)
                self._deleted.add(key.secret)
            await send_json(out, 200, {"deleted": True})
        else:
            await send_error(out, 405, "Method Not Allowed", user_id=None)

    async def _update(self, out: Responder, key: _Key, body: Any) -> None:
        if not isinstance(body, Mapping):
            raise _BadRequest("Invalid JSON in request body")
        changes: dict[str, Any] = {}
        if "name" in body:
            if not isinstance(body["name"], str) or not body["name"].strip():
                raise _BadRequest("name must be a non-empty string")
            changes["name"] = body["name"]
        if "limit" in body:
            changes["limit"] = _limit(body["limit"])
        if "limit_reset" in body:
            changes["limit_reset"] = _reset(body["limit_reset"])
        if "disabled" in body:
            changes["disabled"] = bool(body["disabled"])
        if "include_byok_in_limit" in body:
            changes["include_byok_in_limit"] = bool(body["include_byok_in_limit"])
        with self._state.lock:
            for name, value in changes.items():
                setattr(key, name, value)
            key.updated_at = _iso(time.time())
            data = self._key_data(key)
        await send_json(out, 200, {"data": data})
