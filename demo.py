"""`make demo`: one OpenRouter call through the shared core, with its usage.

Runs against the real API when OPENROUTER_API_KEY is set, otherwise against the local emulator.
"""

from __future__ import annotations

import contextlib
import os
import sys

from openrouter_core import transport
from openrouter_core.client import ClientConfig, get_client
from openrouter_core.errors import OpenRouterError
from openrouter_core.testing import OpenRouterEmulator


def main() -> int:
    live = bool(os.environ.get("OPENROUTER_API_KEY"))
    with contextlib.ExitStack() as stack:
        if live:
            print("Running against the real OpenRouter API (OPENROUTER_API_KEY is set).")
            base_url, key = None, None
        else:
            print("Running offline against the local OpenRouter emulator (no OPENROUTER_API_KEY).")
            emulator = stack.enter_context(OpenRouterEmulator())
            base_url, key = emulator.base_url, "emulator-key"
        config = ClientConfig.build(api_key=key, base_url=base_url, timeout=60, max_retries=2)
        body = {
            "model": "openai/gpt-4o-mini",
            "messages": [{"role": "user", "content": "Say hello to a new OpenRouter user."}],
            "usage": {"include": True},
        }
        try:
            data = transport.complete(get_client(config), body)
        except OpenRouterError as exc:
            print(f"demo failed: {exc}", file=sys.stderr)
            return 1
        usage = data.get("usage", {})
        answer = data["choices"][0]["message"]["content"]
        print(f"{data['model']} via {data.get('provider')}: {answer}")
        print(
            f"usage: {usage.get('prompt_tokens')} in, {usage.get('completion_tokens')} out, "
            f"cost ${usage.get('cost')}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
