"""The shared, pooled ``openai`` clients every model instance uses, and their lifetime.

Clients are built once per distinct configuration and reused by every model that has it, so
constructing a model is cheap and no connection pool is created per instance. Synchronous
clients share one HTTP pool per base URL; asynchronous ones do too, per event loop, because an
async connection pool cannot move between loops. A loop's pools are closed when the loop shuts
down (``asyncio.run``, a ``Runner``, pytest-asyncio: anything that calls
``loop.shutdown_asyncgens()``), so a fresh loop per job leaves no socket behind;
:func:`aclose_clients` closes them explicitly.

The clients log every retry the SDK makes at ``INFO`` on the ``openrouter_core`` logger: which
attempt failed, why, and how long the SDK waits (no key, no body).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
import weakref
from collections import OrderedDict
from collections.abc import AsyncGenerator, Callable, MutableMapping
from typing import Any, TypeVar

import openai

from openrouter_core._version import __version__
from openrouter_core.settings import DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, ClientConfig

__all__ = ["ClientConfig", "aclose_clients", "close_clients", "get_async_client", "get_client"]

logger = logging.getLogger("openrouter_core")


def _cause(response_headers: Any) -> str:
    """Why the attempt failed, from the exception being handled (the SDK retries in ``except``)."""
    exc = sys.exc_info()[1]
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if isinstance(status, int):
        return f"HTTP {status}"
    if exc is not None:
        return type(exc).__name__
    return "no response" if response_headers is None else "retryable response"


def _log_retry(path: str, remaining: int, max_retries: int, wait: float, headers: Any) -> None:
    if logger.isEnabledFor(logging.INFO):
        failed = max_retries - remaining + 1
        logger.info(
            "OpenRouter request %s failed (attempt %d of %d: %s); retrying in %.2f s",
            path,
            failed,
            max_retries + 1,
            _cause(headers),
            wait,
        )


class _OpenRouterClient:
    """Mixed into the SDK's clients: what this package changes about them.

    - The agent string names this package after the SDK's own (``OpenAI/Python 3.x``).
    - Each retry is told to the ``openrouter_core`` logger. The SDK computes the wait of every
      retry here (jitter, ``Retry-After``) from inside the ``except`` that caught the failure,
      so the wait it logs is the one it sleeps.
    - A request path is joined to the base URL once, not on every request (the SDK parses and
      joins URLs per request, some 10-20 microseconds each).
    """

    max_retries: int
    base_url: Any
    _agent: str

    @property
    def user_agent(self) -> str:
        return self._agent

    def _calculate_retry_timeout(
        self, remaining_retries: int, options: Any, response_headers: Any = None
    ) -> float:
        wait: float = super()._calculate_retry_timeout(  # type: ignore[misc]
            remaining_retries, options, response_headers
        )
        max_retries = options.get_max_retries(self.max_retries)
        _log_retry(options.url, remaining_retries, max_retries, wait, response_headers)
        return wait

    def _prepare_url(self, url: str) -> Any:
        """The SDK's joined URL of ``url``, kept for the next request to the same path.

        Kept per base URL (a new one starts afresh) and only for plain paths: a path with a
        query string, or one of many distinct paths, is joined every time.
        """
        base = self.base_url
        cached: tuple[Any, dict[str, Any]] | None = self.__dict__.get("_openrouter_urls")
        if cached is None or cached[0] is not base:
            cached = self.__dict__["_openrouter_urls"] = (base, {})
        urls = cached[1]
        prepared = urls.get(url)
        if prepared is None:
            prepared = super()._prepare_url(url)  # type: ignore[misc]
            if "?" not in url and len(urls) < _MAX_CACHED_URLS:
                urls[url] = prepared
        return prepared


_MAX_CACHED_URLS = 32


def _agent(sdk_class: str) -> str:
    return f"{sdk_class}/Python {openai.__version__} openrouter-frameworks/{__version__}"


class _OpenAI(_OpenRouterClient, openai.OpenAI):
    """The SDK's client, as this package uses it."""

    _agent = _agent("OpenAI")


class _AsyncOpenAI(_OpenRouterClient, openai.AsyncOpenAI):
    """The SDK's async client, as this package uses it."""

    _agent = _agent("AsyncOpenAI")


# Bounded so a process that builds models for many keys (one per tenant, say) does not keep
# every client forever; an evicted client is simply rebuilt on its next use.
_MAX_CLIENTS = 128
_lock = threading.Lock()
_sync_clients: OrderedDict[ClientConfig, openai.OpenAI] = OrderedDict()
_sync_pools: dict[str, openai.DefaultHttpxClient] = {}


class _LoopClients:
    """One event loop's clients and pools, closed when the loop shuts down."""

    __slots__ = ("clients", "closer", "pools")

    def __init__(self) -> None:
        self.clients: dict[ClientConfig, openai.AsyncOpenAI] = {}
        self.pools: dict[str, openai.DefaultAsyncHttpxClient] = {}
        self.closer: AsyncGenerator[None, None] | None = None

    def watch_shutdown(self) -> None:
        """Close the pools when the running loop shuts its async generators down.

        ``loop.shutdown_asyncgens()`` (called by ``asyncio.run`` and every runner before the
        loop closes) closes, with ``aclose()``, each async generator that has started and not
        finished; this one closes the pools then. Stepping it to its ``yield`` registers it
        with the running loop; it awaits nothing before that, so one ``send`` gets it there.
        """
        self.closer = self._close_at_shutdown()
        step = self.closer.__anext__()
        with contextlib.suppress(StopIteration):
            step.send(None)

    async def _close_at_shutdown(self) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            # Forget the loop first: this generator holds the loop's finalizer hook, so while
            # the registry keeps it, the closed loop could never be collected.
            with _lock:
                _loops.pop(asyncio.get_running_loop(), None)
            await self.aclose()

    async def aclose(self) -> None:
        with _lock:
            pools = list(self.pools.values())
            self.pools.clear()
            self.clients.clear()
        for pool in pools:
            await pool.aclose()


_loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClients] = (
    weakref.WeakKeyDictionary()
)

_DEFAULT_TIMEOUT = openai.Timeout(DEFAULT_TIMEOUT, connect=DEFAULT_CONNECT_TIMEOUT)
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
            kwargs = {"timeout": _DEFAULT_TIMEOUT, **config.client_kwargs()}
            client = clients[config] = make_client(http_client=pool, **kwargs)
            if len(clients) > _MAX_CLIENTS:
                del clients[next(iter(clients))]  # the oldest: rebuilt on its next use
        return client


def get_client(config: ClientConfig) -> openai.OpenAI:
    """Return the process-wide synchronous client for ``config``, building it on first use."""
    client = _sync_clients.get(config)
    if client is not None:
        return client
    return _shared(_sync_clients, _sync_pools, config, openai.DefaultHttpxClient, _OpenAI)


def get_async_client(config: ClientConfig) -> openai.AsyncOpenAI:
    """Return the asynchronous client for ``config`` on the running event loop."""
    loop = asyncio.get_running_loop()
    entry = _loops.get(loop)
    client = entry.clients.get(config) if entry is not None else None
    if client is not None:
        return client
    with _lock:
        entry = _loops.get(loop)
        new = entry is None
        if entry is None:
            # Loops closed without shutting down their async generators (loop.close() alone)
            # cannot close their pools; at least they are not kept alive here.
            for closed in [other for other in _loops if other.is_closed()]:
                del _loops[closed]
            entry = _loops[loop] = _LoopClients()
    if new:
        entry.watch_shutdown()
    return _shared(entry.clients, entry.pools, config, openai.DefaultAsyncHttpxClient, _AsyncOpenAI)


def close_clients() -> None:
    """Close every shared synchronous pool and forget all clients (e.g. at interpreter exit).

    Asynchronous pools are closed with their event loop (or by :func:`aclose_clients`); models
    built afterwards get fresh clients.
    """
    with _lock:
        pools = list(_sync_pools.values())
        _sync_pools.clear()
        _sync_clients.clear()
    for pool in pools:
        pool.close()


async def aclose_clients() -> None:
    """Close the asynchronous pools of the running event loop now and forget their clients.

    For a long-lived loop that stops using OpenRouter; a loop that shuts down closes them by
    itself.
    """
    entry = _loops.get(asyncio.get_running_loop())
    if entry is not None:
        await entry.aclose()
