"""OpenRouter's model catalog: live prices and capabilities, cached, searchable.

:class:`ModelCatalog` fetches ``GET /models`` (a public endpoint: no key is sent) through the
shared ``openai`` client, keeps it in memory for ``ttl`` seconds and on disk under the user cache
directory, so a restart does not refetch. When OpenRouter cannot be reached, a stale copy is
used with a :class:`StaleCatalogWarning`; with no copy at all, :class:`CatalogUnavailableError`
says so. Concurrent callers share one fetch.

Framework integrations read it without blocking: :func:`default_catalog` returns the shared
instance for a base URL, :meth:`ModelCatalog.peek` answers from memory or disk only, never
from the network, and :meth:`ModelCatalog.prefetch` loads it in a background thread.

Example:
    .. code-block:: python

        from openrouter_core.catalog import ModelCatalog

        catalog = ModelCatalog()
        info = catalog.get("claude-haiku-4.5")  # -> anthropic/claude-haiku-4.5
        catalog.estimate_cost(info, input_tokens=12_000, output_tokens=800)
        catalog.cheapest(supports=["tools", "structured_outputs"], min_context=100_000)
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
import hashlib
import logging
import os
import sys
import tempfile
import threading
import time
import urllib.parse
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from openrouter_core import _json
from openrouter_core.model_info import (
    CAPABILITIES,
    CAPABILITY_ALIASES,
    ModelEndpoints,
    ModelInfo,
    ModelPricing,
    ProviderEndpoint,
    check_token_counts,
    parse_endpoints,
    parse_model,
)
from openrouter_core.settings import build_headers, resolve_base_url
from openrouter_core.usage import to_decimal

if TYPE_CHECKING:
    from openrouter_core.client import ClientConfig

__all__ = [
    "CACHE_DIR_ENV",
    "CAPABILITIES",
    "DEFAULT_TTL",
    "AmbiguousModelError",
    "CatalogError",
    "CatalogUnavailableError",
    "ModelCatalog",
    "ModelEndpoints",
    "ModelInfo",
    "ModelPricing",
    "NoModelMatchesError",
    "PriceUnknownError",
    "ProviderEndpoint",
    "StaleCatalogWarning",
    "UnknownModelError",
    "catalog_info",
    "default_catalog",
    "resolve_cache_dir",
    "user_cache_dir",
]

logger = logging.getLogger("openrouter_core.catalog")

DEFAULT_TTL = 3600.0
"""Seconds a fetched catalog is used before it is fetched again."""
CACHE_DIR_ENV = "OPENROUTER_CACHE_DIR"
"""Environment variable that overrides the cache directory."""
_APP_DIR = "openrouter-frameworks"
_CACHE_FORMAT = 1
_PUBLIC_KEY = "public-endpoint"  # the SDK needs a key to build a client; it is never sent
_SORTS = ("id", "name", "price", "context")

Sort = Literal["id", "name", "price", "context"]
Price = Decimal | float | int | str


# --------------------------------------------------------------------------------------------
# Errors and warnings
# --------------------------------------------------------------------------------------------


class CatalogError(Exception):
    """Base class of the catalog's own errors (HTTP failures are ``OpenRouterError``)."""


class CatalogUnavailableError(CatalogError):
    """The catalog could not be fetched and there is no cached copy to fall back on."""


class UnknownModelError(CatalogError, LookupError):
    """No catalog model matches the id.

    Attributes:
        model_id: The id that was looked up.
        candidates: Close matches (or, for :class:`AmbiguousModelError`, every match).
    """

    def __init__(self, message: str, *, model_id: str, candidates: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.model_id = model_id
        self.candidates = list(candidates)

    def __str__(self) -> str:
        return str(self.args[0])


class AmbiguousModelError(UnknownModelError):
    """A bare model name matches several ``author/slug`` ids; ``candidates`` lists them."""


class NoModelMatchesError(CatalogError, LookupError):
    """No model satisfies the filters given to :meth:`ModelCatalog.cheapest`."""


class PriceUnknownError(CatalogError, ValueError):
    """The model lists no token prices (e.g. ``openrouter/auto``, priced by the routed model)."""


class StaleCatalogWarning(UserWarning):
    """OpenRouter could not be reached; an older cached catalog is being used."""


# --------------------------------------------------------------------------------------------
# Cache location
# --------------------------------------------------------------------------------------------


def user_cache_dir() -> Path:
    r"""The per-user cache directory for this package, following each platform's convention.

    Linux and other Unix: ``$XDG_CACHE_HOME/openrouter-frameworks`` (default ``~/.cache``);
    macOS: ``~/Library/Caches/openrouter-frameworks``; Windows:
    ``%LOCALAPPDATA%\openrouter-frameworks\Cache``.
    """
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        base = Path(local) if local else Path.home() / "AppData" / "Local"
        return base / _APP_DIR / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / _APP_DIR
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / _APP_DIR


def resolve_cache_dir(value: str | os.PathLike[str] | None = None) -> Path:
    """The cache directory: the argument, else ``$OPENROUTER_CACHE_DIR``, else the user's."""
    if value:
        return Path(value).expanduser()
    env = os.environ.get(CACHE_DIR_ENV)
    return Path(env).expanduser() if env else user_cache_dir()


# --------------------------------------------------------------------------------------------
# An immutable, indexed snapshot of the catalog (pure)
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Snapshot:
    models: tuple[ModelInfo, ...]
    fetched_at: float
    entries: list[Any]
    by_id: dict[str, ModelInfo]
    by_key: dict[str, ModelInfo]
    by_bare: dict[str, tuple[str, ...]]
    parameters: frozenset[str]


def _slug(model_id: str) -> str:
    return model_id.split("/", 1)[1] if "/" in model_id else model_id


def _build_snapshot(entries: list[Any], fetched_at: float) -> _Snapshot:
    models = tuple(info for entry in entries if (info := parse_model(entry)) is not None)
    by_id = {m.id: m for m in models}
    by_key: dict[str, ModelInfo] = {}
    bare: dict[str, list[str]] = {}
    # Base entries first, so a canonical slug shared with a ":free" variant names the base.
    for info in sorted(models, key=lambda m: m.variant is not None):
        by_key.setdefault(info.id.lower(), info)
        if info.canonical_slug:
            by_key.setdefault(info.canonical_slug.lower(), info)
        # Bare names map to base ids; a variant listed without its base (a model offered only
        # as ":free") still gives its bare name, resolved with the variant suffix.
        names = {_slug(info.base_id).lower()}
        if info.canonical_slug:
            names.add(_slug(info.canonical_slug).lower())
        for name in names:
            ids = bare.setdefault(name, [])
            if info.base_id not in ids:
                ids.append(info.base_id)
    return _Snapshot(
        models=models,
        fetched_at=fetched_at,
        entries=entries,
        by_id=by_id,
        by_key=by_key,
        by_bare={name: tuple(sorted(ids)) for name, ids in bare.items()},
        parameters=frozenset(p for m in models for p in m.supported_parameters),
    )


def _resolve(snapshot: _Snapshot, model_id: str) -> ModelInfo:
    """Find a model by id, canonical slug, variant (``:free``...) or bare name."""
    if not isinstance(model_id, str) or not model_id.strip():
        raise ValueError(f"model id must be a non-empty string, got {model_id!r}")
    key = model_id.strip()
    found = snapshot.by_id.get(key) or snapshot.by_key.get(key.lower())
    if found is not None:
        return found
    base, sep, variant = key.partition(":")
    if "/" not in base:
        ids = snapshot.by_bare.get(base.lower(), ())
        if len(ids) == 1:
            return _resolve(snapshot, ids[0] + sep + variant)
        if len(ids) > 1:
            options = [i + sep + variant for i in ids]
            raise AmbiguousModelError(
                f"{model_id!r} matches several models: {', '.join(options)}; "
                "use the full 'author/slug' id",
                model_id=model_id,
                candidates=options,
            )
    elif sep:
        parent = snapshot.by_id.get(base) or snapshot.by_key.get(base.lower())
        if parent is not None:
            exact = snapshot.by_id.get(f"{parent.id}:{variant}")
            if exact is not None:
                return exact
            # An unlisted variant is priced as its base, ``:free`` included: a free variant is
            # a model of its own in the catalog, and one that is not listed is not known to be
            # free (pricing it at zero would let the budget guard reserve nothing).
            return parent
    lowered = key.lower()
    close = [m.id for m in snapshot.models if lowered in m.id.lower()][:5]
    if not close:
        close = difflib.get_close_matches(lowered, list(snapshot.by_key), n=5, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UnknownModelError(
        f"no model {model_id!r} in the OpenRouter catalog{hint}",
        model_id=model_id,
        candidates=close,
    )


def _price_arg(name: str, value: Price | None) -> Decimal | None:
    if value is None:
        return None
    number = to_decimal(value)
    if number is None or number < 0:
        raise ValueError(f"{name} must be a non-negative number (USD per token), got {value!r}")
    return number


def _capabilities(supports: str | Iterable[str] | None, known: frozenset[str]) -> list[str]:
    if supports is None:
        return []
    names = [supports] if isinstance(supports, str) else list(supports)
    wanted: list[str] = []
    for raw in names:
        for part in str(raw).split(","):
            name = part.strip()
            if not name:
                continue
            if name not in CAPABILITIES and name not in CAPABILITY_ALIASES and name not in known:
                choices = ", ".join(CAPABILITIES)
                raise ValueError(
                    f"unknown capability {name!r}; use one of {choices}, or a request parameter "
                    "some model supports (e.g. 'seed')"
                )
            wanted.append(name)
    return wanted


def _filter(
    snapshot: _Snapshot,
    text: str | None,
    supports: str | Iterable[str] | None,
    max_prompt_price: Price | None,
    max_completion_price: Price | None,
    min_context: int | None,
    output: str | None,
    include_free: bool,
) -> list[ModelInfo]:
    wanted = _capabilities(supports, snapshot.parameters)
    max_prompt = _price_arg("max_prompt_price", max_prompt_price)
    max_completion = _price_arg("max_completion_price", max_completion_price)
    if min_context is not None and (isinstance(min_context, bool) or min_context < 0):
        raise ValueError(f"min_context must be a non-negative int, got {min_context!r}")
    words = text.lower().split() if text else []
    out: list[ModelInfo] = []
    for info in snapshot.models:
        if output and output != "all" and output not in (info.output_modalities or ("text",)):
            continue
        if words:
            haystack = f"{info.id} {info.name} {info.canonical_slug or ''}".lower()
            if not all(word in haystack for word in words):
                continue
        if any(not info.supports(name) for name in wanted):
            continue
        pricing = info.pricing
        if max_prompt is not None and (pricing.prompt is None or pricing.prompt > max_prompt):
            continue
        if max_completion is not None and (
            pricing.completion is None or pricing.completion > max_completion
        ):
            continue
        if min_context is not None and (info.context_length or 0) < min_context:
            continue
        if not include_free and info.is_free:
            continue
        out.append(info)
    return out


def _sort_key(sort: str) -> Callable[[ModelInfo], Any]:
    if sort == "price":
        return lambda m: (
            not m.pricing.known,
            m.pricing.prompt or 0,
            m.pricing.completion or 0,
            m.id,
        )
    if sort == "context":
        return lambda m: (-(m.context_length or 0), m.id)
    if sort == "name":
        return lambda m: (m.name.lower(), m.id)
    return lambda m: m.id


# --------------------------------------------------------------------------------------------
# The catalog
# --------------------------------------------------------------------------------------------


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
        if ttl < 0 or retry_interval < 0:
            raise ValueError("ttl and retry_interval must be >= 0 seconds")
        self._base_url = resolve_base_url(base_url)
        self._ttl = float(ttl)
        self._cache_dir = cache_dir
        self._disk_cache = disk_cache
        self._timeout = timeout
        self._max_retries = max_retries
        self._headers = build_headers(
            app_url=app_url, app_title=app_title, default_headers=default_headers
        )
        self._retry_interval = float(retry_interval)
        self._clock = clock
        self._config: ClientConfig | None = None
        self._snapshot: _Snapshot | None = None
        self._load_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._fetches = 0  # fetches that have ended, successfully or not
        self._failed_at: float | None = None
        self._error: BaseException | None = None
        self._disk_checked_at: float | None = None
        self._prefetching = False

    def __repr__(self) -> str:
        return f"ModelCatalog(base_url={self._base_url!r}, ttl={self._ttl:g})"

    # ------------------------------------------------------------------ state

    @property
    def base_url(self) -> str:
        """The API root the catalog is fetched from."""
        return self._base_url

    @property
    def ttl(self) -> float:
        """Seconds a fetched catalog stays fresh in memory (default one hour)."""
        return self._ttl

    @property
    def cache_path(self) -> Path | None:
        """The on-disk copy's path (``None`` when the disk cache is off)."""
        if not self._disk_cache:
            return None
        digest = hashlib.sha256(self._base_url.encode()).hexdigest()[:16]
        return resolve_cache_dir(self._cache_dir) / f"models-{digest}.json"

    @property
    def fetched_at(self) -> float | None:
        """Unix time the catalog in memory was fetched from OpenRouter (``None``: not loaded)."""
        snapshot = self._snapshot
        return snapshot.fetched_at if snapshot is not None else None

    @property
    def is_fresh(self) -> bool:
        """Whether a catalog younger than ``ttl`` is in memory."""
        snapshot = self._snapshot
        return snapshot is not None and self._clock() - snapshot.fetched_at < self._ttl

    def clear(self) -> None:
        """Forget the catalog in memory and delete the on-disk copy."""
        with self._load_lock, self._state_lock:
            self._snapshot = None
            self._failed_at = None
            self._error = None
            self._disk_checked_at = None
            path = self.cache_path
            if path is not None:
                path.unlink(missing_ok=True)

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
        return list(self._ensure(force=refresh).models)

    def refresh(self) -> list[ModelInfo]:
        """Fetch the catalog from OpenRouter now (same fallbacks as :meth:`load`)."""
        return self.load(refresh=True)

    async def aload(self, *, refresh: bool = False) -> list[ModelInfo]:
        """:meth:`load` in a worker thread, so the event loop is not blocked."""
        return await asyncio.to_thread(self.load, refresh=refresh)

    def _ensure(self, *, force: bool = False, warn: bool = True) -> _Snapshot:
        snapshot = self._snapshot
        if not force and snapshot is not None and self._age(snapshot) < self._ttl:
            return snapshot
        fetches = self._fetches
        with self._load_lock:
            snapshot = self._snapshot
            if self._fetches != fetches:
                # A fetch ended while this thread waited for the lock: share its result.
                if snapshot is not None:
                    return snapshot
                if self._error is not None:
                    raise self._unavailable(self._error)
            if not force:
                if snapshot is None:
                    snapshot = self._read_disk()
                    if snapshot is not None:
                        self._set(snapshot)
                if snapshot is not None and self._age(snapshot) < self._ttl:
                    return snapshot
                if (
                    snapshot is not None
                    and self._failed_at is not None
                    and self._clock() - self._failed_at < self._retry_interval
                ):
                    return snapshot
            return self._fetch_locked(snapshot, warn=warn)

    def prefetch(self) -> threading.Thread | None:
        """Start loading the catalog in a background thread; never blocks, never raises.

        Nothing starts when the catalog is fresh, a prefetch is already running, or the last
        fetch failed less than ``retry_interval`` ago. Framework classes call this so that
        :meth:`peek` has data for the next model built; failures are only logged.

        Returns:
            The started (daemon) thread, or ``None``.
        """
        if self.is_fresh or (
            self._failed_at is not None and self._clock() - self._failed_at < self._retry_interval
        ):
            return None
        with self._state_lock:
            if self._prefetching:
                return None
            self._prefetching = True

        def run() -> None:
            try:
                self._ensure(warn=False)
            except Exception as exc:  # a background prefetch only logs
                logger.info("background catalog prefetch from %s failed: %s", self._base_url, exc)
            finally:
                self._prefetching = False

        thread = threading.Thread(target=run, name="openrouter-catalog-prefetch", daemon=True)
        thread.start()
        return thread

    def _age(self, snapshot: _Snapshot) -> float:
        return self._clock() - snapshot.fetched_at

    def _fetch_locked(self, stale: _Snapshot | None, *, warn: bool) -> _Snapshot:
        from openrouter_core.errors import OpenRouterError

        try:
            entries = self._download()
        except OpenRouterError as exc:
            self._fetches += 1
            self._failed_at = self._clock()
            self._error = exc
            if stale is None:
                raise self._unavailable(exc) from exc
            age = max(0.0, self._age(stale))
            message = (
                f"could not refresh the OpenRouter model catalog from {self._base_url} ({exc}); "
                f"using the cached copy from {_describe_age(age)} ago"
            )
            logger.warning(message)
            if warn:
                warnings.warn(message, StaleCatalogWarning, stacklevel=4)
            return stale
        self._fetches += 1
        snapshot = _build_snapshot(entries, self._clock())
        self._failed_at = None
        self._error = None
        self._set(snapshot)
        self._write_disk(snapshot)
        return snapshot

    def _unavailable(self, cause: BaseException | None) -> CatalogUnavailableError:
        where = self.cache_path
        cached = f"no cached copy at {where}" if where is not None else "the disk cache is off"
        error = CatalogUnavailableError(
            f"the OpenRouter model catalog is unavailable: fetching {self._base_url}/models "
            f"failed ({cause}) and there is {cached}. Check the network and the base URL, or "
            f"set {CACHE_DIR_ENV} to a directory holding a cached catalog."
        )
        error.__cause__ = cause
        return error

    def _set(self, snapshot: _Snapshot) -> None:
        with self._state_lock:
            self._snapshot = snapshot

    def _client_config(self) -> ClientConfig:
        if self._config is None:
            from openrouter_core.client import ClientConfig

            self._config = ClientConfig(
                api_key=_PUBLIC_KEY,
                base_url=self._base_url,
                timeout=self._timeout,
                max_retries=self._max_retries,
                headers=tuple(sorted(self._headers.items())),
            )
        return self._config

    def _get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """GET a public endpoint through the shared client, without an Authorization header."""
        import openai

        from openrouter_core.client import get_client
        from openrouter_core.errors import ProviderError, map_errors

        client = get_client(self._client_config())
        # Public endpoints need no key: the SDK's Authorization header is removed (openai.Omit
        # deletes a default header for one request, in both SDK majors).
        options: openai.RequestOptions = {"headers": {"Authorization": openai.Omit()}}
        if params:
            options["params"] = dict(params)
        with map_errors(None):
            raw = client.get(path, cast_to=bytes, options=options)
        try:
            return _json.loads(raw)
        except _json.JSONDecodeError as exc:
            snippet = raw[:120].decode("utf-8", "replace").strip()
            raise ProviderError(f"GET {path} did not return JSON: {snippet!r}") from exc

    def _download(self) -> list[Any]:
        from openrouter_core.errors import ProviderError

        data = self._get("/models", {"output_modalities": "all"})
        entries = data.get("data") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise ProviderError("GET /models did not return {'data': [...]}")
        return entries

    # ------------------------------------------------------------------ disk

    def _read_disk(self) -> _Snapshot | None:
        path = self.cache_path
        if path is None:
            return None
        try:
            stored = _json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, _json.JSONDecodeError) as exc:
            logger.warning("ignoring the unreadable catalog cache %s: %s", path, exc)
            return None
        if (
            not isinstance(stored, dict)
            or stored.get("format") != _CACHE_FORMAT
            or stored.get("base_url") != self._base_url
            or not isinstance(stored.get("fetched_at"), int | float)
            or not isinstance(stored.get("data"), list)
        ):
            logger.warning("ignoring the catalog cache %s: unexpected content", path)
            return None
        return _build_snapshot(stored["data"], float(stored["fetched_at"]))

    def _write_disk(self, snapshot: _Snapshot) -> None:
        path = self.cache_path
        if path is None:
            return
        payload = {
            "format": _CACHE_FORMAT,
            "base_url": self._base_url,
            "fetched_at": snapshot.fetched_at,
            "data": snapshot.entries,
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename, so a concurrent reader (another process) never sees half a file.
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".models-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(_json.dumps(payload))
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            logger.warning("could not write the catalog cache %s: %s", path, exc)

    # ------------------------------------------------------------------ non-blocking access

    def peek(self, model_id: str) -> ModelInfo | None:
        """Look a model up without any network I/O; ``None`` when it is not at hand.

        Memory is consulted first, then the disk copy (even a stale one); an unknown or
        ambiguous id also gives ``None``. This is what framework classes use for metadata;
        it never raises for a missing or unreachable catalog.
        """
        snapshot = self._snapshot or self._peek_disk()
        if snapshot is None:
            return None
        try:
            return _resolve(snapshot, model_id)
        except (UnknownModelError, ValueError):
            return None

    def _peek_disk(self) -> _Snapshot | None:
        now = self._clock()
        with self._state_lock:
            if self._snapshot is not None:
                return self._snapshot
            checked = self._disk_checked_at
            if checked is not None and now - checked < self._retry_interval:
                return None
            self._disk_checked_at = now
        snapshot = self._read_disk()
        if snapshot is None:
            return None
        with self._state_lock:
            if self._snapshot is None:
                self._snapshot = snapshot
            return self._snapshot

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
            UnknownModelError: No model matches (``candidates`` holds close matches).
            CatalogUnavailableError: The catalog cannot be loaded.
            ValueError: ``model_id`` is empty.
        """
        snapshot = self._ensure()
        try:
            return _resolve(snapshot, model_id)
        except AmbiguousModelError:
            raise
        except UnknownModelError:
            if self._age(snapshot) < self._retry_interval:
                raise
            newer = self._ensure(force=True, warn=False)
            if newer is snapshot:
                raise
            return _resolve(newer, model_id)

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
            sort: ``"id"``, ``"name"``, ``"price"`` (input then output price, cheapest first)
                or ``"context"`` (largest first).

        Raises:
            ValueError: An unknown capability or sort, or a negative price or context.
        """
        if sort not in _SORTS:
            raise ValueError(f"unknown sort {sort!r}; use one of {', '.join(_SORTS)}")
        snapshot = self._ensure()
        found = _filter(
            snapshot,
            text,
            supports,
            max_prompt_price,
            max_completion_price,
            min_context,
            output,
            include_free,
        )
        return sorted(found, key=_sort_key(sort))

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
        input_tokens: int = 3000,
        output_tokens: int = 1000,
        cached_tokens: int = 0,
        reasoning_tokens: int = 0,
    ) -> ModelInfo:
        """The model with the lowest estimated cost for a token mix, among those matching.

        Filters are those of :meth:`search`; the token mix (default 3,000 input and 1,000
        output tokens per call) is priced with :meth:`ModelPricing.cost`. Models without
        listed prices are skipped; ties go to the larger context window.

        Raises:
            NoModelMatchesError: No priced model matches the filters.
            ValueError: Invalid filters or token counts.
        """
        check_token_counts(input_tokens, output_tokens, cached_tokens, reasoning_tokens, 0)
        candidates = [
            info
            for info in self.search(
                text,
                supports=supports,
                max_prompt_price=max_prompt_price,
                max_completion_price=max_completion_price,
                min_context=min_context,
                output=output,
                include_free=include_free,
            )
            if info.pricing.known
        ]
        if not candidates:
            raise NoModelMatchesError(
                "no priced model matches "
                + _describe_filters(
                    text=text,
                    supports=supports,
                    max_prompt_price=max_prompt_price,
                    max_completion_price=max_completion_price,
                    min_context=min_context,
                    output=output,
                    include_free=include_free,
                )
            )

        def rank(info: ModelInfo) -> tuple[Decimal, int, str]:
            cost = info.pricing.cost(input_tokens, output_tokens, cached_tokens, reasoning_tokens)
            return cost, -(info.context_length or 0), info.id

        return min(candidates, key=rank)

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
            UnknownModelError: No such model.
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
            UnknownModelError: No such model.
            OpenRouterError: The request failed.
        """
        from openrouter_core.errors import ProviderError

        info = self.get(model_id)
        path = f"/models/{urllib.parse.quote(info.id, safe='/:')}/endpoints"
        data = self._get(path)
        try:
            return parse_endpoints(data)
        except ValueError as exc:
            raise ProviderError(f"GET {path}: {exc}", model=info.id) from exc


def _describe_age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def _describe_filters(**filters: Any) -> str:
    shown = [
        f"{k}={v!r}"
        for k, v in filters.items()
        if v is not None and not (k == "output" and v == "text") and v is not True
    ]
    return "(" + ", ".join(shown) + ")" if shown else "(no filters)"


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


PREFETCH_ENV = "OPENROUTER_CATALOG_PREFETCH"
"""Set to ``0`` to stop framework classes from loading the catalog in the background."""


def catalog_info(
    base_url: str | None, model_id: str | None, *, prefetch: bool = False
) -> ModelInfo | None:
    """What the framework classes use for metadata: a model's entry if it is at hand.

    Never does network I/O on the calling thread and never raises. When the entry is not at
    hand and ``prefetch`` is set, the shared catalog for ``base_url`` starts loading in a
    background thread (unless ``OPENROUTER_CATALOG_PREFETCH=0``), so later lookups find it;
    it is also kept on disk, so the next process finds it at once.

    Args:
        base_url: The API root the model is called through (``None`` = the default).
        model_id: The model id as the user gave it.
        prefetch: Whether a miss may start a background load.
    """
    if not model_id:
        return None
    try:
        catalog = default_catalog(base_url)
        info = catalog.peek(model_id)
        if (
            info is None
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
