"""The front door the framework adapters send through: a built request plus a client config.

:func:`complete`, :func:`open_stream` and their async twins take a
:class:`~openrouter_core.settings.ClientConfig` and a
:class:`~openrouter_core.request.ChatRequest` and hand them to the shared client and the one
transport; embeddings go the same way (:func:`embed`). The ``openai`` SDK (more than half a
second to import) loads at the first request, here and only here, so importing an adapter
stays light and no adapter method has to import the transport itself.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openrouter_core.request import ChatRequest
    from openrouter_core.settings import ClientConfig
    from openrouter_core.transport import AsyncChatStream, ChatStream

Vectors = list[list[float]]

__all__ = ["acomplete", "aembed", "aopen_stream", "complete", "embed", "open_stream"]


@functools.cache
def _modules() -> tuple[ModuleType, ModuleType]:
    from openrouter_core import client, transport

    return client, transport


def embed(config: ClientConfig, model: str, texts: Sequence[str], **settings: Any) -> Vectors:
    """Embed ``texts`` (see :func:`openrouter_core.embeddings.embed_texts` for ``settings``)."""
    from openrouter_core.embeddings import embed_texts

    client, _ = _modules()
    return embed_texts(client.get_client(config), model, texts, **settings)


async def aembed(
    config: ClientConfig, model: str, texts: Sequence[str], **settings: Any
) -> Vectors:
    """Asynchronous :func:`embed`."""
    from openrouter_core.embeddings import aembed_texts

    client, _ = _modules()
    return await aembed_texts(client.get_async_client(config), model, texts, **settings)


def complete(config: ClientConfig, request: ChatRequest) -> dict[str, Any]:
    """Send a non-streaming chat completion; return the checked response body."""
    client, transport = _modules()
    body: dict[str, Any] = transport.complete(
        client.get_client(config), request.body, options=request.options
    )
    return body


async def acomplete(config: ClientConfig, request: ChatRequest) -> dict[str, Any]:
    """Asynchronous :func:`complete` (on the running event loop's pool)."""
    client, transport = _modules()
    body: dict[str, Any] = await transport.acomplete(
        client.get_async_client(config), request.body, options=request.options
    )
    return body


def open_stream(config: ClientConfig, request: ChatRequest) -> ChatStream:
    """Send a streaming chat completion; HTTP errors raise here, before the first chunk."""
    client, transport = _modules()
    stream: ChatStream = transport.open_stream(
        client.get_client(config), request.body, options=request.options
    )
    return stream


async def aopen_stream(config: ClientConfig, request: ChatRequest) -> AsyncChatStream:
    """Asynchronous :func:`open_stream`."""
    client, transport = _modules()
    stream: AsyncChatStream = await transport.aopen_stream(
        client.get_async_client(config), request.body, options=request.options
    )
    return stream
