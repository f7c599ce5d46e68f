"""Counting a prompt's tokens without a request: tiktoken when it is at hand, else an estimate.

OpenRouter serves models with many tokenizers, so every count here is an approximation: text
is counted with tiktoken's ``o200k_base`` encoding when tiktoken is installed and that encoding
is already cached locally (it is never downloaded from here), otherwise as one token per four
characters. Messages, media parts, tool calls and tools add fixed allowances
(:func:`count_tokens`). Frameworks use this for their token-counting methods; the budget
guard's deliberately generous worst case is computed apart, by the accounting package.
"""

from __future__ import annotations

import functools
import os
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from openrouter_core import _json

__all__ = [
    "count_tokens",
    "estimate_text_tokens",
    "estimate_token_ids",
    "text_token_counter",
    "text_token_ids",
]

_TIKTOKEN_URL = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"


@functools.lru_cache(maxsize=1)
def _tiktoken_encoding() -> Any:
    """The ``o200k_base`` encoding when tiktoken is installed and has it cached, else ``None``.

    tiktoken downloads encodings on first use; that download is never triggered from here, so
    counting tokens stays offline and fast.
    """
    try:
        import hashlib
        import tempfile

        import tiktoken
        from tiktoken import registry

        if "o200k_base" not in registry.ENCODINGS:
            cache_dir = os.environ.get(
                "TIKTOKEN_CACHE_DIR",
                os.environ.get(
                    "DATA_GYM_CACHE_DIR", os.path.join(tempfile.gettempdir(), "data-gym-cache")
                ),
            )
            key = hashlib.sha1(_TIKTOKEN_URL.encode(), usedforsecurity=False).hexdigest()
            if not cache_dir or not os.path.exists(os.path.join(cache_dir, key)):
                return None
        return tiktoken.get_encoding("o200k_base")
    except Exception:  # any failure (not installed, corrupt cache...) means "estimate instead"
        return None


def text_token_counter() -> Callable[[str], int]:
    """Count with tiktoken's ``o200k_base`` when cached, else :func:`estimate_text_tokens`."""
    encoding = _tiktoken_encoding()
    if encoding is None:
        return estimate_text_tokens
    return lambda text: len(encoding.encode(text, disallowed_special=()))


def text_token_ids() -> Callable[[str], list[int]]:
    """Token ids with tiktoken's ``o200k_base`` when cached, else :func:`estimate_token_ids`."""
    encoding = _tiktoken_encoding()
    if encoding is None:
        return estimate_token_ids
    return lambda text: list(encoding.encode(text, disallowed_special=()))


def estimate_token_ids(text: str) -> list[int]:
    """Stand-in token ids, one per 4 characters (so ``len`` is :func:`estimate_text_tokens`).

    They are not any tokenizer's ids: each is the CRC-32 of its 4-character piece, so the
    same text always gives the same ids.
    """
    return [zlib.crc32(text[i : i + 4].encode()) for i in range(0, len(text), 4)]


_TOKENS_PER_MESSAGE = 3
_TOKENS_PER_MEDIA_PART = 85
_TOKENS_FOR_REPLY = 3


def estimate_text_tokens(text: str) -> int:
    """One token per 4 characters, rounded up (the usual rule of thumb for English text)."""
    return (len(text) + 3) // 4


def _content_tokens(content: Any, count_text: Callable[[str], int]) -> int:
    if isinstance(content, str):
        return count_text(content)
    if not isinstance(content, list):
        return 0
    total = 0
    for part in content:
        if isinstance(part, Mapping) and part.get("type") == "text":
            total += count_text(str(part.get("text") or ""))
        else:
            total += _TOKENS_PER_MEDIA_PART
    return total


def count_tokens(
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]] | None,
    count_text: Callable[[str], int],
) -> int:
    """Approximate prompt tokens of converted ``messages`` and ``tools``.

    Text is counted with ``count_text``; each message adds 3 tokens, each image, file or audio
    part 85, the reply priming 3; tool calls, ``reasoning_details`` and tools are counted as
    their JSON text.
    """
    total = _TOKENS_FOR_REPLY
    for message in messages:
        total += _TOKENS_PER_MESSAGE
        for key, value in message.items():
            if key == "content":
                total += _content_tokens(value, count_text)
            elif key in ("tool_calls", "reasoning_details"):
                total += count_text(_json.dumps(value))
            elif isinstance(value, str):
                total += count_text(value)
    if tools:
        total += count_text(_json.dumps(list(tools)))
    return total
