"""Reasoning: the request, ThinkingBlock, thinking_delta and the reasoning_details round trip."""

from __future__ import annotations

import copy
from collections.abc import Callable

from llama_index.core.base.llms.types import TextBlock, ThinkingBlock
from llama_index.core.llms import ChatMessage

from llama_index_openrouter import OpenRouter
from openrouter_core.testing import OpenRouterEmulator, replies


def _thinking(message: ChatMessage) -> list[ThinkingBlock]:
    return [b for b in message.blocks if isinstance(b, ThinkingBlock)]


def test_reasoning_is_requested_and_returned_as_a_thinking_block(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator
) -> None:
    llm = make_llm(reasoning={"effort": "high"})

    response = llm.chat([ChatMessage(role="user", content="Think first")])

    assert openrouter_emulator.last_request.body["reasoning"] == {"effort": "high"}
    [thinking] = _thinking(response.message)
    assert thinking.content == "The user wrote: Think first. I should reply deterministically."
    assert thinking.num_tokens == response.additional_kwargs["reasoning_tokens"] > 0
    details = response.message.additional_kwargs["reasoning_details"]
    assert details == response.raw["choices"][0]["message"]["reasoning_details"]
    assert details[0]["format"] == "anthropic-claude-v1"
    assert details[0]["signature"]
    assert response.message.content.startswith("You said: Think first")


def test_a_two_turn_conversation_sends_the_reasoning_details_back_unchanged(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator
) -> None:
    llm = make_llm(reasoning={"max_tokens": 2000})
    history = [ChatMessage(role="user", content="First question")]

    first = llm.chat(history)
    received = copy.deepcopy(first.raw["choices"][0]["message"]["reasoning_details"])
    history += [first.message, ChatMessage(role="user", content="Second question")]
    llm.chat(history)

    second_request = openrouter_emulator.chat_requests[1]
    assistant = second_request["messages"][1]
    assert assistant["role"] == "assistant"
    assert assistant["reasoning_details"] == received
    assert assistant["content"] == first.message.content


async def test_a_streamed_two_turn_conversation_round_trips_the_details(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator
) -> None:
    llm = make_llm(model="openai/gpt-5-mini", reasoning={"effort": "low"})
    openrouter_emulator.enqueue(
        replies.text(
            "Answer one.",
            reasoning="Let me think about it.",
            reasoning_details=[
                {
                    "type": "reasoning.summary",
                    "summary": "Let me think about it.",
                    "format": "openai-responses-v1",
                    "index": 0,
                },
                {
                    "type": "reasoning.encrypted",
                    "data": "gAAAAABsecret",
                    "id": "rs_1",
                    "format": "openai-responses-v1",
                    "index": 0,
                },
            ],
            chunk_chars=5,
        )
    )
    history = [ChatMessage(role="user", content="First")]

    responses = [r async for r in await llm.astream_chat(history)]

    thinking_deltas = [r.additional_kwargs.get("thinking_delta") for r in responses]
    assert "".join(d for d in thinking_deltas if d) == "Let me think about it."
    last = responses[-1]
    [thinking] = _thinking(last.message)
    assert thinking.content == "Let me think about it."
    details = last.message.additional_kwargs["reasoning_details"]
    assert [d["type"] for d in details] == ["reasoning.summary", "reasoning.encrypted"]
    assert details[1]["data"] == "gAAAAABsecret"
    assert details[0]["format"] == "openai-responses-v1"  # merged, never concatenated

    history += [last.message, ChatMessage(role="user", content="Second")]
    await llm.achat(history)

    assert openrouter_emulator.chat_requests[1]["messages"][1]["reasoning_details"] == details


def test_stream_chat_puts_each_reasoning_delta_in_thinking_delta(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator
) -> None:
    llm = make_llm(reasoning={"effort": "low"})

    responses = list(llm.stream_chat([ChatMessage(role="user", content="Reason")]))

    deltas = [
        r.additional_kwargs["thinking_delta"]
        for r in responses
        if "thinking_delta" in r.additional_kwargs
    ]
    [thinking] = _thinking(responses[-1].message)
    assert len(deltas) > 1
    assert "".join(deltas) == thinking.content
    # every chunk's message carries the reasoning so far
    reasoning_so_far = [_thinking(r.message)[0].content for r in responses if _thinking(r.message)]
    assert reasoning_so_far[-1] == thinking.content


def test_stream_complete_reports_the_reasoning(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator
) -> None:
    llm = make_llm(reasoning={"effort": "low"})

    *_, last = llm.stream_complete("Reason")

    assert last.additional_kwargs["reasoning"].startswith("The user wrote: Reason")
    assert last.additional_kwargs["reasoning_details"][0]["type"] == "reasoning.text"


def test_a_thinking_block_without_reasoning_details_is_sent_as_reasoning(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    # e.g. a conversation carried over from another LLM class, or built by hand
    answer = ChatMessage(
        role="assistant",
        blocks=[
            ThinkingBlock(content="The user wants a number."),
            ThinkingBlock(content="Seven is a fine one."),
            TextBlock(text="7"),
        ],
    )
    history = [ChatMessage(role="user", content="Pick a number"), answer]

    llm.chat([*history, ChatMessage(role="user", content="Why that one?")])

    assistant = openrouter_emulator.last_request.body["messages"][1]
    assert assistant == {
        "role": "assistant",
        "content": "7",
        "reasoning": "The user wants a number.\nSeven is a fine one.",
    }


def test_reasoning_details_win_over_the_thinking_text(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    details = [{"type": "reasoning.text", "text": "Signed thoughts", "signature": "sig"}]
    answer = ChatMessage(
        role="assistant",
        blocks=[ThinkingBlock(content="Signed thoughts"), TextBlock(text="7")],
        additional_kwargs={"reasoning_details": details},
    )

    llm.chat([ChatMessage(role="user", content="Pick"), answer])

    assistant = openrouter_emulator.last_request.body["messages"][1]
    assert assistant["reasoning_details"] == details
    assert "reasoning" not in assistant
