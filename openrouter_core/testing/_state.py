"""What every part of the emulator shares: the catalog, the reply queues, ids and the clock.

:class:`EmulatorState` is created once per :class:`~openrouter_core.testing.OpenRouterEmulator`
and handed to each request handler (chat, embeddings, billing, keys, catalog routes). It owns
the one lock; handlers take it for every change.
"""

from __future__ import annotations

import asyncio
import copy
import random
import string
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openrouter_core.testing import replies as _replies
from openrouter_core.testing._catalog import Route, default_providers_for, model_prices
from openrouter_core.testing._render import UsageChunkMode

__all__ = ["ALNUM", "API_PREFIX", "EmulatorState", "Options"]

API_PREFIX = "/api/v1"
"""Where the API lives on the emulator's server."""
ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Options:
    """How one response is shaped and paced (defaults, or a scripted reply's overrides)."""

    delay: float
    chunk_delay: float
    keepalive_whitespace: int
    processing_comments: int
    usage_chunk: UsageChunkMode
    chunk_chars: int


class EmulatorState:
    """The state one emulator's handlers share.

    Args:
        seed: Seed of the id generator.
        created: Fixed ``created`` timestamp, or ``None`` for the wall clock.
        models: The catalog (model dicts in the ``/models`` schema).
        providers: Provider display names per model id (missing ids: derived from the author).
        defaults: Response options when no scripted reply overrides them.
        embedding_dimensions: Embedding size when a request has no ``dimensions``.
        auto_model: The catalog model ``openrouter/auto`` resolves to.
    """

    def __init__(
        self,
        *,
        seed: int,
        created: int | None,
        models: Sequence[Mapping[str, Any]],
        providers: Mapping[str, Sequence[str]],
        defaults: Options,
        embedding_dimensions: int,
        auto_model: str,
    ) -> None:
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.created = created
        self.catalog: list[dict[str, Any]] = [copy.deepcopy(dict(m)) for m in models]
        self.by_id: dict[str, dict[str, Any]] = {str(m["id"]): m for m in self.catalog}
        self.providers: dict[str, tuple[str, ...]] = {
            model_id: tuple(providers.get(model_id) or default_providers_for(model_id))
            for model_id in self.by_id
        }
        self.defaults = defaults
        self.embedding_dimensions = embedding_dimensions
        self.auto_model = auto_model
        self.queues: dict[str, deque[_replies.Reply]] = {"chat": deque(), "embeddings": deque()}
        self.cache: set[str] = set()
        self.user_id = "user_" + "".join(random.Random(seed ^ 0x5EED).choices(ALNUM, k=27))

    # ------------------------------------------------------------------ ids and time

    def now(self) -> int:
        """The ``created`` timestamp of responses."""
        return int(time.time()) if self.created is None else self.created

    def random(self, length: int) -> str:
        """Seeded random letters and digits."""
        with self.lock:
            return "".join(self.rng.choices(ALNUM, k=length))

    def new_generation_id(self, prefix: str = "gen") -> str:
        """A ``gen-<created>-<20 alnum>`` id."""
        return f"{prefix}-{self.now()}-{self.random(20)}"

    def tool_call_id(self, route: Route, name: str, index: int) -> str:
        """A tool-call id in the format of the model family and provider."""
        if route.family == "anthropic":
            prefix = {"Amazon Bedrock": "toolu_bdrk_01", "Google Vertex": "toolu_vrtx_01"}.get(
                route.provider, "toolu_01"
            )
            return prefix + self.random(22)
        if route.family == "google":
            return f"tool_{index}_{name}_{self.random(20)}"
        return "call_" + self.random(24)

    # ------------------------------------------------------------------ scripting

    def pop(self, endpoint: str) -> _replies.Reply | None:
        """The next scripted reply for an endpoint, or ``None``."""
        with self.lock:
            queue = self.queues[endpoint]
            return queue.popleft() if queue else None

    async def next_reply(self, endpoint: str) -> tuple[_replies.Reply | None, Options]:
        """The next scripted reply for an endpoint, after any stall and delay it asks for.

        A :class:`~openrouter_core.testing.replies.StallReply` waits, then gives way to the
        reply it wraps; the reply's ``delay`` is waited too. ``None`` means the generic model.
        """
        reply = self.pop(endpoint)
        while isinstance(reply, _replies.StallReply):
            await asyncio.sleep(reply.seconds)
            reply = reply.then
        options = self.options(reply)
        if options.delay:
            await asyncio.sleep(options.delay)
        return reply, options

    def options(self, reply: _replies.Reply | None) -> Options:
        """The defaults, with a scripted reply's overrides applied."""
        d = self.defaults
        if reply is None:
            return d
        return Options(
            delay=reply.delay,
            chunk_delay=reply.chunk_delay,
            keepalive_whitespace=d.keepalive_whitespace
            if reply.keepalive_whitespace is None
            else reply.keepalive_whitespace,
            processing_comments=d.processing_comments
            if reply.processing_comments is None
            else reply.processing_comments,
            usage_chunk=d.usage_chunk if reply.usage_chunk is None else reply.usage_chunk,
            chunk_chars=d.chunk_chars if reply.chunk_chars is None else max(1, reply.chunk_chars),
        )

    # ------------------------------------------------------------------ catalog

    def price(self, model_id: str) -> dict[str, Decimal]:
        """A catalog model's prices (variants resolve to the base; ``:free`` must be listed).

        Raises:
            KeyError: Unknown model.
        """
        if model_id in self.by_id:
            return model_prices(self.by_id[model_id])
        base, _, suffix = model_id.partition(":")
        if base in self.by_id and suffix != "free":
            return model_prices(self.by_id[base])
        raise KeyError(model_id)

    def provider_of(self, model_id: str) -> str:
        """The first provider serving a catalog model."""
        return (self.providers.get(model_id) or default_providers_for(model_id))[0]
