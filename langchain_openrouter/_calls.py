"""One call of ``ChatOpenRouter``: sent plain or streamed, sync or async, errors translated.

The request is built (:func:`openrouter_core.request.build_chat_request`) and sent through
:mod:`openrouter_core.gateway`; what comes back is mapped by :mod:`langchain_openrouter._results`.
A failure leaves as the LangChain-flavoured twin of the core error (at once the
``openrouter_core`` error, the ``openai`` exception and LangChain's ``Model*Error``). The sync
and async functions differ only in the line that awaits; a stream's state is one
:class:`StreamRun`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Generator, Iterator
from typing import TYPE_CHECKING, Any

from langchain_openrouter import _results
from openrouter_core import gateway

if TYPE_CHECKING:
    from langchain_core.outputs import ChatGenerationChunk, ChatResult

    from openrouter_core.request import ChatRequest
    from openrouter_core.settings import ClientConfig
    from openrouter_core.streaming import StreamAccumulator

__all__ = ["StreamRun", "agenerate", "astream", "generate", "langchain_errors", "stream"]


@contextlib.contextmanager
def langchain_errors() -> Iterator[None]:
    """Re-raise ``openrouter_core`` errors as their LangChain-flavoured subclasses."""
    try:
        yield
    except Exception as exc:
        from openrouter_core.errors import OpenRouterError  # loaded with the SDK, by then

        if not isinstance(exc, OpenRouterError):
            raise
        from langchain_openrouter._errors import to_langchain_error

        translated = to_langchain_error(exc)
        if translated is exc:
            raise
        raise translated from exc


def generate(config: ClientConfig, request: ChatRequest) -> ChatResult:
    """Send a plain call; return its ``ChatResult``."""
    with langchain_errors():
        body = gateway.complete(config, request)
    return _results.chat_result(body, requested=request.model, base_url=config.base_url)


async def agenerate(config: ClientConfig, request: ChatRequest) -> ChatResult:
    """Asynchronous :func:`generate`."""
    with langchain_errors():
        body = await gateway.acomplete(config, request)
    return _results.chat_result(body, requested=request.model, base_url=config.base_url)


class StreamRun:
    """The state of one streamed call: the chunk converter and, at the end, the whole answer.

    Args:
        stream_usage: Whether the final chunk carries ``usage_metadata``.
        run_id: The LangChain run's message id, for the chunks of an ``invoke`` that streams.
    """

    __slots__ = ("base_url", "completion", "converter", "requested", "run_id")

    def __init__(self, *, stream_usage: bool, run_id: str | None = None) -> None:
        self.converter = _results.StreamConverter(stream_usage=stream_usage)
        self.run_id = run_id
        self.base_url: str | None = None
        self.requested: str | None = None
        self.completion: dict[str, Any] | None = None
        """The accumulated completion, once the stream has ended."""

    def labelled(self, chunk: ChatGenerationChunk) -> ChatGenerationChunk:
        """``chunk`` with the LangChain run's id, as ``invoke``'s token callbacks carry it."""
        if chunk.message.id is None:
            chunk.message.id = self.run_id
        return chunk

    def start(self, config: ClientConfig) -> None:
        """The call is sent to ``config``'s API root (whose catalog may tell a fallback)."""
        self.base_url = self.converter.base_url = config.base_url

    def finish(self, accumulator: StreamAccumulator) -> ChatGenerationChunk:
        """Keep the whole answer; return the final chunk."""
        self.completion = accumulator.completion()
        self.requested = accumulator.requested_model
        return self.converter.final(accumulator)

    def result(self) -> ChatResult:
        """The ``ChatResult`` of the whole answer, as a plain call would give it.

        Built from the accumulated completion, not from LangChain's sum of chunks, whose
        partial-JSON parser would "repair" truncated tool-call arguments.
        """
        if self.completion is None:
            raise RuntimeError("the stream has not ended")
        return _results.chat_result(
            self.completion, requested=self.requested, base_url=self.base_url
        )


def stream(
    config: ClientConfig, request: ChatRequest, run: StreamRun
) -> Generator[ChatGenerationChunk, None, None]:
    """The chunks of one streamed call; closing the iterator early closes the connection."""
    run.start(config)
    with langchain_errors():
        chat_stream = gateway.open_stream(config, request)
        try:
            for delta in chat_stream:
                chunk = run.converter.chunk(delta)
                if chunk is not None:
                    yield chunk
        finally:
            if not chat_stream.finished:
                chat_stream.close()  # abandoned: the usage so far is reported as incomplete
        yield run.finish(chat_stream.accumulator)


async def astream(
    config: ClientConfig, request: ChatRequest, run: StreamRun
) -> AsyncGenerator[ChatGenerationChunk, None]:
    """Asynchronous :func:`stream`."""
    run.start(config)
    with langchain_errors():
        chat_stream = await gateway.aopen_stream(config, request)
        try:
            async for delta in chat_stream:
                chunk = run.converter.chunk(delta)
                if chunk is not None:
                    yield chunk
        finally:
            if not chat_stream.finished:
                await chat_stream.aclose()
        yield run.finish(chat_stream.accumulator)
