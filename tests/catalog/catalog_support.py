"""Shared helpers for the catalog, account, CLI and embeddings tests.

``FIXTURE_MODELS`` is a small catalog in the ``/models`` schema with round prices, so search,
cheapest and cost expectations can be checked by hand (see the comments next to each test).
"""

from __future__ import annotations

import asyncio
from typing import Any

from openrouter_core.testing import OpenRouterEmulator
from openrouter_core.transport import CallInfo, CallOutcome


def model(
    model_id: str,
    *,
    prompt: str,
    completion: str,
    context: int,
    params: list[str] | None = None,
    inputs: list[str] | None = None,
    outputs: list[str] | None = None,
    canonical: str | None = None,
    **pricing: str,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": model_id,
        "canonical_slug": canonical or model_id.partition(":")[0],
        "name": model_id.replace("/", ": "),
        "created": 1750000000,
        "description": f"{model_id} (test catalog)",
        "context_length": context,
        "architecture": {
            "modality": "text->text",
            "input_modalities": inputs or ["text"],
            "output_modalities": outputs or ["text"],
            "tokenizer": "Test",
            "instruct_type": None,
        },
        "pricing": {"prompt": prompt, "completion": completion, **pricing},
        "top_provider": {
            "context_length": context,
            "max_completion_tokens": 4096,
            "is_moderated": False,
        },
        "per_request_limits": None,
        "supported_parameters": params or [],
    }
    return entry


TOOLS = ["tools", "tool_choice", "temperature"]
FIXTURE_MODELS: list[dict[str, Any]] = [
    # $0.10/M in, $0.40/M out
    model("acme/small", prompt="0.0000001", completion="0.0000004", context=32000, params=TOOLS),
    # $2/M in, $8/M out; cache read $0.20/M, cache write $2.50/M
    model(
        "acme/large",
        prompt="0.000002",
        completion="0.000008",
        context=200000,
        params=[*TOOLS, "structured_outputs", "response_format", "reasoning"],
        inputs=["text", "image", "file"],
        canonical="acme/large-2025-01-01",
        input_cache_read="0.0000002",
        input_cache_write="0.0000025",
    ),
    # $0.50/M in and out, plus $0.0001 per request
    model(
        "bolt/fast",
        prompt="0.0000005",
        completion="0.0000005",
        context=128000,
        params=[*TOOLS, "structured_outputs"],
        request="0.0001",
    ),
    model(
        "bolt/fast:free",
        prompt="0",
        completion="0",
        context=8000,
        params=[*TOOLS, "structured_outputs"],
        request="0",
    ),
    # $0.05/M in, $1/M out: cheapest for input-heavy calls
    model("dup/small", prompt="0.00000005", completion="0.000001", context=16000, params=TOOLS),
    # $1/M in, $4/M out, reasoning tokens priced apart at $2/M
    model(
        "cogs/thinker",
        prompt="0.000001",
        completion="0.000004",
        context=64000,
        params=["reasoning", "include_reasoning", "seed"],
        internal_reasoning="0.000002",
    ),
    model("acme/router", prompt="-1", completion="-1", context=1000000, params=TOOLS),
    model(
        "acme/embed",
        prompt="0.00000002",
        completion="0",
        context=8192,
        outputs=["embeddings"],
    ),
]


class Clock:
    """A settable clock (Unix seconds) for TTL tests; never sleeps."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class ScriptedEmulator(OpenRouterEmulator):
    """The emulator, with a slow or failing ``/models`` (or endpoints) when a test asks."""

    models_delay = 0.0
    models_status: int | None = None
    endpoints_status: int | None = None

    async def _handle_models(self, request: Any, out: Any, route: str) -> None:
        if route.endswith("/endpoints") and self.endpoints_status is not None:
            await self._send_error(out, self.endpoints_status, f"No endpoints found for {route}.")
            return
        if self.models_delay:
            await asyncio.sleep(self.models_delay)
        if self.models_status is not None:
            await self._send_error(out, self.models_status, "Service temporarily unavailable")
            return
        await super()._handle_models(request, out, route)


def models_requests(emu: OpenRouterEmulator) -> list[Any]:
    return [r for r in emu.requests if r.path.endswith("/models")]


class Recorder:
    """A transport observer that keeps every call and outcome."""

    def __init__(self) -> None:
        self.after: list[tuple[CallInfo, CallOutcome]] = []

    def before_call(self, call: CallInfo) -> None:
        pass

    def after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        self.after.append((call, outcome))
