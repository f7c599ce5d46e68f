"""The pure conversions of the LangChain adapter (messages, tools, results), on literal dicts."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_openrouter import _messages, _results, _tools
from openrouter_core import request, tokens
from openrouter_core.response import read_answer
from openrouter_core.streaming import StreamAccumulator

PNG = base64.b64encode(b"\x89PNG fake image bytes").decode()
PDF = base64.b64encode(b"%PDF-1.4 fake").decode()
WAV = base64.b64encode(b"RIFF fake wav").decode()
EPHEMERAL = {"type": "ephemeral"}


# ----------------------------------------------------------------------------- usage


def test_usage_metadata_maps_cache_and_reasoning_details() -> None:
    usage = {
        "prompt_tokens": 100,
        "completion_tokens": 40,
        "total_tokens": 140,
        "cost": 0.001,
        "prompt_tokens_details": {"cached_tokens": 60, "cache_write_tokens": 30},
        "completion_tokens_details": {"reasoning_tokens": 25},
    }
    assert _results.usage_metadata(read_answer({"usage": usage})) == {
        "input_tokens": 100,
        "output_tokens": 40,
        "total_tokens": 140,
        "input_token_details": {"cache_read": 60, "cache_creation": 30},
        "output_token_details": {"reasoning": 25},
    }


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        # 2024 shape: only the totals
        (
            {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
            {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7},
        ),
        # details null, counts as floats, total missing
        (
            {"prompt_tokens": 3.0, "completion_tokens": 4.0, "prompt_tokens_details": None},
            {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7},
        ),
        # only part of the details reported: the rest is omitted, not invented
        (
            {"prompt_tokens": 5, "completion_tokens": 1, "prompt_tokens_details": {"x": 1}},
            {"input_tokens": 5, "output_tokens": 1, "total_tokens": 6},
        ),
        (None, None),
    ],
)
def test_usage_metadata_accepts_every_wire_shape(usage: Any, expected: Any) -> None:
    assert _results.usage_metadata(read_answer({"usage": usage})) == expected


# ----------------------------------------------------------------------------- content


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("hi", {"type": "text", "text": "hi"}),
        (
            {"type": "text", "text": "hi", "id": "x", "annotations": []},
            {"type": "text", "text": "hi"},
        ),
        (
            {"type": "image", "url": "https://x.test/a.png"},
            {"type": "image_url", "image_url": {"url": "https://x.test/a.png"}},
        ),
        (
            {"type": "image", "base64": PNG, "mime_type": "image/png"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        ),
        (  # legacy v0 data block
            {"type": "image", "source_type": "base64", "data": PNG, "mime_type": "image/png"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        ),
        (
            {"type": "image_url", "image_url": "https://x.test/a.png"},
            {"type": "image_url", "image_url": {"url": "https://x.test/a.png"}},
        ),
        (
            {"type": "file", "base64": PDF, "mime_type": "application/pdf", "filename": "r.pdf"},
            {
                "type": "file",
                "file": {"filename": "r.pdf", "file_data": f"data:application/pdf;base64,{PDF}"},
            },
        ),
        (
            {"type": "file", "url": "https://x.test/doc.pdf"},
            {
                "type": "file",
                "file": {"filename": "document.pdf", "file_data": "https://x.test/doc.pdf"},
            },
        ),
        (
            {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:..."}},
            {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:..."}},
        ),
        (
            {"type": "audio", "base64": WAV, "mime_type": "audio/wav"},
            {"type": "input_audio", "input_audio": {"data": WAV, "format": "wav"}},
        ),
        (
            {"type": "audio", "base64": WAV, "mime_type": "audio/mpeg"},
            {"type": "input_audio", "input_audio": {"data": WAV, "format": "mp3"}},
        ),
        (
            {"type": "input_audio", "input_audio": {"data": WAV, "format": "wav"}},
            {"type": "input_audio", "input_audio": {"data": WAV, "format": "wav"}},
        ),
        (
            {"type": "video", "url": "https://x.test/v.mp4"},
            {"type": "video_url", "video_url": {"url": "https://x.test/v.mp4"}},
        ),
        (
            {"type": "text", "text": "big", "cache_control": EPHEMERAL},
            {"type": "text", "text": "big", "cache_control": EPHEMERAL},
        ),
        (  # v1 standard block: cache_control in extras
            {"type": "text", "text": "big", "extras": {"cache_control": {"type": "ephemeral"}}},
            {"type": "text", "text": "big", "cache_control": EPHEMERAL},
        ),
        (
            {"type": "image", "url": "https://x.test/a.png", "cache_control": EPHEMERAL},
            {
                "type": "image_url",
                "image_url": {"url": "https://x.test/a.png"},
                "cache_control": EPHEMERAL,
            },
        ),
        ({"type": "future_part", "x": 1}, {"type": "future_part", "x": 1}),
    ],
)
def test_format_block(block: Any, expected: dict[str, Any]) -> None:
    assert _messages.format_block(block) == expected


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image", "file_id": "file-123"},
        {"type": "file", "source_type": "id", "id": "file-123"},
        {"type": "audio", "url": "https://x.test/a.wav"},
        {"type": "image"},
    ],
)
def test_format_block_rejects_what_openrouter_cannot_take(block: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="block"):
        _messages.format_block(block)


# ----------------------------------------------------------------------------- messages


def test_convert_messages_of_every_role() -> None:
    messages = [
        SystemMessage("be brief"),
        HumanMessage("hi", name="ann"),
        AIMessage(
            "",
            tool_calls=[{"name": "add", "args": {"a": 1, "b": "二"}, "id": "c1"}],
            invalid_tool_calls=[{"name": "add", "args": "{bad", "id": "c2", "error": "x"}],
        ),
        ToolMessage("3", tool_call_id="c1"),
        ToolMessage(
            [{"type": "text", "text": "oops"}],
            tool_call_id="c2",
            status="error",
        ),
        ChatMessage(role="developer", content="rules"),
    ]
    assert _messages.convert_messages(messages) == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi", "name": "ann"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a":1,"b":"二"}'},
                },
                {"id": "c2", "type": "function", "function": {"name": "add", "arguments": "{bad"}},
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "3"},
        {"role": "tool", "tool_call_id": "c2", "content": [{"type": "text", "text": "oops"}]},
        {"role": "developer", "content": "rules"},
    ]


def test_assistant_content_keeps_text_only() -> None:
    message = AIMessage(
        [
            {"type": "reasoning", "reasoning": "think"},
            {"type": "text", "text": "Hello "},
            {"type": "tool_use", "id": "t", "name": "f", "input": {}},
            "world",
        ]
    )
    assert _messages.convert_message(message) == {
        "role": "assistant",
        "content": "Hello world",
        "reasoning": "think",
    }


def test_reasoning_details_are_sent_back_unchanged_and_win_over_text() -> None:
    details = [
        {"type": "reasoning.summary", "summary": "s", "format": "openai-responses-v1", "index": 0},
        {
            "type": "reasoning.encrypted",
            "data": "gAAA",
            "format": "openai-responses-v1",
            "index": 1,
        },
    ]
    message = AIMessage(
        "ok", additional_kwargs={"reasoning_content": "s", "reasoning_details": details}
    )
    out = _messages.convert_message(message)
    assert out["reasoning_details"] == details
    assert out["reasoning_details"] is details  # the very same list, order included
    assert "reasoning" not in out
    only_text = AIMessage("ok", additional_kwargs={"reasoning_content": "because"})
    assert _messages.convert_message(only_text)["reasoning"] == "because"


def test_function_message_is_refused_with_a_clear_error() -> None:
    with pytest.raises(TypeError, match="ToolMessage"):
        _messages.convert_message(FunctionMessage("x", name="f"))


# ----------------------------------------------------------------------------- tools


_TOOLS = [
    {"type": "function", "function": {"name": "a", "parameters": {}}},
    {"type": "function", "function": {"name": "b", "parameters": {}}},
]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (None, None),
        (False, None),
        ("auto", "auto"),
        ("none", "none"),
        ("required", "required"),
        ("any", "required"),
        ("b", {"type": "function", "function": {"name": "b"}}),
        (
            {"type": "function", "function": {"name": "a"}},
            {"type": "function", "function": {"name": "a"}},
        ),
    ],
)
def test_format_tool_choice(choice: Any, expected: Any) -> None:
    assert _tools.format_tool_choice(choice, _TOOLS) == expected


def test_tool_choice_true_needs_exactly_one_tool() -> None:
    assert _tools.format_tool_choice(True, _TOOLS[:1]) == {
        "type": "function",
        "function": {"name": "a"},
    }
    with pytest.raises(ValueError, match="exactly one tool"):
        _tools.format_tool_choice(True, _TOOLS)
    with pytest.raises(ValueError, match="not one of the tools"):
        _tools.format_tool_choice("c", _TOOLS)


def test_format_tools_reports_unconvertible_tools() -> None:
    with pytest.raises(ValueError, match="cannot convert 42"):
        _tools.format_tools([42])


# ----------------------------------------------------------------------------- responses


def _body(message: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": "gen-1-abc",
        "model": "openai/gpt-4o-mini-2024-07-18",
        "provider": "OpenAI",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": message}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3, "cost": 2e-6},
        **extra,
    }


def test_malformed_tool_arguments_become_invalid_tool_calls() -> None:
    body = _body(
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{"}},
                {"id": "c2", "type": "function", "function": {"name": "g", "arguments": "[1]"}},
                {"id": "c3", "type": "function", "function": {"name": "h", "arguments": ""}},
            ],
        }
    )
    message = _results.chat_result(body).generations[0].message
    assert isinstance(message, AIMessage)
    assert message.tool_calls == [{"name": "h", "args": {}, "id": "c3", "type": "tool_call"}]
    assert [(c["name"], c["args"]) for c in message.invalid_tool_calls] == [
        ("f", "{"),
        ("g", "[1]"),
    ]
    assert all(c["error"] for c in message.invalid_tool_calls)


def test_response_metadata_keeps_cost_as_sent() -> None:
    metadata = _results.response_metadata(read_answer(_body({"role": "assistant", "content": "x"})))
    assert metadata["cost"] == 2e-6
    assert metadata["model_name"] == "openai/gpt-4o-mini-2024-07-18"
    assert metadata["model_provider"] == "openrouter"


def test_stream_converter_sends_call_ids_and_names_once() -> None:
    accumulator = StreamAccumulator()
    converter = _results.StreamConverter()
    fragments = [
        {"index": 0, "id": "c1", "function": {"name": "f", "arguments": ""}},
        # an upstream that repeats the id and name on every fragment
        {"index": 0, "id": "c1", "function": {"name": "f", "arguments": '{"a":'}},
        {"index": 0, "function": {"arguments": "1}"}},
    ]
    chunks = []
    for fragment in fragments:
        delta = accumulator.add({"choices": [{"index": 0, "delta": {"tool_calls": [fragment]}}]})
        chunk = converter.chunk(delta)
        assert chunk is not None
        chunks.append(chunk.message)
    total = chunks[0] + chunks[1] + chunks[2]
    assert total.tool_call_chunks == [
        {"name": "f", "args": '{"a":1}', "id": "c1", "index": 0, "type": "tool_call_chunk"}
    ]


def test_stream_converter_skips_empty_deltas() -> None:
    accumulator = StreamAccumulator()
    delta = accumulator.add({"choices": [{"index": 0, "delta": {"role": "assistant"}}]})
    assert _results.StreamConverter().chunk(delta) is None


# ----------------------------------------------------------------------------- checks


@pytest.mark.parametrize(
    "params",
    [
        {"temperature": 2.5},
        {"temperature": -0.1},
        {"temperature": "hot"},
        {"max_tokens": 0},
        {"max_tokens": -5},
        {"max_completion_tokens": 1.5},
        {"max_tokens": True},
    ],
)
def test_check_params_rejects(params: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"temperature|max_"):
        request.check_params(params)


def test_check_params_accepts_the_edges() -> None:
    request.check_params({"temperature": 0, "max_tokens": 1})
    request.check_params({"temperature": 2.0, "max_completion_tokens": 10})


def test_count_tokens_estimate() -> None:
    messages = [
        {"role": "user", "content": "a" * 40},
        {"role": "user", "content": [{"type": "text", "text": "b" * 8}, {"type": "image_url"}]},
    ]
    # reply 3 + per message 3 each + role words ("user" = 1 token each) + 10 + 2 + 85
    assert tokens.count_tokens(messages, None, tokens.estimate_text_tokens) == 3 + 6 + 2 + 97


def test_several_choices_carry_the_usage_once() -> None:
    body = _body({"role": "assistant", "content": "a"})
    body["choices"].append(
        {"index": 1, "finish_reason": "length", "message": {"role": "assistant", "content": "b"}}
    )
    result = _results.chat_result(body)
    first, second = (g.message for g in result.generations)
    assert isinstance(first, AIMessage)
    assert isinstance(second, AIMessage)
    assert (first.content, second.content) == ("a", "b")
    assert first.usage_metadata is not None
    assert second.usage_metadata is None
    assert second.response_metadata["finish_reason"] == "length"
