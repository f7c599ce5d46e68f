"""A loopback HTTP server that answers each request with the next queued raw response.

For tests that must put exact bytes on the wire (a real recording, a body in a shape no reply of
the emulator produces). Every request is recorded with its parsed JSON body.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["RawServer"]


class RawServer:
    """``with RawServer() as server:``; ``server.queue(status, content_type, body)``."""

    def __init__(self) -> None:
        self._responses: deque[tuple[int, str, bytes]] = deque()
        self.requests: list[Any] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                server.requests.append(json.loads(raw) if raw else None)
                status, content_type, body = server._responses.popleft()
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/api/v1"

    def queue(self, status: int, content_type: str, body: bytes) -> None:
        self._responses.append((status, content_type, body))

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
