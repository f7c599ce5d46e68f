"""A minimal OpenRouter-shaped HTTP server for benchmarks, meant to run in its own process.

It answers every ``POST .../chat/completions`` with the same reply, as JSON or as an SSE stream
of ``chunks`` content chunks (OpenRouter's shape: ``provider``, ``native_finish_reason``, a
final chunk carrying ``usage`` with ``cost``). It does as little work per request as possible,
so what is measured is the client. Run: ``python -m benchmarks.server --cpu 1`` (prints the port).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

MODEL = "openai/gpt-4o-mini"
WORD = "tok "
USAGE = {
    "prompt_tokens": 12,
    "completion_tokens": 34,
    "total_tokens": 46,
    "cost": 0.0000222,
    "is_byok": False,
    "prompt_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0, "audio_tokens": 0},
    "cost_details": {"upstream_inference_cost": 0.0000222},
    "completion_tokens_details": {"reasoning_tokens": 0, "image_tokens": 0},
}


def completion_body(text: str) -> bytes:
    return json.dumps(
        {
            "id": "gen-1780000000-benchbenchbenchbench",
            "object": "chat.completion",
            "created": 1780000000,
            "model": MODEL + "-2024-07-18",
            "provider": "OpenAI",
            "system_fingerprint": None,
            "choices": [
                {
                    "index": 0,
                    "logprobs": None,
                    "finish_reason": "stop",
                    "native_finish_reason": "stop",
                    "message": {
                        "role": "assistant",
                        "content": text,
                        "refusal": None,
                        "reasoning": None,
                    },
                }
            ],
            "usage": USAGE,
        }
    ).encode()


def stream_events(chunks: int) -> list[bytes]:
    head = {
        "id": "gen-1780000000-benchbenchbenchbench",
        "object": "chat.completion.chunk",
        "created": 1780000000,
        "model": MODEL + "-2024-07-18",
        "provider": "OpenAI",
    }
    events = [b": OPENROUTER PROCESSING\n\n"]
    for i in range(chunks):
        delta = {"role": "assistant", "content": WORD} if i == 0 else {"content": WORD}
        choice = {"index": 0, "delta": delta, "finish_reason": None, "native_finish_reason": None}
        events.append(b"data: " + json.dumps({**head, "choices": [choice]}).encode() + b"\n\n")
    finish = {
        "index": 0,
        "delta": {"content": ""},
        "finish_reason": "stop",
        "native_finish_reason": "stop",
    }
    events.append(b"data: " + json.dumps({**head, "choices": [finish]}).encode() + b"\n\n")
    events.append(
        b"data: " + json.dumps({**head, "choices": [], "usage": USAGE}).encode() + b"\n\n"
    )
    events.append(b"data: [DONE]\n\n")
    return events


def _chunked(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


class Server:
    def __init__(self) -> None:
        self.bodies: dict[int, bytes] = {}
        self.streams: dict[int, list[bytes]] = {}

    def reply(self, chunks: int) -> bytes:
        body = self.bodies.get(chunks)
        if body is None:
            body = self.bodies[chunks] = completion_body(WORD * chunks)
        return (
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"x-generation-id: gen-1780000000-benchbenchbenchbench\r\n"
            b"content-length: %d\r\n\r\n%s" % (len(body), body)
        )

    def stream(self, chunks: int) -> list[bytes]:
        events = self.streams.get(chunks)
        if events is None:
            events = self.streams[chunks] = stream_events(chunks)
        return events

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                chunks = 20
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    lname = name.strip().lower()
                    if lname == b"content-length":
                        length = int(value)
                    elif lname == b"x-bench-chunks":
                        chunks = int(value)
                body = await reader.readexactly(length) if length else b""
                if b'"stream":true' in body.replace(b" ", b""):
                    writer.write(
                        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                        b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"
                    )
                    for event in self.stream(chunks):
                        writer.write(_chunked(event))
                        await writer.drain()
                    writer.write(b"0\r\n\r\n")
                else:
                    writer.write(self.reply(chunks))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def serve(port: int) -> None:
    server = Server()
    srv = await asyncio.start_server(server.handle, "127.0.0.1", port, backlog=2048)
    print(srv.sockets[0].getsockname()[1], flush=True)
    async with srv:
        await srv.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cpu", type=int, default=None)
    args = parser.parse_args()
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    try:
        asyncio.run(serve(args.port))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
