"""The catalog's one public entry point: :class:`ModelCatalog`, and the shared instances.

:class:`ModelCatalog` puts a :class:`~openrouter_core.catalog.store.CatalogStore` (fetching and
caching) behind the questions users ask (:meth:`~ModelCatalog.get`,
:meth:`~ModelCatalog.search`, :meth:`~ModelCatalog.cheapest`,
:meth:`~ModelCatalog.estimate_cost`, :meth:`~ModelCatalog.endpoints`), answered by the pure
functions of :mod:`openrouter_core.catalog.query`. :func:`default_catalog` is the
process-wide instance per base URL, and :func:`catalog_info` is the never-blocking,
never-raising lookup the framework classes use for metadata.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import Path

from openrouter_core.catalog import query, ranking
from openrouter_core.catalog.endpoints import ModelEndpoints, parse_endpoints
from openrouter_core.catalog.errors import (
    AmbiguousModelError,
    CatalogError,
    ModelNotListedError,
    PriceUnknownError,
)
from openrouter_core.catalog.info import ModelInfo
from openrouter_core.catalog.pricing import ModelPricing, check_token_counts
from openrouter_core.catalog.query import Price, Sort
from openrouter_core.catalog.ranking import Prompt, RankedModel
from openrouter_core.catalog.store import DEFAULT_TTL, CatalogStore
from openrouter_core.settings import build_headers, resolve_base_url

__all__ = ["PREFETCH_ENV", "ModelCatalog", "catalog_info", "default_catalog"]

logger = logging.getLogger("openrouter_core.catalog")

PREFETCH_ENV = "OPENROUTER_CATALOG_PREFETCH"
"""Set to ``0`` to stop framework classes from loading the catalog in the background."""


class ModelCatalog:
    """OpenRouter's model list with prices and capabilities, cached in memory and on disk.

    Construction does no I/O. The first query fetches ``GET /models`` (all output modalities,
    so embedding models are included) without sending an API key.

    Args:
        base_url: API root; default ``$OPENROUTER_BASE_URL`` or ``https://openrouter.ai/api/v1``.
        ttl: Seconds a fetched catalog stays fresh (default one hour).
        cache_dir: Directory of the on-disk copy; default ``$OPENROUTER_CACHE_DIR`` or the
            user cache directory (see :func:`user_cache_dir`).
        disk_cache: ``False`` keeps the catalog in memory only.
        timeout: Seconds to wait for OpenRouter.
        max_retries: Retries the SDK makes on connection errors, 429 and 5xx.
        app_url: Sent as ``HTTP-Referer``.
        app_title: Sent as ``X-Title`` / ``X-OpenRouter-Title``.
        default_headers: Extra headers for every request.
        retry_interval: After a failed fetch, seconds to keep serving the stale copy before
            trying again; also the minimum catalog age before an unknown model id triggers a
            refetch (new models appear without waiting for ``ttl``).
        clock: Source of the current Unix time (tests pass a fake one).
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        ttl: float = DEFAULT_TTL,
        cache_dir: str | os.PathLike[str] | None = None,
        disk_cache: bool = True,
        timeout: float | None = 30.0,
        max_retries: int = 2,
        app_url: str | None = None,
        app_title: str | None = None,
        default_headers: Mapping[str, str] | None = None,
        retry_interval: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = CatalogStore(
            base_url=resolve_base_url(base_url),
            headers=build_headers(
                app_url=app_url, app_title=app_title, default_headers=default_headers
            ),
            ttl=ttl,
            cache_dir=cache_dir,
            disk_cache=disk_cache,
            timeout=timeout,
            max_retries=max_retries,
            retry_interval=retry_interval,
            clock=clock,
        )

    def __repr__(self) -> str:
        return f"ModelCatalog(base_url={self.base_url!r}, ttl={self.ttl:g})"

    # ------------------------------------------------------------------ state

    @property
    def base_url(self) -> str:
        """The API root the catalog is fetched from."""
        return self._store.base_url

    @property
    def ttl(self) -> float:
        """Seconds a fetched catalog stays fresh in memory (default one hour)."""
        return self._store.ttl

    @property
    def cache_path(self) -> Path | None:
        """The on-disk copy's path (``None`` when the disk cache is off)."""
        return self._store.cache_path

    @property
    def fetched_at(self) -> float | None:
        """Unix time the catalog in memory was fetched from OpenRouter (``None``: not loaded)."""
        snapshot = self._store.snapshot
        return snapshot.fetched_at if snapshot is not None else None

    @property
    def is_fresh(self) -> bool:
        """Whether a catalog younger than ``ttl`` is in memory."""
        return self._store.is_fresh

    def clear(self) -> None:
        """Forget the catalog in memory and delete the on-disk copy."""
        self._store.clear()

    # ------------------------------------------------------------------ loading

    def load(self, *, refresh: bool = False) -> list[ModelInfo]:
        """Return every model, fetching the catalog if the cached one is missing or stale.

        Args:
            refresh: Fetch from OpenRouter even if the cached catalog is fresh.

        Raises:
            CatalogUnavailableError: OpenRouter cannot be reached and nothing is cached.

        Warns:
            StaleCatalogWarning: OpenRouter cannot be reached; an older copy is returned.
        """
        return list(self._store.ensure(force=refresh).index.models)

    def refresh(self) -> list[ModelInfo]:
        """Fetch the catalog from OpenRouter now (same fallbacks as :meth:`load`)."""
        return self.load(refresh=True)

    async def aload(self, *, refresh: bool = False) -> list[ModelInfo]:
        """:meth:`load` in a worker thread, so the event loop is not blocked."""
        return await asyncio.to_thread(self.load, refresh=refresh)

    def prefetch(self) -> threading.Thread | None:
        """Start loading the catalog in a background thread; never blocks, never raises.

        Nothing starts when the catalog is fresh, a prefetch is already running, or the last
        fetch failed less than ``retry_interval`` ago. Framework classes call this so that
        :meth:`peek` has data for the next model built; failures are only logged.

        Returns:
            The started (daemon) thread, or ``None``.
        """
        return self._store.prefetch()

    # ------------------------------------------------------------------ non-blocking access

    def peek(self, model_id: str) -> ModelInfo | None:
        """Look a model up without any network I/O; ``None`` when it is not at hand.

        Memory is consulted first, then the disk copy (even a stale one); an unknown or
        ambiguous id also gives ``None``. This is what framework classes use for metadata;
        it never raises for a missing or unreachable catalog.
        """
        snapshot = self._store.peek()
        if snapshot is None:
            return None
        try:
            return query.resolve(snapshot.index, model_id)
        except (ModelNotListedError, ValueError):
            return None

    def prices(self, model_id: str, *, fetch: bool = False) -> ModelPricing | None:
        """The model's prices, or ``None`` when it is unknown (never raises).

        Args:
            model_id: Any id :meth:`get` accepts.
            fetch: Load the catalog from OpenRouter if needed; by default only memory and
                disk are consulted (like :meth:`peek`).
        """
        if not fetch:
            info = self.peek(model_id)
            return info.pricing if info is not None else None
        try:
            return self.get(model_id).pricing
        except (CatalogError, ValueError):
            return None

    # ------------------------------------------------------------------ queries

    def models(self) -> list[ModelInfo]:
        """Every model in the catalog (fetching it if needed)."""
        return self.load()

    def get(self, model_id: str) -> ModelInfo:
        """Look a model up by id, canonical slug, variant or bare name.

        ``"x/y:nitro"`` and other variants resolve to ``"x/y"`` unless the catalog lists the
        variant itself (``:free`` entries usually are). An unlisted ``"x/y:free"`` resolves to
        ``"x/y"`` at its real price, never to an invented free model: the returned id is the
        base's, so estimates, the CLI and the budget guard price it as the base. A bare name
        such as ``"gpt-4o-mini"`` resolves to its one ``author/slug``. An id the catalog does
        not know triggers one refetch when the catalog is older than ``retry_interval``, so
        newly added models are found.

        Raises:
            AmbiguousModelError: A bare name matches several models (``candidates`` lists
                them).
            ModelNotListedError: No model matches (``candidates`` holds close matches).
            CatalogUnavailableError: The catalog cannot be loaded.
            ValueError: ``model_id`` is empty.
        """
        snapshot = self._store.ensure()
        try:
            return query.resolve(snapshot.index, model_id)
        except AmbiguousModelError:
            raise
        except ModelNotListedError:
            if self._store.age(snapshot) < self._store.retry_interval:
                raise
            newer = self._store.ensure(force=True, warn=False)
            if newer is snapshot:
                raise
            return query.resolve(newer.index, model_id)

    async def aget(self, model_id: str) -> ModelInfo:
        """:meth:`get` in a worker thread, so the event loop is not blocked."""
        return await asyncio.to_thread(self.get, model_id)

    def search(
        self,
        text: str | None = None,
        *,
        supports: str | Iterable[str] | None = None,
        max_prompt_price: Price | None = None,
        max_completion_price: Price | None = None,
        min_context: int | None = None,
        output: str | None = "text",
        include_free: bool = True,
        free: bool = False,
        sort: Sort = "id",
    ) -> list[ModelInfo]:
        """Models matching every given filter.

        Args:
            text: Words that must all appear in the id, name or canonical slug
                (case-insensitive).
            supports: Capabilities every result must have: names from :data:`CAPABILITIES`
                (``"tools"``, ``"structured_outputs"``, ``"reasoning"``, ``"vision"``,
                ``"pdf"``, ``"audio"``...) or request parameters (``"seed"``); a string may be
                comma-separated.
            max_prompt_price: Highest input price, USD per token.
            max_completion_price: Highest output price, USD per token.
            min_context: Smallest context window, in tokens.
            output: Required output modality (``"text"``, ``"embeddings"``, ``"image"``);
                ``None`` or ``"all"`` accepts any.
            include_free: ``False`` leaves out zero-priced models (``:free`` variants).
            free: ``True`` keeps only the models that cost nothing to call (``:free``
                variants and the like): a place to start without credits.
            sort: ``"id"``, ``"name"``, ``"price"`` (input then output price, cheapest first)
                or ``"context"`` (largest first).

        Raises:
            ValueError: An unknown capability or sort, a negative price or context, or
                ``free=True`` with ``include_free=False``.
        """
        query.check_sort(sort)  # before any fetch
        return query.search(
            self._store.ensure().index,
            text,
            supports=supports,
            max_prompt_price=max_prompt_price,
            max_completion_price=max_completion_price,
            min_context=min_context,
            output=output,
            include_free=include_free,
            free=free,
            sort=sort,
        )

    def cheapest(
        self,
        text: str | None = None,
        *,
        supports: str | Iterable[str] | None = None,
        max_prompt_price: Price | None = None,
        max_completion_price: Price | None = None,
        min_context: int | None = None,
        output: str | None = "text",
        include_free: bool = True,
        input_tokens: int | None = None,
        output_tokens: int = 1000,
        cached_tokens: int = 0,
        reasoning_tokens: int = 0,
        prompt: Prompt | None = None,
        max_tokens: int | None = None,
        max_cost: Price | None = None,
        free: bool = False,
    ) -> RankedModel:
        """The model that does a task for the least, with every model that fits, ranked.

        Describe the task: what it needs (``supports``, ``min_context`` and the other filters
        of :meth:`search`), its prompt (``prompt=``: the text, the chat messages or a token
        count) and its output size (``output_tokens``). Each matching model with listed prices
        is priced twice: the estimated cost of one request at that token mix
        (:meth:`ModelPricing.cost`), which ranks them (ties go to the larger context), and its
        worst case as the budget guard of ``track_usage(max_cost=...)`` computes it (the
        prompt estimate plus ``max_tokens`` output tokens), which ``max_cost`` limits.

        The result is the cheapest model's :class:`ModelInfo` (a :class:`RankedModel`, so
        ``best.id`` and the rest work as before) with its ``estimated_cost`` and
        ``worst_case_cost``, and ``ranking``: every model that fits, cheapest first, each a
        :class:`Candidate` with both costs. ``best.fallback_models(n)`` gives the next ``n``
        for a ``models=[...]`` fallback chain.

        Args:
            text: Words that must appear in the id or name (as in :meth:`search`).
            supports: Required capabilities: ``"tools"``, ``"vision"``, ``"reasoning"``,
                ``"structured_outputs"``... (see :meth:`search`).
            max_prompt_price: Highest input price, USD per token.
            max_completion_price: Highest output price, USD per token.
            min_context: Smallest context window, in tokens.
            output: Required output modality (``"text"`` by default).
            include_free: ``False`` leaves out free models.
            input_tokens: The prompt's size in tokens when no ``prompt`` is given (default
                3,000); only prices the mix.
            output_tokens: The expected output size in tokens (default 1,000).
            cached_tokens: Prompt tokens expected to be read from the cache.
            reasoning_tokens: Output tokens expected to be reasoning.
            prompt: The request's prompt: its text, its chat messages (tokens estimated as
                the budget guard does, with
                :func:`~openrouter_core.accounting.prices.estimate_prompt_tokens`) or a token
                count. With a prompt, models whose context window cannot hold it plus
                ``max_tokens``, or whose output limit is below ``max_tokens``, are left out.
            max_tokens: The output limit the request will send (default ``output_tokens``);
                the worst case counts this many output tokens.
            max_cost: The most one request may cost in the worst case, USD.
            free: ``True`` keeps only models that cost nothing to call.

        Raises:
            NoModelMatchesError: No model fits; the message says how many models were left
                after each requirement, and for ``max_cost`` the lowest worst case found.
            ValueError: Invalid filters, token counts or limits (checked before any fetch).
            TypeError: A token count is not an int, or ``prompt`` has no known shape.
        """
        # The request and the limit are checked before any fetch.
        ranking.Task.of(
            prompt, input_tokens, output_tokens, cached_tokens, reasoning_tokens, max_tokens
        )
        query.price_arg("max_cost", max_cost, unit="USD per request")
        return ranking.cheapest(
            self._store.ensure().index,
            text,
            supports=supports,
            max_prompt_price=max_prompt_price,
            max_completion_price=max_completion_price,
            min_context=min_context,
            output=output,
            include_free=include_free,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cached_tokens=cached_tokens,
            reasoning_tokens=reasoning_tokens,
            prompt=prompt,
            max_tokens=max_tokens,
            max_cost=max_cost,
            free=free,
        )

    def estimate_cost(
        self,
        model: str | ModelInfo,
        input_tokens: int,
        output_tokens: int,
        cached_tokens: int = 0,
        reasoning_tokens: int = 0,
        *,
        cache_write_tokens: int = 0,
        requests: int = 1,
    ) -> Decimal:
        """Estimate what a call costs, in USD, from the catalog's prices.

        See :meth:`ModelPricing.cost` for how tokens are priced: ``input_tokens`` includes
        ``cached_tokens`` and ``cache_write_tokens``; ``output_tokens`` includes
        ``reasoning_tokens``.

        Raises:
            ValueError: Inconsistent or negative counts (checked before any fetch).
            PriceUnknownError: The model lists no token prices.
            ModelNotListedError: No such model.
        """
        check_token_counts(
            input_tokens, output_tokens, cached_tokens, reasoning_tokens, cache_write_tokens
        )
        info = model if isinstance(model, ModelInfo) else self.get(model)
        if not info.pricing.known:
            raise PriceUnknownError(
                f"{info.id} lists no token prices (its cost depends on the model it routes to)"
            )
        return info.pricing.cost(
            input_tokens,
            output_tokens,
            cached_tokens,
            reasoning_tokens,
            cache_write_tokens=cache_write_tokens,
            requests=requests,
        )

    def endpoints(self, model_id: str) -> ModelEndpoints:
        """The providers serving a model, with their prices, limits, uptime and latency.

        Fetched live from ``GET /models/{author}/{slug}/endpoints`` on every call (no key is
        sent). The id is resolved through the catalog first, so bare names work and an unknown
        id fails before the request.

        Raises:
            ModelNotListedError: No such model.
            OpenRouterError: The request failed.
        """
        from openrouter_core.errors import ProviderError

        info = self.get(model_id)
        path = f"/models/{urllib.parse.quote(info.id, safe='/:')}/endpoints"
        data = self._store.get_json(path)
        try:
            return parse_endpoints(data)
        except ValueError as exc:
            raise ProviderError(f"GET {path}: {exc}", model=info.id) from exc


# --------------------------------------------------------------------------------------------
# Shared instances
# --------------------------------------------------------------------------------------------

_defaults: dict[str, ModelCatalog] = {}
_defaults_lock = threading.Lock()


def default_catalog(base_url: str | None = None) -> ModelCatalog:
    """The process-wide :class:`ModelCatalog` for a base URL, built on first use.

    Framework classes share it, so the catalog is fetched once per process and base URL.
    """
    url = resolve_base_url(base_url)
    catalog = _defaults.get(url)
    if catalog is None:
        with _defaults_lock:
            catalog = _defaults.get(url)
            if catalog is None:
                catalog = _defaults[url] = ModelCatalog(base_url=url)
    return catalog


def catalog_info(
    base_url: str | None, model_id: str | None, *, prefetch: bool = False
) -> ModelInfo | None:
    """What the framework classes use for metadata: a model's entry if it is at hand.

    Never does network I/O on the calling thread and never raises. For OpenRouter's own API
    the snapshot shipped with the package answers when nothing fresher is at hand. When the
    entry is not at hand, or the catalog answering is not fresh (the shipped snapshot, a stale
    disk copy, one kept after a failed refresh), and ``prefetch`` is set, the shared catalog
    for ``base_url`` starts loading in a background thread (unless
    ``OPENROUTER_CATALOG_PREFETCH=0``), so later lookups find it; it is also kept on disk, so
    the next process finds it at once.

    Args:
        base_url: The API root the model is called through (``None`` = the default).
        model_id: The model id as the user gave it.
        prefetch: Whether a miss or a catalog that is not fresh may start a background load.
    """
    if not model_id:
        return None
    try:
        catalog = default_catalog(base_url)
        info = catalog.peek(model_id)
        if (
            (info is None or not catalog.is_fresh)  # a miss, or an old catalog answered
            and prefetch
            and os.environ.get(PREFETCH_ENV, "1").strip().lower()
            not in (
                "0",
                "false",
                "no",
                "off",
            )
        ):
            catalog.prefetch()
    except Exception:  # metadata is a nicety: it must never break a model
        logger.debug("catalog lookup for %r failed", model_id, exc_info=True)
        return None
    return info
