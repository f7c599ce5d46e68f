"""The shared request path against the emulator: bodies out, typed results and errors back."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal
from typing import Any

import pydantic
import pytest

from openrouter_core import transport
from openrouter_core.client import ClientConfig, aclose_clients, get_async_client, get_client
from openrouter_core.errors import (
    APIConnectionError,
    InsufficientCreditsError,
    ModelNotFoundError,
    ProviderError,
    RateLimitError,
    RequestTimeoutError,
)
from openrouter_core.testing import OpenRouterEmulator, replies
from openrouter_core.transport import CallInfo, CallOutcome, RequestOptions

MODEL = "anthropic/claude-haiku-4.5"


def _config(emu: OpenRouterEmulator, **overrides: Any) -> ClientConfig:
    kwargs: dict[str, Any] = {
        "api_key": "test-key",
        "base_url": emu.base_url,
        "timeout": 10.0,
        "max_retries": 0,
    }
    kwargs.update(overrides)
    return ClientConfig.build(**kwargs)


def _body(text: str = "Hello there", **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": text}], **extra}


class Recorder:
    def __init__(self) -> None:
        self.before: list[CallInfo] = []
        self.after: list[tuple[CallInfo, CallOutcome]] = []

    def before_call(self, call: CallInfo) -> None:
        self.before.append(call)

    def after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        self.after.append((call, outcome))


@pytest.fixture
def recorder() -> Any:
    rec = Recorder()
    transport.add_observer(rec)
    yield rec
    transport.remove_observer(rec)


def test_complete_sends_the_body_as_is_and_reports_usage(
    openrouter_emulator: OpenRouterEmulator, recorder: Recorder
) -> None:
    client = get_client(_config(openrouter_emulator, headers={"X-Title": "t"}))
    body = _body(provider={"order": ["anthropic"]}, usage={"include": True})
    data = transport.complete(client, body)
    sent = openrouter_emulator.last_request
    assert sent.body == body
    assert sent.header("authorization") == "Bearer test-key"
    assert sent.header("x-title") == "t"
    assert data["choices"][0]["message"]["content"]
    assert data["provider"]
    ((call, outcome),) = recorder.after
    assert call.model == MODEL
    assert not call.stream
    assert outcome.usage is not None
    assert outcome.usage.cost == openrouter_emulator.charges[-1].cost
    assert not outcome.failed


class _Schema(pydantic.BaseModel):
    city: str = "Paris"
    days: int


def test_body_is_sent_as_compact_utf8_json_with_models_dumped(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    client = get_client(_config(openrouter_emulator))
    body = _body("Grüße, 東京", metadata={1: "int key"}, schema=_Schema(days=3))
    transport.complete(client, body)
    sent = openrouter_emulator.last_request
    assert sent.header("content-type") == "application/json"
    assert "Grüße, 東京".encode() in sent.raw_body  # UTF-8 kept, not \u-escaped
    assert b'"messages":[{' in sent.raw_body  # no spaces after separators
    # a pydantic model is dumped as the SDK dumps one: set fields, JSON mode
    assert sent.body["schema"] == {"days": 3}
    assert sent.body["metadata"] == {"1": "int key"}


def test_a_body_orjson_cannot_encode_is_left_to_the_sdk(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    client = get_client(_config(openrouter_emulator))
    with pytest.raises(TypeError, match="not JSON serializable"):
        transport.complete(client, _body(extra=object()))
    assert openrouter_emulator.last_request is None  # nothing half-sent
    big = 2**70  # beyond orjson's 64-bit integers, fine for the SDK's json.dumps
    transport.complete(client, _body(seed=big))
    assert openrouter_emulator.last_request.body["seed"] == big


def test_leading_whitespace_before_json(openrouter_emulator: OpenRouterEmulator) -> None:
    openrouter_emulator.enqueue(replies.text("ok", keepalive_whitespace=2048))
    data = transport.complete(get_client(_config(openrouter_emulator)), _body())
    assert data["choices"][0]["message"]["content"] == "ok"


@pytest.mark.parametrize("shape", ["repeat_finish", "empty_choices", "separate"])
def test_stream_yields_deltas_and_accumulates(
    openrouter_emulator: OpenRouterEmulator, recorder: Recorder, shape: str
) -> None:
    openrouter_emulator.enqueue(
        replies.text("streamed answer here", usage_chunk=shape, processing_comments=20)
    )
    stream = transport.open_stream(get_client(_config(openrouter_emulator)), _body())
    deltas = list(stream)
    assert "".join(d.content for d in deltas) == "streamed answer here"
    assert sum(1 for d in deltas if d.finish_reason) == 1
    assert sum(1 for d in deltas if d.usage is not None) == 1
    assert openrouter_emulator.last_request.body["stream"] is True
    assert stream.accumulator.usage is not None
    assert stream.accumulator.usage.cost == openrouter_emulator.charges[-1].cost
    ((_, outcome),) = recorder.after
    assert outcome.usage == stream.accumulator.usage
    assert not outcome.incomplete


def test_abandoned_stream_reports_incomplete(
    openrouter_emulator: OpenRouterEmulator, recorder: Recorder
) -> None:
    openrouter_emulator.enqueue(replies.text("a long answer " * 20, chunk_chars=4))
    stream = transport.open_stream(get_client(_config(openrouter_emulator)), _body())
    iterator = iter(stream)
    next(iterator)
    iterator.close()
    ((_, outcome),) = recorder.after
    assert outcome.incomplete
    assert not outcome.failed


@pytest.mark.parametrize("finish", ["error", None])
def test_mid_stream_error_after_chunks(
    openrouter_emulator: OpenRouterEmulator, recorder: Recorder, finish: str | None
) -> None:
    openrouter_emulator.enqueue(
        replies.midstream_error(3, 502, "Upstream died", finish_reason=finish, chunk_chars=2)
    )
    stream = transport.open_stream(get_client(_config(openrouter_emulator)), _body())
    received: list[str] = []
    with pytest.raises(ProviderError) as info:
        for delta in stream:
            received.append(delta.content)
    assert received
    assert info.value.partial_text == "".join(received)
    ((_, outcome),) = recorder.after
    assert outcome.failed
    assert outcome.usage is not None


def test_dropped_connection_is_an_error_not_an_end(
    openrouter_emulator: OpenRouterEmulator, recorder: Recorder
) -> None:
    openrouter_emulator.enqueue(replies.drop_connection(2))
    stream = transport.open_stream(get_client(_config(openrouter_emulator)), _body())
    with pytest.raises(APIConnectionError) as info:
        list(stream)
    assert info.value.partial_text is not None
    assert recorder.after[-1][1].failed


def test_402_is_typed_and_not_retried(
    openrouter_emulator: OpenRouterEmulator, recorder: Recorder
) -> None:
    openrouter_emulator.enqueue(replies.error(402, "This request requires more credits"), times=3)
    client = get_client(_config(openrouter_emulator, max_retries=2))
    with pytest.raises(InsufficientCreditsError, match="more credits") as info:
        transport.complete(client, _body())
    assert len(openrouter_emulator.chat_requests) == 1
    assert info.value.status_code == 402
    assert recorder.after[-1][1].failed


def test_429_retried_by_the_sdk_then_success(openrouter_emulator: OpenRouterEmulator) -> None:
    openrouter_emulator.enqueue(replies.error(429, "slow down", headers={"Retry-After": "0"}))
    client = get_client(_config(openrouter_emulator, max_retries=1))
    data = transport.complete(client, _body())
    assert data["choices"][0]["message"]["content"]
    assert len(openrouter_emulator.chat_requests) == 2


def test_429_past_max_retries_counts_attempts(openrouter_emulator: OpenRouterEmulator) -> None:
    openrouter_emulator.enqueue(
        replies.error(
            429,
            "Provider returned error",
            metadata={"provider_name": "Google", "raw": "rate-limited upstream"},
            headers={"Retry-After": "0"},
        ),
        times=3,
    )
    client = get_client(_config(openrouter_emulator, max_retries=2))
    with pytest.raises(RateLimitError) as info:
        transport.open_stream(client, _body())
    err = info.value
    assert err.attempts == 3
    assert err.retry_after == 0.0
    assert err.provider_name == "Google"
    assert len(openrouter_emulator.chat_requests) == 3


def test_max_retries_zero_is_exactly_one_attempt(openrouter_emulator: OpenRouterEmulator) -> None:
    openrouter_emulator.enqueue(replies.error(503, "overloaded"), times=2)
    with pytest.raises(ProviderError):
        transport.complete(get_client(_config(openrouter_emulator)), _body())
    assert len(openrouter_emulator.chat_requests) == 1


def test_error_in_200_raises_with_usage(openrouter_emulator: OpenRouterEmulator) -> None:
    openrouter_emulator.enqueue(
        replies.error_in_200(
            "upstream failed",
            502,
            usage={"prompt_tokens": 5, "completion_tokens": 0, "total_tokens": 5, "cost": 0.00002},
        )
    )
    with pytest.raises(ProviderError) as info:
        transport.complete(get_client(_config(openrouter_emulator)), _body())
    assert info.value.usage is not None
    assert info.value.usage.cost == Decimal("0.00002")


def test_unknown_model_is_typed(openrouter_emulator: OpenRouterEmulator) -> None:
    with pytest.raises(Exception) as info:
        transport.complete(get_client(_config(openrouter_emulator)), {**_body(), "model": "nope/x"})
    assert "nope/x" in str(info.value)


def test_no_tool_endpoint_is_model_not_found(openrouter_emulator: OpenRouterEmulator) -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    body = {**_body(), "model": "meta-llama/llama-3.3-70b-instruct", "tools": [tool]}
    with pytest.raises(ModelNotFoundError):
        transport.complete(get_client(_config(openrouter_emulator)), body)


def test_timeout_is_typed_and_prompt(openrouter_emulator: OpenRouterEmulator) -> None:
    openrouter_emulator.enqueue(replies.stall(3))
    client = get_client(_config(openrouter_emulator, timeout=0.5))
    start = time.monotonic()
    with pytest.raises(RequestTimeoutError):
        transport.complete(client, _body())
    assert time.monotonic() - start < 2.5


def test_per_request_options(openrouter_emulator: OpenRouterEmulator) -> None:
    client = get_client(_config(openrouter_emulator))
    options = RequestOptions(headers={"X-Trace": "abc"}, timeout=5.0)
    transport.complete(client, _body(), options=options)
    assert openrouter_emulator.last_request.header("x-trace") == "abc"


def test_observer_can_veto_before_sending(openrouter_emulator: OpenRouterEmulator) -> None:
    class Veto:
        def before_call(self, call: CallInfo) -> None:
            raise RuntimeError(f"blocked {call.model}")

        def after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
            raise AssertionError("not reached")

    veto = Veto()
    transport.add_observer(veto)
    try:
        with pytest.raises(RuntimeError, match="blocked"):
            transport.complete(get_client(_config(openrouter_emulator)), _body())
    finally:
        transport.remove_observer(veto)
    assert openrouter_emulator.chat_requests == []


async def test_async_complete_and_stream(
    openrouter_emulator: OpenRouterEmulator, recorder: Recorder
) -> None:
    client = get_async_client(_config(openrouter_emulator))
    data = await transport.acomplete(client, _body("first"))
    assert data["choices"][0]["message"]["content"]
    openrouter_emulator.enqueue(replies.text("async stream", chunk_chars=3))
    stream = await transport.aopen_stream(client, _body())
    text = "".join([d.content async for d in stream])
    assert text == "async stream"
    assert [o.usage is not None for _, o in recorder.after] == [True, True]
    await aclose_clients()


async def test_async_mid_stream_error_and_drop(openrouter_emulator: OpenRouterEmulator) -> None:
    client = get_async_client(_config(openrouter_emulator))
    openrouter_emulator.enqueue(replies.midstream_error(2, 429, "Rate limit exceeded"))
    stream = await transport.aopen_stream(client, _body())
    with pytest.raises(RateLimitError) as info:
        async for _ in stream:
            pass
    assert info.value.partial_text
    openrouter_emulator.enqueue(replies.drop_connection(1))
    stream = await transport.aopen_stream(client, _body())
    with pytest.raises(APIConnectionError):
        async for _ in stream:
            pass
    await aclose_clients()


async def test_async_timeout(openrouter_emulator: OpenRouterEmulator) -> None:
    openrouter_emulator.enqueue(replies.stall(3))
    client = get_async_client(_config(openrouter_emulator, timeout=0.5))
    with pytest.raises(RequestTimeoutError):
        await transport.acomplete(client, _body())
    await aclose_clients()


async def test_many_concurrent_async_calls_share_one_client(
    openrouter_emulator: OpenRouterEmulator, recorder: Recorder
) -> None:
    client = get_async_client(_config(openrouter_emulator))
    results = await asyncio.gather(
        *(transport.acomplete(client, _body(f"question {i}")) for i in range(200))
    )
    assert len({r["id"] for r in results}) == 200
    total = sum((o.usage.cost for _, o in recorder.after if o.usage and o.usage.cost), Decimal(0))
    assert total == openrouter_emulator.total_cost
    await aclose_clients()


def test_embeddings_path_without_choices(openrouter_emulator: OpenRouterEmulator) -> None:
    client = get_client(_config(openrouter_emulator))
    data = transport.post_json(
        client, "/embeddings", {"model": "openai/text-embedding-3-small", "input": ["a", "b"]}
    )
    assert len(data["data"]) == 2
    assert json.dumps(data)


async def test_cancelled_calls_are_reported_as_ended(
    openrouter_emulator: OpenRouterEmulator, recorder: Recorder
) -> None:
    openrouter_emulator.enqueue(replies.stall(5))
    client = get_async_client(_config(openrouter_emulator))
    task = asyncio.create_task(transport.acomplete(client, _body()))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    ((_, outcome),) = recorder.after
    assert outcome.incomplete
    assert outcome.usage is None

    openrouter_emulator.enqueue(replies.text("slow stream " * 10, chunk_chars=3, chunk_delay=0.05))
    stream = await transport.aopen_stream(client, _body())

    async def consume() -> None:
        async for _ in stream:
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert recorder.after[-1][1].incomplete
    await aclose_clients()
