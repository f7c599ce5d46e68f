"""Behaviour tests for ``openrouter_core.testing`` (the local OpenRouter emulator).

Clients used: the stdlib (``http.client``, ``urllib.request``, ``socket``) and the official
``openai`` SDK. Expected numbers are worked out by hand from the documented token rule
(``ceil(len(text) / 4)`` per text, 3 per message) and the catalog's per-token prices.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import math
import re
import resource
import socket
import struct
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import openai
import pytest

import openrouter_core
from openrouter_core.testing import (
    DEFAULT_EMBEDDING_DIMENSIONS,
    GENERIC_SENTENCE,
    JSON_NULL,
    Charge,
    OpenRouterEmulator,
    RecordedRequest,
    replies,
)

HAIKU = "anthropic/claude-haiku-4.5"
HAIKU_SERVED = "anthropic/claude-4.5-haiku-20251001"
SONNET = "anthropic/claude-sonnet-4.5"
MINI = "openai/gpt-4o-mini"
MINI_SERVED = "openai/gpt-4o-mini-2024-07-18"
GPT5 = "openai/gpt-5-mini"
LLAMA = "meta-llama/llama-3.3-70b-instruct"
GEN_ID = re.compile(r"^gen-\d+-[A-Za-z0-9]{20}$")


def tok(text: str) -> int:
    """The documented token rule, restated here to hand-check the emulator."""
    return math.ceil(len(text) / 4)


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


# --------------------------------------------------------------------------- helpers


class Raw:
    """A raw HTTP exchange made with http.client."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)

    def sse(self) -> tuple[list[str], list[Any], bool]:
        return parse_sse(self.body)


def call(
    emu: OpenRouterEmulator,
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    auth: str | None = "test-key",
) -> Raw:
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=20)
    try:
        sent = {"Content-Type": "application/json"}
        if auth is not None:
            sent["Authorization"] = f"Bearer {auth}"
        sent.update(headers or {})
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, "/api/v1" + path, body=data, headers=sent)
        resp = conn.getresponse()
        raw = resp.read()
        return Raw(resp.status, {k.lower(): v for k, v in resp.getheaders()}, raw)
    finally:
        conn.close()


def chat(emu: OpenRouterEmulator, body: dict[str, Any], **kwargs: Any) -> Raw:
    return call(emu, "POST", "/chat/completions", body, **kwargs)


def parse_sse(raw: bytes) -> tuple[list[str], list[Any], bool]:
    comments: list[str] = []
    events: list[Any] = []
    done = False
    for block in raw.decode().split("\n\n"):
        for line in block.split("\n"):
            if not line:
                continue
            if line.startswith(":"):
                comments.append(line)
            elif line.startswith("data: "):
                data = line[len("data: ") :]
                if data == "[DONE]":
                    done = True
                else:
                    assert not done, "data after [DONE]"
                    events.append(json.loads(data))
            else:
                raise AssertionError(f"unexpected SSE line {line!r}")
    return comments, events, done


def streamed_text(events: list[Any]) -> str:
    return "".join(
        (choice["delta"].get("content") or "") for e in events for choice in e.get("choices", [])
    )


def dec(value: Any) -> Decimal:
    """Parse a JSON number the way a careful client does."""
    return Decimal(repr(value))


@pytest.fixture
def emu(openrouter_emulator: OpenRouterEmulator) -> Iterator[OpenRouterEmulator]:
    yield openrouter_emulator
    assert openrouter_emulator.errors == []


@pytest.fixture
def client(emu: OpenRouterEmulator) -> Iterator[openai.OpenAI]:
    c = openai.OpenAI(base_url=emu.base_url, api_key="test-key", max_retries=0, timeout=20)
    yield c
    c.close()


# --------------------------------------------------------------------------- lifecycle


def test_fixture_yields_started_emulator(emu: OpenRouterEmulator) -> None:
    assert emu.base_url == f"http://127.0.0.1:{emu.port}/api/v1"
    with urllib.request.urlopen(emu.base_url + "/models", timeout=10) as resp:  # noqa: S310
        assert resp.status == 200
        assert json.load(resp)["data"]


def test_context_manager_and_explicit_start_stop() -> None:
    with OpenRouterEmulator() as emu:
        port = emu.port
        assert call(emu, "GET", "/models").status == 200
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    emu2 = OpenRouterEmulator().start()
    try:
        assert call(emu2, "GET", "/models").status == 200
    finally:
        emu2.stop()
        emu2.stop()  # idempotent


def test_every_response_carries_emulator_header(emu: OpenRouterEmulator) -> None:
    responses = [
        chat(emu, {"model": MINI, "messages": user("hi")}),
        chat(emu, {"model": MINI, "messages": user("hi"), "stream": True}),
        chat(emu, {"model": MINI, "messages": user("hi")}, auth=None),
        call(emu, "GET", "/models"),
        call(emu, "GET", "/nope"),
        call(emu, "POST", "/embeddings", {"model": "openai/text-embedding-3-small", "input": "x"}),
        call(emu, "GET", "/key"),
    ]
    for raw in responses:
        assert raw.headers["x-openrouter-emulator"] == openrouter_core.__version__
    assert responses[0].headers["x-generation-id"] == responses[0].json()["id"]
    assert GEN_ID.match(responses[0].headers["x-generation-id"])
    assert responses[5].headers["x-generation-id"] == responses[5].json()["id"]
    assert responses[5].json()["id"].startswith("gen-emb-")


def test_keep_alive_serves_several_requests_on_one_connection(emu: OpenRouterEmulator) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
    try:
        for i in range(3):
            body = json.dumps({"model": MINI, "messages": user(f"n{i}"), "stream": i == 1})
            conn.request(
                "POST",
                "/api/v1/chat/completions",
                body=body,
                headers={"Authorization": "Bearer k", "Content-Type": "application/json"},
            )
            resp = conn.getresponse()
            assert resp.status == 200
            assert f"n{i}" in resp.read().decode()
            assert resp.getheader("Connection") == "keep-alive"
    finally:
        conn.close()
    assert len(emu.chat_requests) == 3


# --------------------------------------------------------------------------- auth


def test_missing_auth_is_401_with_the_real_body(emu: OpenRouterEmulator) -> None:
    for path, method, body in [
        ("/chat/completions", "POST", {"model": MINI, "messages": user("x")}),
        ("/embeddings", "POST", {"model": "openai/text-embedding-3-small", "input": "x"}),
        ("/key", "GET", None),
        ("/generation?id=gen-1", "GET", None),
    ]:
        raw = call(emu, method, path, body, auth=None)
        assert raw.status == 401
        assert raw.json() == {"error": {"message": "Missing Authentication header", "code": 401}}
    assert chat(emu, {"model": MINI, "messages": user("x")}, auth="").status == 401
    assert call(emu, "GET", "/models", auth=None).status == 200
    assert call(emu, "GET", f"/models/{HAIKU}/endpoints", auth=None).status == 200


def test_api_keys_restrict_accepted_tokens() -> None:
    with OpenRouterEmulator(api_keys={"sk-or-v1-good"}) as emu:
        assert chat(emu, {"model": MINI, "messages": user("x")}, auth="sk-or-v1-good").status == 200
        bad = chat(emu, {"model": MINI, "messages": user("x")}, auth="sk-or-v1-bad")
        assert bad.status == 401
        assert bad.json()["error"]["code"] == 401
        client = openai.OpenAI(base_url=emu.base_url, api_key="nope", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            client.chat.completions.create(model=MINI, messages=user("x"))  # type: ignore[arg-type]
        client.close()


# --------------------------------------------------------------------------- generic text


def test_generic_text_non_streaming_exact_usage(emu: OpenRouterEmulator) -> None:
    raw = chat(emu, {"model": HAIKU, "messages": user("What is 2+2?")})
    assert raw.status == 200
    assert raw.headers["content-type"] == "application/json"
    assert int(raw.headers["content-length"]) == len(raw.body)
    body = raw.json()
    expected = f"You said: What is 2+2?\n\n{GENERIC_SENTENCE}"
    assert body["model"] == HAIKU_SERVED
    assert body["provider"] == "Amazon Bedrock"
    assert body["object"] == "chat.completion"
    assert body["system_fingerprint"] is None
    assert body["service_tier"] is None
    choice = body["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert choice["native_finish_reason"] == "end_turn"
    assert choice["message"] == {
        "role": "assistant",
        "content": expected,
        "refusal": None,
        "reasoning": None,
    }
    prompt = 3 + tok("What is 2+2?")
    completion = tok(expected)
    prompt_cost = prompt * Decimal("0.000001")
    completion_cost = completion * Decimal("0.000005")
    usage = body["usage"]
    assert usage["prompt_tokens"] == prompt
    assert usage["completion_tokens"] == completion
    assert usage["total_tokens"] == prompt + completion
    assert usage["is_byok"] is False
    assert dec(usage["cost"]) == prompt_cost + completion_cost
    assert dec(usage["cost_details"]["upstream_inference_cost"]) == prompt_cost + completion_cost
    assert dec(usage["cost_details"]["upstream_inference_prompt_cost"]) == prompt_cost
    assert dec(usage["cost_details"]["upstream_inference_completions_cost"]) == completion_cost
    assert usage["prompt_tokens_details"] == {
        "cached_tokens": 0,
        "cache_write_tokens": 0,
        "audio_tokens": 0,
        "video_tokens": 0,
    }
    assert usage["completion_tokens_details"] == {
        "reasoning_tokens": 0,
        "image_tokens": 0,
        "audio_tokens": 0,
    }
    [charge] = emu.charges
    assert charge == Charge(
        generation_id=body["id"],
        requested_model=HAIKU,
        served_model=HAIKU_SERVED,
        provider="Amazon Bedrock",
        cost=prompt_cost + completion_cost,
        prompt_tokens=prompt,
        completion_tokens=completion,
    )


def test_openai_client_reads_extensions(client: openai.OpenAI, emu: OpenRouterEmulator) -> None:
    resp = client.chat.completions.with_raw_response.create(
        model=MINI, messages=[{"role": "system", "content": "Be brief."}, *user("Hello there")]
    )
    completion = resp.parse()
    assert resp.headers["x-generation-id"] == completion.id
    assert completion.model == MINI_SERVED
    assert completion.model_extra is not None
    assert completion.model_extra["provider"] == "OpenAI"
    assert completion.service_tier == "default"
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == 3 + tok("Be brief.") + 3 + tok("Hello there")
    cost = dec(completion.usage.model_extra["cost"])  # type: ignore[index]
    assert cost == emu.charges[-1].cost == emu.total_cost


def test_message_text_parts_and_legacy_prompt(emu: OpenRouterEmulator) -> None:
    parts = [{"type": "text", "text": "first"}, {"type": "text", "text": "second"}]
    body = chat(emu, {"model": MINI, "messages": [{"role": "user", "content": parts}]}).json()
    assert body["choices"][0]["message"]["content"].startswith("You said: first second")
    assert body["usage"]["prompt_tokens"] == 3 + tok("first") + tok("second")
    legacy = chat(emu, {"model": MINI, "prompt": "legacy prompt"}).json()
    assert "legacy prompt" in legacy["choices"][0]["message"]["content"]


def test_long_user_text_is_cut_in_the_echo(emu: OpenRouterEmulator) -> None:
    text = "word " * 200
    content = chat(emu, {"model": MINI, "messages": user(text)}).json()["choices"][0]["message"][
        "content"
    ]
    echoed = content.split("\n\n")[0]
    assert len(echoed) <= len("You said: ") + 200
    assert echoed.endswith("…")


# --------------------------------------------------------------------------- streaming


@pytest.mark.parametrize("mode", ["repeat_finish", "empty_choices", "separate"])
def test_stream_wire_shape(mode: str) -> None:
    with OpenRouterEmulator(usage_chunk=mode, processing_comments=3, chunk_chars=5) as emu:  # type: ignore[arg-type]
        raw = chat(emu, {"model": HAIKU, "messages": user("Count to three"), "stream": True})
        plain = chat(emu, {"model": HAIKU, "messages": user("Count to three")}).json()
    assert raw.status == 200
    assert raw.headers["content-type"] == "text/event-stream"
    assert raw.headers["cache-control"] == "no-cache"
    assert raw.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in raw.headers
    assert raw.body.startswith(b": OPENROUTER PROCESSING\n\n" * 3 + b"data: ")
    assert raw.body.endswith(b"data: [DONE]\n\n")
    comments, events, done = raw.sse()
    assert comments == [": OPENROUTER PROCESSING"] * 3
    assert done
    assert {e["id"] for e in events} == {raw.headers["x-generation-id"]}
    for event in events:
        assert event["object"] == "chat.completion.chunk"
        assert event["model"] == HAIKU_SERVED
        assert event["provider"] == "Amazon Bedrock"
    assert events[0]["choices"][0]["delta"]["role"] == "assistant"
    assert streamed_text(events) == plain["choices"][0]["message"]["content"]
    content_chunks = [e for e in events if e["choices"] and e["choices"][0]["delta"].get("content")]
    assert all(len(e["choices"][0]["delta"]["content"]) <= 5 for e in content_chunks)
    finish = events[-2]
    assert finish["choices"][0]["finish_reason"] == "stop"
    assert finish["choices"][0]["native_finish_reason"] == "end_turn"
    assert "usage" not in finish
    final = events[-1]
    assert final["usage"]["completion_tokens"] == plain["usage"]["completion_tokens"]
    assert final["usage"]["cost"] == plain["usage"]["cost"]
    assert all("usage" not in e for e in events[:-1])
    if mode == "repeat_finish":
        assert final["choices"] == finish["choices"]
        assert "service_tier" in final
    elif mode == "empty_choices":
        assert final["choices"] == []
    else:
        assert final["choices"][0]["finish_reason"] is None
        assert final["choices"][0]["delta"]["content"] == ""


def test_openai_client_stream(client: openai.OpenAI, emu: OpenRouterEmulator) -> None:
    chunks = list(
        client.chat.completions.create(model=GPT5, messages=user("Stream this"), stream=True)
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith("You said: Stream this")
    assert chunks[-1].usage is not None
    assert dec(chunks[-1].usage.model_extra["cost"]) == emu.charges[-1].cost  # type: ignore[index]
    assert emu.charges[-1].streamed is True


def test_reply_options_override_defaults(emu: OpenRouterEmulator) -> None:
    emu.enqueue(
        replies.text("abcdefghij", processing_comments=0, chunk_chars=2, usage_chunk="separate")
    )
    comments, events, _ = chat(emu, {"model": MINI, "messages": user("x"), "stream": True}).sse()
    assert comments == []
    pieces = [e["choices"][0]["delta"]["content"] for e in events[:-2]]
    assert pieces == ["ab", "cd", "ef", "gh", "ij"]
    assert events[-1]["choices"][0]["finish_reason"] is None
    emu.enqueue(replies.text("hello", keepalive_whitespace=23))
    raw = chat(emu, {"model": MINI, "messages": user("x")})
    assert raw.body.startswith(b"\n         \n" * 2 + b"\n{")
    assert json.loads(raw.body)["choices"][0]["message"]["content"] == "hello"


def test_keepalive_whitespace_is_tolerated_by_the_openai_client() -> None:
    with OpenRouterEmulator(keepalive_whitespace=200) as emu:
        client = openai.OpenAI(base_url=emu.base_url, api_key="k", max_retries=0)
        out = client.chat.completions.create(model=MINI, messages=user("hi"))  # type: ignore[arg-type]
        client.close()
    assert out.choices[0].message.content is not None


# --------------------------------------------------------------------------- scripted text


@pytest.mark.parametrize("stream", [False, True])
def test_scripted_text_with_reasoning(emu: OpenRouterEmulator, stream: bool) -> None:
    emu.enqueue(
        replies.text(
            "Paris.",
            reasoning="The capital of France is Paris.",
            model="anthropic/claude-custom",
            provider="Anthropic",
        )
    )
    raw = chat(emu, {"model": HAIKU, "messages": user("Capital of France?"), "stream": stream})
    if stream:
        _, events, _ = raw.sse()
        assert streamed_text(events) == "Paris."
        reasoning = "".join(
            e["choices"][0]["delta"].get("reasoning") or "" for e in events if e["choices"]
        )
        fragments = [
            d
            for e in events
            if e["choices"]
            for d in e["choices"][0]["delta"].get("reasoning_details") or []
        ]
        assert {(f["type"], f["index"], f["format"]) for f in fragments} == {
            ("reasoning.text", 0, "anthropic-claude-v1")
        }
        assert "".join(f["text"] for f in fragments) == "The capital of France is Paris."
        assert [("signature" in f) for f in fragments] == [False] * (len(fragments) - 1) + [True]
        assert len(fragments) > 1
        usage = events[-1]["usage"]
        model, provider = events[0]["model"], events[0]["provider"]
    else:
        body = raw.json()
        message = body["choices"][0]["message"]
        assert message["content"] == "Paris."
        reasoning = message["reasoning"]
        [detail] = message["reasoning_details"]
        assert detail["type"] == "reasoning.text"
        assert detail["format"] == "anthropic-claude-v1"
        assert base64.b64decode(detail["signature"])
        usage = body["usage"]
        model, provider = body["model"], body["provider"]
    assert reasoning == "The capital of France is Paris."
    assert (model, provider) == ("anthropic/claude-custom", "Anthropic")
    reasoning_tokens = tok("The capital of France is Paris.")
    assert usage["completion_tokens_details"]["reasoning_tokens"] == reasoning_tokens
    assert usage["completion_tokens"] == tok("Paris.") + reasoning_tokens


@pytest.mark.parametrize("stream", [False, True])
def test_scripted_usage_override(emu: OpenRouterEmulator, stream: bool) -> None:
    emu.enqueue(replies.text("a", usage={"cost": None, "cost_details": None, "is_byok": None}))
    emu.enqueue(
        replies.text(
            "b",
            usage={
                "prompt_tokens_details": JSON_NULL,
                "completion_tokens_details": None,
                "cost": Decimal("0.5"),
            },
        )
    )
    emu.enqueue(replies.text("c", usage={"prompt_tokens_details": {"cached_tokens": 7}}))
    usages = []
    for _ in range(3):
        raw = chat(emu, {"model": MINI, "messages": user("x"), "stream": stream})
        usages.append(raw.sse()[1][-1]["usage"] if stream else raw.json()["usage"])
    assert set(usages[0]) == {
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "prompt_tokens_details",
        "completion_tokens_details",
    }
    assert usages[1]["prompt_tokens_details"] is None
    assert "completion_tokens_details" not in usages[1]
    assert usages[1]["cost"] == 0.5
    assert usages[2]["prompt_tokens_details"]["cached_tokens"] == 7
    assert usages[2]["prompt_tokens_details"]["audio_tokens"] == 0
    charges = emu.charges
    assert charges[1].cost == Decimal("0.5")
    assert charges[2].cached_tokens == 7
    # a removed cost is still billed at the computed amount
    computed = (3 + tok("x")) * Decimal("0.00000015") + tok("a") * Decimal("0.0000006")
    assert charges[0].cost == computed


def test_scripted_annotations_and_custom_finish(emu: OpenRouterEmulator) -> None:
    citation = {
        "type": "url_citation",
        "url_citation": {
            "url": "https://example.com",
            "title": "Ex",
            "start_index": 0,
            "end_index": 5,
        },
    }
    emu.enqueue(replies.text("Cited", annotations=[citation], finish_reason="length"), times=2)
    body = chat(emu, {"model": MINI, "messages": user("x")}).json()
    assert body["choices"][0]["message"]["annotations"] == [citation]
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["choices"][0]["native_finish_reason"] == "length"
    _, events, _ = chat(emu, {"model": MINI, "messages": user("x"), "stream": True}).sse()
    annotated = [e for e in events if e["choices"] and "annotations" in e["choices"][0]["delta"]]
    assert annotated[0]["choices"][0]["delta"]["annotations"] == [citation]


def test_scripted_replies_serve_unknown_models(emu: OpenRouterEmulator) -> None:
    emu.enqueue(replies.text("ok"))
    body = chat(emu, {"model": "openai/gpt-9-unreleased", "messages": user("x")}).json()
    assert body["model"] == "openai/gpt-9-unreleased"
    assert body["provider"] == "OpenAI"
    assert body["usage"]["cost"] == 0


# --------------------------------------------------------------------------- scripted tool calls


@pytest.mark.parametrize("stream", [False, True])
def test_scripted_tool_calls(emu: OpenRouterEmulator, stream: bool) -> None:
    emu.enqueue(
        replies.tool_calls(
            [
                {"name": "weather", "arguments": {"city": "Berlin"}, "id": "call_fixed"},
                {"name": "broken", "arguments": '{"oops": '},
            ]
        )
    )
    raw = chat(emu, {"model": HAIKU, "messages": user("x"), "stream": stream})
    if not stream:
        choice = raw.json()["choices"][0]
        assert choice["finish_reason"] == "tool_calls"
        assert choice["native_finish_reason"] == "tool_use"
        message = choice["message"]
        assert message["content"] == ""
        calls = message["tool_calls"]
        assert [c["index"] for c in calls] == [0, 1]
        assert calls[0] == {
            "type": "function",
            "index": 0,
            "id": "call_fixed",
            "function": {"name": "weather", "arguments": '{"city": "Berlin"}'},
        }
        assert calls[1]["function"]["arguments"] == '{"oops": '
        assert calls[1]["id"].startswith("toolu_bdrk_01")
        return
    _, events, done = raw.sse()
    assert done
    deltas = [
        tc
        for e in events
        if e["choices"]
        for tc in e["choices"][0]["delta"].get("tool_calls") or []
    ]
    openers = [d for d in deltas if "id" in d]
    assert [(d["index"], d["function"]["name"], d["function"]["arguments"]) for d in openers] == [
        (0, "weather", ""),
        (1, "broken", ""),
    ]
    assert all(d["type"] == "function" for d in openers)
    for index, expected in [(0, '{"city": "Berlin"}'), (1, '{"oops": ')]:
        fragments = [d for d in deltas if d["index"] == index and "id" not in d]
        assert all(set(d) == {"index", "function"} for d in fragments)
        assert "".join(d["function"]["arguments"] for d in fragments) == expected
    assert events[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_scripted_tool_calls_same_chunk(emu: OpenRouterEmulator) -> None:
    emu.enqueue(
        replies.tool_calls(
            [{"name": "a", "arguments": {"x": 1}}, {"name": "b", "arguments": {"y": 2}}],
            same_chunk=True,
        )
    )
    _, events, _ = chat(
        emu, {"model": "google/gemini-2.5-flash", "messages": user("x"), "stream": True}
    ).sse()
    with_calls = [e for e in events if e["choices"] and e["choices"][0]["delta"].get("tool_calls")]
    assert len(with_calls) == 1
    calls = with_calls[0]["choices"][0]["delta"]["tool_calls"]
    assert [(c["index"], c["function"]["name"], c["function"]["arguments"]) for c in calls] == [
        (0, "a", '{"x": 1}'),
        (1, "b", '{"y": 2}'),
    ]
    assert calls[0]["id"].startswith("tool_0_a_")
    assert events[-1]["choices"][0]["native_finish_reason"] == "STOP"


def test_openai_client_accumulates_streamed_tool_calls(
    client: openai.OpenAI, emu: OpenRouterEmulator
) -> None:
    emu.enqueue(replies.tool_calls([{"name": "lookup", "arguments": {"q": "a long query value"}}]))
    args = ""
    name = None
    for chunk in client.chat.completions.create(model=MINI, messages=user("x"), stream=True):
        for tc in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            name = name or (tc.function.name if tc.function else None)
            args += (tc.function.arguments or "") if tc.function else ""
    assert name == "lookup"
    assert json.loads(args) == {"q": "a long query value"}


def test_enqueue_validation(emu: OpenRouterEmulator) -> None:
    with pytest.raises(TypeError):
        emu.enqueue("text")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="embeddings"):
        emu.enqueue(replies.text("x"), endpoint="embeddings")
    with pytest.raises(ValueError, match="unknown endpoint"):
        emu.enqueue(replies.text("x"), endpoint="nope")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="name"):
        replies.tool_calls([{"arguments": {}}])
    emu.enqueue(replies.text("x"), times=3)
    assert emu.pending() == 3
    emu.reset()
    assert emu.pending() == 0


# --------------------------------------------------------------------------- scripted errors


@pytest.mark.parametrize("stream", [False, True])
def test_error_429_with_retry_after(
    emu: OpenRouterEmulator, client: openai.OpenAI, stream: bool
) -> None:
    emu.enqueue(
        replies.error(
            429,
            "Provider returned error",
            metadata={"provider_name": "Google", "raw": "rate-limited upstream"},
            headers={"Retry-After": "1"},
        )
    )
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model=MINI, messages=user("x"), stream=stream)  # type: ignore[call-overload]
    assert info.value.status_code == 429
    assert info.value.response.headers["retry-after"] == "1"
    assert info.value.response.headers["content-type"] == "application/json"
    body = info.value.response.json()
    assert body["error"] == {
        "message": "Provider returned error",
        "code": 429,
        "metadata": {"provider_name": "Google", "raw": "rate-limited upstream"},
    }
    assert re.fullmatch(r"user_[A-Za-z0-9]{27}", body["user_id"])
    assert emu.charges == []


def test_error_402_403_502_and_verbatim_body(
    emu: OpenRouterEmulator, client: openai.OpenAI
) -> None:
    moderation = {
        "reasons": ["violence"],
        "flagged_input": "some…text",
        "provider_name": "OpenAI",
        "model_slug": MINI,
    }
    raw_upstream = json.dumps({"error": {"message": "upstream exploded", "type": "server_error"}})
    emu.enqueue(replies.error(402, "Insufficient credits", metadata={"provider_name": None}))
    emu.enqueue(replies.error(403, "Input was flagged", metadata=moderation))
    emu.enqueue(
        replies.error(
            502,
            "Provider returned error",
            metadata={"provider_name": "OpenAI", "raw": raw_upstream},
        )
    )
    emu.enqueue(replies.error(503, "ignored", body="not json at all"))
    with pytest.raises(openai.APIStatusError) as e402:
        client.chat.completions.create(model=MINI, messages=user("x"))  # type: ignore[arg-type]
    assert e402.value.status_code == 402
    with pytest.raises(openai.PermissionDeniedError) as e403:
        client.chat.completions.create(model=MINI, messages=user("x"))  # type: ignore[arg-type]
    assert e403.value.response.json()["error"]["metadata"] == moderation
    with pytest.raises(openai.InternalServerError) as e502:
        client.chat.completions.create(model=MINI, messages=user("x"))  # type: ignore[arg-type]
    inner = json.loads(e502.value.response.json()["error"]["metadata"]["raw"])
    assert inner["error"]["message"] == "upstream exploded"
    raw = chat(emu, {"model": MINI, "messages": user("x")})
    assert (raw.status, raw.body) == (503, b"not json at all")


def test_retry_consumes_the_next_queued_reply(emu: OpenRouterEmulator) -> None:
    emu.enqueue(replies.error(500, "boom", headers={"retry-after-ms": "10"}))
    emu.enqueue(replies.text("second time lucky"))
    client = openai.OpenAI(base_url=emu.base_url, api_key="k", max_retries=1)
    out = client.chat.completions.create(model=MINI, messages=user("x"))  # type: ignore[arg-type]
    client.close()
    assert out.choices[0].message.content == "second time lucky"
    assert len(emu.chat_requests) == 2
    assert emu.pending() == 0


def test_error_in_200(emu: OpenRouterEmulator, client: openai.OpenAI) -> None:
    emu.enqueue(replies.error_in_200("Upstream failed", 502, metadata={"provider_name": "OpenAI"}))
    raw = chat(emu, {"model": MINI, "messages": user("x")})
    assert raw.status == 200
    assert raw.json() == {
        "error": {
            "message": "Upstream failed",
            "code": 502,
            "metadata": {"provider_name": "OpenAI"},
        }
    }
    emu.enqueue(replies.error_in_200("Upstream failed", 502, usage={}))
    body = chat(emu, {"model": MINI, "messages": user("x")}).json()
    assert "choices" not in body
    assert body["usage"]["prompt_tokens"] == 3 + tok("x")
    assert body["usage"]["completion_tokens"] == 0
    emu.enqueue(replies.error_in_200("Upstream failed", 502))
    with pytest.raises(openai.APIError, match="Upstream failed"):
        list(client.chat.completions.create(model=MINI, messages=user("x"), stream=True))
    charges = emu.charges
    assert [c.failed for c in charges] == [True, True, True]
    assert charges[0].cost == 0
    assert charges[1].cost == (3 + tok("x")) * Decimal("0.00000015")


@pytest.mark.parametrize("finish_reason", ["error", None])
def test_midstream_error_streaming(emu: OpenRouterEmulator, finish_reason: str | None) -> None:
    emu.enqueue(
        replies.midstream_error(
            2,
            429,
            "Rate limit exceeded",
            finish_reason=finish_reason,
            metadata={"error_type": "rate_limit_exceeded"},
            content="abcdefghijklmnopqrstuvwxyz0123456789",
            chunk_chars=10,
        )
    )
    _, events, done = chat(emu, {"model": HAIKU, "messages": user("x"), "stream": True}).sse()
    assert done
    assert [e["choices"][0]["delta"]["content"] for e in events[:-1]] == [
        "abcdefghij",
        "klmnopqrst",
    ]
    last = events[-1]
    assert last["error"] == {
        "code": 429,
        "message": "Rate limit exceeded",
        "metadata": {"error_type": "rate_limit_exceeded"},
    }
    assert last["choices"] == [
        {
            "index": 0,
            "delta": {"role": "assistant", "content": ""},
            "finish_reason": finish_reason,
            "native_finish_reason": None,
        }
    ]
    assert last["usage"]["completion_tokens"] == tok("abcdefghijklmnopqrst")
    [charge] = emu.charges
    assert charge.failed
    assert charge.cost == dec(last["usage"]["cost"])


def test_midstream_error_clients(emu: OpenRouterEmulator, client: openai.OpenAI) -> None:
    emu.enqueue(replies.midstream_error(1, 502, "Provider disconnected"))
    received: list[Any] = []
    stream = client.chat.completions.create(model=MINI, messages=user("hello"), stream=True)
    with pytest.raises(openai.APIError, match="Provider disconnected"):
        received.extend(stream)
    assert len(received) == 1
    emu.enqueue(replies.midstream_error(1, 502, "Provider disconnected", content="partial answer"))
    body = chat(emu, {"model": MINI, "messages": user("x")}).json()
    choice = body["choices"][0]
    assert choice["message"]["content"] == "partial answer"
    assert choice["finish_reason"] == "error"
    assert choice["error"] == {"code": 502, "message": "Provider disconnected"}
    assert body["usage"]["completion_tokens"] == tok(choice["message"]["content"])


def test_drop_connection_streaming_is_an_incomplete_chunked_body(emu: OpenRouterEmulator) -> None:
    emu.enqueue(replies.drop_connection(2))
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
    conn.request(
        "POST",
        "/api/v1/chat/completions",
        body=json.dumps({"model": MINI, "messages": user("hello world"), "stream": True}),
        headers={"Authorization": "Bearer k"},
    )
    resp = conn.getresponse()
    assert resp.status == 200
    assert resp.getheader("Transfer-Encoding") == "chunked"
    with pytest.raises(http.client.IncompleteRead) as info:
        resp.read()
    conn.close()
    _, events, done = parse_sse(info.value.partial)
    assert not done
    assert len(events) == 2
    [charge] = emu.charges
    assert charge.failed
    generation = emu.generation(charge.generation_id)
    assert generation is not None
    assert generation["cancelled"] is True


def test_drop_connection_is_an_error_for_the_openai_client(
    emu: OpenRouterEmulator, client: openai.OpenAI
) -> None:
    emu.enqueue(replies.drop_connection(1))
    got: list[Any] = []
    stream = client.chat.completions.create(model=MINI, messages=user("x"), stream=True)
    with pytest.raises(Exception) as info:  # the exact class depends on the SDK major version
        got.extend(stream)
    assert (
        isinstance(info.value, openai.APIConnectionError) or "Protocol" in type(info.value).__name__
    )
    assert len(got) == 1
    emu.enqueue(replies.drop_connection(1))
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model=MINI, messages=user("x"))  # type: ignore[arg-type]
    emu.enqueue(replies.drop_connection(0))
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model=MINI, messages=user("x"))  # type: ignore[arg-type]


def test_stall_times_out_the_client(emu: OpenRouterEmulator) -> None:
    emu.enqueue(replies.stall(1.0, then=replies.text("late")))
    client = openai.OpenAI(base_url=emu.base_url, api_key="k", max_retries=0, timeout=0.3)
    start = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model=MINI, messages=user("x"))  # type: ignore[arg-type]
    assert time.monotonic() - start < 1.0
    client.close()
    time.sleep(0.9)  # the stalled handler finishes and finds the client gone
    assert chat(emu, {"model": MINI, "messages": user("after")}).status == 200


def test_delay_and_chunk_delay(emu: OpenRouterEmulator) -> None:
    emu.enqueue(replies.text("x", delay=0.2))
    start = time.monotonic()
    chat(emu, {"model": MINI, "messages": user("x")})
    assert time.monotonic() - start >= 0.2
    emu.enqueue(replies.text("abcdef", chunk_chars=2, chunk_delay=0.05))
    start = time.monotonic()
    chat(emu, {"model": MINI, "messages": user("x"), "stream": True})
    assert time.monotonic() - start >= 0.2


def test_embeddings_queue(emu: OpenRouterEmulator) -> None:
    emu.enqueue(replies.error(429, "slow down"), endpoint="embeddings")
    body = {"model": "openai/text-embedding-3-small", "input": "x"}
    assert call(emu, "POST", "/embeddings", body).status == 429
    emu.enqueue(replies.error_in_200("bad", 400), endpoint="embeddings")
    raw = call(emu, "POST", "/embeddings", body)
    assert (raw.status, raw.json()["error"]["message"]) == (200, "bad")
    assert call(emu, "POST", "/embeddings", body).status == 200
    assert chat(emu, {"model": MINI, "messages": user("x")}).status == 200


# --------------------------------------------------------------------------- generic tools


BOOKING_TOOL = {
    "type": "function",
    "function": {
        "name": "book_flight",
        "description": "Book a flight",
        "parameters": {
            "type": "object",
            "properties": {
                "destination": {"type": "string"},
                "passenger": {"type": "string"},
                "seats": {"type": "integer", "minimum": 1},
                "budget": {"type": "number"},
                "cabin": {"type": "string", "enum": ["economy", "business", "first"]},
                "date": {"type": "string", "format": "date"},
                "window": {"type": "boolean"},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
                "contact": {
                    "type": "object",
                    "properties": {"email": {"type": "string", "format": "email"}},
                    "required": ["email"],
                },
                "note": {"type": "string"},
            },
            "required": [
                "destination",
                "passenger",
                "seats",
                "budget",
                "cabin",
                "date",
                "window",
                "tags",
                "contact",
            ],
        },
    },
}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


def test_generic_tool_call_fills_schema_from_the_user_message(emu: OpenRouterEmulator) -> None:
    text = 'Book 3 seats to Lisbon for "Ada Lovelace" in business class, budget 1250.50 EUR.'
    body = chat(emu, {"model": HAIKU, "messages": user(text), "tools": [BOOKING_TOOL]}).json()
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["native_finish_reason"] == "tool_use"
    [tool_call] = choice["message"]["tool_calls"]
    assert tool_call["function"]["name"] == "book_flight"
    assert tool_call["index"] == 0
    assert tool_call["id"].startswith("toolu_bdrk_01")
    args = json.loads(tool_call["function"]["arguments"])
    assert args == {
        "destination": "Lisbon",
        "passenger": "Ada Lovelace",
        "seats": 3,
        "budget": 1250.5,
        "cabin": "business",
        "date": "2025-01-01",
        "window": True,
        "tags": ["EUR", "example tags"],
        "contact": {"email": "user@example.com"},
    }
    assert choice["message"]["content"] == ""


@pytest.mark.parametrize(
    ("tool_choice", "expected"),
    [
        ({"type": "function", "function": {"name": "get_weather"}}, "get_weather"),
        ("required", "book_flight"),
        ("auto", "book_flight"),
        ("none", None),
    ],
)
def test_tool_choice(emu: OpenRouterEmulator, tool_choice: Any, expected: str | None) -> None:
    body = chat(
        emu,
        {
            "model": MINI,
            "messages": user("Weather in Oslo?"),
            "tools": [BOOKING_TOOL, WEATHER_TOOL],
            "tool_choice": tool_choice,
        },
    ).json()
    message = body["choices"][0]["message"]
    if expected is None:
        assert "tool_calls" not in message
        assert message["content"].startswith("You said: Weather in Oslo?")
        return
    assert message["tool_calls"][0]["function"]["name"] == expected
    assert message["tool_calls"][0]["id"].startswith("call_")
    if expected == "get_weather":
        assert json.loads(message["tool_calls"][0]["function"]["arguments"]) == {"city": "Oslo"}


def test_answer_after_tool_results_quotes_them(
    emu: OpenRouterEmulator, client: openai.OpenAI
) -> None:
    first = client.chat.completions.create(
        model=HAIKU,
        messages=user("Weather in Oslo?"),
        tools=[WEATHER_TOOL],  # type: ignore[list-item]
    )
    call_ = first.choices[0].message.tool_calls[0]  # type: ignore[index]
    messages = [
        *user("Weather in Oslo?"),
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call_.id, "content": "Oslo: 12°C, light rain"},
    ]
    second = client.chat.completions.create(model=HAIKU, messages=messages, tools=[WEATHER_TOOL])  # type: ignore[arg-type,list-item]
    assert second.choices[0].finish_reason == "stop"
    assert second.choices[0].message.content == (
        "Here is what the tools returned:\n- get_weather: Oslo: 12°C, light rain"
    )


def test_llama_has_no_tool_support(emu: OpenRouterEmulator) -> None:
    raw = chat(emu, {"model": LLAMA, "messages": user("x"), "tools": [WEATHER_TOOL]})
    assert raw.status == 404
    assert raw.json()["error"]["message"].startswith("No endpoints found that support tool use")
    ok = chat(
        emu, {"model": LLAMA, "messages": user("x"), "tools": [WEATHER_TOOL], "models": [MINI]}
    )
    assert ok.json()["model"] == MINI_SERVED


# --------------------------------------------------------------------------- structured output


def validate(schema: dict[str, Any], value: Any, root: dict[str, Any] | None = None) -> None:
    """A small JSON-schema validator (the subset the tests use)."""
    root = root or schema
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        validate(target, value, root)
        return
    if "anyOf" in schema:
        assert any(is_valid(o, value, root) for o in schema["anyOf"]), f"{value!r}: no branch"
        return
    if "enum" in schema:
        assert value in schema["enum"]
    kinds = {
        "object": dict,
        "array": list,
        "string": str,
        "integer": int,
        "number": (int, float),
        "boolean": bool,
        "null": type(None),
    }
    kind = schema.get("type")
    if kind is not None:
        assert isinstance(value, kinds[kind]), f"{value!r} is not {kind}"
        if kind in {"integer", "number"}:
            assert not isinstance(value, bool)
    if isinstance(value, dict):
        for key in schema.get("required", []):
            assert key in value, f"missing {key}"
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                validate(sub, value[key], root)
        if schema.get("additionalProperties") is False:
            assert set(value) <= set(schema.get("properties", {}))
    if isinstance(value, list):
        assert len(value) >= schema.get("minItems", 0)
        for item in value:
            validate(schema.get("items", {}), item, root)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        assert value >= schema.get("minimum", -math.inf)
        assert value <= schema.get("maximum", math.inf)


def is_valid(schema: dict[str, Any], value: Any, root: dict[str, Any]) -> bool:
    try:
        validate(schema, value, root)
    except AssertionError:
        return False
    return True


PERSON_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "height_m": {"type": "number"},
        "role": {"enum": ["admin", "user", "guest"]},
        "address": {"$ref": "#/$defs/Address"},
        "nickname": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "skills": {"type": "array", "items": {"$ref": "#/$defs/Skill"}},
    },
    "required": ["name", "age", "height_m", "role", "address", "nickname", "skills"],
    "additionalProperties": False,
    "$defs": {
        "Address": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
            "required": ["city", "zip"],
            "additionalProperties": False,
        },
        "Skill": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "level": {"type": "integer"}},
            "required": ["name", "level"],
            "additionalProperties": False,
        },
    },
}


@pytest.mark.parametrize("stream", [False, True])
def test_json_schema_response_is_a_valid_instance(emu: OpenRouterEmulator, stream: bool) -> None:
    request = {
        "model": GPT5,
        "messages": user(
            "Profile: Grace Hopper is 85 years old, 1.7 m tall, an admin in Arlington."
        ),
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "person", "strict": True, "schema": PERSON_SCHEMA},
        },
        "stream": stream,
    }
    raw = chat(emu, request)
    content = (
        streamed_text(raw.sse()[1]) if stream else raw.json()["choices"][0]["message"]["content"]
    )
    value = json.loads(content)
    validate(PERSON_SCHEMA, value)
    assert value["name"] == "Grace Hopper"
    assert value["address"]["city"] == "Arlington"
    assert value["age"] == 85
    assert value["height_m"] == 1.7
    assert value["role"] == "admin"


def test_json_object_response(emu: OpenRouterEmulator) -> None:
    body = chat(
        emu,
        {"model": MINI, "messages": user("Give JSON"), "response_format": {"type": "json_object"}},
    ).json()
    value = json.loads(body["choices"][0]["message"]["content"])
    assert isinstance(value, dict)
    assert "Give JSON" in value["response"]


# --------------------------------------------------------------------------- stop / max_tokens


def test_stop_sequences_cut_the_text(emu: OpenRouterEmulator) -> None:
    body = chat(
        emu, {"model": HAIKU, "messages": user("alpha beta"), "stop": ["beta", "zzz"]}
    ).json()
    choice = body["choices"][0]
    assert choice["message"]["content"] == "You said: alpha "
    assert choice["finish_reason"] == "stop"
    assert choice["native_finish_reason"] == "stop_sequence"
    assert body["usage"]["completion_tokens"] == tok("You said: alpha ")
    single = chat(emu, {"model": MINI, "messages": user("alpha"), "stop": ":"}).json()
    assert single["choices"][0]["message"]["content"] == "You said"


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
def test_max_tokens_truncates(emu: OpenRouterEmulator, field: str) -> None:
    body = chat(emu, {"model": HAIKU, "messages": user("a long enough prompt"), field: 3}).json()
    choice = body["choices"][0]
    assert choice["message"]["content"] == "You said: a "
    assert choice["finish_reason"] == "length"
    assert choice["native_finish_reason"] == "max_tokens"
    assert body["usage"]["completion_tokens"] == 3
    _, events, _ = chat(
        emu, {"model": MINI, "messages": user("a long enough prompt"), field: 3, "stream": True}
    ).sse()
    assert streamed_text(events) == "You said: a "
    assert events[-1]["choices"][0]["finish_reason"] == "length"


# --------------------------------------------------------------------------- reasoning


def test_reasoning_anthropic_and_openai_formats(emu: OpenRouterEmulator) -> None:
    claude = chat(
        emu, {"model": HAIKU, "messages": user("5+3?"), "reasoning": {"effort": "medium"}}
    ).json()
    message = claude["choices"][0]["message"]
    [detail] = message["reasoning_details"]
    assert set(detail) == {"type", "text", "format", "index", "signature"}
    assert detail["text"] == message["reasoning"]
    reasoning_tokens = tok(message["reasoning"])
    usage = claude["usage"]
    assert usage["completion_tokens_details"]["reasoning_tokens"] == reasoning_tokens
    assert usage["completion_tokens"] == tok(message["content"]) + reasoning_tokens
    assert dec(usage["cost_details"]["upstream_inference_completions_cost"]) == usage[
        "completion_tokens"
    ] * Decimal("0.000005")

    gpt = chat(emu, {"model": GPT5, "messages": user("5+3?"), "reasoning_effort": "low"}).json()
    message = gpt["choices"][0]["message"]
    summary, encrypted = message["reasoning_details"]
    assert (summary["type"], summary["format"]) == ("reasoning.summary", "openai-responses-v1")
    assert summary["summary"] == message["reasoning"]
    assert encrypted["type"] == "reasoning.encrypted"
    assert encrypted["data"].startswith("gAAAAAB")
    assert encrypted["id"].startswith("rs_")
    assert gpt["choices"][0]["native_finish_reason"] == "completed"


def test_reasoning_exclude_counts_but_hides(emu: OpenRouterEmulator) -> None:
    shown = chat(
        emu, {"model": HAIKU, "messages": user("q"), "reasoning": {"enabled": True}}
    ).json()
    hidden = chat(
        emu, {"model": HAIKU, "messages": user("q"), "reasoning": {"exclude": True}}
    ).json()
    legacy = chat(emu, {"model": HAIKU, "messages": user("q"), "include_reasoning": False}).json()
    for body in (hidden, legacy):
        message = body["choices"][0]["message"]
        assert message["reasoning"] is None
        assert "reasoning_details" not in message
        assert body["usage"] == shown["usage"]
    assert shown["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0


@pytest.mark.parametrize(
    "request_extra",
    [
        {"reasoning": {"enabled": False}},
        {"reasoning": {"effort": "none"}},
        {"reasoning_effort": "none"},
        {},
    ],
)
def test_reasoning_off(emu: OpenRouterEmulator, request_extra: dict[str, Any]) -> None:
    body = chat(emu, {"model": HAIKU, "messages": user("q"), **request_extra}).json()
    assert body["choices"][0]["message"]["reasoning"] is None
    assert body["usage"]["completion_tokens_details"]["reasoning_tokens"] == 0


def test_reasoning_defaults_and_unsupported_models(emu: OpenRouterEmulator) -> None:
    # gpt-5-mini reasons by default (catalog: reasoning.default_enabled), gpt-4o-mini never does
    gpt5 = chat(emu, {"model": GPT5, "messages": user("q")}).json()
    assert gpt5["choices"][0]["message"]["reasoning"]
    mini = chat(emu, {"model": MINI, "messages": user("q"), "reasoning": {"effort": "high"}}).json()
    assert mini["choices"][0]["message"]["reasoning"] is None
    budget = chat(
        emu, {"model": SONNET, "messages": user("q"), "reasoning": {"max_tokens": 2}}
    ).json()
    assert budget["usage"]["completion_tokens_details"]["reasoning_tokens"] == 2


# --------------------------------------------------------------------------- caching


def test_prompt_cache_write_then_read_exact_cost(emu: OpenRouterEmulator) -> None:
    book = "A long reference text. " * 40
    messages = [
        {
            "role": "system",
            "content": [
                {"type": "text", "text": "You know this book:"},
                {"type": "text", "text": book, "cache_control": {"type": "ephemeral"}},
            ],
        },
        *user("Summarize it"),
    ]
    prefix = 3 + tok("You know this book:") + tok(book)
    prompt = prefix + 3 + tok("Summarize it")
    first = chat(emu, {"model": SONNET, "messages": messages}).json()["usage"]
    second = chat(emu, {"model": SONNET, "messages": messages}).json()["usage"]
    completion = first["completion_tokens"]
    assert first["prompt_tokens"] == second["prompt_tokens"] == prompt
    assert first["prompt_tokens_details"]["cache_write_tokens"] == prefix
    assert first["prompt_tokens_details"]["cached_tokens"] == 0
    assert second["prompt_tokens_details"]["cache_write_tokens"] == 0
    assert second["prompt_tokens_details"]["cached_tokens"] == prefix
    uncached = prompt - prefix
    write_cost = (
        uncached * Decimal("0.000003")
        + prefix * Decimal("0.00000375")
        + completion * Decimal("0.000015")
    )
    read_cost = (
        uncached * Decimal("0.000003")
        + prefix * Decimal("0.0000003")
        + completion * Decimal("0.000015")
    )
    assert dec(first["cost"]) == write_cost
    assert dec(second["cost"]) == read_cost
    assert [c.cost for c in emu.charges] == [write_cost, read_cost]
    assert emu.total_cost == write_cost + read_cost
    # a longer conversation re-reads the cached prefix and writes only the new part
    longer = [
        *messages,
        {"role": "assistant", "content": "Sure."},
        {
            "role": "user",
            "content": [{"type": "text", "text": "More", "cache_control": {"type": "ephemeral"}}],
        },
    ]
    third = chat(emu, {"model": SONNET, "messages": longer}).json()["usage"]
    assert third["prompt_tokens_details"]["cached_tokens"] == prefix
    assert third["prompt_tokens_details"]["cache_write_tokens"] == third["prompt_tokens"] - prefix
    # the cache is per served model, and reset() clears it
    other = chat(emu, {"model": HAIKU, "messages": messages}).json()["usage"]
    assert other["prompt_tokens_details"]["cache_write_tokens"] == prefix
    emu.reset()
    again = chat(emu, {"model": SONNET, "messages": messages}).json()["usage"]
    assert again["prompt_tokens_details"]["cached_tokens"] == 0


def test_top_level_cache_control_and_tools(emu: OpenRouterEmulator) -> None:
    body = {"model": HAIKU, "messages": user("hello"), "cache_control": {"type": "ephemeral"}}
    first = chat(emu, body).json()["usage"]
    second = chat(emu, body).json()["usage"]
    assert first["prompt_tokens_details"]["cache_write_tokens"] == first["prompt_tokens"]
    assert second["prompt_tokens_details"]["cached_tokens"] == first["prompt_tokens"]
    tool = {**WEATHER_TOOL, "cache_control": {"type": "ephemeral"}}
    tools_body = {"model": HAIKU, "messages": user("x"), "tools": [tool], "tool_choice": "none"}
    tool_tokens = tok(json.dumps(WEATHER_TOOL, separators=(",", ":"), sort_keys=True))
    assert (
        chat(emu, tools_body).json()["usage"]["prompt_tokens_details"]["cache_write_tokens"]
        == tool_tokens
    )
    assert (
        chat(emu, tools_body).json()["usage"]["prompt_tokens_details"]["cached_tokens"]
        == tool_tokens
    )


def test_no_cache_without_cache_pricing(emu: OpenRouterEmulator) -> None:
    messages = [
        {
            "role": "user",
            "content": [{"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}],
        }
    ]
    for _ in range(2):
        usage = chat(emu, {"model": LLAMA, "messages": messages}).json()["usage"]
        assert usage["prompt_tokens_details"]["cached_tokens"] == 0
        assert usage["prompt_tokens_details"]["cache_write_tokens"] == 0


# --------------------------------------------------------------------------- multimodal


def test_multimodal_parts_are_counted(emu: OpenRouterEmulator) -> None:
    content = [
        {"type": "text", "text": "Describe these"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {
            "type": "file",
            "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0="},
        },
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
    ]
    body = chat(
        emu,
        {"model": "google/gemini-2.5-flash", "messages": [{"role": "user", "content": content}]},
    ).json()
    assert body["provider"] == "Google AI Studio"
    usage = body["usage"]
    assert usage["prompt_tokens"] == 3 + tok("Describe these") + 85 + 250 + 50
    assert usage["prompt_tokens_details"]["audio_tokens"] == 50
    text = body["choices"][0]["message"]["content"]
    assert "Attachments received: 1 image, 1 file, 1 audio clip." in text
    generation = call(emu, "GET", f"/generation?id={body['id']}").json()["data"]
    assert generation["num_media_prompt"] == 3


# --------------------------------------------------------------------------- routing


def test_fallback_models(emu: OpenRouterEmulator) -> None:
    body = chat(
        emu,
        {"model": "nope/missing", "models": ["also/missing", MINI, HAIKU], "messages": user("x")},
    ).json()
    assert body["model"] == MINI_SERVED
    assert body["provider"] == "OpenAI"
    assert emu.charges[-1].requested_model == "nope/missing"
    only_models = chat(emu, {"models": [HAIKU], "messages": user("x")}).json()
    assert only_models["model"] == HAIKU_SERVED


def test_unknown_model_is_400(emu: OpenRouterEmulator, client: openai.OpenAI) -> None:
    raw = chat(emu, {"model": "nope/missing", "messages": user("x")})
    assert raw.status == 400
    body = raw.json()
    assert body["error"] == {"message": "nope/missing is not a valid model ID", "code": 400}
    assert body["user_id"].startswith("user_")
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="nope/missing", messages=user("x"))  # type: ignore[arg-type]
    embeddings_model = chat(emu, {"model": "openai/text-embedding-3-small", "messages": user("x")})
    assert embeddings_model.status == 400


def test_auto_router(emu: OpenRouterEmulator) -> None:
    body = chat(emu, {"model": "openrouter/auto", "messages": user("x")}).json()
    assert body["model"] == MINI_SERVED
    assert body["usage"]["cost"] > 0
    data = call(emu, "GET", f"/generation?id={body['id']}").json()["data"]
    assert data["router"] == "openrouter/auto"
    with OpenRouterEmulator(auto_model=HAIKU) as other:
        assert (
            chat(other, {"model": "openrouter/auto", "messages": user("x")}).json()["model"]
            == HAIKU_SERVED
        )


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        ({"order": ["anthropic"]}, "Anthropic"),
        ({"order": ["unknown-provider", "Anthropic"]}, "Anthropic"),
        ({"only": ["amazon-bedrock"]}, "Amazon Bedrock"),
        ({"ignore": ["amazon-bedrock"]}, "Anthropic"),
        ({"order": ["anthropic/us-east"], "allow_fallbacks": False}, "Anthropic"),
        ({"order": ["deepinfra"]}, "Amazon Bedrock"),
        ({"data_collection": "deny", "zdr": True}, "Amazon Bedrock"),
    ],
)
def test_provider_preferences(
    emu: OpenRouterEmulator, provider: dict[str, Any], expected: str
) -> None:
    body = chat(emu, {"model": HAIKU, "messages": user("x"), "provider": provider}).json()
    assert body["provider"] == expected


def test_provider_preferences_without_match(emu: OpenRouterEmulator) -> None:
    for provider in ({"only": ["deepinfra"]}, {"order": ["deepinfra"], "allow_fallbacks": False}):
        raw = chat(emu, {"model": HAIKU, "messages": user("x"), "provider": provider})
        assert raw.status == 404
        assert "No allowed providers" in raw.json()["error"]["message"]


def test_variants(emu: OpenRouterEmulator) -> None:
    free = chat(emu, {"model": f"{LLAMA}:free", "messages": user("x")}).json()
    assert free["model"] == f"{LLAMA}:free"
    assert free["usage"]["cost"] == 0
    assert emu.charges[-1].cost == 0
    # No free variant of MINI is listed: like OpenRouter, the emulator does not make one up.
    unlisted = chat(emu, {"model": f"{MINI}:free", "messages": user("x")})
    assert unlisted.status == 400
    assert unlisted.json()["error"]["message"] == f"{MINI}:free is not a valid model ID"
    for suffix in (":nitro", ":online", ":floor"):
        body = chat(emu, {"model": MINI + suffix, "messages": user("x")}).json()
        assert body["model"] == MINI_SERVED
        prompt, completion = body["usage"]["prompt_tokens"], body["usage"]["completion_tokens"]
        expected = prompt * Decimal("0.00000015") + completion * Decimal("0.0000006")
        assert dec(body["usage"]["cost"]) == expected


def test_bad_requests(emu: OpenRouterEmulator) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
    conn.request(
        "POST", "/api/v1/chat/completions", body=b"{not json", headers={"Authorization": "Bearer k"}
    )
    resp = conn.getresponse()
    assert resp.status == 400
    assert json.loads(resp.read())["error"]["code"] == 400
    conn.close()
    assert chat(emu, {"model": MINI, "messages": []}).status == 400
    assert call(emu, "GET", "/chat/completions").status == 405
    missing = call(emu, "GET", "/does/not/exist")
    assert missing.status == 404
    assert missing.json() == {"error": {"message": "Not Found", "code": 404}}
    with urllib.request.urlopen(f"http://127.0.0.1:{emu.port}/api/v1/models", timeout=5) as ok:
        assert ok.status == 200
    with pytest.raises(urllib.error.HTTPError) as outside:
        urllib.request.urlopen(f"http://127.0.0.1:{emu.port}/v2/models", timeout=5)
    assert outside.value.code == 404
    outside.value.close()


# --------------------------------------------------------------------------- catalog endpoints


def test_models_endpoint_and_filters(emu: OpenRouterEmulator) -> None:
    data = call(emu, "GET", "/models", auth=None).json()["data"]
    ids = {m["id"] for m in data}
    assert {HAIKU, SONNET, MINI, GPT5, LLAMA, f"{LLAMA}:free", "openrouter/auto"} <= ids
    assert "openai/text-embedding-3-small" not in ids
    for model in data:
        for key, value in model["pricing"].items():
            assert isinstance(value, str), key
            Decimal(value)
        assert model["per_request_limits"] is None
        assert model["links"]["details"].endswith("/endpoints")
    assert {type(m["hugging_face_id"]) for m in data} == {str, type(None)}
    tools = {m["id"] for m in call(emu, "GET", "/models?supported_parameters=tools").json()["data"]}
    assert LLAMA not in tools
    assert HAIKU in tools
    both = call(emu, "GET", "/models?supported_parameters=tools,reasoning").json()["data"]
    assert MINI not in {m["id"] for m in both}
    emb = call(emu, "GET", "/models?output_modalities=embeddings").json()["data"]
    assert "openai/text-embedding-3-small" in {m["id"] for m in emb}
    assert all(m["architecture"]["output_modalities"] == ["embeddings"] for m in emb)
    everything = call(emu, "GET", "/models?output_modalities=all").json()["data"]
    assert len(everything) == len(emu.catalog)
    listed = call(emu, "GET", "/embeddings/models").json()["data"]
    assert [m["id"] for m in listed] == [m["id"] for m in emb]


def test_catalog_and_price_helpers(emu: OpenRouterEmulator) -> None:
    catalog = emu.catalog
    catalog[0]["id"] = "mutated"
    assert emu.catalog[0]["id"] != "mutated"
    prices = emu.price(HAIKU)
    assert prices["prompt"] == Decimal("0.000001")
    assert prices["input_cache_write"] == Decimal("0.00000125")
    assert emu.price(f"{LLAMA}:free")["prompt"] == 0
    with pytest.raises(KeyError):
        emu.price(f"{MINI}:free")  # not listed
    assert emu.price(f"{MINI}:nitro") == emu.price(MINI)
    with pytest.raises(KeyError):
        emu.price("nope/missing")


def test_custom_catalog() -> None:
    custom = {
        "id": "acme/tiny",
        "canonical_slug": "acme/tiny-2026",
        "name": "Acme Tiny",
        "architecture": {"input_modalities": ["text"], "output_modalities": ["text"]},
        "pricing": {"prompt": "0.001", "completion": "0.002"},
        "supported_parameters": ["tools"],
    }
    with OpenRouterEmulator(
        models=[custom], providers={"acme/tiny": ["Acme Cloud", "Other"]}
    ) as emu:
        assert [m["id"] for m in call(emu, "GET", "/models").json()["data"]] == ["acme/tiny"]
        body = chat(emu, {"model": "acme/tiny", "messages": user("hi")}).json()
        assert (body["model"], body["provider"]) == ("acme/tiny-2026", "Acme Cloud")
        usage = body["usage"]
        expected = usage["prompt_tokens"] * Decimal("0.001") + usage["completion_tokens"] * Decimal(
            "0.002"
        )
        assert dec(usage["cost"]) == expected
        assert chat(emu, {"model": HAIKU, "messages": user("hi")}).status == 400


def test_endpoints_endpoint(emu: OpenRouterEmulator) -> None:
    data = call(emu, "GET", f"/models/{HAIKU}/endpoints", auth=None).json()["data"]
    assert data["id"] == HAIKU
    assert [e["provider_name"] for e in data["endpoints"]] == ["Amazon Bedrock", "Anthropic"]
    for endpoint in data["endpoints"]:
        assert endpoint["pricing"]["prompt"] == "0.000001"
        assert set(endpoint["latency_last_30m"]) == {"p50", "p75", "p90", "p99"}
        assert isinstance(endpoint["uptime_last_30m"], float)
        assert isinstance(endpoint["supports_implicit_caching"], bool)
    mini = call(emu, "GET", f"/models/{MINI_SERVED}/endpoints").json()["data"]
    assert mini["endpoints"][0]["supports_implicit_caching"] is True
    missing = call(emu, "GET", "/models/nope/missing/endpoints")
    assert missing.status == 404
    assert missing.json() == {
        "error": {"message": "No endpoints found for nope/missing.", "code": 404}
    }


def test_key_endpoint_tracks_usage_and_credit_limit() -> None:
    with OpenRouterEmulator(credit_limit=Decimal("0.0002")) as emu:
        # Key-shaped but plainly fake (no 16-character run a secret scanner would flag).
        key = call(emu, "GET", "/key", auth="sk-or-v1-fake-key-for-tests").json()["data"]
        assert key["label"] == "sk-or-v1-fak...sts"
        assert (key["usage"], key["limit"], key["limit_remaining"]) == (0, 0.0002, 0.0002)
        for field in ("is_free_tier", "is_management_key", "include_byok_in_limit"):
            assert key[field] is False
        assert set(key["rate_limit"]) == {"requests", "interval", "note"}
        first = chat(emu, {"model": HAIKU, "messages": user("What is 2+2?")}).json()
        key = call(emu, "GET", "/auth/key").json()["data"]
        assert dec(key["usage"]) == dec(first["usage"]["cost"]) == emu.total_cost
        assert dec(key["limit_remaining"]) == Decimal("0.0002") - emu.total_cost
        chat(emu, {"model": HAIKU, "messages": user("What is 2+2?")})
        refused = chat(emu, {"model": HAIKU, "messages": user("x")})
        assert refused.status == 402
        assert refused.json()["error"]["metadata"] == {"provider_name": None}
        assert len(emu.charges) == 2


def test_generation_endpoint(emu: OpenRouterEmulator) -> None:
    body = chat(
        emu,
        {"model": HAIKU, "messages": user("x"), "stream": True, "session_id": "s-1", "user": "u-1"},
        headers={"HTTP-Referer": "https://myapp.example", "X-Title": "My App"},
    ).sse()[1]
    generation_id = body[0]["id"]
    data = call(emu, "GET", f"/generation?id={generation_id}").json()["data"]
    charge = emu.charges[-1]
    assert data["id"] == generation_id
    assert dec(data["total_cost"]) == charge.cost == dec(data["usage"])
    assert data["model"] == HAIKU
    assert data["provider_name"] == "Amazon Bedrock"
    assert data["streamed"] is True
    assert data["cancelled"] is False
    assert data["finish_reason"] == "stop"
    assert data["native_finish_reason"] == "end_turn"
    assert data["tokens_prompt"] == data["native_tokens_prompt"] == charge.prompt_tokens
    assert data["tokens_completion"] == charge.completion_tokens
    assert data["native_tokens_cached"] == 0
    assert data["origin"] == "https://myapp.example"
    assert isinstance(data["app_id"], int)
    assert (data["session_id"], data["external_user"]) == ("s-1", "u-1")
    assert data["api_type"] == "completions"
    assert data["created_at"].startswith("2026-")
    assert call(emu, "GET", "/generation?id=gen-0-nope").status == 404
    assert call(emu, "GET", "/generation").status == 400


# --------------------------------------------------------------------------- embeddings


def norm(vector: list[float]) -> float:
    return math.sqrt(sum(v * v for v in vector))


def test_embeddings(emu: OpenRouterEmulator) -> None:
    raw = call(
        emu,
        "POST",
        "/embeddings",
        {"model": "openai/text-embedding-3-small", "input": "Ruby is great"},
    )
    body = raw.json()
    assert body["object"] == "list"
    assert body["model"] == "text-embedding-3-small"
    assert body["provider"] == "OpenAI"
    assert re.fullmatch(r"gen-emb-\d+-[A-Za-z0-9]{20}", body["id"])
    [item] = body["data"]
    assert (item["object"], item["index"]) == ("embedding", 0)
    assert len(item["embedding"]) == DEFAULT_EMBEDDING_DIMENSIONS
    assert abs(norm(item["embedding"]) - 1) < 1e-6
    tokens = tok("Ruby is great")
    assert body["usage"]["prompt_tokens"] == body["usage"]["total_tokens"] == tokens
    assert dec(body["usage"]["cost"]) == tokens * Decimal("0.00000002")
    assert body["usage"]["cost_details"]["upstream_inference_completions_cost"] == 0
    assert emu.charges[-1].endpoint == "embeddings"
    many = call(
        emu,
        "POST",
        "/embeddings",
        {
            "model": "openai/text-embedding-3-small",
            "input": ["Ruby is great", "Python too"],
            "dimensions": 8,
        },
    ).json()
    assert [d["index"] for d in many["data"]] == [0, 1]
    assert all(len(d["embedding"]) == 8 for d in many["data"])
    assert many["data"][0]["embedding"] != many["data"][1]["embedding"]
    again = call(
        emu,
        "POST",
        "/embeddings",
        {"model": "openai/text-embedding-3-small", "input": "Ruby is great"},
    ).json()
    assert again["data"][0]["embedding"] == item["embedding"]
    assert call(emu, "POST", "/embeddings", {"model": "nope/x", "input": "a"}).status == 400
    assert call(emu, "POST", "/embeddings", {"model": MINI, "input": "a"}).status == 404
    assert (
        call(
            emu, "POST", "/embeddings", {"model": "openai/text-embedding-3-small", "input": []}
        ).status
        == 400
    )


def test_embeddings_with_the_openai_client(emu: OpenRouterEmulator, client: openai.OpenAI) -> None:
    out = client.embeddings.create(
        model="openai/text-embedding-3-small", input=["a", "b"], dimensions=4
    )
    assert [len(d.embedding) for d in out.data] == [4, 4]
    raw = call(
        emu,
        "POST",
        "/embeddings",
        {
            "model": "openai/text-embedding-3-small",
            "input": "a",
            "dimensions": 4,
            "encoding_format": "base64",
        },
    ).json()
    decoded = struct.unpack("<4f", base64.b64decode(raw["data"][0]["embedding"]))
    assert list(decoded) == out.data[0].embedding


# --------------------------------------------------------------------------- recording


def test_recorded_requests(emu: OpenRouterEmulator) -> None:
    chat(emu, {"model": MINI, "messages": user("x")}, headers={"X-Title": "My App"})
    call(emu, "GET", "/models?supported_parameters=tools&output_modalities=text", auth=None)
    first, second = emu.requests
    assert isinstance(first, RecordedRequest)
    assert (first.method, first.path, first.query) == ("POST", "/api/v1/chat/completions", {})
    assert first.header("x-title") == first.header("X-TITLE") == "My App"
    assert first.headers["authorization"] == "Bearer test-key"
    assert first.header("missing") is None
    assert first.body == {"model": MINI, "messages": user("x")}
    assert json.loads(first.raw_body) == first.body
    assert second.query == {"supported_parameters": "tools", "output_modalities": "text"}
    assert second.body is None
    assert second.raw_body == b""
    assert emu.chat_requests == [first.body]
    assert emu.last_request == second
    emu.reset()
    assert emu.requests == []
    assert emu.chat_requests == []
    assert emu.last_request is None
    assert emu.charges == []


def test_recording_is_thread_safe(emu: OpenRouterEmulator) -> None:
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(5):
                emu.enqueue(replies.text(f"{n}-{i}"))
                assert chat(emu, {"model": MINI, "messages": user("x")}).status == 200
                _ = emu.requests, emu.charges, emu.total_cost
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(emu.chat_requests) == 20
    assert len(emu.charges) == 20
    assert emu.pending() == 0


# --------------------------------------------------------------------------- determinism


def _run_sequence(emu: OpenRouterEmulator) -> list[bytes]:
    emu.enqueue(replies.tool_calls([{"name": "f", "arguments": {"a": 1}}]))
    emu.enqueue(replies.midstream_error(1, 500, "boom"))
    bodies = [
        chat(emu, {"model": HAIKU, "messages": user("one")}).body,
        chat(emu, {"model": HAIKU, "messages": user("two"), "stream": True}).body,
        chat(emu, {"model": GPT5, "messages": user("three"), "stream": True}).body,
        chat(
            emu, {"model": SONNET, "messages": user("Weather in Rome?"), "tools": [WEATHER_TOOL]}
        ).body,
        chat(emu, {"model": MINI, "messages": user("four"), "stream": True}).body,
        call(
            emu, "POST", "/embeddings", {"model": "openai/text-embedding-3-small", "input": "e"}
        ).body,
    ]
    generation_id = json.loads(bodies[0])["id"]
    bodies.append(call(emu, "GET", f"/generation?id={generation_id}").body)
    bodies.append(call(emu, "GET", "/key").body)
    return bodies


def test_same_sequence_gives_identical_bodies() -> None:
    with OpenRouterEmulator() as a, OpenRouterEmulator() as b:
        first, second = _run_sequence(a), _run_sequence(b)
    assert first == second
    with OpenRouterEmulator(seed=7, created=1700000000) as c:
        third = _run_sequence(c)
    assert third != first
    assert json.loads(third[0])["id"].startswith("gen-1700000000-")


def test_wall_clock_when_created_is_none() -> None:
    before = int(time.time())
    with OpenRouterEmulator(created=None) as emu:
        body = chat(emu, {"model": MINI, "messages": user("x")}).json()
    assert before <= body["created"] <= int(time.time()) + 1


# --------------------------------------------------------------------------- client disconnects


def test_client_disconnect_mid_stream_marks_generation_cancelled(emu: OpenRouterEmulator) -> None:
    emu.enqueue(replies.text("x" * 200, chunk_chars=1, chunk_delay=0.01))
    sock = socket.create_connection(("127.0.0.1", emu.port), timeout=5)
    payload = json.dumps({"model": MINI, "messages": user("x"), "stream": True}).encode()
    sock.sendall(
        b"POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
        + f"Content-Length: {len(payload)}\r\n\r\n".encode()
        + payload
    )
    assert sock.recv(100).startswith(b"HTTP/1.1 200 OK")
    sock.close()
    deadline = time.monotonic() + 5
    generation_id = emu.charges[0].generation_id
    while time.monotonic() < deadline:
        data = emu.generation(generation_id)
        if data is not None and data["cancelled"]:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the emulator did not notice the disconnect")
    assert chat(emu, {"model": MINI, "messages": user("still alive")}).status == 200


def test_chunked_request_body_and_expect_continue(emu: OpenRouterEmulator) -> None:
    payload = json.dumps({"model": MINI, "messages": user("chunked body")}).encode()
    with socket.create_connection(("127.0.0.1", emu.port), timeout=5) as sock:
        sock.sendall(
            b"POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
            b"Transfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
            + f"{len(payload):x}\r\n".encode()
            + payload
            + b"\r\n0\r\n\r\n"
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK")
    assert b"You said: chunked body" in data


# --------------------------------------------------------------------------- load


@pytest.mark.slow
async def test_thousand_concurrent_async_requests(emu: OpenRouterEmulator) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2600:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    client = openai.AsyncOpenAI(base_url=emu.base_url, api_key="k", max_retries=0, timeout=60)

    async def one(i: int) -> str:
        out = await client.chat.completions.create(model=MINI, messages=user(f"request {i}"))  # type: ignore[arg-type]
        return out.choices[0].message.content or ""

    # No timing bound: the client's 60 s timeout is the hang guard, and speed is the
    # benchmarks' business, not a test's.
    try:
        answers = await asyncio.gather(*(one(i) for i in range(1000)))
    finally:
        await client.close()
    assert all(a.startswith(f"You said: request {i}\n") for i, a in enumerate(answers))
    assert len(emu.chat_requests) == 1000
    assert len({c.generation_id for c in emu.charges}) == 1000
