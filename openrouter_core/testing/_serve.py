"""``python -m openrouter_core.testing serve``: the emulator in the foreground, from a shell.

It prints the base URL and a one-line ``export OPENROUTER_BASE_URL=...`` and serves until
Ctrl-C (or SIGTERM), then stops cleanly. ``--catalog FILE`` serves another model list (a
``GET /models`` body or a catalog snapshot) and ``--replies FILE`` queues scripted replies
from a JSON list, each ``{"reply": KIND, ...the arguments of replies.KIND}`` with optional
``"times"`` and ``"endpoint"`` (``"chat"`` or ``"embeddings"``)::

    [
        {"reply": "text", "content": "Hello from the script"},
        {"reply": "error", "status": 429, "message": "Rate limited", "times": 2},
        {"reply": "stall", "seconds": 1, "then": {"reply": "text", "content": "late"}},
    ]
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from openrouter_core.testing import replies as _replies
from openrouter_core.testing._emulator import OpenRouterEmulator

__all__ = ["load_catalog", "load_replies", "main", "reply_from_spec"]

_KINDS: dict[str, Callable[..., _replies.Reply]] = {
    "text": _replies.text,
    "tool_calls": _replies.tool_calls,
    "error": _replies.error,
    "error_in_200": _replies.error_in_200,
    "midstream_error": _replies.midstream_error,
    "drop_connection": _replies.drop_connection,
    "stall": _replies.stall,
}


def reply_from_spec(spec: Mapping[str, Any]) -> _replies.Reply:
    """Build one reply from ``{"reply": KIND, ...arguments}`` (``then`` nests another spec).

    Raises:
        ValueError: Unknown kind or arguments that kind does not take.
    """
    arguments = {k: v for k, v in spec.items() if k not in {"reply", "times", "endpoint"}}
    kind = spec.get("reply")
    factory = _KINDS.get(str(kind))
    if factory is None:
        raise ValueError(f"unknown reply kind {kind!r}; use one of {', '.join(_KINDS)}")
    if isinstance(arguments.get("then"), Mapping):
        arguments["then"] = reply_from_spec(arguments["then"])
    try:
        reply: _replies.Reply = factory(**arguments)
    except TypeError as exc:
        raise ValueError(f"reply {kind!r}: {exc}") from exc
    return reply


def load_replies(path: str | Path) -> list[tuple[_replies.Reply, int, str]]:
    """Read a replies file: ``(reply, times, endpoint)`` per entry, in order.

    Raises:
        ValueError: The file is not a JSON list of reply specs.
    """
    specs = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(specs, list) or not all(isinstance(s, Mapping) for s in specs):
        raise ValueError(f"{path}: expected a JSON list of {{'reply': KIND, ...}} objects")
    return [
        (reply_from_spec(spec), int(spec.get("times", 1)), str(spec.get("endpoint", "chat")))
        for spec in specs
    ]


def load_catalog(path: str | Path) -> list[Any]:
    """Read a model list: a ``GET /models`` body (or a snapshot file), or a bare JSON list.

    Raises:
        ValueError: No model list in the file.
    """
    stored = json.loads(Path(path).read_text(encoding="utf-8"))
    data = stored.get("data") if isinstance(stored, Mapping) else stored
    if not isinstance(data, list) or not data:
        raise ValueError(f"{path}: expected a GET /models body {{'data': [...]}}")
    return data


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _serve(args: argparse.Namespace) -> int:
    models: Sequence[Any] | None = load_catalog(args.catalog) if args.catalog else None
    scripted = load_replies(args.replies) if args.replies else []
    emulator = OpenRouterEmulator(host=args.host, port=args.port, models=models)
    for reply, times, endpoint in scripted:
        emulator.enqueue(reply, times=times, endpoint=endpoint)  # type: ignore[arg-type]
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    emulator.start()
    try:
        _say(f"OpenRouter emulator serving at {emulator.base_url}")
        _say(f"export OPENROUTER_BASE_URL={emulator.base_url}")
        _say("Press Ctrl-C to stop.")
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
        signal.signal(signal.SIGTERM, previous)
    _say("emulator stopped")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m openrouter_core.testing",
        description="The local OpenRouter emulator.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the emulator in the foreground")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (0: any free)")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind")
    serve.add_argument("--catalog", type=Path, help="a GET /models JSON file to serve instead")
    serve.add_argument("--replies", type=Path, help="a JSON list of scripted replies to queue")
    args = parser.parse_args(argv)
    try:
        return _serve(args)
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
