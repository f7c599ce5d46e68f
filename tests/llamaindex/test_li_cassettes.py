"""Replays of recorded traffic (``cassettes/llamaindex``), so the wire format stays pinned.

The cassettes were recorded against the local emulator (each response carries its
``X-OpenRouter-Emulator`` header) and are matched on method, path and body: a change to the
request ``OpenRouter`` sends makes these tests fail until the cassettes are re-recorded with
``pytest tests/llamaindex/test_li_cassettes.py --record-mode=rewrite`` and the diff reviewed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.base.llms.types import ThinkingBlock
from llama_index.core.llms import ChatMessage

from llama_index_openrouter import OpenRouter
from openrouter_core.testing import OpenRouterEmulator, replies

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes" / "llamaindex"


def _drop_sdk_headers(request: Any) -> Any:
    """Keep recorded requests readable: the SDK's platform headers say nothing about us."""
    for name in [h for h in request.headers if h.lower().startswith("x-stainless-")]:
        del request.headers[name]
    return request


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "filter_headers": [("authorization", "REDACTED"), ("user-agent", None)],
        "before_record_request": _drop_sdk_headers,
        "match_on": ["method", "path", "body"],
        "decode_compressed_response": True,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES)


@pytest.fixture
def replaying(request: pytest.FixtureRequest) -> bool:
    return request.config.getoption("--record-mode") == "none"


def _llm(emu: OpenRouterEmulator, **kwargs: Any) -> OpenRouter:
    return OpenRouter(
        model="anthropic/claude-haiku-4.5",
        api_key="recorded-key",
        api_base=emu.base_url,
        max_retries=0,
        **kwargs,
    )


@pytest.mark.vcr
def test_chat_and_stream_replay(openrouter_emulator: OpenRouterEmulator, replaying: bool) -> None:
    llm = _llm(openrouter_emulator)

    response = llm.chat([ChatMessage(role="user", content="Hello cassette")])
    *_, last = llm.stream_chat([ChatMessage(role="user", content="Hello stream")])

    assert response.message.content.startswith("You said: Hello cassette")
    assert response.additional_kwargs["cost"] == 0.000117
    assert response.additional_kwargs["provider"] == "Amazon Bedrock"
    assert last.message.content.startswith("You said: Hello stream")
    assert last.additional_kwargs["completion_tokens"] == 21
    assert last.additional_kwargs["cost"] == 0.000111
    if replaying:
        assert openrouter_emulator.requests == []


@pytest.mark.vcr
def test_reasoning_round_trip_replay(
    openrouter_emulator: OpenRouterEmulator, replaying: bool
) -> None:
    llm = _llm(openrouter_emulator, reasoning={"max_tokens": 1024})
    history = [ChatMessage(role="user", content="Is 1009 prime?")]

    first = llm.chat(history)
    history += [first.message, ChatMessage(role="user", content="And 1013?")]
    *_, second = llm.stream_chat(history)

    [thinking] = [b for b in first.message.blocks if isinstance(b, ThinkingBlock)]
    assert thinking.content
    assert first.message.additional_kwargs["reasoning_details"][0]["signature"]
    assert second.additional_kwargs["reasoning_tokens"] > 0
    if replaying:
        assert openrouter_emulator.requests == []


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


@pytest.mark.vcr
async def test_function_agent_replay(
    openrouter_emulator: OpenRouterEmulator, replaying: bool
) -> None:
    if not replaying:
        openrouter_emulator.enqueue(
            replies.tool_calls(
                [{"name": "multiply", "arguments": {"a": 6, "b": 7}, "id": "toolu_1"}]
            )
        )
    agent = FunctionAgent(tools=[multiply], llm=_llm(openrouter_emulator))

    handler = agent.run("What is 6 times 7?")
    events = [e async for e in handler.stream_events()]
    result = await handler

    assert [e.tool_output.content for e in events if isinstance(e, ToolCallResult)] == ["42"]
    assert "multiply: 42" in str(result)
    if replaying:
        assert openrouter_emulator.requests == []


def test_cassettes_hold_no_key_and_come_from_the_emulator() -> None:
    files = sorted(CASSETTES.glob("*.yaml"))
    assert len(files) == 3
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "recorded-key" not in text
        assert not re.search(r"sk-or-|Bearer ", text)
        assert text.count("x-openrouter-emulator") == text.count("- request:")
