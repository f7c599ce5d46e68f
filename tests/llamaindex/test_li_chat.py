"""Chat, completion and streaming (sync and async) against the emulator: text, usage, errors."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.llms import ChatMessage, ChatResponse, CompletionResponse

from llama_index_openrouter import OpenRouter
from openrouter_core.errors import (
    APIConnectionError,
    InsufficientCreditsError,
    OpenRouterError,
    ProviderError,
    RateLimitError,
)
from openrouter_core.testing import GENERIC_SENTENCE, OpenRouterEmulator, replies
from openrouter_core.usage import to_decimal

USAGE_KEYS = {
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "cost",
    "provider",
    "model",
    "generation_id",
    "finish_reason",
    "native_finish_reason",
}


def _user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


def _assert_usage(kwargs: dict[str, Any], emu: OpenRouterEmulator) -> None:
    charge = emu.charges[-1]
    assert kwargs.keys() >= USAGE_KEYS
    assert kwargs["prompt_tokens"] == charge.prompt_tokens
    assert kwargs["completion_tokens"] == charge.completion_tokens
    assert kwargs["total_tokens"] == charge.prompt_tokens + charge.completion_tokens
    assert kwargs["cached_tokens"] == charge.cached_tokens
    assert kwargs["reasoning_tokens"] == charge.reasoning_tokens
    assert to_decimal(kwargs["cost"]) == charge.cost
    assert kwargs["provider"] == charge.provider
    assert kwargs["model"] == charge.served_model
    assert kwargs["generation_id"] == charge.generation_id
    assert kwargs["finish_reason"] == "stop"
    assert kwargs["native_finish_reason"] == "end_turn"


# ------------------------------------------------------------------------------ plain calls


def test_chat_returns_the_answer_with_usage_cost_and_provider(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    response = llm.chat(_user("Hello there"))

    assert response.message.role == "assistant"
    assert response.message.content == f"You said: Hello there\n\n{GENERIC_SENTENCE}"
    _assert_usage(response.additional_kwargs, openrouter_emulator)
    assert isinstance(response.raw, dict)
    assert response.raw["id"] == response.additional_kwargs["generation_id"]
    body = openrouter_emulator.last_request.body
    assert body["model"] == "anthropic/claude-haiku-4.5"
    assert body["messages"] == [{"role": "user", "content": "Hello there"}]
    assert body["usage"] == {"include": True}


async def test_achat_returns_the_answer_with_usage(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    response = await llm.achat(_user("Hello async"))

    assert response.message.content == f"You said: Hello async\n\n{GENERIC_SENTENCE}"
    _assert_usage(response.additional_kwargs, openrouter_emulator)


def test_complete_sends_the_prompt_as_a_user_message(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    response = llm.complete("Complete me")

    assert isinstance(response, CompletionResponse)
    assert response.text == f"You said: Complete me\n\n{GENERIC_SENTENCE}"
    _assert_usage(response.additional_kwargs, openrouter_emulator)
    assert openrouter_emulator.last_request.body["messages"] == [
        {"role": "user", "content": "Complete me"}
    ]


async def test_acomplete(llm: OpenRouter, openrouter_emulator: OpenRouterEmulator) -> None:
    response = await llm.acomplete("Complete async")

    assert response.text.startswith("You said: Complete async")
    _assert_usage(response.additional_kwargs, openrouter_emulator)


def test_cost_is_none_when_openrouter_does_not_report_it(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(replies.text("Hi", usage={"cost": None}))

    response = llm.chat(_user("Hi"))

    assert response.additional_kwargs["cost"] is None
    assert response.additional_kwargs["prompt_tokens"] > 0


def test_token_counting_handler_reads_the_counts_unchanged(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator
) -> None:
    counter = TokenCountingHandler()
    llm = make_llm(callback_manager=CallbackManager([counter]))

    llm.chat(_user("Count my tokens"))
    list(llm.stream_chat(_user("Count my streamed tokens")))

    first, second = openrouter_emulator.charges
    assert counter.prompt_llm_token_count == first.prompt_tokens + second.prompt_tokens
    assert counter.completion_llm_token_count == (
        first.completion_tokens + second.completion_tokens
    )


# ------------------------------------------------------------------------------ streaming


@pytest.mark.parametrize("usage_chunk", ["separate", "empty_choices", "repeat_finish"])
def test_stream_chat_yields_deltas_then_a_last_response_with_usage(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator, usage_chunk: Any
) -> None:
    openrouter_emulator.enqueue(
        replies.text("The quick brown fox jumps.", chunk_chars=5, usage_chunk=usage_chunk)
    )

    responses = list(llm.stream_chat(_user("Tell me")))

    *chunks, last = responses
    assert "".join(r.delta or "" for r in responses) == "The quick brown fox jumps."
    assert len(chunks) == 6
    so_far = ""
    for chunk in chunks:
        so_far += chunk.delta or ""
        assert chunk.message.content == so_far  # the whole answer so far, not just the delta
        assert chunk.additional_kwargs["partial"] is True
    assert last.delta == ""
    assert last.message.content == "The quick brown fox jumps."
    assert "partial" not in last.additional_kwargs
    _assert_usage(last.additional_kwargs, openrouter_emulator)
    assert last.raw["usage"]["cost"] == last.additional_kwargs["cost"]
    assert openrouter_emulator.last_request.body["stream"] is True


async def test_astream_chat_yields_deltas_then_usage(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(replies.text("Async streaming works.", chunk_chars=4))

    responses = [r async for r in await llm.astream_chat(_user("Go"))]

    assert "".join(r.delta or "" for r in responses) == "Async streaming works."
    assert responses[-1].message.content == "Async streaming works."
    _assert_usage(responses[-1].additional_kwargs, openrouter_emulator)


def test_stream_complete(llm: OpenRouter, openrouter_emulator: OpenRouterEmulator) -> None:
    openrouter_emulator.enqueue(replies.text("Completed by stream.", chunk_chars=6))

    responses = list(llm.stream_complete("Prompt"))

    assert all(isinstance(r, CompletionResponse) for r in responses)
    assert [r.delta for r in responses] == ["Comple", "ted by", " strea", "m.", ""]
    assert [r.text for r in responses[:3]] == ["Comple", "Completed by", "Completed by strea"]
    assert responses[-1].text == "Completed by stream."
    _assert_usage(responses[-1].additional_kwargs, openrouter_emulator)


async def test_astream_complete(llm: OpenRouter, openrouter_emulator: OpenRouterEmulator) -> None:
    openrouter_emulator.enqueue(replies.text("Async completion.", chunk_chars=6))

    responses = [r async for r in await llm.astream_complete("Prompt")]

    assert "".join(r.delta or "" for r in responses) == "Async completion."
    _assert_usage(responses[-1].additional_kwargs, openrouter_emulator)


def test_a_stream_sends_nothing_until_it_is_read(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    stream = llm.stream_chat(_user("Later"))
    assert openrouter_emulator.chat_requests == []

    next(stream)
    assert len(openrouter_emulator.chat_requests) == 1
    stream.close()


# ------------------------------------------------------------------------------ request body


def test_max_tokens_and_temperature_are_not_sent_unless_set(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator
) -> None:
    make_llm().chat(_user("Long answer please"))
    body = openrouter_emulator.last_request.body
    assert "max_tokens" not in body
    assert "temperature" not in body

    make_llm(max_tokens=5, temperature=0.3).chat(_user("Short answer please"))
    body = openrouter_emulator.last_request.body
    assert body["max_tokens"] == 5
    assert body["temperature"] == 0.3


def test_openrouter_options_are_sent(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator
) -> None:
    llm = make_llm(
        provider={"order": ["anthropic"], "allow_fallbacks": False},
        models=["openai/gpt-4o-mini"],
        reasoning={"effort": "low"},
        plugins=[{"id": "response-healing"}],
        transforms=["middle-out"],
        route="fallback",
        session_id="session-42",
        additional_kwargs={"top_p": 0.5, "user": "user-7", "extra_body": {"top_k": 3}},
    )

    llm.chat(_user("Route me"), provider={"sort": "price"}, seed=11, stop=["END"])

    body = openrouter_emulator.last_request.body
    assert body["provider"] == {"order": ["anthropic"], "allow_fallbacks": False, "sort": "price"}
    assert body["models"] == ["openai/gpt-4o-mini"]
    assert body["reasoning"] == {"effort": "low"}
    assert body["plugins"] == [{"id": "response-healing"}]
    assert body["transforms"] == ["middle-out"]
    assert body["route"] == "fallback"
    assert body["session_id"] == "session-42"
    assert body["top_p"] == 0.5
    assert body["user"] == "user-7"
    assert body["top_k"] == 3
    assert body["seed"] == 11
    assert body["stop"] == ["END"]


def test_an_invalid_option_fails_at_construction() -> None:
    with pytest.raises(ValueError, match="unknown provider sort"):
        OpenRouter(provider={"sort": "cheapest"})


def test_an_invalid_per_call_option_fails_before_any_request(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    with pytest.raises(ValueError, match="unknown provider sort"):
        llm.chat(_user("Hi"), provider={"sort": "cheapest"})
    assert openrouter_emulator.requests == []


def test_attribution_and_default_headers_are_sent(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator
) -> None:
    llm = make_llm(
        app_url="https://example.org",
        app_title="My App",
        default_headers={"X-Custom": "yes"},
    )

    llm.chat(_user("Hi"), extra_headers={"X-Per-Call": "1"})

    request = openrouter_emulator.last_request
    assert request.header("HTTP-Referer") == "https://example.org"
    assert request.header("X-Title") == "My App"
    assert request.header("X-OpenRouter-Title") == "My App"
    assert request.header("X-Custom") == "yes"
    assert request.header("X-Per-Call") == "1"


def test_changing_a_connection_setting_takes_effect(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator
) -> None:
    llm = make_llm()
    llm.chat(_user("One"))
    llm.app_title = "Renamed"

    llm.chat(_user("Two"))

    assert openrouter_emulator.last_request.header("X-Title") == "Renamed"


# ------------------------------------------------------------------------------ errors


def test_insufficient_credits_is_a_typed_error(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(replies.error(402, "This request requires more credits"))

    with pytest.raises(InsufficientCreditsError) as info:
        llm.chat(_user("Hi"))

    assert info.value.status_code == 402


@pytest.mark.parametrize("streaming", [False, True])
def test_one_max_retries_means_one_retry_budget(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator, streaming: bool
) -> None:
    openrouter_emulator.enqueue(
        replies.error(429, "Rate limited", headers={"Retry-After": "0"}), times=3
    )
    llm = make_llm(max_retries=1)

    with pytest.raises(RateLimitError):
        if streaming:
            list(llm.stream_chat(_user("Hi")))
        else:
            llm.chat(_user("Hi"))

    assert len(openrouter_emulator.chat_requests) == 2


async def test_one_max_retries_means_one_retry_budget_async(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(
        replies.error(429, "Rate limited", headers={"Retry-After": "0"}), times=3
    )
    llm = make_llm(max_retries=1)

    with pytest.raises(RateLimitError):
        await llm.achat(_user("Hi"))

    assert len(openrouter_emulator.chat_requests) == 2


def test_an_error_body_in_a_200_is_a_typed_error(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(
        replies.error_in_200("Provider returned error", 502, metadata={"provider_name": "X"})
    )

    with pytest.raises(ProviderError) as info:
        llm.chat(_user("Hi"))

    assert info.value.provider_name == "X"


async def test_an_error_body_in_a_200_is_a_typed_error_async(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(replies.error_in_200("Provider returned error", 502))

    with pytest.raises(OpenRouterError):
        await llm.acomplete("Hi")


def test_a_midstream_error_raises_with_the_text_received(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(
        replies.midstream_error(2, 502, "Upstream died", content="abcdefghij", chunk_chars=3)
    )
    received: list[ChatResponse] = []

    with pytest.raises(OpenRouterError) as info:
        received.extend(llm.stream_chat(_user("Hi")))

    assert [r.delta for r in received] == ["abc", "def"]
    assert info.value.partial_text == "abcdef"
    assert info.value.usage is not None  # billed usage is still reported


async def test_a_dropped_stream_raises_async(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(replies.drop_connection(1, content="abcdef", chunk_chars=3))

    with pytest.raises(APIConnectionError):
        async for _ in await llm.astream_chat(_user("Hi")):
            pass


def test_the_callers_message_list_is_never_modified(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    history = [ChatMessage(role="system", content="Be brief."), *_user("Hi")]
    snapshot = [m.model_copy(deep=True) for m in history]

    llm.chat(history)
    list(llm.stream_chat(history))

    assert history == snapshot
    assert openrouter_emulator.charges[-1].cost > Decimal(0)


def test_annotations_are_kept_on_the_message(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    citation = {
        "type": "url_citation",
        "url_citation": {"url": "https://example.org", "title": "Ex", "start_index": 0},
    }
    openrouter_emulator.enqueue(replies.text("See example.org.", annotations=[citation]))

    response = llm.chat(_user("Search"))

    assert response.message.additional_kwargs["annotations"] == [citation]


def test_logprobs_become_llama_index_logprobs() -> None:
    from llama_index_openrouter._responses import chat_response

    body = {
        "id": "gen-1",
        "model": "openai/gpt-4o-mini",
        "provider": "OpenAI",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "Hi"},
                "logprobs": {
                    "content": [
                        {
                            "token": "Hi",
                            "logprob": -0.1,
                            "bytes": [72, 105],
                            "top_logprobs": [
                                {"token": "Hi", "logprob": -0.1, "bytes": [72, 105]},
                                {"token": "Hey", "logprob": -2.5, "bytes": None},
                            ],
                        }
                    ]
                },
            }
        ],
    }

    response = chat_response(body)

    assert response.logprobs is not None
    [[first, second]] = response.logprobs
    assert (first.token, first.logprob, first.bytes) == ("Hi", -0.1, [72, 105])
    assert (second.token, second.logprob, second.bytes) == ("Hey", -2.5, [])
    assert response.additional_kwargs["prompt_tokens"] is None  # no usage reported
    assert response.additional_kwargs["cost"] is None


def test_options_assigned_after_construction_are_validated_and_sent(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    llm.provider = {"sort": "price"}  # type: ignore[assignment]
    llm.chat(_user("Hi"))
    assert openrouter_emulator.last_request.body["provider"] == {"sort": "price"}

    llm.provider = {"sort": "cheapest"}  # type: ignore[assignment]
    with pytest.raises(ValueError, match="unknown provider sort"):
        llm.chat(_user("Hi"))
