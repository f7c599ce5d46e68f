"""The fault table: every failure OpenRouter serves, injected with the emulator.

Each row runs for both frameworks, sync and async, plain and streaming (the ``target``
fixture). Retries are counted from the requests the emulator received (the SDK retries, never
a layer of ours: the retry carries the SDK's ``x-stainless-retry-count`` header); usage is
checked through ``track_usage()``. Timing rows only bound a hang or a missing wait.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.request
import warnings
from typing import Any

import pytest
from rel_support import MODEL, Target

from openrouter_core import errors as core
from openrouter_core import track_usage
from openrouter_core.testing import OpenRouterEmulator, replies

CONTEXT_MESSAGE = (
    "This endpoint's maximum context length is 200000 tokens. However, you requested about "
    "2500021 tokens (2500021 of text input). Please reduce the length of either one, or use "
    'the "middle-out" transform to compress your prompt automatically.'
)
CREDITS_MESSAGE = (
    "This request requires more credits, or fewer max_tokens. You requested up to 65536 "
    "tokens, but can only afford 33333. To increase, visit https://openrouter.ai/settings/credits"
)


async def _failure(target: Target, model: Any, received: list[str] | None = None) -> Any:
    """Ask, expecting a typed error; return it (also checks the answer never came back)."""
    with pytest.raises(core.OpenRouterError) as info:
        await target.answer(model, received=received)
    return info.value


# ------------------------------------------------------------------------------ retries


async def test_429_with_retry_after_is_retried_by_the_sdk_then_answers_once(
    target: Target, openrouter_emulator: OpenRouterEmulator
) -> None:
    emu = openrouter_emulator
    emu.enqueue(
        replies.error(
            429,
            "Provider returned error",
            metadata={"provider_name": "Google", "raw": "rate-limited upstream"},
            headers={"Retry-After": "1"},
        )
    )
    emu.enqueue(replies.text("Recovered after the rate limit."))
    model = target.model(max_retries=2)

    with track_usage() as usage:
        started = time.monotonic()
        answer = await target.answer(model)
        elapsed = time.monotonic() - started

    assert target.text(answer) == "Recovered after the rate limit."
    assert len(emu.chat_requests) == 2
    assert emu.requests[1].header("x-stainless-retry-count") == "1"  # the SDK's own retry
    assert 0.9 <= elapsed < 30  # it waited for Retry-After, and did not hang
    [record] = usage.records  # recorded once: the 429 billed nothing
    assert not record.failed
    assert record.cost == emu.charges[0].cost > 0
    assert usage.total_cost == emu.total_cost


async def test_429_past_max_retries_is_a_rate_limit_error_with_what_to_do(
    target: Target, openrouter_emulator: OpenRouterEmulator
) -> None:
    emu = openrouter_emulator
    emu.enqueue(
        replies.error(
            429,
            "Provider returned error",
            metadata={"provider_name": "Google", "raw": "temporarily rate-limited upstream"},
            headers={"Retry-After": "1"},
        ),
        times=3,
    )
    model = target.model(max_retries=1)
    received: list[str] = []

    with track_usage() as usage:
        error = await _failure(target, model, received)

    assert isinstance(error, core.RateLimitError)
    assert error.retry_after == 1.0
    assert error.provider_name == "Google"
    assert error.attempts == 2 == len(emu.chat_requests)  # max_retries + 1
    assert MODEL in str(error)
    assert "retry_after" in str(error)  # the hint says what to do
    assert received == []
    assert usage.requests == 0  # nothing was generated, nothing billed
    assert emu.pending() == 1


async def test_402_is_not_retried_and_keeps_the_message(
    target: Target, openrouter_emulator: OpenRouterEmulator
) -> None:
    emu = openrouter_emulator
    emu.enqueue(replies.error(402, CREDITS_MESSAGE, metadata={"provider_name": None}))
    model = target.model(max_retries=3)

    started = time.monotonic()
    error = await _failure(target, model)

    assert time.monotonic() - started < 10  # at once: no retry backoff
    assert isinstance(error, core.InsufficientCreditsError)
    assert len(emu.chat_requests) == 1
    assert error.status_code == 402
    assert error.message == CREDITS_MESSAGE
    assert CREDITS_MESSAGE.rstrip(".") in str(error)
    assert MODEL in str(error)


MODERATION = {
    "reasons": ["harassment", "violence"],
    "flagged_input": "you are the worst...",
    "provider_name": "OpenAI",
    "model_slug": "openai/gpt-4o-mini",
}
CONTEXT_METADATA = {
    "provider_name": None,
    "previous_errors": [{"code": 400, "message": "prompt is too long"}],
}


@pytest.mark.parametrize(
    ("status", "message", "metadata", "cls"),
    [
        (401, "User not found.", None, core.AuthenticationError),
        (403, "Input flagged by moderation", MODERATION, core.ModerationError),
        (404, f"No endpoints found for {MODEL}.", {"provider_name": None}, core.ModelNotFoundError),
        (400, CONTEXT_MESSAGE, CONTEXT_METADATA, core.ContextLengthExceededError),
        (400, f"{MODEL} is not a valid model ID", None, core.UnknownModelError),
    ],
    ids=["401", "403-moderation", "404", "400-context", "400-unknown-model"],
)
async def test_request_errors_are_typed_with_metadata_and_model(
    target: Target,
    openrouter_emulator: OpenRouterEmulator,
    status: int,
    message: str,
    metadata: dict[str, Any] | None,
    cls: type[core.OpenRouterError],
) -> None:
    emu = openrouter_emulator
    emu.enqueue(replies.error(status, message, metadata=metadata))
    model = target.model(max_retries=2)

    error = await _failure(target, model)

    assert isinstance(error, cls)
    assert len(emu.chat_requests) == 1  # none of these is retried
    assert error.status_code == status
    assert error.message == message
    assert error.model == MODEL
    assert MODEL in str(error)
    assert error.metadata == (metadata or {})
    if isinstance(error, core.ModerationError):
        assert error.reasons == ["harassment", "violence"]
        assert error.flagged_input == "you are the worst..."
        assert error.provider_name == "OpenAI"


@pytest.mark.parametrize("status", [502, 503])
async def test_5xx_is_retried_then_a_provider_error_with_raw_decoded(
    target: Target, openrouter_emulator: OpenRouterEmulator, status: int
) -> None:
    emu = openrouter_emulator
    upstream = {"error": {"message": "upstream overloaded", "type": "overloaded_error"}}
    # metadata.raw is a JSON string holding a JSON string, as some providers send it.
    raw = json.dumps(json.dumps(upstream))
    metadata = {"provider_name": "Fireworks", "raw": raw, "is_byok": False}
    emu.enqueue(replies.error(status, "Provider returned error", metadata=metadata), times=2)
    model = target.model(max_retries=1)

    error = await _failure(target, model)

    assert isinstance(error, core.ProviderError)
    assert len(emu.chat_requests) == 2
    assert error.attempts == 2
    assert error.status_code == status
    assert error.raw == upstream
    assert error.provider_name == "Fireworks"
    assert MODEL in str(error)


async def test_a_5xx_then_success_is_one_answer(
    target: Target, openrouter_emulator: OpenRouterEmulator
) -> None:
    emu = openrouter_emulator
    emu.enqueue(replies.error(503, "Provider returned error", metadata={"provider_name": "X"}))
    emu.enqueue(replies.text("Second attempt worked."))

    with track_usage() as usage:
        answer = await target.answer(target.model(max_retries=2))

    assert target.text(answer) == "Second attempt worked."
    assert len(emu.chat_requests) == 2
    assert usage.requests == 1
    assert usage.total_cost == emu.total_cost


# ------------------------------------------------------------------------------ failures in a 200


async def test_an_error_body_in_a_200_is_a_typed_error_not_an_empty_answer(
    target: Target, openrouter_emulator: OpenRouterEmulator
) -> None:
    emu = openrouter_emulator
    emu.enqueue(
        replies.error_in_200(
            "Provider returned error", 502, metadata={"provider_name": "Together"}, usage={}
        )
    )
    received: list[str] = []

    with track_usage() as usage:
        error = await _failure(target, target.model(max_retries=2), received)

    assert isinstance(error, core.ProviderError)
    assert error.provider_name == "Together"
    assert MODEL in str(error)
    assert received == []
    assert len(emu.chat_requests) == 1  # a 200 is never retried by the SDK
    [record] = usage.records  # the prompt was billed: recorded, as failed
    assert record.failed
    assert record.cost == emu.charges[0].cost
    assert emu.charges[0].failed


@pytest.mark.parametrize("finish_reason", ["error", None], ids=["finish-error", "finish-null"])
async def test_a_midstream_error_raises_after_the_chunks_with_partial_text(
    target: Target, openrouter_emulator: OpenRouterEmulator, finish_reason: str | None
) -> None:
    emu = openrouter_emulator
    content = "The quick brown fox jumps over the lazy dog. " * 3
    emu.enqueue(
        replies.midstream_error(
            3,
            502,
            "Provider returned error",
            finish_reason=finish_reason,
            metadata={"provider_name": "Minimax", "error_type": "provider_unavailable"},
            content=content,
            chunk_chars=10,
        )
    )
    received: list[str] = []

    with track_usage() as usage:
        error = await _failure(target, target.model(max_retries=2), received)

    assert isinstance(error, core.ProviderError)
    assert error.provider_name == "Minimax"
    assert error.partial_text == content[:30]
    if target.streaming:
        assert "".join(received) == content[:30]  # yielded before the error, then it raised
    assert len(emu.chat_requests) == 1
    [record] = usage.records  # the usage of the failed generation, recorded as failed
    assert record.failed
    assert record.output_tokens > 0
    assert record.cost == emu.charges[0].cost > 0
    assert error.usage is not None
    assert error.usage.cost == emu.charges[0].cost


async def test_a_dropped_connection_is_a_connection_error_never_a_normal_end(
    target: Target, openrouter_emulator: OpenRouterEmulator
) -> None:
    emu = openrouter_emulator
    emu.enqueue(replies.drop_connection(2, content="x" * 200, chunk_chars=10))
    received: list[str] = []

    error = await _failure(target, target.model(), received)

    assert isinstance(error, core.APIConnectionError)
    assert MODEL in str(error)
    if target.streaming:
        assert "".join(received) == "x" * 20
        assert error.partial_text == "x" * 20


async def test_a_dropped_connection_is_retried_unless_the_stream_already_started(
    target: Target, openrouter_emulator: OpenRouterEmulator
) -> None:
    # docs/errors.md: a connection failure is retried, unless a stream already started.
    emu = openrouter_emulator
    emu.enqueue(replies.drop_connection(2, content="x" * 200, chunk_chars=10), times=3)
    received: list[str] = []

    error = await _failure(target, target.model(max_retries=2), received)

    assert isinstance(error, core.APIConnectionError)
    requests = emu.chat_requests
    if target.streaming:
        # the chunks were already yielded: a retry would repeat them, so there is none
        assert len(requests) == 1
        assert emu.pending() == 2
        assert "".join(received) == "x" * 20
        assert error.partial_text == "x" * 20
    else:
        # nothing was returned yet: the SDK retried max_retries times
        assert len(requests) == 3
        assert emu.pending() == 0
        chats = [r for r in emu.requests if r.path.endswith("/chat/completions")]
        retry_counts = [r.header("x-stainless-retry-count") for r in chats]
        assert retry_counts == ["0", "1", "2"]
        assert received == []


async def test_a_stalled_server_times_out_within_the_timeout(
    target: Target, openrouter_emulator: OpenRouterEmulator
) -> None:
    emu = openrouter_emulator
    emu.enqueue(replies.stall(8))

    started = time.monotonic()
    error = await _failure(target, target.model(timeout=0.5))
    elapsed = time.monotonic() - started

    assert isinstance(error, core.RequestTimeoutError)
    assert elapsed < 0.5 + 4  # the timeout plus a margin, never the 8 s stall
    assert len(emu.chat_requests) == 1
    assert MODEL in str(error)


async def test_a_stream_that_stalls_between_chunks_times_out(
    target: Target, openrouter_emulator: OpenRouterEmulator
) -> None:
    if not target.streaming:
        pytest.skip("a pause between chunks exists only in a stream")
    emu = openrouter_emulator
    emu.enqueue(replies.text("slow " * 10, chunk_chars=5, chunk_delay=8))

    started = time.monotonic()
    error = await _failure(target, target.model(timeout=0.5))

    assert isinstance(error, core.RequestTimeoutError)
    assert time.monotonic() - started < 0.5 + 4


# ------------------------------------------------------------------------------ odd but valid


async def test_processing_comments_and_keepalive_whitespace_are_skipped(
    target: Target, openrouter_emulator: OpenRouterEmulator
) -> None:
    emu = openrouter_emulator
    emu.enqueue(
        replies.text(
            "Parsed normally after the padding.", processing_comments=20, keepalive_whitespace=2048
        )
    )

    with track_usage() as usage:
        answer = await target.answer(target.model())

    assert target.text(answer) == "Parsed normally after the padding."
    assert usage.total_cost == emu.total_cost > 0


def get_weather(city: str) -> str:
    """Return the weather in a city."""
    return f"Sunny in {city}"


@pytest.mark.parametrize(
    "broken",
    ['{"city": Paris}', '["Paris"]', '{"city": "Par'],
    ids=["not-json", "not-an-object", "truncated"],
)
async def test_malformed_tool_arguments(
    target: Target, openrouter_emulator: OpenRouterEmulator, broken: str
) -> None:
    if broken.endswith("Par") and target.framework == "langchain" and target.streaming:
        pytest.skip(
            "langchain_core sums streamed tool_call_chunks with parse_partial_json, which "
            "completes a truncated object; only unparseable arguments stay invalid in a stream"
        )
    emu = openrouter_emulator
    emu.enqueue(replies.tool_calls([{"name": "get_weather", "arguments": broken, "id": "call_1"}]))
    model = target.model()

    answer = await target.answer(model, "Weather in Paris?", tools=[target.tool(get_weather)])

    if target.framework == "langchain":
        assert answer.tool_calls == []
        [invalid] = answer.invalid_tool_calls
        assert invalid["name"] == "get_weather"
        assert invalid["args"] == broken
        assert invalid["id"] == "call_1"
    else:
        from llama_index_openrouter import RAW_ARGUMENTS_KEY

        with pytest.raises(ValueError, match=r"'get_weather'.*call_1") as info:
            model.get_tool_calls_from_response(answer)
        assert broken in str(info.value)
        [selection] = model.get_tool_calls_from_response(answer, error_on_no_tool_call=False)
        assert selection.tool_name == "get_weather"
        assert selection.tool_kwargs == {RAW_ARGUMENTS_KEY: broken}


# ------------------------------------------------------------------------------ unknown fields


def _raw_response(emu: OpenRouterEmulator, *, stream: bool) -> bytes:
    """What the emulator sends for a plain question, as bytes (not through our code)."""
    body = {"model": MODEL, "messages": [{"role": "user", "content": "Hello"}], "stream": stream}
    if stream:
        body["stream_options"] = {"include_usage": True}
    request = urllib.request.Request(  # noqa: S310 - the local emulator
        f"{emu.base_url}/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Authorization": "Bearer k", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310
        return bytes(response.read())


def _with_unknown_fields(value: Any) -> Any:
    """Add fields no client knows to every object, at every depth."""
    if isinstance(value, dict):
        out = {k: _with_unknown_fields(v) for k, v in value.items()}
        out["x_future_field"] = {"nested": [1, "two", None], "flag": True}
        out["another_new_thing"] = None
        return out
    if isinstance(value, list):
        return [_with_unknown_fields(v) for v in value]
    return value


def _sse_with_unknown_fields(raw: bytes) -> bytes:
    lines = []
    for line in raw.decode().split("\n"):
        if line.startswith("data: {"):
            payload = _with_unknown_fields(json.loads(line[len("data: ") :]))
            lines.append("data: " + json.dumps(payload))
        else:
            lines.append(line)
    return "\n".join(lines).encode()


async def test_unknown_fields_everywhere_are_ignored_without_warnings(
    target: Target, openrouter_emulator: OpenRouterEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu = openrouter_emulator
    raw = _raw_response(emu, stream=target.streaming)
    plain = json.loads(raw) if not target.streaming else None
    body = _sse_with_unknown_fields(raw) if target.streaming else _with_unknown_fields(plain)
    headers = {"Content-Type": "text/event-stream"} if target.streaming else None
    # A scripted 200 whose body is sent verbatim: the normal answer, with new fields everywhere.
    emu.enqueue(replies.error(200, "", body=body, headers=headers))
    caplog.set_level(logging.DEBUG)

    with warnings.catch_warnings(record=True) as caught, track_usage() as usage:
        warnings.simplefilter("always")
        answer = await target.answer(target.model())

    assert target.text(answer).startswith("You said: Hello")
    assert [str(w.message) for w in caught] == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    [record] = usage.records
    assert record.cost == emu.charges[0].cost > 0  # the usage was still read
    assert record.input_tokens == emu.charges[0].prompt_tokens


# ------------------------------------------------------------------------------ configuration


async def test_a_missing_api_key_is_a_clear_error_before_any_request(
    target: Target, openrouter_emulator: OpenRouterEmulator
) -> None:
    model = target.model(api_key=None)

    error = await _failure(target, model)

    assert isinstance(error, core.MissingAPIKeyError)
    assert isinstance(error, ValueError)
    assert "OPENROUTER_API_KEY" in str(error)
    assert openrouter_emulator.requests == []
