"""Where the catalog's model list comes from and how long it is kept.

:class:`CatalogStore` fetches ``GET /models`` (every output modality, no API key sent) through
the shared ``openai`` client, keeps it in memory for ``ttl`` seconds and on disk under the user
cache directory (:func:`resolve_cache_dir`), so a restart does not refetch. When OpenRouter
cannot be reached, a stale copy is used with a :class:`StaleCatalogWarning`; with no copy at
all, the dated snapshot shipped with the package (:mod:`~openrouter_core.catalog.snapshot`) is
the last fallback for OpenRouter's own API, with a warning naming its date; for another base
URL (a proxy, the emulator), :class:`CatalogUnavailableError` says so. Concurrent callers share
one fetch, and
:meth:`CatalogStore.prefetch` loads in a background thread. The ``openai`` SDK is imported at
the first request, not with this module.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openrouter_core import _json
from openrouter_core.catalog.errors import CatalogUnavailableError, StaleCatalogWarning
from openrouter_core.catalog.info import parse_models
from openrouter_core.catalog.query import ModelIndex
from openrouter_core.catalog.snapshot import bundled_snapshot

if TYPE_CHECKING:
    from openrouter_core.client import ClientConfig

__all__ = [
    "CACHE_DIR_ENV",
    "DEFAULT_TTL",
    "CatalogStore",
    "Snapshot",
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
# The store
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """One fetched catalog: the indexed models, the entries as received, and when.

    Attributes:
        index: The parsed models, indexed for lookup.
        entries: The ``data`` list exactly as OpenRouter sent it (what the disk copy keeps).
        fetched_at: Unix time it was fetched from OpenRouter.
    """

    index: ModelIndex
    entries: list[Any]
    fetched_at: float

    @classmethod
    def of(cls, entries: list[Any], fetched_at: float) -> Snapshot:
        """Parse and index the entries (bad ones are skipped)."""
        return cls(ModelIndex.of(parse_models(entries)), entries, fetched_at)


class CatalogStore:
    """The catalog's data for one base URL: fetched, cached in memory and on disk.

    Args:
        base_url: The resolved API root.
        headers: Attribution and extra headers for every request.
        ttl: Seconds a fetched catalog stays fresh.
        cache_dir: Directory of the on-disk copy (``None``: see :func:`resolve_cache_dir`).
        disk_cache: ``False`` keeps the catalog in memory only.
        timeout: Seconds to wait for OpenRouter.
        max_retries: Retries the SDK makes on connection errors, 429 and 5xx.
        retry_interval: After a failed fetch, seconds to keep serving the stale copy before
            trying again (and to wait before checking the disk again in :meth:`peek`).
        clock: Source of the current Unix time.
        snapshot_fallback: Fall back on the package's dated snapshot when a fetch fails and
            nothing is cached. ``None`` (the default): only for OpenRouter's own API, whose
            catalog the snapshot is.
    """

    def __init__(
        self,
        *,
        base_url: str,
        headers: Mapping[str, str],
        ttl: float = DEFAULT_TTL,
        cache_dir: str | os.PathLike[str] | None = None,
        disk_cache: bool = True,
        timeout: float | None = 30.0,
        max_retries: int = 2,
        retry_interval: float = 60.0,
        clock: Callable[[], float] = time.time,
        snapshot_fallback: bool | None = None,
    ) -> None:
        if ttl < 0 or retry_interval < 0:
            raise ValueError("ttl and retry_interval must be >= 0 seconds")
        self._base_url = base_url
        self._headers = dict(headers)
        self._ttl = float(ttl)
        self._cache_dir = cache_dir
        self._disk_cache = disk_cache
        self._timeout = timeout
        self._max_retries = max_retries
        self._retry_interval = float(retry_interval)
        self._clock = clock
        if snapshot_fallback is None:
            from openrouter_core.settings import DEFAULT_BASE_URL

            snapshot_fallback = base_url.rstrip("/") == DEFAULT_BASE_URL
        self._snapshot_fallback = snapshot_fallback
        self._shipped: Snapshot | None = None
        self._config: ClientConfig | None = None
        self._snapshot: Snapshot | None = None
        self._load_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._fetches = 0  # fetches that have ended, successfully or not
        self._failed_at: float | None = None
        self._error: BaseException | None = None
        self._disk_checked_at: float | None = None
        self._prefetching = False

    # ------------------------------------------------------------------ state

    @property
    def base_url(self) -> str:
        """The API root the catalog is fetched from."""
        return self._base_url

    @property
    def ttl(self) -> float:
        """Seconds a fetched catalog stays fresh in memory."""
        return self._ttl

    @property
    def retry_interval(self) -> float:
        """Seconds between attempts after a failed fetch."""
        return self._retry_interval

    @property
    def cache_path(self) -> Path | None:
        """The on-disk copy's path (``None`` when the disk cache is off)."""
        if not self._disk_cache:
            return None
        digest = hashlib.sha256(self._base_url.encode()).hexdigest()[:16]
        return resolve_cache_dir(self._cache_dir) / f"models-{digest}.json"

    @property
    def snapshot(self) -> Snapshot | None:
        """The catalog in memory, fresh or not (``None``: not loaded)."""
        return self._snapshot

    @property
    def is_fresh(self) -> bool:
        """Whether a catalog younger than ``ttl`` is in memory."""
        snapshot = self._snapshot
        return snapshot is not None and self.age(snapshot) < self._ttl

    def age(self, snapshot: Snapshot) -> float:
        """Seconds since the snapshot was fetched."""
        return self._clock() - snapshot.fetched_at

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

    def ensure(self, *, force: bool = False, warn: bool = True) -> Snapshot:
        """A catalog younger than ``ttl``: from memory, else disk, else OpenRouter.

        Args:
            force: Fetch from OpenRouter even if the cached catalog is fresh.
            warn: Whether falling back on a stale copy warns (it is always logged).

        Raises:
            CatalogUnavailableError: The fetch failed, nothing is cached and there is no
                snapshot fallback.

        Warns:
            StaleCatalogWarning: The fetch failed; an older copy (or the shipped snapshot) is
                returned.
        """
        snapshot = self._snapshot
        if not force and snapshot is not None and self.age(snapshot) < self._ttl:
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
                if snapshot is not None and self.age(snapshot) < self._ttl:
                    return snapshot
                if (
                    snapshot is not None
                    and self._failed_at is not None
                    and self._clock() - self._failed_at < self._retry_interval
                ):
                    return snapshot
            return self._fetch_locked(snapshot, warn=warn)

    def peek(self) -> Snapshot | None:
        """The catalog in memory, else the disk copy (even a stale one); never the network.

        A missing disk copy is looked for again only after ``retry_interval`` seconds. For
        OpenRouter's own API with neither, the snapshot shipped with the package answers (it is
        not kept as the catalog: the next load still fetches).
        """
        snapshot = self._snapshot
        if snapshot is not None:
            return snapshot
        snapshot = self._peek_cached()
        if snapshot is None and self._snapshot_fallback:
            return self._shipped_snapshot()
        return snapshot

    def _peek_cached(self) -> Snapshot | None:
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

    def prefetch(self) -> threading.Thread | None:
        """Start loading the catalog in a background thread; never blocks, never raises.

        Nothing starts when the catalog is fresh, a prefetch is already running, or the last
        fetch failed less than ``retry_interval`` ago; failures are only logged.

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
                self.ensure(warn=False)
            except Exception as exc:  # a background prefetch only logs
                logger.info("background catalog prefetch from %s failed: %s", self._base_url, exc)
            finally:
                self._prefetching = False

        thread = threading.Thread(target=run, name="openrouter-catalog-prefetch", daemon=True)
        thread.start()
        return thread

    def _fetch_locked(self, stale: Snapshot | None, *, warn: bool) -> Snapshot:
        from openrouter_core.errors import OpenRouterError

        try:
            entries = self._download()
        except OpenRouterError as exc:
            self._fetches += 1
            self._failed_at = self._clock()
            self._error = exc
            if stale is None:
                if not self._snapshot_fallback:
                    raise self._unavailable(exc) from exc
                stale = self._shipped_snapshot()
                self._set(stale)
            age = max(0.0, self.age(stale))
            copy = (
                f"the snapshot shipped with the package, dated {bundled_snapshot().date}"
                if stale is self._shipped
                else f"the cached copy from {_describe_age(age)} ago"
            )
            message = (
                f"could not refresh the OpenRouter model catalog from {self._base_url} ({exc}); "
                f"using {copy}"
            )
            logger.warning(message)
            if warn:
                # 4: past this method and ensure(), to the caller of the ModelCatalog method.
                warnings.warn(message, StaleCatalogWarning, stacklevel=4)
            return stale
        self._fetches += 1
        snapshot = Snapshot.of(entries, self._clock())
        self._failed_at = None
        self._error = None
        self._set(snapshot)
        self._write_disk(snapshot)
        return snapshot

    def _shipped_snapshot(self) -> Snapshot:
        """The snapshot shipped with the package, read once per store."""
        with self._state_lock:
            if self._shipped is None:
                shipped = bundled_snapshot()
                self._shipped = Snapshot.of(shipped.entries(), shipped.taken_at)
            return self._shipped

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

    def _set(self, snapshot: Snapshot) -> None:
        with self._state_lock:
            self._snapshot = snapshot

    # ------------------------------------------------------------------ network

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

    def get_json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """GET a public endpoint through the shared client, without an Authorization header.

        Raises:
            OpenRouterError: The request failed, or the body is not JSON (``ProviderError``).
        """
        import openai

        from openrouter_core.client import get_client
        from openrouter_core.error_mapping import map_errors
        from openrouter_core.errors import ProviderError

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

        data = self.get_json("/models", {"output_modalities": "all"})
        entries = data.get("data") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise ProviderError("GET /models did not return {'data': [...]}")
        return entries

    # ------------------------------------------------------------------ disk

    def _read_disk(self) -> Snapshot | None:
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
        return Snapshot.of(stored["data"], float(stored["fetched_at"]))

    def _write_disk(self, snapshot: Snapshot) -> None:
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


def _describe_age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"
