"""Regenerate the catalog snapshot (openrouter_core/catalog/models_snapshot.json).

``make refresh-catalog`` runs this with no arguments: it fetches ``GET /models`` (every output
modality; a public endpoint, no key is sent) from ``$OPENROUTER_BASE_URL`` or the public API,
and writes the snapshot dated today. That needs the network.

``--from FILE`` reads saved ``/models`` responses instead (newest first; a model only an older
one lists is kept, as it was listed then), e.g. the real responses in
``../shared/openrouter-wire/models_list_*.response.json``. ``--date`` sets the snapshot's date
(default: today, UTC) and ``--out`` another output path.

Usage:
    python scripts/refresh_catalog.py [--from FILE ...] [--date YYYY-MM-DD] [--out PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from openrouter_core.catalog.snapshot import SNAPSHOT_PATH, build_snapshot, write_snapshot
from openrouter_core.settings import resolve_base_url


def _fetch(base_url: str) -> Any:
    from openrouter_core.catalog.store import CatalogStore

    store = CatalogStore(base_url=base_url, headers={}, disk_cache=False, timeout=60.0)
    return store.get_json("/models", {"output_modalities": "all"})


def main(argv: list[str] | None = None) -> int:
    """Write the snapshot; print what was written. Returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="sources", nargs="+", type=Path, default=[])
    parser.add_argument("--date", default=None, help="the snapshot's date (default: today, UTC)")
    parser.add_argument("--out", type=Path, default=SNAPSHOT_PATH)
    args = parser.parse_args(argv)
    date = args.date or dt.datetime.now(dt.timezone.utc).date().isoformat()
    if args.sources:
        bodies = [json.loads(path.read_text(encoding="utf-8")) for path in args.sources]
        source = "GET /models responses saved in " + ", ".join(p.name for p in args.sources)
    else:
        base_url = resolve_base_url(None)
        try:
            bodies = [_fetch(base_url)]
        except Exception as exc:  # report, do not leave a half-written snapshot
            print(f"refresh-catalog: cannot fetch {base_url}/models: {exc}", file=sys.stderr)
            return 1
        source = f"GET {base_url}/models?output_modalities=all"
    try:
        snapshot = build_snapshot(bodies, date=date, source=source)
    except ValueError as exc:
        print(f"refresh-catalog: {exc}", file=sys.stderr)
        return 1
    path = write_snapshot(snapshot, args.out)
    print(f"wrote {len(snapshot.models)} models dated {snapshot.date} to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
