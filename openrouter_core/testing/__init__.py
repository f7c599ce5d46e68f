"""A local OpenRouter-compatible HTTP server for tests (``openrouter_core.testing``).

:class:`OpenRouterEmulator` speaks the real OpenRouter wire format (``provider`` on every
response, ``native_finish_reason``, the full ``usage`` object with ``cost``, SSE keep-alive
comments, the three final-usage-chunk shapes, mid-stream errors...) so clients can be tested
without network access. Script replies with :mod:`openrouter_core.testing.replies`, or let the
deterministic generic model answer. Pytest users get the ``openrouter_emulator`` fixture
automatically (``pytest11`` entry point).

Example:
    .. code-block:: python

        import openai
        from openrouter_core.testing import OpenRouterEmulator, replies

        with OpenRouterEmulator() as emu:
            client = openai.OpenAI(base_url=emu.base_url, api_key="test-key", max_retries=0)
            emu.enqueue(replies.error(402, "Insufficient credits"))
            try:
                client.chat.completions.create(
                    model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
                )
            except openai.APIStatusError as exc:
                assert exc.status_code == 402
"""

from __future__ import annotations

from typing import Any

from openrouter_core.testing import replies
from openrouter_core.testing._billing import Charge
from openrouter_core.testing._catalog import AUTO_ROUTER_ID, DEFAULT_PROVIDERS
from openrouter_core.testing._emulator import (
    DEFAULT_CREATED,
    DEFAULT_EMBEDDING_DIMENSIONS,
    DEFAULT_SEED,
    OpenRouterEmulator,
    RecordedRequest,
)
from openrouter_core.testing._http import Headers
from openrouter_core.testing._model import GENERIC_SENTENCE
from openrouter_core.testing._usage import (
    AUDIO_TOKENS,
    FILE_TOKENS,
    IMAGE_TOKENS,
    JSON_NULL,
    MESSAGE_OVERHEAD,
    VIDEO_TOKENS,
    text_tokens,
)
from openrouter_core.testing.replies import (
    DropConnectionReply,
    ErrorIn200Reply,
    ErrorReply,
    MidstreamErrorReply,
    Reply,
    ReplyOptions,
    StallReply,
    TextReply,
    ToolCallsReply,
)

__all__ = [
    "AUDIO_TOKENS",
    "AUTO_ROUTER_ID",
    "DEFAULT_CATALOG",
    "DEFAULT_CREATED",
    "DEFAULT_EMBEDDING_DIMENSIONS",
    "DEFAULT_PROVIDERS",
    "DEFAULT_SEED",
    "FILE_TOKENS",
    "GENERIC_SENTENCE",
    "IMAGE_TOKENS",
    "JSON_NULL",
    "MESSAGE_OVERHEAD",
    "VIDEO_TOKENS",
    "Charge",
    "DropConnectionReply",
    "ErrorIn200Reply",
    "ErrorReply",
    "Headers",
    "MidstreamErrorReply",
    "OpenRouterEmulator",
    "RecordedRequest",
    "Reply",
    "ReplyOptions",
    "StallReply",
    "TextReply",
    "ToolCallsReply",
    "replies",
    "text_tokens",
]


def __getattr__(name: str) -> Any:
    # The catalog is the package's snapshot of OpenRouter's model list: a fresh copy on each
    # access, safe to change.
    if name == "DEFAULT_CATALOG":
        from openrouter_core.catalog.snapshot import bundled_snapshot

        return tuple(bundled_snapshot().entries())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
