"""What ``ChatOpenRouter`` returns: messages, metadata, usage, and streams equal to invoke."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.tools import tool

from langchain_openrouter import ChatOpenRouter
from openrouter_core.testing import OpenRouterEmulator, replies
from openrouter_core.testing.replies import Reply

Make = Callable[..., ChatOpenRouter]
CITATION = {
    "type": "url_citation",
    "url_citation": {"url": "https://example.org", "title": "Example", "start_index": 0},
}


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"Sunny in {city}"


def _total(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


def _model(emu: OpenRouterEmulator, **kwargs: Any) -> ChatOpenRouter:
    params: dict[str, Any] = {
        "model": "anthropic/claude-haiku-4.5",
        "api_key": "k",
        "base_url": emu.base_url,
        "max_retries": 0,
    }
    return ChatOpenRouter(**{**params, **kwargs})


@pytest.fixture
def twin_emulators() -> Iterator[tuple[OpenRouterEmulator, OpenRouterEmulator]]:
    """Two emulators with the same seed: the same request gets byte-identical answers."""
    with OpenRouterEmulator() as first, OpenRouterEmulator() as second:
        yield first, second


def _invoke_and_stream(
    emulators: tuple[OpenRouterEmulator, OpenRouterEmulator],
    reply: Reply | None,
    prompt: str = "Hello",
    *,
    tools: list[Any] | None = None,
    **kwargs: Any,
) -> tuple[AIMessage, list[AIMessageChunk]]:
    first, second = emulators
    if reply is not None:
        first.enqueue(reply)
        second.enqueue(reply)
    invoker: Any = _model(first, **kwargs)
    streamer: Any = _model(second, **kwargs)
    if tools:
        invoker, streamer = invoker.bind_tools(tools), streamer.bind_tools(tools)
    invoked = invoker.invoke(prompt)
    chunks = list(streamer.stream(prompt))
    assert first.last_request.body.get("stream") is None
    assert second.last_request.body["stream"] is True
    return invoked, chunks


def _assert_same_message(invoked: AIMessage, streamed: BaseMessage) -> None:
    assert isinstance(streamed, AIMessageChunk)
    assert streamed.content == invoked.content
    assert streamed.additional_kwargs == invoked.additional_kwargs
    assert streamed.tool_calls == invoked.tool_calls
    assert streamed.usage_metadata == invoked.usage_metadata
    assert streamed.response_metadata == invoked.response_metadata
    assert streamed.id == invoked.id


# ----------------------------------------------------------------------------- metadata


def test_response_metadata_and_usage(
    make_model: Make, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(replies.text("Cited.", annotations=[CITATION]))
    result = make_model().invoke("Hello")
    metadata = result.response_metadata
    charge = openrouter_emulator.charges[0]
    assert metadata["model_name"] == "anthropic/claude-4.5-haiku-20251001"  # as served
    assert metadata["id"] == charge.generation_id
    assert metadata["id"].startswith("gen-")
    assert result.id == metadata["id"]
    assert metadata["provider"] == charge.provider
    assert (metadata["finish_reason"], metadata["native_finish_reason"]) == ("stop", "end_turn")
    assert metadata["annotations"] == [CITATION]
    assert str(metadata["cost"]) == str(charge.cost) or metadata["cost"] == float(charge.cost)
    assert metadata["cost_details"]["upstream_inference_cost"] == metadata["cost"]
    assert metadata["is_byok"] is False
    assert metadata["object"] == "chat.completion"
    assert isinstance(metadata["created"], int)
    assert "system_fingerprint" not in metadata  # null on the wire: left out, as ChatOpenAI does
    assert metadata["model_provider"] == "openrouter"
    # the served name is the requested model's dated slug: no failover
    assert (metadata["requested_model"], metadata["fallback"]) == (
        "anthropic/claude-haiku-4.5",
        False,
    )
    assert result.usage_metadata == {
        "input_tokens": charge.prompt_tokens,
        "output_tokens": charge.completion_tokens,
        "total_tokens": charge.prompt_tokens + charge.completion_tokens,
        "input_token_details": {"cache_read": 0, "cache_creation": 0},
        "output_token_details": {"reasoning": 0},
    }


def test_unknown_cost_stays_unknown(
    make_model: Make, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(replies.text("x", usage={"cost": None, "cost_details": None}))
    metadata = make_model().invoke("Hello").response_metadata
    assert "cost" not in metadata  # not reported: absent, never 0
    assert "cost_details" not in metadata


def test_reasoning_text_block_and_tokens(make_model: Make) -> None:
    result = make_model(reasoning={"max_tokens": 300}).invoke("Why is the sky blue?")
    reasoning = result.additional_kwargs["reasoning_content"]
    assert reasoning
    assert result.content_blocks[0] == {"type": "reasoning", "reasoning": reasoning}
    assert result.usage_metadata is not None
    assert result.usage_metadata["output_token_details"]["reasoning"] > 0


# ----------------------------------------------------------------------------- stream == invoke


def test_stream_adds_up_to_invoke_for_text_with_citations(
    twin_emulators: tuple[OpenRouterEmulator, OpenRouterEmulator],
) -> None:
    reply = replies.text("The answer, with a source.", annotations=[CITATION], chunk_chars=4)
    invoked, chunks = _invoke_and_stream(twin_emulators, reply)
    total = _total(chunks)
    _assert_same_message(invoked, total)
    assert total.response_metadata["finish_reason"] == "stop"  # not "stopstop"
    assert total.response_metadata["annotations"] == [CITATION]
    assert len(chunks) > 3
    assert chunks[-1].chunk_position == "last"
    assert [c.usage_metadata is not None for c in chunks].count(True) == 1


def test_stream_adds_up_to_invoke_with_reasoning_details(
    twin_emulators: tuple[OpenRouterEmulator, OpenRouterEmulator],
) -> None:
    invoked, chunks = _invoke_and_stream(
        twin_emulators, None, "Think, then answer.", reasoning={"max_tokens": 400}
    )
    total = _total(chunks)
    _assert_same_message(invoked, total)
    details = total.additional_kwargs["reasoning_details"]
    assert len(details) == 1
    assert details[0]["format"] == "anthropic-claude-v1"  # a scalar, never concatenated
    assert details[0]["text"] == total.additional_kwargs["reasoning_content"]
    assert sum("reasoning_details" in c.additional_kwargs for c in chunks) == 1


def test_stream_adds_up_to_invoke_with_several_reasoning_entries(
    twin_emulators: tuple[OpenRouterEmulator, OpenRouterEmulator],
) -> None:
    invoked, chunks = _invoke_and_stream(
        twin_emulators, None, "Think.", model="openai/gpt-5-mini", reasoning={"effort": "low"}
    )
    total = _total(chunks)
    _assert_same_message(invoked, total)
    types = [d["type"] for d in total.additional_kwargs["reasoning_details"]]
    assert len(types) >= 2
    assert total.usage_metadata is not None
    assert total.usage_metadata["output_token_details"]["reasoning"] > 0


def test_stream_adds_up_to_invoke_with_tool_calls_in_one_chunk(
    twin_emulators: tuple[OpenRouterEmulator, OpenRouterEmulator],
) -> None:
    calls = [
        {"name": "add", "arguments": {"a": 1, "b": 2}, "id": "call_1"},
        {"name": "get_weather", "arguments": {"city": "Paris"}, "id": "call_2"},
    ]
    reply = replies.tool_calls(calls, same_chunk=True)
    invoked, chunks = _invoke_and_stream(twin_emulators, reply, tools=[add, get_weather])
    total = _total(chunks)
    _assert_same_message(invoked, total)
    assert [c["name"] for c in total.tool_calls] == ["add", "get_weather"]
    assert total.tool_calls[1]["args"] == {"city": "Paris"}
    assert any(len(c.tool_call_chunks) == 2 for c in chunks)  # both calls in one chunk survive
    assert total.response_metadata["finish_reason"] == "tool_calls"


def test_stream_adds_up_to_invoke_with_fragmented_tool_calls(
    twin_emulators: tuple[OpenRouterEmulator, OpenRouterEmulator],
) -> None:
    invoked, chunks = _invoke_and_stream(
        twin_emulators, None, "Weather in Rome?", tools=[get_weather]
    )
    total = _total(chunks)
    _assert_same_message(invoked, total)
    assert total.tool_calls[0]["name"] == "get_weather"
    assert total.tool_call_chunks[0]["id"] == invoked.tool_calls[0]["id"]  # id not doubled


def test_malformed_tool_arguments_never_raise(
    twin_emulators: tuple[OpenRouterEmulator, OpenRouterEmulator],
) -> None:
    # In a stream, LangChain itself parses the joined tool_call_chunks, with a partial-JSON
    # parser that completes truncated JSON; arguments that are plainly not JSON are invalid in
    # both paths.
    bad = '{"a": 1, "b": two}'
    reply = replies.tool_calls([{"name": "add", "arguments": bad, "id": "c1"}])
    invoked, chunks = _invoke_and_stream(twin_emulators, reply, tools=[add])
    assert invoked.tool_calls == []
    assert invoked.invalid_tool_calls[0]["args"] == bad
    assert "JSON" in (invoked.invalid_tool_calls[0]["error"] or "")
    total = _total(chunks)
    assert total.tool_calls == []
    assert total.invalid_tool_calls[0]["args"] == bad
    assert total.invalid_tool_calls[0]["id"] == "c1"


@pytest.mark.parametrize("bad", ['{"city": "Par', '{"a": 1', "not json at all", '{"a": 1}}'])
@pytest.mark.parametrize("streaming", [False, True])
def test_invoke_reports_malformed_arguments_whether_it_streams_or_not(
    make_model: Make, openrouter_emulator: OpenRouterEmulator, bad: str, streaming: bool
) -> None:
    # A call cut short (finish_reason=length) must never become a valid call with repaired
    # arguments, which an agent would then run.
    openrouter_emulator.enqueue(
        replies.tool_calls(
            [{"name": "get_weather", "arguments": bad, "id": "c1"}], finish_reason="length"
        )
    )
    result = make_model(streaming=streaming).bind_tools([get_weather]).invoke("Weather?")
    assert openrouter_emulator.last_request.body.get("stream") is (True if streaming else None)
    assert result.tool_calls == []
    [invalid] = result.invalid_tool_calls
    assert (invalid["name"], invalid["args"], invalid["id"]) == ("get_weather", bad, "c1")
    assert "not valid JSON" in (invalid["error"] or "")


def test_streaming_invoke_equals_plain_invoke_with_tool_calls(
    twin_emulators: tuple[OpenRouterEmulator, OpenRouterEmulator],
) -> None:
    first, second = twin_emulators
    calls = [
        {"name": "add", "arguments": '{"a": 1', "id": "c1"},
        {"name": "add", "arguments": {"a": 1, "b": 2}, "id": "c2"},
    ]
    for emu in twin_emulators:
        emu.enqueue(replies.tool_calls(calls, reasoning="Adding."))
    plain = _model(first).bind_tools([add]).invoke("Add")
    streamed = _model(second, streaming=True).bind_tools([add]).invoke("Add")
    assert second.last_request.body["stream"] is True
    assert streamed == plain
    assert [c["id"] for c in plain.tool_calls] == ["c2"]
    assert [c["id"] for c in plain.invalid_tool_calls] == ["c1"]


async def test_async_streaming_invoke_reports_malformed_arguments(
    make_model: Make, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(replies.tool_calls([{"name": "add", "arguments": '{"a": 1'}]))
    result = await make_model(streaming=True).bind_tools([add]).ainvoke("Add")
    assert openrouter_emulator.last_request.body["stream"] is True
    assert result.tool_calls == []
    assert result.invalid_tool_calls[0]["args"] == '{"a": 1'
    assert "not valid JSON" in (result.invalid_tool_calls[0]["error"] or "")


async def test_invoke_inside_astream_events_streams_and_parses_strictly(
    make_model: Make, openrouter_emulator: OpenRouterEmulator
) -> None:
    # A streaming handler (astream_events) makes invoke stream; the answer is still strict.
    from langchain_core.runnables import RunnableLambda

    openrouter_emulator.enqueue(replies.tool_calls([{"name": "add", "arguments": '{"a": 1'}]))
    llm = make_model().bind_tools([add])

    async def call(prompt: str) -> Any:
        return await llm.ainvoke(prompt)

    events = [e async for e in RunnableLambda(call).astream_events("Add", version="v2")]
    assert openrouter_emulator.last_request.body["stream"] is True
    assert any(e["event"] == "on_chat_model_stream" for e in events)
    output = next(e for e in events if e["event"] == "on_chat_model_end")["data"]["output"]
    assert output.tool_calls == []
    assert "not valid JSON" in (output.invalid_tool_calls[0]["error"] or "")


def test_a_summed_stream_keeps_the_raw_fragments_of_a_truncated_call(
    make_model: Make, openrouter_emulator: OpenRouterEmulator
) -> None:
    # The documented limit of .stream(): LangChain parses summed tool_call_chunks itself, with
    # a partial-JSON parser that completes '{"a": 1'. The fragments stay exactly as received.
    openrouter_emulator.enqueue(
        replies.tool_calls([{"name": "add", "arguments": '{"a": 1', "id": "c1"}])
    )
    total = _total(list(make_model().bind_tools([add]).stream("Add")))
    assert total.tool_call_chunks[0]["args"] == '{"a": 1'
    assert total.tool_calls[0]["args"] == {"a": 1}  # LangChain's repair, not ours


def test_stream_usage_false_leaves_usage_out(make_model: Make) -> None:
    chunks = list(make_model(stream_usage=False).stream("Hello"))
    assert all(c.usage_metadata is None for c in chunks)
    assert _total(chunks).response_metadata["cost"] is not None


def test_streaming_true_makes_invoke_stream(
    twin_emulators: tuple[OpenRouterEmulator, OpenRouterEmulator],
) -> None:
    first, second = twin_emulators
    plain = _model(first).invoke("Hello")
    streamed = _model(second, streaming=True).invoke("Hello")
    assert second.last_request.body["stream"] is True
    assert streamed.content == plain.content
    assert streamed.usage_metadata == plain.usage_metadata
    assert streamed.response_metadata == plain.response_metadata


def test_disable_streaming_wins_over_streaming_true(
    make_model: Make, openrouter_emulator: OpenRouterEmulator
) -> None:
    make_model(streaming=True, disable_streaming=True).invoke("Hello")
    assert openrouter_emulator.last_request.body.get("stream") is None
    make_model(streaming=True).invoke("Hello", stream=False)
    assert openrouter_emulator.last_request.body.get("stream") is None


def test_streamed_tokens_reach_callbacks(make_model: Make) -> None:
    from langchain_core.callbacks import BaseCallbackHandler

    class Tokens(BaseCallbackHandler):
        def __init__(self) -> None:
            self.tokens: list[str] = []

        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            self.tokens.append(token)

    handler = Tokens()
    result = make_model(streaming=True).invoke("Hello", config={"callbacks": [handler]})
    assert "".join(handler.tokens) == result.content
    assert len(handler.tokens) > 2


# ----------------------------------------------------------------------------- async


async def test_async_invoke_and_stream_agree(
    twin_emulators: tuple[OpenRouterEmulator, OpenRouterEmulator],
) -> None:
    first, second = twin_emulators
    invoked = await _model(first, reasoning={"max_tokens": 300}).ainvoke("Hello")
    chunks = [c async for c in _model(second, reasoning={"max_tokens": 300}).astream("Hello")]
    _assert_same_message(invoked, _total(chunks))


async def test_abatch_and_astream_events(make_model: Make) -> None:
    llm = make_model()
    results = await llm.abatch(["one", "two"])
    assert [r.content.split("\n")[0] for r in results] == ["You said: one", "You said: two"]
    events = [e async for e in llm.astream_events("Hello", version="v2")]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "on_chat_model_start"
    assert kinds[-1] == "on_chat_model_end"
    assert "on_chat_model_stream" in kinds
    output = events[-1]["data"]["output"]
    assert output.response_metadata["model_name"] == "anthropic/claude-4.5-haiku-20251001"
    assert output.usage_metadata["input_tokens"] > 0


def test_batch(make_model: Make) -> None:
    results = make_model().batch(["one", "two"])
    assert [r.content.split("\n")[0] for r in results] == ["You said: one", "You said: two"]
