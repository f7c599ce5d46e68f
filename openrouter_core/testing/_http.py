"""A small stdlib-only asyncio HTTP/1.1 server running its own event loop in a daemon thread.

It supports keep-alive, ``Content-Length`` and chunked request bodies, ``Expect: 100-continue``,
``Content-Length`` responses and ``Transfer-Encoding: chunked`` streams, and deliberately cut
responses. One task per connection, so thousands of concurrent connections are cheap.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["ClientGoneError", "Headers", "HttpRequest", "HttpServer", "Responder"]

_MAX_HEADER_BYTES = 1 << 16
_BACKLOG = 4096


class Headers(Mapping[str, str]):
    """Order-preserving HTTP headers with case-insensitive lookup.

    Repeated headers are joined with ``", "`` on lookup; iteration yields each distinct name
    once, in its first spelling.

    Args:
        items: ``(name, value)`` pairs as received.
    """

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str]] = [(str(k), str(v)) for k, v in items]
        self._index: dict[str, str] = {}
        self._names: dict[str, str] = {}
        for name, value in self._items:
            key = name.lower()
            self._index[key] = f"{self._index[key]}, {value}" if key in self._index else value
            self._names.setdefault(key, name)

    def __getitem__(self, name: str) -> str:
        return self._index[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._names.values())

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"

    def raw_items(self) -> list[tuple[str, str]]:
        """Return the ``(name, value)`` pairs exactly as received, duplicates included."""
        return list(self._items)


@dataclass(frozen=True)
class HttpRequest:
    """One parsed HTTP request.

    Attributes:
        method: Upper-case method.
        target: The request target as sent (path and query).
        path: The percent-decoded path without the query.
        query: Query parameters (last value wins).
        headers: Request headers.
        body: The raw body.
        version: ``HTTP/1.1`` or ``HTTP/1.0``.
    """

    method: str
    target: str
    path: str
    query: dict[str, str]
    headers: Headers
    body: bytes
    version: str


class ClientGoneError(ConnectionError):
    """The client closed the connection while a response was being written."""


class _BadRequestError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _encode_head(status: int, headers: Sequence[tuple[str, str]]) -> bytes:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    lines = [f"HTTP/1.1 {status} {phrase}", *(f"{k}: {v}" for k, v in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", errors="replace")


class Responder:
    """Writes the response to one request.

    Args:
        writer: The connection's stream writer.
        keep_alive: Whether the connection may serve another request afterwards.
        base_headers: Headers added to every response.
    """

    def __init__(
        self,
        writer: asyncio.StreamWriter,
        *,
        keep_alive: bool,
        base_headers: Sequence[tuple[str, str]],
    ) -> None:
        self._writer = writer
        self.keep_alive = keep_alive
        self._base_headers = list(base_headers)
        self.started = False
        self.closed = False
        self._streaming = False

    def _connection_header(self) -> tuple[str, str]:
        return ("Connection", "keep-alive" if self.keep_alive else "close")

    async def _write(self, data: bytes) -> None:
        if self._writer.is_closing():
            raise ClientGoneError("connection closed by the client")
        try:
            self._writer.write(data)
            await self._writer.drain()
        except (ConnectionError, RuntimeError) as exc:
            raise ClientGoneError(str(exc)) from exc

    async def send(
        self,
        status: int,
        body: bytes,
        *,
        content_type: str = "application/json",
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Send a complete response with ``Content-Length``.

        Args:
            status: HTTP status.
            body: The body bytes.
            content_type: ``Content-Type`` value.
            headers: Extra headers.
        """
        head = [
            *self._base_headers,
            *headers,
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            self._connection_header(),
        ]
        self.started = True
        await self._write(_encode_head(status, head) + body)

    async def send_truncated(
        self,
        status: int,
        body: bytes,
        sent: int,
        *,
        content_type: str = "application/json",
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Announce the full ``Content-Length`` but send only ``sent`` bytes, then close.

        Args:
            status: HTTP status.
            body: The full body (only a prefix is sent).
            sent: Number of body bytes to send (``< len(body)``).
            content_type: ``Content-Type`` value.
            headers: Extra headers.
        """
        head = [
            *self._base_headers,
            *headers,
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            self._connection_header(),
        ]
        self.started = True
        await self._write(_encode_head(status, head) + body[: max(0, min(sent, len(body) - 1))])
        await self.abort()

    async def start_stream(
        self,
        status: int = 200,
        *,
        content_type: str = "text/event-stream",
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Send the head of a ``Transfer-Encoding: chunked`` response.

        Args:
            status: HTTP status.
            content_type: ``Content-Type`` value.
            headers: Extra headers.
        """
        head = [
            *self._base_headers,
            *headers,
            ("Content-Type", content_type),
            ("Cache-Control", "no-cache"),
            ("Transfer-Encoding", "chunked"),
            self._connection_header(),
        ]
        self.started = True
        self._streaming = True
        await self._write(_encode_head(status, head))

    async def write_chunk(self, data: bytes) -> None:
        """Send one chunk of a chunked body (empty data is skipped).

        Raises:
            ClientGoneError: The client disconnected.
        """
        if data:
            await self._write(f"{len(data):X}\r\n".encode() + data + b"\r\n")

    async def end_stream(self) -> None:
        """Send the terminating zero-length chunk."""
        await self._write(b"0\r\n\r\n")
        self._streaming = False

    async def abort(self) -> None:
        """Close the connection now, leaving any body unfinished."""
        self.closed = True
        self.keep_alive = False
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self._writer.drain()
        self._writer.close()


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
        except ValueError as exc:
            raise _BadRequestError(400) from exc
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return bytes(body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)


async def _read_request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> HttpRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise _BadRequestError(400) from exc
        return None
    except asyncio.LimitOverrunError as exc:
        raise _BadRequestError(431) from exc
    lines = head.decode("latin-1").lstrip("\r\n").split("\r\n")
    try:
        method, target, version = lines[0].split(" ", 2)
    except ValueError as exc:
        raise _BadRequestError(400) from exc
    pairs = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise _BadRequestError(400)
        pairs.append((name.strip(), value.strip()))
    headers = Headers(pairs)
    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    else:
        try:
            length = int(headers.get("content-length", "0") or "0")
        except ValueError as exc:
            raise _BadRequestError(400) from exc
        body = await reader.readexactly(length) if length > 0 else b""
    split = urlsplit(target)
    return HttpRequest(
        method=method.upper(),
        target=target,
        path=unquote(split.path) or "/",
        query=dict(parse_qsl(split.query, keep_blank_values=True)),
        headers=headers,
        body=body,
        version=version.strip().upper(),
    )


def _keep_alive(request: HttpRequest) -> bool:
    connection = request.headers.get("connection", "").lower()
    if request.version == "HTTP/1.0":
        return "keep-alive" in connection
    return "close" not in connection


Handler = Callable[[HttpRequest, Responder], Awaitable[None]]
"""An async request handler; it must write exactly one response through the responder."""


class HttpServer:
    """Serve ``handler`` on ``host:port`` from an event loop in a daemon thread.

    Args:
        handler: The request handler.
        host: Interface to bind.
        port: Port to bind (``0`` picks a free port).
        base_headers: Headers added to every response.
        name: Thread name.
    """

    def __init__(
        self,
        handler: Handler,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        base_headers: Sequence[tuple[str, str]] = (),
        name: str = "openrouter-emulator",
    ) -> None:
        self._handler = handler
        self._host = host
        self._port = port
        self._base_headers = list(base_headers)
        self._name = name
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.errors: list[BaseException] = []
        """Exceptions raised by the handler (answered with HTTP 500), for debugging."""

    @property
    def port(self) -> int:
        """The bound port (valid after :meth:`start`)."""
        return self._port

    @property
    def running(self) -> bool:
        """Whether the server thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> None:
        """Start the loop thread and wait until the socket is listening.

        Args:
            timeout: Seconds to wait for the server to come up.

        Raises:
            RuntimeError: The server did not start.
        """
        if self.running:
            return
        self._ready.clear()
        self._error = None
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the emulator server did not start in time")
        if self._error is not None:
            raise RuntimeError("the emulator server failed to start") from self._error

    def stop(self, timeout: float = 10.0) -> None:
        """Close every connection, stop the loop and join the thread.

        Args:
            timeout: Seconds to wait for the thread to finish.
        """
        thread, loop, stopping = self._thread, self._loop, self._stopping
        if thread is None:
            return
        if loop is not None and stopping is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stopping.set)
        thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by start()
            self._error = exc
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(
            self._connection,
            self._host,
            self._port,
            backlog=_BACKLOG,
            limit=_MAX_HEADER_BYTES,
        )
        self._port = int(server.sockets[0].getsockname()[1])
        self._ready.set()
        try:
            await self._stopping.wait()
        finally:
            server.close()
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        cancelled = False
        try:
            await self._serve(reader, writer)
        except asyncio.CancelledError:
            cancelled = True
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            if cancelled:
                writer.transport.abort()
            else:
                writer.close()
            if task is not None:
                self._tasks.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while not writer.is_closing():
            try:
                request = await _read_request(reader, writer)
            except _BadRequestError as exc:
                responder = Responder(writer, keep_alive=False, base_headers=self._base_headers)
                message = http.HTTPStatus(exc.status).phrase
                body = f'{{"error":{{"message":"{message}","code":{exc.status}}}}}'.encode()
                await responder.send(exc.status, body)
                return
            if request is None:
                return
            responder = Responder(
                writer, keep_alive=_keep_alive(request), base_headers=self._base_headers
            )
            try:
                await self._handler(request, responder)
            except ClientGoneError:
                return
            except Exception as exc:  # answered with HTTP 500, kept in .errors
                self.errors.append(exc)
                if responder.started:
                    return
                await responder.send(
                    500, b'{"error":{"message":"Internal Server Error","code":500}}'
                )
            if not responder.keep_alive or responder.closed:
                return
