"""Failures: every error is an openrouter_core error, an openai error and a LangChain one."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest
from langchain_core import exceptions as lc
from langchain_core.messages import AIMessageChunk

from langchain_openrouter import ChatOpenRouter
from openrouter_core import errors as core
from openrouter_core import transport
from openrouter_core.testing import OpenRouterEmulator, replies

Make = Callable[..., ChatOpenRouter]
CONTEXT_MESSAGE = (
    "This endpoint's maximum context length is 200000 tokens. However, you requested about "
    "2500021 tokens (2500021 of text input)."
)


@pytest.mark.parametrize(
    ("reply", "core_class", "openai_class", "langchain_class", "retryable"),
    [
        (
            replies.error(400, "temperature is invalid"),
            core.BadRequestError,
            openai.BadRequestError,
            lc.ModelInvalidRequestError,
            False,
        ),
        (
            replies.error(400, CONTEXT_MESSAGE),
            core.ContextLengthExceededError,
            openai.BadRequestError,
            lc.ContextOverflowError,
            False,
        ),
        (
            replies.error(401, "User not found."),
            core.AuthenticationError,
            openai.AuthenticationError,
            lc.ModelAuthenticationError,
            False,
        ),
        (
            replies.error(402, "This request requires more credits"),
            core.InsufficientCreditsError,
            openai.APIStatusError,
            lc.ModelError,
            False,
        ),
        (
            replies.error(403, "Key not allowed"),
            core.PermissionDeniedError,
            openai.PermissionDeniedError,
            lc.ModelPermissionDeniedError,
            False,
        ),
        (
            replies.error(404, "No endpoints found for x/y."),
            core.ModelNotFoundError,
            openai.NotFoundError,
            lc.ModelNotFoundError,
            False,
        ),
        (
            replies.error(400, "x/y is not a valid model ID"),
            core.UnknownModelError,
            openai.BadRequestError,
            lc.ModelNotFoundError,
            False,
        ),
        (
            replies.error(408, "Request timed out"),
            core.HTTPRequestTimeoutError,  # also a core.RequestTimeoutError
            openai.APIStatusError,
            lc.ModelTimeoutError,
            True,
        ),
        (
            replies.error(429, "Rate limited", headers={"Retry-After": "7"}),
            core.RateLimitError,
            openai.RateLimitError,
            lc.ModelRateLimitError,
            True,
        ),
        (
            replies.error(502, "Provider returned error", metadata={"provider_name": "Google"}),
            core.ProviderError,
            openai.InternalServerError,
            lc.ModelAPIError,
            True,
        ),
    ],
    ids=[
        "400",
        "400-context",
        "401",
        "402",
        "403",
        "404",
        "400-unknown-model",
        "408",
        "429",
        "502",
    ],
)
def test_http_errors_are_typed_three_ways(
    make_model: Make,
    openrouter_emulator: OpenRouterEmulator,
    reply: Any,
    core_class: type[Exception],
    openai_class: type[Exception],
    langchain_class: type[Exception],
    retryable: bool,
) -> None:
    openrouter_emulator.enqueue(reply)
    with pytest.raises(core_class) as info:
        make_model().invoke("Hello")
    error = info.value
    assert isinstance(error, openai_class)
    assert isinstance(error, langchain_class)
    assert error.is_retryable is retryable  # type: ignore[attr-defined]
    assert type(error).__module__ == "langchain_openrouter._errors"
    assert type(error.__cause__) is type(error).__mro__[1]  # raised from the core error
    assert error.status_code == reply.status  # type: ignore[attr-defined]
    assert error.model == "anthropic/claude-haiku-4.5"  # type: ignore[attr-defined]
    assert len(openrouter_emulator.requests) == 1  # max_retries=0: one attempt


def test_an_unknown_model_is_both_langchain_classes(
    make_model: Make, openrouter_emulator: OpenRouterEmulator
) -> None:
    # A 400 by status and a missing model by cause: code catching either LangChain class works.
    openrouter_emulator.enqueue(replies.error(400, "x/y is not a valid model ID"))
    with pytest.raises(lc.ModelInvalidRequestError) as info:
        make_model().invoke("Hello")
    assert isinstance(info.value, lc.ModelNotFoundError)
    assert isinstance(info.value, core.BadRequestError)


def test_error_attributes_survive(
    make_model: Make, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(
        replies.error(
            429,
            "Provider returned error",
            metadata={"provider_name": "Google", "raw": '{"error": {"message": "slow down"}}'},
            headers={"Retry-After": "3"},
        )
    )
    with pytest.raises(lc.ModelRateLimitError) as info:
        make_model().invoke("Hello")
    error = info.value
    assert isinstance(error, core.RateLimitError)
    assert error.retry_after == 3.0
    assert error.provider_name == "Google"
    assert error.raw == {"error": {"message": "slow down"}}
    assert "retry_after" in str(error)  # the hint says what to do
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object
    assert type(copy) is type(error)
    assert copy.retry_after == 3.0


def test_moderation_keeps_reasons(
    make_model: Make, openrouter_emulator: OpenRouterEmulator
) -> None:
    metadata = {"reasons": ["harassment"], "flagged_input": "you are...", "provider_name": "X"}
    openrouter_emulator.enqueue(replies.error(403, "flagged", metadata=metadata))
    with pytest.raises(core.ModerationError) as info:
        make_model().invoke("Hello")
    assert isinstance(info.value, lc.ModelPermissionDeniedError)
    assert info.value.reasons == ["harassment"]


@pytest.mark.parametrize(("status", "retryable"), [(409, True), (418, False)])
def test_other_statuses(
    make_model: Make, openrouter_emulator: OpenRouterEmulator, status: int, retryable: bool
) -> None:
    openrouter_emulator.enqueue(replies.error(status, "odd"))
    with pytest.raises(lc.ModelError) as info:
        make_model().invoke("Hello")
    assert isinstance(info.value, core.APIStatusError)
    assert info.value.is_retryable is retryable


def test_timeout_is_in_seconds(make_model: Make, openrouter_emulator: OpenRouterEmulator) -> None:
    openrouter_emulator.enqueue(replies.stall(3))
    with pytest.raises(lc.ModelTimeoutError) as info:
        make_model(timeout=0.3).invoke("Hello")
    assert isinstance(info.value, openai.APITimeoutError)
    assert info.value.is_retryable is True
    openrouter_emulator.enqueue(replies.stall(0.2, then=replies.text("late but fine")))
    assert make_model(timeout=5).invoke("Hello").content == "late but fine"


def test_dropped_connection(make_model: Make, openrouter_emulator: OpenRouterEmulator) -> None:
    openrouter_emulator.enqueue(replies.drop_connection(1))
    with pytest.raises(lc.ModelConnectionError) as info:
        make_model().invoke("Hello")
    assert isinstance(info.value, openai.APIConnectionError)


def test_error_inside_a_200_body_is_not_a_success(
    make_model: Make, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(replies.error_in_200("Provider returned error", 502, usage={}))
    with pytest.raises(lc.ModelAPIError) as info:
        make_model().invoke("Hello")
    assert info.value.usage is not None  # billed usage travels on the error
    assert info.value.usage.input_tokens > 0


# ----------------------------------------------------------------------------- streams


def test_mid_stream_error_raises_after_the_chunks(
    make_model: Make, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(
        replies.midstream_error(3, 429, "Rate limit exceeded", content="a" * 100, chunk_chars=5)
    )
    received: list[AIMessageChunk] = []
    with pytest.raises(lc.ModelRateLimitError) as info:
        received.extend(make_model().stream("Hello"))
    assert len(received) == 3
    text = "".join(str(c.content) for c in received)
    assert text == "a" * 15
    assert info.value.partial_text == text
    assert info.value.usage is not None  # what was billed is still reported


def test_mid_stream_error_with_null_finish_reason(
    make_model: Make, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(
        replies.midstream_error(2, 400, "Token limit reached", finish_reason=None)
    )
    with pytest.raises(lc.ModelInvalidRequestError):
        list(make_model().stream("Hello"))


def test_streaming_invoke_never_returns_a_partial_answer(
    make_model: Make, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(replies.midstream_error(2, 502, "Provider returned error"))
    with pytest.raises(lc.ModelAPIError):
        make_model(streaming=True).invoke("Hello")
    openrouter_emulator.enqueue(replies.drop_connection(2))
    with pytest.raises(lc.ModelConnectionError):
        list(make_model().stream("Hello"))


async def test_async_mid_stream_error(
    make_model: Make, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(replies.midstream_error(2, 502, "Provider returned error"))
    received = []
    with pytest.raises(lc.ModelAPIError) as info:
        async for chunk in make_model().astream("Hello"):
            received.append(chunk)
    assert len(received) == 2
    assert info.value.partial_text == "".join(str(c.content) for c in received)
    openrouter_emulator.enqueue(replies.error(401, "User not found."))
    with pytest.raises(lc.ModelAuthenticationError):
        await make_model().ainvoke("Hello")


class _Recorder:
    def __init__(self) -> None:
        self.outcomes: list[transport.CallOutcome] = []

    def before_call(self, call: transport.CallInfo) -> None:
        pass

    def after_call(self, call: transport.CallInfo, outcome: transport.CallOutcome) -> None:
        self.outcomes.append(outcome)


@pytest.fixture
def recorder() -> Iterator[_Recorder]:
    observer = _Recorder()
    transport.add_observer(observer)
    yield observer
    transport.remove_observer(observer)


def test_an_abandoned_stream_is_reported_incomplete(make_model: Make, recorder: _Recorder) -> None:
    stream = make_model().stream("Hello")
    next(stream)
    stream.close()
    assert len(recorder.outcomes) == 1
    assert recorder.outcomes[0].incomplete
    list(make_model().stream("Hello"))
    assert not recorder.outcomes[1].incomplete
    assert recorder.outcomes[1].usage is not None
