"""Sending JSON bodies and OpenRouter-shaped errors from the emulator's handlers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from openrouter_core.testing import replies as _replies
from openrouter_core.testing._http import Responder
from openrouter_core.testing._render import dumps, error_body, keepalive_bytes

__all__ = ["send_error", "send_error_reply", "send_json"]


async def send_json(
    out: Responder,
    status: int,
    payload: Any,
    *,
    headers: Sequence[tuple[str, str]] = (),
    whitespace: int = 0,
) -> None:
    """Send a JSON body, after ``whitespace`` bytes of keep-alive whitespace."""
    await out.send(status, keepalive_bytes(whitespace) + dumps(payload), headers=headers)


async def send_error(
    out: Responder,
    status: int,
    message: str,
    *,
    user_id: str | None,
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """Send ``{"error": {"message", "code", "metadata"?}, "user_id"?}`` with ``status``."""
    await send_json(out, status, error_body(status, message, metadata=metadata, user_id=user_id))


async def send_error_reply(out: Responder, reply: _replies.ErrorReply, user_id: str) -> None:
    """Send a scripted error (its raw body when it has one)."""
    headers = list((reply.headers or {}).items())
    if reply.body is not None:
        raw = reply.body
        data = (
            raw if isinstance(raw, bytes) else raw.encode() if isinstance(raw, str) else dumps(raw)
        )
        await out.send(reply.status, data, headers=headers)
        return
    payload = error_body(
        reply.status,
        reply.message,
        metadata=reply.metadata,
        user_id=None if reply.status == 401 else user_id,
    )
    await send_json(out, reply.status, payload, headers=headers)
