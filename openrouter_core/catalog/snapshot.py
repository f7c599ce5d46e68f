"""The dated catalog snapshot shipped with the package: OpenRouter's model list, offline.

``models_snapshot.json`` (beside this module) holds a ``GET /models`` model list as of a stated
date. It is the catalog's last fallback when OpenRouter cannot be reached and nothing is cached
(:class:`~openrouter_core.catalog.store.CatalogStore` uses it with a
:class:`~openrouter_core.catalog.StaleCatalogWarning` naming its date), and it is what the local
emulator serves by default, so the catalog never lists a model the emulator rejects.
``make refresh-catalog`` (``scripts/refresh_catalog.py``) rewrites it from a live ``/models``
response with :func:`build_snapshot` and :func:`write_snapshot`.

The file is JSON, one model per line so a refresh reads as a diff::

    {"date": "2026-11-09", "source": "...", "count": 681, "data": [
    {"id": "...", ...},
    ...
    ]}
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "SNAPSHOT_PATH",
    "CatalogSnapshot",
    "build_snapshot",
    "bundled_snapshot",
    "normalize_model",
    "read_snapshot",
    "write_snapshot",
]

SNAPSHOT_PATH = Path(__file__).with_name("models_snapshot.json")
"""The snapshot shipped with the package."""

# The model fields a snapshot keeps, in the order OpenRouter sends them; anything else
# (benchmarks...) is dropped to keep the file small.
_FIELDS = (
    "id",
    "canonical_slug",
    "hugging_face_id",
    "name",
    "created",
    "description",
    "context_length",
    "architecture",
    "pricing",
    "top_provider",
    "per_request_limits",
    "supported_parameters",
    "default_parameters",
    "supported_voices",
    "knowledge_cutoff",
    "expiration_date",
    "reasoning",
    "links",
)
_MAX_DESCRIPTION = 240


@dataclasses.dataclass(frozen=True)
class CatalogSnapshot:
    """A model list as of a date.

    Attributes:
        date: The day the list was taken (ISO ``YYYY-MM-DD``).
        source: Where it came from.
        models: The model objects, in the ``GET /models`` schema.
    """

    date: str
    source: str
    models: tuple[Mapping[str, Any], ...]

    @property
    def taken_at(self) -> float:
        """The snapshot's date as a Unix time (midnight UTC)."""
        day = dt.date.fromisoformat(self.date)
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp()

    def entries(self) -> list[dict[str, Any]]:
        """Deep copies of the model objects (safe to change)."""
        return [copy.deepcopy(dict(model)) for model in self.models]

    def ids(self) -> frozenset[str]:
        """Every model id listed."""
        return frozenset(str(model["id"]) for model in self.models)


def _short(text: Any) -> str:
    flat = " ".join(str(text or "").split())
    if len(flat) <= _MAX_DESCRIPTION:
        return flat
    return flat[: _MAX_DESCRIPTION - 3].rstrip() + "..."


def normalize_model(entry: Mapping[str, Any]) -> dict[str, Any] | None:
    """Keep the fields of one ``/models`` entry that a snapshot stores.

    Args:
        entry: A model object as OpenRouter sends it.

    Returns:
        The kept fields (the description cut to 240 characters), or ``None`` for an entry
        without a string ``id``.
    """
    model_id = entry.get("id")
    if not isinstance(model_id, str) or not model_id:
        return None
    kept = {key: copy.deepcopy(entry[key]) for key in _FIELDS if key in entry}
    if "description" in kept:
        kept["description"] = _short(kept["description"])
    return kept


def build_snapshot(
    responses: Iterable[Any], *, date: str | dt.date, source: str
) -> CatalogSnapshot:
    """Make a snapshot from ``GET /models`` responses, newest first.

    A model listed in several responses is taken from the first that lists it, so an older
    response only adds the models the newer ones no longer list.

    Args:
        responses: ``{"data": [...]}`` bodies (or bare lists of models), newest first.
        date: The day of the newest response.
        source: Where the responses came from (kept in the file).

    Returns:
        The snapshot, models sorted by id.

    Raises:
        ValueError: A response is not a model list, or no model was found.
    """
    models: dict[str, dict[str, Any]] = {}
    for body in responses:
        data = body.get("data") if isinstance(body, Mapping) else body
        if not isinstance(data, list):
            raise ValueError("expected a GET /models body: {'data': [...]}")
        for entry in data:
            kept = normalize_model(entry) if isinstance(entry, Mapping) else None
            if kept is not None:
                models.setdefault(kept["id"], kept)
    if not models:
        raise ValueError("the responses list no models")
    day = date if isinstance(date, str) else date.isoformat()
    dt.date.fromisoformat(day)  # a valid ISO day, or ValueError
    ordered = tuple(models[key] for key in sorted(models))
    return CatalogSnapshot(date=day, source=source, models=ordered)


def write_snapshot(snapshot: CatalogSnapshot, path: str | Path = SNAPSHOT_PATH) -> Path:
    """Write a snapshot as JSON, one model per line.

    Returns:
        The path written.
    """
    head = json.dumps(
        {"date": snapshot.date, "source": snapshot.source, "count": len(snapshot.models)},
        ensure_ascii=False,
    )
    lines = [json.dumps(m, ensure_ascii=False, separators=(",", ":")) for m in snapshot.models]
    text = head[:-1] + ', "data": [\n' + ",\n".join(lines) + "\n]}\n"
    target = Path(path)
    target.write_text(text, encoding="utf-8")
    return target


def read_snapshot(path: str | Path) -> CatalogSnapshot:
    """Read a snapshot file.

    Raises:
        ValueError: The file is not a snapshot (no date, no model list).
        OSError: It cannot be read.
    """
    stored = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(stored, dict) or not isinstance(stored.get("data"), list):
        raise ValueError(f"{path} is not a catalog snapshot")
    date = stored.get("date")
    if not isinstance(date, str):
        raise ValueError(f"{path} has no date")
    dt.date.fromisoformat(date)
    return CatalogSnapshot(
        date=date, source=str(stored.get("source") or ""), models=tuple(stored["data"])
    )


@functools.lru_cache(maxsize=1)
def bundled_snapshot() -> CatalogSnapshot:
    """The snapshot shipped with the package (read once, then shared; do not change it)."""
    return read_snapshot(SNAPSHOT_PATH)
