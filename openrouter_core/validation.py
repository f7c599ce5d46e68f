"""Checks every framework runs on a chat request before it is sent.

Bad input gets a clear error before any request, whichever framework built the body: an
empty conversation, an out-of-range ``temperature``, a ``max_tokens`` that is not a positive
integer. A model id that is not shaped ``author/slug`` only warns, because OpenRouter also
accepts a few aliases.

Nothing here imports the ``openai`` SDK.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

__all__ = ["check_chat_body", "check_messages", "check_model_id", "check_params"]


def check_params(params: Mapping[str, Any]) -> None:
    """Reject out-of-range sampling parameters before a request is sent.

    Args:
        params: Request parameters (a whole body or just the parameters).

    Raises:
        ValueError: ``temperature`` outside [0, 2], ``max_tokens`` /
            ``max_completion_tokens`` not a positive integer, or any number that is NaN or
            infinite (JSON has no such values).
    """
    for key, value in params.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{key} must be a finite number, got {value!r}")
    temperature = params.get("temperature")
    if temperature is not None and (
        isinstance(temperature, bool)
        or not isinstance(temperature, (int, float))
        or not 0 <= temperature <= 2
    ):
        raise ValueError(f"temperature must be a number in [0, 2], got {temperature!r}")
    for key in ("max_tokens", "max_completion_tokens"):
        value = params.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value <= 0
        ):
            raise ValueError(f"{key} must be a positive integer, got {value!r}")


def check_messages(messages: Any) -> None:
    """Reject a conversation OpenRouter cannot answer: no messages at all.

    Raises:
        ValueError: ``messages`` is empty or not a list.
    """
    if not isinstance(messages, list) or not messages:
        raise ValueError("no messages to send: pass at least one message")


def check_chat_body(body: Mapping[str, Any]) -> None:
    """Run every check on a chat-completion body about to be sent.

    Raises:
        ValueError: See :func:`check_messages` and :func:`check_params`.
    """
    check_messages(body.get("messages"))
    check_params(body)


def check_model_id(model: str, *, stacklevel: int = 2) -> None:
    """Warn when ``model`` is not shaped like an OpenRouter id (``author/slug``).

    Args:
        model: The model id.
        stacklevel: Passed to :func:`warnings.warn`, so the warning points at the caller's code.
    """
    if "/" not in model:
        warnings.warn(
            f"model {model!r} does not look like an OpenRouter model id ('author/slug', e.g. "
            "'anthropic/claude-haiku-4.5'); OpenRouter will likely reject it",
            UserWarning,
            stacklevel=stacklevel + 1,
        )
