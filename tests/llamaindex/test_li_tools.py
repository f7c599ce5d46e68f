"""Tool calling: requests, ToolSelections, streamed tool calls, malformed arguments."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.instrumentation.events.llm import LLMChatEndEvent
from llama_index.core.llms import ChatMessage, ChatResponse
from llama_index.core.tools import FunctionTool

from llama_index_openrouter import RAW_ARGUMENTS_KEY, OpenRouter
from openrouter_core.testing import OpenRouterEmulator, replies


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


TOOLS = [FunctionTool.from_defaults(add), FunctionTool.from_defaults(multiply)]
TWO_CALLS = [
    {"name": "add", "arguments": {"a": 2, "b": 3}, "id": "call_add"},
    {"name": "multiply", "arguments": {"a": 4, "b": 5}, "id": "call_mul"},
]


def _selections(llm: OpenRouter, response: ChatResponse) -> list[tuple[str, str, dict]]:
    return [
        (s.tool_id, s.tool_name, s.tool_kwargs) for s in llm.get_tool_calls_from_response(response)
    ]


def test_chat_with_tools_sends_the_tools_and_reads_the_calls(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(replies.tool_calls(TWO_CALLS))

    response = llm.chat_with_tools(TOOLS, user_msg="2+3 and 4*5?", allow_parallel_tool_calls=True)

    body = openrouter_emulator.last_request.body
    assert [t["function"]["name"] for t in body["tools"]] == ["add", "multiply"]
    assert body["tools"][0]["function"]["parameters"]["properties"].keys() == {"a", "b"}
    assert body["tool_choice"] == "auto"
    assert body["parallel_tool_calls"] is True
    assert _selections(llm, response) == [
        ("call_add", "add", {"a": 2, "b": 3}),
        ("call_mul", "multiply", {"a": 4, "b": 5}),
    ]
    blocks = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
    assert [b.tool_kwargs for b in blocks] == [{"a": 2, "b": 3}, {"a": 4, "b": 5}]
    assert len(response.message.additional_kwargs["tool_calls"]) == 2
    assert response.additional_kwargs["finish_reason"] == "tool_calls"


async def test_achat_with_tools_required_and_named_choice(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    response = await llm.achat_with_tools(TOOLS, user_msg="Add 7 and 8", tool_required=True)
    assert openrouter_emulator.last_request.body["tool_choice"] == "required"
    [selection] = llm.get_tool_calls_from_response(response)
    assert selection.tool_name == "add"  # the emulator calls the first tool offered

    response = await llm.achat_with_tools(TOOLS, user_msg="Multiply", tool_choice="multiply")
    assert openrouter_emulator.last_request.body["tool_choice"] == {
        "type": "function",
        "function": {"name": "multiply"},
    }
    assert llm.get_tool_calls_from_response(response)[0].tool_name == "multiply"


def test_only_the_first_call_is_kept_unless_parallel_calls_are_allowed(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(replies.tool_calls(TWO_CALLS))

    response = llm.chat_with_tools(TOOLS, user_msg="Both please")

    assert openrouter_emulator.last_request.body["parallel_tool_calls"] is False
    assert _selections(llm, response) == [("call_add", "add", {"a": 2, "b": 3})]
    assert len(response.message.additional_kwargs["tool_calls"]) == 1


def _history() -> list[ChatMessage]:
    """A conversation with every kind of block a tool turn carries."""
    return [
        ChatMessage(role="system", content="You are a calculator."),
        ChatMessage(
            role="user",
            blocks=[
                TextBlock(text="What does this say, and add 1 and 2"),
                ImageBlock(url="https://example.com/sum.png"),
            ],
        ),
        ChatMessage(
            role="assistant",
            blocks=[
                ThinkingBlock(content="I should call add."),
                TextBlock(text="Adding."),
                ToolCallBlock(tool_call_id="call_1", tool_name="add", tool_kwargs={"a": 1, "b": 2}),
            ],
            additional_kwargs={"reasoning_details": [{"type": "reasoning.text", "text": "add"}]},
        ),
        ChatMessage(role="tool", content="3", additional_kwargs={"tool_call_id": "call_1"}),
    ]


def _dump(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    return [m.model_dump() for m in messages]


@pytest.mark.parametrize("parallel", [False, True])
async def test_the_chat_history_and_user_message_are_never_modified(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator, parallel: bool
) -> None:
    history = _history()
    messages = list(history)
    snapshot = _dump(history)
    user = ChatMessage(role="user", content="And 4 times 5?")
    user_snapshot = user.model_dump()
    options: dict[str, Any] = {"chat_history": history, "allow_parallel_tool_calls": parallel}

    def unchanged() -> None:
        assert history == messages  # the same list, the same message objects, in order
        assert all(a is b for a, b in zip(history, messages, strict=True))
        assert _dump(history) == snapshot
        assert user.model_dump() == user_snapshot

    calls = [
        lambda: llm.chat_with_tools(TOOLS, user_msg=user, **options),
        lambda: list(llm.stream_chat_with_tools(TOOLS, user_msg=user, **options)),
        lambda: llm.predict_and_call(TOOLS, user_msg=user, **options),
    ]
    for call in calls:
        openrouter_emulator.enqueue(replies.tool_calls(TWO_CALLS, chunk_chars=3))
        call()
        unchanged()

    openrouter_emulator.enqueue(replies.tool_calls(TWO_CALLS))
    await llm.achat_with_tools(TOOLS, user_msg=user, **options)
    unchanged()
    openrouter_emulator.enqueue(replies.tool_calls(TWO_CALLS, chunk_chars=3))
    async for _ in await llm.astream_chat_with_tools(TOOLS, user_msg=user, **options):
        pass
    unchanged()
    openrouter_emulator.enqueue(replies.tool_calls(TWO_CALLS))
    await llm.apredict_and_call(TOOLS, user_msg=user, **options)
    unchanged()

    sent = openrouter_emulator.chat_requests
    assert len(sent) == 6
    for body in sent:
        assert [m["role"] for m in body["messages"]] == [
            "system",
            "user",
            "assistant",
            "tool",
            "user",
        ]


@pytest.mark.parametrize("same_chunk", [True, False])
def test_streamed_tool_calls_are_whole_in_every_chunk(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator, same_chunk: bool
) -> None:
    openrouter_emulator.enqueue(replies.tool_calls(TWO_CALLS, same_chunk=same_chunk, chunk_chars=4))

    responses = list(
        llm.stream_chat_with_tools(TOOLS, user_msg="Both", allow_parallel_tool_calls=True)
    )

    counts = [len(r.message.additional_kwargs.get("tool_calls", [])) for r in responses]
    assert counts == sorted(counts)  # the calls accumulate, never reset
    if same_chunk:  # both calls, complete, arrive in one chunk
        assert counts[0] == 2
    for response in responses:
        calls = llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
        assert [c.tool_name for c in calls] == ["add", "multiply"][: len(calls)]
    assert _selections(llm, responses[-1]) == [
        ("call_add", "add", {"a": 2, "b": 3}),
        ("call_mul", "multiply", {"a": 4, "b": 5}),
    ]
    assert responses[-1].additional_kwargs["finish_reason"] == "tool_calls"


async def test_astream_chat_with_tools(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(replies.tool_calls(TWO_CALLS, chunk_chars=3))

    stream = await llm.astream_chat_with_tools(
        TOOLS, user_msg="Both", allow_parallel_tool_calls=True
    )
    responses = [r async for r in stream]

    partial = [
        llm.get_tool_calls_from_response(r, error_on_no_tool_call=False) for r in responses[:-1]
    ]
    # While streaming, incomplete arguments are parsed as far as they go.
    assert any(calls and calls[-1].tool_kwargs == {"a": 4} for calls in partial)
    assert _selections(llm, responses[-1])[1] == ("call_mul", "multiply", {"a": 4, "b": 5})


def _tool_call_counts(responses: list[ChatResponse]) -> list[tuple[int, int]]:
    """Per response: (tool calls in additional_kwargs, ToolCallBlocks)."""
    return [
        (
            len(r.message.additional_kwargs.get("tool_calls", [])),
            sum(isinstance(b, ToolCallBlock) for b in r.message.blocks),
        )
        for r in responses
    ]


@pytest.mark.parametrize("same_chunk", [True, False])
async def test_streams_keep_only_the_first_call_unless_parallel_calls_are_allowed(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator, events: Any, same_chunk: bool
) -> None:
    reply = replies.tool_calls(TWO_CALLS, same_chunk=same_chunk, chunk_chars=4)
    openrouter_emulator.enqueue(reply)
    openrouter_emulator.enqueue(reply)

    streamed = list(llm.stream_chat_with_tools(TOOLS, user_msg="Both please"))
    astreamed = [r async for r in await llm.astream_chat_with_tools(TOOLS, user_msg="Both")]

    for responses in (streamed, astreamed):
        assert set(_tool_call_counts(responses)) <= {(0, 0), (1, 1)}
        assert _selections(llm, responses[-1]) == [("call_add", "add", {"a": 2, "b": 3})]
        assert responses[-1].additional_kwargs["prompt_tokens"] > 0
    assert [r["parallel_tool_calls"] for r in openrouter_emulator.chat_requests] == [
        False,
        False,
    ]
    # The instrumentation still reports every call the model made.
    ends = events.of(LLMChatEndEvent)
    assert [_tool_call_counts([e.response]) for e in ends] == [[(2, 2)], [(2, 2)]]


def test_closing_a_first_call_only_stream_ends_the_call(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator, events: Any
) -> None:
    openrouter_emulator.enqueue(replies.tool_calls(TWO_CALLS, chunk_chars=2))

    stream = llm.stream_chat_with_tools(TOOLS, user_msg="Both")
    next(stream)
    stream.close()

    [end] = events.of(LLMChatEndEvent)
    assert end.response.additional_kwargs["incomplete"] is True


def test_malformed_arguments_raise_or_come_back_raw(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(replies.tool_calls([{"name": "add", "arguments": '{"a": 2, "b"'}]))
    response = llm.chat_with_tools(TOOLS, user_msg="Add")

    with pytest.raises(ValueError, match=r"'add'.*not valid JSON"):
        llm.get_tool_calls_from_response(response)
    [selection] = llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
    assert selection.tool_kwargs == {RAW_ARGUMENTS_KEY: '{"a": 2, "b"'}


def test_malformed_arguments_at_the_end_of_a_stream_are_not_repaired(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(replies.tool_calls([{"name": "add", "arguments": '{"a": 2'}]))

    *_, last = llm.stream_chat_with_tools(TOOLS, user_msg="Add")

    [selection] = llm.get_tool_calls_from_response(last, error_on_no_tool_call=False)
    assert selection.tool_kwargs == {RAW_ARGUMENTS_KEY: '{"a": 2'}


def test_no_tool_call(llm: OpenRouter, openrouter_emulator: OpenRouterEmulator) -> None:
    openrouter_emulator.enqueue(replies.text("I would rather not."))
    response = llm.chat_with_tools(TOOLS, user_msg="Add")

    with pytest.raises(ValueError, match="without calling a tool"):
        llm.get_tool_calls_from_response(response)
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []


def test_predict_and_call(llm: OpenRouter, openrouter_emulator: OpenRouterEmulator) -> None:
    openrouter_emulator.enqueue(
        replies.tool_calls([{"name": "multiply", "arguments": {"a": 6, "b": 7}}])
    )

    result = llm.predict_and_call(TOOLS, user_msg="6 times 7")

    assert result.response == "42"
