"""Serve an ``OpenRouterEmulator`` from its own process, for the memory tests.

The emulator records every request it serves, so in the test's own process it would show up as
memory growth; in a separate process only the client is measured. Started by the
``emulator_process`` fixture as ``python emulator_process.py '<json spec>'``; it prints the base
URL, then serves until its standard input is closed.

The spec: ``{"text_chars": N, "chunk_chars": K, "times": T}`` queues ``T`` answers of ``N``
characters streamed ``K`` characters per chunk (default: none; the generic model answers).
"""

from __future__ import annotations

import json
import sys

from openrouter_core.testing import OpenRouterEmulator, replies


def main() -> None:
    spec = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    with OpenRouterEmulator() as emu:
        if spec.get("text_chars"):
            words = ("stream " * (spec["text_chars"] // 7 + 1))[: spec["text_chars"]]
            reply = replies.text(words, chunk_chars=spec.get("chunk_chars", 8))
            emu.enqueue(reply, times=spec.get("times", 1))
        sys.stdout.write(emu.base_url + "\n")
        sys.stdout.flush()
        sys.stdin.read()


if __name__ == "__main__":
    main()
