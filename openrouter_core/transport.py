"""The one path every OpenRouter request takes: through the official ``openai`` client.

Requests go through ``client.post``, so authentication, retries with backoff, ``Retry-After``,
timeouts and HTTP status errors are the SDK's; the body is sent exactly as built (OpenRouter
fields included) and the response is parsed here, as plain dicts, by one fast JSON parser and
the shared :class:`~openrouter_core.streaming.StreamAccumulator`. Every failure leaves as a
typed :class:`~openrouter_core.errors.OpenRouterError`.

Observers (the usage ledger, the budget guard) hear about every call: ``before_call`` may veto
a request by raising, ``after_call`` receives the usage, also for calls that failed after
being billed and for streams the caller abandoned.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any, Protocol

import openai

from openrouter_core import _json
from openrouter_core.errors import (
    OpenRouterError,
    ProviderError,
    map_errors,
    raise_for_error_body,
)
from openrouter_core.streaming import SSEDecoder, StreamAccumulator, StreamDelta
from openrouter_core.usage import OpenRouterUsage, usage_from_body

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

logger = logging.getLogger("openrouter_core")
_CHAT = "/chat/completions"


@dataclasses.dataclass(frozen=True, slots=True)
class RequestOptions:
    """Per-request settings passed to the SDK.

    Attributes:
        timeout: Seconds for this request, overriding the client's.
        max_retries: Retries for this request, overriding the client's.
        headers: Extra headers for this request.
    """

    timeout: float | None = None
    max_retries: int | None = None
    headers: Mapping[str, str] | None = None

    def to_sdk(self) -> openai.RequestOptions:
        """The SDK's ``options`` mapping."""
        options: openai.RequestOptions = {}
        if self.timeout is not None:
            options["timeout"] = self.timeout
        if self.max_retries is not None:
            options["max_retries"] = self.max_retries
        if self.headers:
            options["headers"] = dict(self.headers)
        return options


@dataclasses.dataclass(frozen=True, slots=True)
class CallInfo:
    """One OpenRouter request, as observers see it before it is sent.

    Attributes:
        model: The model the request asks for (``None`` = the account default).
        endpoint: The API path, e.g. ``"/chat/completions"``.
        body: The JSON body about to be sent.
        stream: Whether the response is streamed.
        base_url: The API root the request goes to (which catalog prices it, for example).
    """

    model: str | None
    endpoint: str
    body: Mapping[str, Any]
    stream: bool
    base_url: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class CallOutcome:
    """How a request ended.

    Attributes:
        usage: What it consumed and cost, when OpenRouter reported it (also on failures).
        error: The typed error, when it failed.
        incomplete: Whether the caller stopped reading a stream before it finished.
    """

    usage: OpenRouterUsage | None
    error: OpenRouterError | None = None
    incomplete: bool = False

    @property
    def failed(self) -> bool:
        """Whether the request ended in an error."""
        return self.error is not None


class CallObserver(Protocol):
    """Something that wants to hear about every request (the usage ledger, a budget guard)."""

    def before_call(self, call: CallInfo) -> None:
        """Called before the request is sent; raising here cancels it."""

    def after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        """Called once when the request has ended, successfully or not."""


_observers: tuple[CallObserver, ...] = ()
_observers_lock = threading.Lock()


def add_observer(observer: CallObserver) -> None:
    """Register an observer for every request made in this process."""
    global _observers  # noqa: PLW0603 - a copy-on-write tuple keeps the hot path lock-free
    with _observers_lock:
        if observer not in _observers:
            _observers = (*_observers, observer)


def remove_observer(observer: CallObserver) -> None:
    """Unregister an observer; unknown observers are ignored."""
    global _observers  # noqa: PLW0603
    with _observers_lock:
        _observers = tuple(o for o in _observers if o is not observer)


def _before(call: CallInfo) -> None:
    for observer in _observers:
        observer.before_call(call)


def _after(call: CallInfo, outcome: CallOutcome) -> None:
    for observer in _observers:
        try:
            observer.after_call(call, outcome)
        except Exception:  # noqa: PERF203 - one observer's bug must not hide the others
            logger.exception("usage observer %r failed; the call itself succeeded", observer)


def _info(
    client: openai.OpenAI | openai.AsyncOpenAI,
    endpoint: str,
    body: Mapping[str, Any],
    *,
    stream: bool,
) -> CallInfo:
    model = body.get("model")
    return CallInfo(
        model=model if isinstance(model, str) else None,
        endpoint=endpoint,
        body=body,
        stream=stream,
        base_url=str(client.base_url).rstrip("/"),
    )


def _wire(body: Mapping[str, Any]) -> dict[str, Any]:
    """The SDK's ``post`` keyword for the body: JSON bytes we encoded, or the dict for the SDK."""
    encoded = _json.encode_body(body)
    return {"content": encoded} if isinstance(encoded, bytes) else {"body": encoded}


def _parse_body(raw: bytes, model: str | None) -> Any:
    try:
        return _json.loads(raw)
    except _json.JSONDecodeError as exc:
        snippet = raw[:200].decode("utf-8", "replace").strip()
        raise ProviderError(f"the response is not JSON: {snippet!r}", model=model) from exc


def post_json(
    client: openai.OpenAI,
    endpoint: str,
    body: Mapping[str, Any],
    *,
    options: RequestOptions | None = None,
    observe: bool = True,
    check: Callable[[dict[str, Any]], object] | None = None,
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
    call = _info(client, endpoint, body, stream=False)
    if observe:
        _before(call)
    try:
        with map_errors(call.model):
            raw = client.post(
                endpoint,
                **_wire(body),
                cast_to=bytes,
                options=options.to_sdk() if options else {},
            )
        data = raise_for_error_body(
            _parse_body(raw, call.model), model=call.model, require_choices=endpoint == _CHAT
        )
        if check is not None:
            check(data)
    except OpenRouterError as exc:
        if observe:
            _after(call, CallOutcome(usage=exc.usage, error=exc))
        raise
    except BaseException:
        # Cancelled (or interrupted) before an answer: nothing billed is known, but observers
        # holding state for the call (the budget guard's reservation) must hear that it ended.
        if observe:
            _after(call, CallOutcome(usage=None, incomplete=True))
        raise
    if observe and _observers:  # the usage is parsed only for someone who listens
        _after(call, CallOutcome(usage=usage_from_body(data)))
    return data


async def apost_json(
    client: openai.AsyncOpenAI,
    endpoint: str,
    body: Mapping[str, Any],
    *,
    options: RequestOptions | None = None,
    observe: bool = True,
    check: Callable[[dict[str, Any]], object] | None = None,
) -> dict[str, Any]:
    """Asynchronous :func:`post_json` (``check`` is a plain function)."""
    call = _info(client, endpoint, body, stream=False)
    if observe:
        _before(call)
    try:
        with map_errors(call.model):
            raw = await client.post(
                endpoint,
                **_wire(body),
                cast_to=bytes,
                options=options.to_sdk() if options else {},
            )
        data = raise_for_error_body(
            _parse_body(raw, call.model), model=call.model, require_choices=endpoint == _CHAT
        )
        if check is not None:
            check(data)
    except OpenRouterError as exc:
        if observe:
            _after(call, CallOutcome(usage=exc.usage, error=exc))
        raise
    except BaseException:
        # Cancelled (or interrupted) before an answer: nothing billed is known, but observers
        # holding state for the call (the budget guard's reservation) must hear that it ended.
        if observe:
            _after(call, CallOutcome(usage=None, incomplete=True))
        raise
    if observe and _observers:  # the usage is parsed only for someone who listens
        _after(call, CallOutcome(usage=usage_from_body(data)))
    return data


def complete(
    client: openai.OpenAI, body: Mapping[str, Any], *, options: RequestOptions | None = None
) -> dict[str, Any]:
    """Send a non-streaming chat completion and return the checked response body."""
    return post_json(client, "/chat/completions", body, options=options)


async def acomplete(
    client: openai.AsyncOpenAI, body: Mapping[str, Any], *, options: RequestOptions | None = None
) -> dict[str, Any]:
    """Asynchronous :func:`complete`."""
    return await apost_json(client, "/chat/completions", body, options=options)


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

    def _report(self, error: OpenRouterError | None = None, *, incomplete: bool = False) -> None:
        if self._reported:
            return
        self._reported = True
        _after(self.call, CallOutcome(self.accumulator.usage, error=error, incomplete=incomplete))

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
            with map_errors(self.call.model):
                for data in self._response.iter_bytes():
                    yield from self._feed(data)
                    if self._decoder.done:
                        break
                yield from self._finish_body()
        except OpenRouterError as exc:
            if exc.partial_text is None:
                exc.partial_text = self.accumulator.text
            if exc.usage is None:
                exc.usage = self.accumulator.usage
            self._report(exc)
            raise
        except BaseException:
            # Abandoned (GeneratorExit), cancelled or interrupted: report what was received.
            self._report(incomplete=True)
            raise
        finally:
            self._response.close()
        self._report()

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
            with map_errors(self.call.model):
                async for data in self._response.aiter_bytes():
                    for delta in self._feed(data):
                        yield delta
                    if self._decoder.done:
                        break
                for delta in self._finish_body():
                    yield delta
        except OpenRouterError as exc:
            if exc.partial_text is None:
                exc.partial_text = self.accumulator.text
            if exc.usage is None:
                exc.usage = self.accumulator.usage
            self._report(exc)
            raise
        except BaseException:
            # Abandoned (GeneratorExit), cancelled or interrupted: report what was received.
            self._report(incomplete=True)
            raise
        finally:
            await self._response.aclose()
        self._report()

    async def aclose(self) -> None:
        """Stop reading; what was received is reported as incomplete."""
        await self._response.aclose()
        self._report(incomplete=True)

    async def __aenter__(self) -> AsyncChatStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def open_stream(
    client: openai.OpenAI, body: Mapping[str, Any], *, options: RequestOptions | None = None
) -> ChatStream:
    """Send a streaming chat completion; HTTP errors raise here, before the first chunk."""
    payload = {**body, "stream": True}
    call = _info(client, "/chat/completions", payload, stream=True)
    _before(call)
    try:
        with map_errors(call.model):
            sdk_stream = client.post(
                "/chat/completions",
                **_wire(payload),
                cast_to=bytes,
                stream=True,
                stream_cls=openai.Stream[bytes],
                options=options.to_sdk() if options else {},
            )
    except OpenRouterError as exc:
        _after(call, CallOutcome(usage=exc.usage, error=exc))
        raise
    except BaseException:
        _after(call, CallOutcome(usage=None, incomplete=True))
        raise
    return ChatStream(call, sdk_stream.response)


async def aopen_stream(
    client: openai.AsyncOpenAI, body: Mapping[str, Any], *, options: RequestOptions | None = None
) -> AsyncChatStream:
    """Asynchronous :func:`open_stream`."""
    payload = {**body, "stream": True}
    call = _info(client, "/chat/completions", payload, stream=True)
    _before(call)
    try:
        with map_errors(call.model):
            sdk_stream = await client.post(
                "/chat/completions",
                **_wire(payload),
                cast_to=bytes,
                stream=True,
                stream_cls=openai.AsyncStream[bytes],
                options=options.to_sdk() if options else {},
            )
    except OpenRouterError as exc:
        _after(call, CallOutcome(usage=exc.usage, error=exc))
        raise
    except BaseException:
        _after(call, CallOutcome(usage=None, incomplete=True))
        raise
    return AsyncChatStream(call, sdk_stream.response)
