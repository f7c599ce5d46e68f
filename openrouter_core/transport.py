"""The one path every OpenRouter request takes: through the official ``openai`` client.

Requests go through ``client.post``, so authentication, retries with backoff, ``Retry-After``,
timeouts and HTTP status errors are the SDK's; the body is sent exactly as built (OpenRouter
fields included) and the response is parsed here, as plain dicts, by one fast JSON parser and
the shared :class:`~openrouter_core.streaming.StreamAccumulator`. Every failure leaves as a
typed :class:`~openrouter_core.errors.OpenRouterError`.

Observers (:mod:`openrouter_core.observers`: the usage ledger, the budget guard) hear about
every call: ``before_call`` may veto a request by raising, ``after_call`` receives the usage,
also for calls that failed after being billed and for streams the caller abandoned.

The synchronous and asynchronous functions differ only in the one line that awaits the SDK:
what happens before a request (:class:`_Call`) and after it (:meth:`_Call.result`,
:meth:`_Call.failed`) is shared.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

import openai

from openrouter_core import _json
from openrouter_core.error_mapping import map_errors, raise_for_error_body
from openrouter_core.errors import OpenRouterError, ProviderError
from openrouter_core.observers import (
    CallInfo,
    CallObserver,
    CallOutcome,
    add_observer,
    has_observers,
    notify_after,
    notify_before,
    remove_observer,
)
from openrouter_core.request import RequestOptions
from openrouter_core.streaming import SSEDecoder, StreamAccumulator, StreamDelta
from openrouter_core.usage import usage_from_body

__all__ = [
    "AsyncChatStream",
    "CallInfo",
    "CallObserver",
    "CallOutcome",
    "ChatStream",
    "RequestOptions",
    "acomplete",
    "add_observer",
    "aopen_stream",
    "apost_json",
    "complete",
    "open_stream",
    "post_json",
    "remove_observer",
]

_CHAT = "/chat/completions"
_Check = Callable[[dict[str, Any]], object]


def _parse_body(raw: bytes, model: str | None) -> Any:
    try:
        return _json.loads(raw)
    except _json.JSONDecodeError as exc:
        snippet = raw[:200].decode("utf-8", "replace").strip()
        raise ProviderError(f"the response is not JSON: {snippet!r}", model=model) from exc


def _finish_reasons(choices: Any) -> tuple[str, ...]:
    """The finish reason of each choice that has one."""
    if not isinstance(choices, list):
        return ()
    return tuple(
        reason
        for choice in choices
        if isinstance(choice, Mapping) and isinstance(reason := choice.get("finish_reason"), str)
    )


class _Call:
    """One request from just before it is sent to the moment its observers hear it ended."""

    __slots__ = ("info", "observe")

    def __init__(
        self,
        client: openai.OpenAI | openai.AsyncOpenAI,
        endpoint: str,
        body: Mapping[str, Any],
        *,
        stream: bool,
        observe: bool = True,
    ) -> None:
        model = body.get("model")
        self.info = CallInfo(
            model=model if isinstance(model, str) else None,
            endpoint=endpoint,
            body=body,
            stream=stream,
            base_url=str(client.base_url).rstrip("/"),
        )
        self.observe = observe
        if observe:
            notify_before(self.info)

    def post_kwargs(self, options: RequestOptions | None, *, stream: bool) -> dict[str, Any]:
        """The keyword arguments of the SDK's ``post`` for this request.

        The body goes as the JSON bytes we encoded (or as the dict, for the SDK to encode).
        """
        encoded = _json.encode_body(self.info.body)
        kwargs: dict[str, Any] = (
            {"content": encoded} if isinstance(encoded, bytes) else {"body": encoded}
        )
        kwargs["cast_to"] = bytes
        kwargs["options"] = options.to_sdk() if options else {}
        if stream:
            kwargs["stream"] = True
        return kwargs

    @contextlib.contextmanager
    def sending(self) -> Iterator[None]:
        """Map SDK errors to typed ones; report a request that ended without an answer."""
        try:
            with map_errors(self.info.model):
                yield
        except BaseException as exc:
            self.failed(exc)
            raise

    def failed(self, exc: BaseException) -> None:
        """Report a failure: a typed error (with what was billed) or an interruption."""
        if not self.observe:
            return
        if isinstance(exc, OpenRouterError):
            notify_after(
                self.info,
                CallOutcome(usage=exc.usage, error=exc, generation_id=exc.generation_id),
            )
        else:
            # Cancelled (or interrupted) before an answer: nothing billed is known, but
            # observers holding state for the call (the budget guard's reservation) must hear
            # that it ended.
            notify_after(self.info, CallOutcome(usage=None, incomplete=True))

    def result(self, raw: bytes, check: _Check | None) -> dict[str, Any]:
        """Parse and check a plain response; report the call; return the body."""
        try:
            data = raise_for_error_body(
                _parse_body(raw, self.info.model),
                model=self.info.model,
                require_choices=self.info.endpoint == _CHAT,
            )
            if check is not None:
                check(data)
        except BaseException as exc:
            self.failed(exc)
            raise
        if self.observe and has_observers():  # the usage is parsed only for someone who listens
            gen_id = data.get("id")
            notify_after(
                self.info,
                CallOutcome(
                    usage=usage_from_body(data),
                    generation_id=gen_id if isinstance(gen_id, str) else None,
                    finish_reasons=_finish_reasons(data.get("choices")),
                ),
            )
        return data


def post_json(
    client: openai.OpenAI,
    endpoint: str,
    body: Mapping[str, Any],
    *,
    options: RequestOptions | None = None,
    observe: bool = True,
    check: _Check | None = None,
) -> dict[str, Any]:
    """POST a JSON body and return the checked JSON response.

    Args:
        client: The shared synchronous client.
        endpoint: The API path, e.g. ``"/chat/completions"`` or ``"/embeddings"``.
        body: The request body, sent as is.
        options: Per-request timeout, retries and headers.
        observe: Whether observers hear about this call (they do for billable calls).
        check: Validates the response body before the call is reported; an
            :class:`OpenRouterError` it raises (with the billed ``usage``) makes the call
            failed, for the observers too (an embeddings response with missing vectors).

    Returns:
        The response body.

    Raises:
        OpenRouterError: For an error status, an error body inside a 200, a non-JSON body, a
            timeout or a connection failure.
    """
    call = _Call(client, endpoint, body, stream=False, observe=observe)
    with call.sending():
        raw = client.post(endpoint, **call.post_kwargs(options, stream=False))
    return call.result(raw, check)


async def apost_json(
    client: openai.AsyncOpenAI,
    endpoint: str,
    body: Mapping[str, Any],
    *,
    options: RequestOptions | None = None,
    observe: bool = True,
    check: _Check | None = None,
) -> dict[str, Any]:
    """Asynchronous :func:`post_json` (``check`` is a plain function)."""
    call = _Call(client, endpoint, body, stream=False, observe=observe)
    with call.sending():
        raw = await client.post(endpoint, **call.post_kwargs(options, stream=False))
    return call.result(raw, check)


def complete(
    client: openai.OpenAI, body: Mapping[str, Any], *, options: RequestOptions | None = None
) -> dict[str, Any]:
    """Send a non-streaming chat completion and return the checked response body."""
    return post_json(client, _CHAT, body, options=options)


async def acomplete(
    client: openai.AsyncOpenAI, body: Mapping[str, Any], *, options: RequestOptions | None = None
) -> dict[str, Any]:
    """Asynchronous :func:`complete`."""
    return await apost_json(client, _CHAT, body, options=options)


class _StreamBase:
    """State shared by the sync and async streams: decoding, accumulating, reporting."""

    def __init__(self, call: CallInfo, response: Any) -> None:
        self.call = call
        self.accumulator = StreamAccumulator(call.model)
        """Everything received so far; ``accumulator.completion()`` is the whole answer."""
        self._decoder = SSEDecoder()
        self._response = response
        self._reported = False

    def _feed(self, data: bytes) -> list[StreamDelta]:
        add = self.accumulator.add
        return [add(payload) for payload in self._decoder.feed(data)]

    def _finish_body(self) -> list[StreamDelta]:
        add = self.accumulator.add
        deltas = [add(payload) for payload in self._decoder.flush()]
        self.accumulator.check_complete(done=self._decoder.done)
        return deltas

    @property
    def _done(self) -> bool:
        return self._decoder.done

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """Around the whole read: typed errors carry what was received; every end is reported.

        An abandoned stream (``GeneratorExit``), a cancelled task or Ctrl-C reports what was
        received as incomplete; a finished one reports it whole.
        """
        try:
            with map_errors(self.call.model):
                yield
        except OpenRouterError as exc:
            if exc.partial_text is None:
                exc.partial_text = self.accumulator.text
            if exc.usage is None:
                exc.usage = self.accumulator.usage
            self._report(exc)
            raise
        except BaseException:
            self._report(incomplete=True)
            raise
        self._report()

    def _report(self, error: OpenRouterError | None = None, *, incomplete: bool = False) -> None:
        if self._reported:
            return
        self._reported = True
        acc = self.accumulator
        reasons = (acc.finish_reason,) if acc.finish_reason else ()
        notify_after(
            self.call,
            CallOutcome(
                acc.usage,
                error=error,
                incomplete=incomplete,
                generation_id=acc.id,
                finish_reasons=reasons,
            ),
        )

    @property
    def finished(self) -> bool:
        """Whether the stream has ended (completely, with an error, or abandoned)."""
        return self._reported


class ChatStream(_StreamBase):
    """A streamed chat completion: iterate to get one :class:`StreamDelta` per chunk.

    Iterate it once. Closing it early (``close()``, leaving a ``with`` block, or dropping a
    generator that iterates it) reports the usage received so far as incomplete.
    """

    def __iter__(self) -> Iterator[StreamDelta]:
        try:
            with self._reading():
                for data in self._response.iter_bytes():
                    yield from self._feed(data)
                    if self._done:
                        break
                yield from self._finish_body()
        finally:
            self._response.close()

    def close(self) -> None:
        """Stop reading; what was received is reported as incomplete."""
        self._response.close()
        self._report(incomplete=True)

    def __enter__(self) -> ChatStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncChatStream(_StreamBase):
    """Asynchronous :class:`ChatStream`."""

    async def __aiter__(self) -> AsyncIterator[StreamDelta]:
        try:
            with self._reading():
                async for data in self._response.aiter_bytes():
                    for delta in self._feed(data):
                        yield delta
                    if self._done:
                        break
                for delta in self._finish_body():
                    yield delta
        finally:
            await self._response.aclose()

    async def aclose(self) -> None:
        """Stop reading; what was received is reported as incomplete."""
        await self._response.aclose()
        self._report(incomplete=True)

    async def __aenter__(self) -> AsyncChatStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def _stream_call(client: openai.OpenAI | openai.AsyncOpenAI, body: Mapping[str, Any]) -> _Call:
    return _Call(client, _CHAT, {**body, "stream": True}, stream=True)


def open_stream(
    client: openai.OpenAI, body: Mapping[str, Any], *, options: RequestOptions | None = None
) -> ChatStream:
    """Send a streaming chat completion; HTTP errors raise here, before the first chunk."""
    call = _stream_call(client, body)
    with call.sending():
        sdk_stream = client.post(
            _CHAT, **call.post_kwargs(options, stream=True), stream_cls=openai.Stream[bytes]
        )
    return ChatStream(call.info, sdk_stream.response)


async def aopen_stream(
    client: openai.AsyncOpenAI, body: Mapping[str, Any], *, options: RequestOptions | None = None
) -> AsyncChatStream:
    """Asynchronous :func:`open_stream`."""
    call = _stream_call(client, body)
    with call.sending():
        sdk_stream = await client.post(
            _CHAT, **call.post_kwargs(options, stream=True), stream_cls=openai.AsyncStream[bytes]
        )
    return AsyncChatStream(call.info, sdk_stream.response)
