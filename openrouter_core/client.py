"""The shared, pooled ``openai`` clients every model instance uses.

Clients are built once per distinct configuration and reused by every model that has it, so
constructing a model is cheap and no connection pool is created per instance. Synchronous
clients share one HTTP pool per base URL; asynchronous ones do too, per event loop, because an
async connection pool cannot move between loops.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import weakref
from collections import OrderedDict
from typing import Any

import openai

from openrouter_core.settings import require_api_key, resolve_api_key, resolve_base_url

__all__ = ["ClientConfig", "aclose_clients", "close_clients", "get_async_client", "get_client"]


@dataclasses.dataclass(frozen=True)
class ClientConfig:
    """Everything that distinguishes one ``openai`` client from another.

    Attributes:
        api_key: The plain key (kept out of ``repr``).
        base_url: The API root, e.g. ``https://openrouter.ai/api/v1``.
        timeout: Seconds to wait for a response (``None`` = the SDK default of 600 s).
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
        headers: dict[str, str] | None = None,
        model: str | None = None,
    ) -> ClientConfig:
        """Resolve the key (raising a clear error when there is none) and freeze the rest."""
        key = require_api_key(resolve_api_key(api_key), model=model)
        return cls(
            api_key=key,
            base_url=resolve_base_url(base_url),
            timeout=timeout,
            max_retries=max_retries,
            headers=tuple(sorted((headers or {}).items())),
        )

    def _kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "api_key": self.api_key,
            "base_url": self.base_url,
            "max_retries": self.max_retries,
            "default_headers": dict(self.headers) or None,
        }
        if self.timeout is not None:
            kwargs["timeout"] = self.timeout
        return kwargs


# Bounded so a process that builds models for many keys (one per tenant, say) does not keep
# every client forever; an evicted client is simply rebuilt on its next use.
_MAX_CLIENTS = 128
_lock = threading.Lock()
_sync_clients: OrderedDict[ClientConfig, openai.OpenAI] = OrderedDict()
_sync_pools: dict[str, openai.DefaultHttpxClient] = {}
_async_clients: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[ClientConfig, openai.AsyncOpenAI]
] = weakref.WeakKeyDictionary()
_async_pools: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[str, openai.DefaultAsyncHttpxClient]
] = weakref.WeakKeyDictionary()


def get_client(config: ClientConfig) -> openai.OpenAI:
    """Return the process-wide synchronous client for ``config``, building it on first use."""
    client = _sync_clients.get(config)
    if client is not None:
        return client
    with _lock:
        client = _sync_clients.get(config)
        if client is None:
            pool = _sync_pools.get(config.base_url)
            if pool is None:
                pool = _sync_pools[config.base_url] = openai.DefaultHttpxClient()
            client = openai.OpenAI(http_client=pool, **config._kwargs())
            _sync_clients[config] = client
            if len(_sync_clients) > _MAX_CLIENTS:
                _sync_clients.popitem(last=False)
        return client


def get_async_client(config: ClientConfig) -> openai.AsyncOpenAI:
    """Return the asynchronous client for ``config`` on the running event loop."""
    loop = asyncio.get_running_loop()
    per_loop = _async_clients.get(loop)
    client = per_loop.get(config) if per_loop is not None else None
    if client is not None:
        return client
    with _lock:
        per_loop = _async_clients.setdefault(loop, {})
        client = per_loop.get(config)
        if client is None:
            pools = _async_pools.setdefault(loop, {})
            pool = pools.get(config.base_url)
            if pool is None:
                pool = pools[config.base_url] = openai.DefaultAsyncHttpxClient()
            client = openai.AsyncOpenAI(http_client=pool, **config._kwargs())
            per_loop[config] = client
            if len(per_loop) > _MAX_CLIENTS:
                del per_loop[next(iter(per_loop))]
        return client


def close_clients() -> None:
    """Close every shared synchronous pool and forget all clients (e.g. at interpreter exit).

    Asynchronous pools are dropped with their event loop; models built afterwards get fresh
    clients.
    """
    with _lock:
        pools = list(_sync_pools.values())
        _sync_pools.clear()
        _sync_clients.clear()
        _async_clients.clear()
        _async_pools.clear()
    for pool in pools:
        pool.close()


async def aclose_clients() -> None:
    """Close the asynchronous pools of the running event loop and forget their clients."""
    loop = asyncio.get_running_loop()
    with _lock:
        _async_clients.pop(loop, None)
        pools = list(_async_pools.pop(loop, {}).values())
    for pool in pools:
        await pool.aclose()
