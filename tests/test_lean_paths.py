"""Work saved on the hot paths keeps the behaviour: options validated once while unchanged,
the one reader of answers, the SSE decoder's fast path."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from openrouter_core.request import OptionsMemo
from openrouter_core.response import read_answer
from openrouter_core.streaming import SSEDecoder
from openrouter_core.testing import OpenRouterEmulator

MODEL = "anthropic/claude-haiku-4.5"


# --- OptionsMemo ------------------------------------------------------------------------------


def test_options_memo_validates_once_while_the_content_is_unchanged() -> None:
    memo = OptionsMemo()
    provider = {"sort": "price", "order": ["anthropic"]}
    first = memo.get({"provider": provider, "models": ["a/b"]})
    assert first == {"provider": {"sort": "price", "order": ["anthropic"]}, "models": ["a/b"]}
    assert memo.get({"provider": provider, "models": ["a/b"]}) is first
    assert memo.get({"provider": dict(provider), "models": ["a/b"]}) is first  # equal content

    provider["order"].append("openai")  # changed in place: noticed, validated again
    second = memo.get({"provider": provider, "models": ["a/b"]})
    assert second is not first
    assert second["provider"]["order"] == ["anthropic", "openai"]


def test_options_memo_empty_layer_and_invalid_values() -> None:
    memo = OptionsMemo()
    assert memo.get({}) == {}
    valid = memo.get({"provider": {"sort": "price"}})
    with pytest.raises(pydantic.ValidationError):
        memo.get({"provider": {"sort": 3}})
    assert memo.get({"provider": {"sort": "price"}}) is valid  # the failure cached nothing


# --- the framework models send options changed after a first call -----------------------------


def test_chat_openrouter_sends_options_changed_in_place(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    from langchain_openrouter import ChatOpenRouter

    llm = ChatOpenRouter(
        model=MODEL,
        api_key="test-key",
        base_url=openrouter_emulator.base_url,
        max_retries=0,
        provider={"sort": "price"},
        models=["openai/gpt-4o-mini"],
    )
    llm.invoke("hi")
    llm.invoke("hi")
    assert llm.openrouter_provider is not None
    llm.openrouter_provider["sort"] = "latency"
    assert llm.models is not None
    llm.models.append("google/gemini-2.5-flash")
    llm.invoke("hi")
    bodies = openrouter_emulator.chat_requests
    assert [b["provider"] for b in bodies] == [{"sort": "price"}] * 2 + [{"sort": "latency"}]
    assert bodies[-1]["models"] == ["openai/gpt-4o-mini", "google/gemini-2.5-flash"]

    llm.openrouter_provider["sort"] = 7  # invalid: refused before any request
    with pytest.raises(pydantic.ValidationError):
        llm.invoke("hi")
    assert len(openrouter_emulator.chat_requests) == 3


def test_llama_index_openrouter_sends_options_changed_in_place(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    from llama_index.core.llms import ChatMessage

    from llama_index_openrouter import OpenRouter

    llm = OpenRouter(
        model=MODEL,
        api_key="test-key",
        api_base=openrouter_emulator.base_url,
        max_retries=0,
        provider={"sort": "price"},
        models=["openai/gpt-4o-mini"],
    )
    messages = [ChatMessage(role="user", content="hi")]
    llm.chat(messages)
    llm.chat(messages)
    assert llm.provider is not None
    assert llm.models is not None
    llm.provider.sort = "latency"
    llm.models.append("google/gemini-2.5-flash")
    llm.chat(messages)
    bodies = openrouter_emulator.chat_requests
    assert [b["provider"] for b in bodies] == [{"sort": "price"}] * 2 + [{"sort": "latency"}]
    assert bodies[-1]["models"] == ["openai/gpt-4o-mini", "google/gemini-2.5-flash"]


# --- the answer without the usage --------------------------------------------------------------


def test_an_answer_without_usage_keeps_every_other_fact() -> None:
    body = {
        "id": "gen-1",
        "model": "openai/gpt-4o-mini",
        "provider": "OpenAI",
        "choices": [{"finish_reason": "stop", "message": {"content": "x"}}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "cost": 0.5, "is_byok": False},
    }
    full = read_answer(body)
    lean = read_answer({k: v for k, v in body.items() if k != "usage"})
    assert full.usage is not None
    assert full.usage.input_tokens == 3
    assert (full.cost, full.is_byok) == (0.5, False)
    assert lean.usage is None
    assert (lean.cost, lean.is_byok) == (None, None)
    unchanged = ("id", "model", "provider", "finish_reason", "text", "tool_calls")
    assert [getattr(full, k) for k in unchanged] == [getattr(lean, k) for k in unchanged]


# --- SSE decoding -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "events", "done"),
    [
        (b"data: [DONE] \n\n", [], True),
        (b"data:\t[DONE]\r\n\r\n", [], True),
        (b"data: \n\ndata: [1, 2]\n\n", [[1, 2]], False),
        (b'data: {"a": 1}\r\n\r\ndata:  {"b": 2}\n\n', [{"a": 1}, {"b": 2}], False),
        (b'data:{"a"\ndata::1}\n\n', [{"a": 1}], False),
    ],
)
def test_sse_event_edge_cases(raw: bytes, events: list[Any], done: bool) -> None:
    for step in (1, 3, len(raw)):
        decoder = SSEDecoder()
        got: list[Any] = []
        for start in range(0, len(raw), step):
            got.extend(decoder.feed(raw[start : start + step]))
        got.extend(decoder.flush())
        assert (got, decoder.done) == (events, done)
