"""Where the notebooks' OpenRouter calls go; run by the hidden first cell of each notebook.

- ``OPENROUTER_API_KEY`` is set: nothing changes. The notebook calls OpenRouter (or your
  ``OPENROUTER_BASE_URL``) with your key, like any program.
- No key: every call is answered from ``cassettes/notebooks/<notebook>.yaml``, traffic recorded
  from the local OpenRouter emulator. Nothing leaves the machine. A request that is not in the
  cassette (a cell you edited) is answered by a live local emulator instead, and the notebook
  says so once; the cassette is never changed. With ``OPENROUTER_NOTEBOOK_STRICT=1`` (what
  ``make notebooks`` sets) such a request fails instead, so a stale cassette is noticed.
- ``OPENROUTER_NOTEBOOK_RECORD=1``: a fresh local emulator answers and every exchange is recorded
  into that cassette (:func:`finish` writes it). ``make record-notebooks`` runs
  ``python notebooks/_offline.py``, which does this for every notebook and saves each one with
  its outputs.

Offline, the model catalog's disk cache is a temporary directory and its background prefetch is
off, so a notebook sends the same requests in the same order every time.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CASSETTES = HERE.parent / "cassettes" / "notebooks"
RECORD_ENV = "OPENROUTER_NOTEBOOK_RECORD"
STRICT_ENV = "OPENROUTER_NOTEBOOK_STRICT"
REDACTED = "REDACTED"
# Nothing listens on port 9 of the loopback interface: in strict replay, a request missing from
# the cassette fails.
_REPLAY_URL = "http://127.0.0.1:9/api/v1"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_open: list[Any] = []  # what finish() closes: the cassette context, the emulator


def _body(request: Any) -> Any:
    raw = request.body
    if not raw:
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    text = _UUID.sub("<uuid>", text)  # LangChain makes uuid4 ids for some messages
    try:
        return json.loads(text)
    except ValueError:
        return text


def _same_body(r1: Any, r2: Any) -> None:
    if _body(r1) != _body(r2):
        raise AssertionError("request bodies differ")


def _scrub_request(request: Any) -> Any:
    for name in list(request.headers):
        if name.lower().startswith("x-stainless-") or name.lower() in ("cookie", "user-agent"):
            del request.headers[name]
    return request


_told: list[bool] = []


def _tell_once(response: Any) -> Any:
    """Say, the first time only, that a request missing from the cassette went to the emulator."""
    if not _told:
        _told.append(True)
        print(
            "(This request is not in the cassette: a live local OpenRouter emulator answers it, "
            "and the cassette is left unchanged.)"
        )
    return response


def _cassette(name: str, record_mode: str, *, live_fallback: bool = False) -> Any:
    import vcr
    from vcr.persisters.filesystem import FilesystemPersister

    class _ReadOnly(FilesystemPersister):
        """Replays the cassette; what the emulator answered live is never written to it."""

        @staticmethod
        def save_cassette(cassette_path: Any, cassette_dict: Any, serializer: Any) -> None:
            return None

    recorder = vcr.VCR(
        record_mode=record_mode,
        match_on=["method", "path", "query", "json_body"],
        filter_headers=[("authorization", REDACTED)],
        before_record_request=_scrub_request,
        before_record_response=_tell_once if live_fallback else None,
        decode_compressed_response=True,
    )
    recorder.register_matcher("json_body", _same_body)
    if live_fallback:
        recorder.register_persister(_ReadOnly)
    return recorder.use_cassette(str(CASSETTES / f"{name}.yaml"))


def setup(name: str) -> None:
    """Send the notebook's calls to OpenRouter, to its cassette, or to a recorded emulator.

    Args:
        name: The notebook's file name without ``.ipynb`` (and its cassette's).
    """
    record = os.environ.get(RECORD_ENV) == "1"
    if os.environ.get("OPENROUTER_API_KEY") and not record:
        return
    cache = tempfile.mkdtemp(prefix="openrouter-notebook-")
    atexit.register(shutil.rmtree, cache, ignore_errors=True)
    os.environ["OPENROUTER_CACHE_DIR"] = cache
    os.environ["OPENROUTER_CATALOG_PREFETCH"] = "0"
    strict = os.environ.get(STRICT_ENV) == "1"
    if record or not strict:
        from openrouter_core.testing import OpenRouterEmulator

        emulator = OpenRouterEmulator().start()
        _open.append(emulator)
        base_url = emulator.base_url
    if record:
        key = "emulator-key"
        CASSETTES.mkdir(parents=True, exist_ok=True)
        (CASSETTES / f"{name}.yaml").unlink(missing_ok=True)
        context = _cassette(name, "all")
    elif strict:
        base_url, key = _REPLAY_URL, "replay-key"
        context = _cassette(name, "none")
    else:
        key = "replay-key"
        context = _cassette(name, "new_episodes", live_fallback=True)
    context.__enter__()
    _open.append(context)
    os.environ["OPENROUTER_API_KEY"] = key
    os.environ["OPENROUTER_BASE_URL"] = base_url
    # What a reader of the saved notebook sees is a replay, so a recording says the same.
    print(
        "No OPENROUTER_API_KEY: this notebook replays responses recorded from the local "
        f"OpenRouter emulator (cassettes/notebooks/{name}.yaml). Set the key to call OpenRouter."
    )


def finish() -> None:
    """Write the cassette being recorded and stop the emulator (a no-op otherwise)."""
    while _open:
        item = _open.pop()
        if hasattr(item, "__exit__"):
            item.__exit__(None, None, None)
        else:
            item.stop()


def _merge_streams(outputs: list[Any]) -> list[Any]:
    """Join consecutive pieces of one stream, as Jupyter shows them (a streamed answer)."""
    merged: list[Any] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and output.output_type == previous.output_type == "stream"
            and output.name == previous.name
        ):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def record(paths: list[Path]) -> None:
    """Run each notebook against a fresh emulator, recording its cassette and saving outputs."""
    import nbformat
    from nbclient import NotebookClient

    for key in [k for k in os.environ if k.startswith("OPENROUTER_")]:
        del os.environ[key]
    os.environ[RECORD_ENV] = "1"
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        notebook.cells.append(nbformat.v4.new_code_cell("import _offline\n_offline.finish()"))
        NotebookClient(notebook, timeout=300, kernel_name="python3", record_timing=False).execute(
            cwd=str(path.parent)
        )
        notebook.cells.pop()
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs = _merge_streams(cell.outputs)
        nbformat.write(notebook, path)
        print(f"recorded {path.name} -> cassettes/notebooks/{path.stem}.yaml")


if __name__ == "__main__":
    names = sys.argv[1:]
    record([HERE / f"{n}.ipynb" for n in names] if names else sorted(HERE.glob("*.ipynb")))
