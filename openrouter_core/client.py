"""The shared, pooled ``openai`` clients every model instance uses.

Clients are built once per distinct configuration and reused by every model that has it, so
constructing a model is cheap and no connection pool is created per instance. Synchronous
clients share one HTTP pool per base URL; asynchronous ones do too, per event loop, because an
async connection pool cannot move between loops.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, MutableMapping
from typing import TypeVar

import openai

from openrouter_core.settings import ClientConfig

__all__ = ["ClientConfig", "aclose_clients", "close_clients", "get_async_client", "get_client"]


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


_C = TypeVar("_C", openai.OpenAI, openai.AsyncOpenAI)
_P = TypeVar("_P", openai.DefaultHttpxClient, openai.DefaultAsyncHttpxClient)


def _shared(
    clients: MutableMapping[ClientConfig, _C],
    pools: MutableMapping[str, _P],
    config: ClientConfig,
    make_pool: Callable[[], _P],
    make_client: Callable[..., _C],
) -> _C:
    """The client for ``config`` in ``clients``, built on the pool of its base URL if new."""
    with _lock:
        client = clients.get(config)
        if client is None:
            pool = pools.get(config.base_url)
            if pool is None:
                pool = pools[config.base_url] = make_pool()
            client = clients[config] = make_client(http_client=pool, **config._kwargs())
            if len(clients) > _MAX_CLIENTS:
                del clients[next(iter(clients))]  # the oldest: rebuilt on its next use
        return client


def get_client(config: ClientConfig) -> openai.OpenAI:
    """Return the process-wide synchronous client for ``config``, building it on first use."""
    client = _sync_clients.get(config)
    if client is not None:
        return client
    return _shared(_sync_clients, _sync_pools, config, openai.DefaultHttpxClient, openai.OpenAI)


def get_async_client(config: ClientConfig) -> openai.AsyncOpenAI:
    """Return the asynchronous client for ``config`` on the running event loop."""
    loop = asyncio.get_running_loop()
    per_loop = _async_clients.get(loop)
    client = per_loop.get(config) if per_loop is not None else None
    if client is not None:
        return client
    with _lock:
        per_loop = _async_clients.setdefault(loop, {})
        pools = _async_pools.setdefault(loop, {})
    return _shared(per_loop, pools, config, openai.DefaultAsyncHttpxClient, openai.AsyncOpenAI)


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
