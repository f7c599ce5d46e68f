"""The shapes production takes: a fresh event loop per job, a dead upstream, retries worth
logging, a base URL that is not OpenRouter, an empty answer, and settings that must not flip.

Each test goes through the public API of both frameworks (sync and async where both exist).
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage

from langchain_openrouter import ChatOpenRouter
from llama_index_openrouter import OpenRouter
from openrouter_core import NotOpenRouterError, ProviderError, RequestTimeoutError
from openrouter_core.client import get_client
from openrouter_core.settings import DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, ClientConfig
from openrouter_core.testing import OpenRouterEmulator, replies
from tests.raw_server import RawServer

MODEL = "anthropic/claude-haiku-4.5"
KEY = "sk-or-v1-" + "5ec7e7" * 8
FRAMEWORKS = ["langchain", "llamaindex"]


def _chat(framework: str, base_url: str, **kwargs: Any) -> Any:
    if framework == "langchain":
        return ChatOpenRouter(model=MODEL, api_key=KEY, base_url=base_url, **kwargs)
    return OpenRouter(model=MODEL, api_key=KEY, api_base=base_url, **kwargs)


def _ask(llm: Any) -> str:
    if isinstance(llm, ChatOpenRouter):
        return str(llm.invoke("Hi").content)
    return str(llm.chat([ChatMessage(role="user", content="Hi")]).message.content)


async def _aask(llm: Any) -> str:
    if isinstance(llm, ChatOpenRouter):
        return str((await llm.ainvoke("Hi")).content)
    return str((await llm.achat([ChatMessage(role="user", content="Hi")])).message.content)


def _stream(llm: Any) -> str:
    if isinstance(llm, ChatOpenRouter):
        return "".join(str(c.content) for c in llm.stream("Hi"))
    return str(list(llm.stream_chat([ChatMessage(role="user", content="Hi")]))[-1].message.content)


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


# ----------------------------------------------------------------------------- event loops


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts fds through /proc")
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_asyncio_run_per_job_leaves_no_socket_open(framework: str) -> None:
    with OpenRouterEmulator() as emu:
        llm = _chat(framework, emu.base_url, max_retries=0)
        for _ in range(3):  # warm up: imports, the emulator's own sockets
            asyncio.run(_aask(llm))
        gc.collect()
        before = _open_fds()
        for _ in range(40):
            assert asyncio.run(_aask(llm))
        gc.collect()
        after = _open_fds()
    assert after - before <= 2, (before, after)


# ----------------------------------------------------------------------------- timeouts


def test_the_default_timeout_ends_a_dead_connection_within_two_minutes() -> None:
    config = ClientConfig.build(
        api_key=KEY, base_url="http://127.0.0.1:9", timeout=None, max_retries=0
    )
    timeout = get_client(config).timeout
    assert timeout.read == DEFAULT_TIMEOUT <= 120  # type: ignore[union-attr]
    assert timeout.connect == DEFAULT_CONNECT_TIMEOUT  # type: ignore[union-attr]
    explicit = get_client(ClientConfig.build(api_key=KEY, base_url=None, timeout=7, max_retries=0))
    assert explicit.timeout == 7  # an explicit timeout still wins


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections, reads the request, never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            held.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/api/v1"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_dead_connection_fails_with_a_timeout_error_naming_the_setting(
    framework: str, silent_server: str
) -> None:
    llm = _chat(framework, silent_server, timeout=0.5, max_retries=0)
    with pytest.raises(RequestTimeoutError, match=r"timeout=") as info:
        _ask(llm)
    assert "0.5" in str(info.value)
    with pytest.raises(RequestTimeoutError):
        asyncio.run(_aask(llm))


def _slow_but_alive(handler: BaseHTTPRequestHandler) -> None:
    """OpenRouter's keep-alives for 1.5 s (one every 0.25 s), then the answer."""
    length = int(handler.headers.get("content-length") or 0)
    request = json.loads(handler.rfile.read(length))
    stream = request.get("stream") is True
    handler.send_response(200)
    handler.send_header("content-type", "text/event-stream" if stream else "application/json")
    handler.end_headers()
    base = {"id": "gen-slow", "created": 1, "model": MODEL, "provider": "Anthropic"}
    for _ in range(6):
        handler.wfile.write(b": OPENROUTER PROCESSING\n\n" if stream else b"\n   ")
        handler.wfile.flush()
        time.sleep(0.25)
    message = {"role": "assistant", "content": "Still here."}
    if stream:
        chunk = {**base, "choices": [{"index": 0, "delta": message, "finish_reason": "stop"}]}
        handler.wfile.write(f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode())
    else:
        body = {**base, "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
        handler.wfile.write(json.dumps(body).encode())
    handler.wfile.flush()
    handler.close_connection = True


@pytest.fixture
def slow_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            _slow_but_alive(self)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/api/v1"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_keep_alives_keep_a_slow_answer_alive_past_the_timeout(
    framework: str, slow_server: str
) -> None:
    llm = _chat(framework, slow_server, timeout=1.0, max_retries=0)  # the answer takes 1.5 s
    assert _ask(llm) == "Still here."
    assert _stream(llm) == "Still here."


# ----------------------------------------------------------------------------- retries


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_each_retry_is_logged_with_the_attempt_the_cause_and_the_wait(
    framework: str, caplog: pytest.LogCaptureFixture
) -> None:
    fast = {"retry-after-ms": "10"}
    with OpenRouterEmulator() as emu:
        emu.enqueue(replies.error(429, "Rate limit exceeded", headers=fast))
        emu.enqueue(replies.error(503, "No endpoints available", headers=fast))
        llm = _chat(framework, emu.base_url, max_retries=2)
        with caplog.at_level(logging.INFO, logger="openrouter_core"):
            assert _ask(llm)
    retries = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(retries) == 2
    assert "attempt 1 of 3: HTTP 429" in retries[0]
    assert "attempt 2 of 3: HTTP 503" in retries[1]
    assert all("/chat/completions" in r and " s" in r for r in retries)
    text = caplog.text
    assert KEY not in text  # no key
    assert '"messages"' not in text  # no body


# ----------------------------------------------------------------------------- not OpenRouter


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html", b"<html><body><h1>Not Found</h1></body></html>"),
        ("text/plain", b""),
        ("application/json", b'{"detail": "Not Found"}'),
    ],
    ids=["html page", "empty 404", "other json"],
)
def test_a_404_from_something_else_says_so_and_shows_what_answered(
    framework: str, content_type: str, body: bytes
) -> None:
    with RawServer() as server:
        server.queue(404, content_type, body)
        with pytest.raises(NotOpenRouterError) as info:
            _ask(_chat(framework, server.base_url, max_retries=0))
    message = str(info.value)
    assert "did not answer like OpenRouter" in message
    assert "HTTP 404" in message
    assert content_type in message
    assert body[:20].decode() in message
    assert "base_url" in message
    assert "not a valid model" not in message


def test_an_openrouter_404_is_still_a_model_not_found() -> None:
    from openrouter_core import ModelNotFoundError

    with OpenRouterEmulator() as emu:
        emu.enqueue(replies.error(404, "No endpoints found for x/y."))
        with pytest.raises(ModelNotFoundError) as info:
            _ask(_chat("langchain", emu.base_url, max_retries=0))
    assert not isinstance(info.value, NotOpenRouterError)


# ----------------------------------------------------------------------------- empty answers


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_200_without_choices_is_a_typed_error_with_the_billed_usage(framework: str) -> None:
    body = {
        "id": "gen-empty-1",
        "object": "chat.completion",
        "model": MODEL,
        "provider": "Anthropic",
        "choices": [],
        "usage": {"prompt_tokens": 9, "completion_tokens": 0, "total_tokens": 9, "cost": 0.00001},
    }
    with RawServer() as server:
        server.queue(200, "application/json", json.dumps(body).encode())
        with pytest.raises(ProviderError, match="no choices") as info:
            _ask(_chat(framework, server.base_url, max_retries=0))
    assert info.value.generation_id == "gen-empty-1"
    assert info.value.usage is not None
    assert info.value.usage.input_tokens == 9


# ----------------------------------------------------------------------------- settled metadata


def test_llamaindex_metadata_and_structured_path_never_flip() -> None:
    from openrouter_core.catalog import default_catalog

    with OpenRouterEmulator() as emu:
        llm = OpenRouter(model=MODEL, api_key=KEY, api_base=emu.base_url, max_retries=0)
        first = llm.metadata  # the catalog is not at hand yet: defaults
        json_schema_first = llm._uses_json_schema()
        default_catalog(emu.base_url).load()  # the catalog arrives (a background load would)
        later = llm.metadata
        assert later == first
        assert llm._uses_json_schema() is json_schema_first
        # a new instance (or another model) looks again and sees the catalog
        fresh = OpenRouter(model=MODEL, api_key=KEY, api_base=emu.base_url)
        info = default_catalog(emu.base_url).get(MODEL)
        assert fresh.metadata.context_window == info.context_length
