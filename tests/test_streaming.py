from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from openrouter_core.errors import (
    APIConnectionError,
    BadRequestError,
    OpenRouterError,
    ProviderError,
    RateLimitError,
)
from openrouter_core.streaming import SSEDecoder, StreamAccumulator


def _chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **top: Any) -> dict:
    base: dict[str, Any] = {
        "id": "gen-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "anthropic/claude-4.5-haiku-20251001",
        "provider": "Amazon Bedrock",
        "choices": [
            {
                "index": 0,
                "delta": delta or {},
                "finish_reason": finish,
                "native_finish_reason": None,
            }
        ],
    }
    base.update(top)
    return base


def _decode_all(data: bytes, sizes: int | None = None) -> tuple[list[Any], bool]:
    decoder = SSEDecoder()
    events: list[Any] = []
    step = sizes or len(data) or 1
    for start in range(0, len(data), step):
        events.extend(decoder.feed(data[start : start + step]))
    events.extend(decoder.flush())
    return events, decoder.done


# --- SSE decoding -------------------------------------------------------------------------


@pytest.mark.parametrize("split", [None, 1, 7, 64])
def test_sse_comments_whitespace_and_done(split: int | None) -> None:
    data = (
        b": OPENROUTER PROCESSING\n\n" * 20
        + b"   \n\n"
        + b'data: {"a": 1}\n\n'
        + b"event: message\nid: 3\nretry: 10\n"
        + b'data:{"b":2}\r\n\r\n'
        + b"data: [DONE]\n\n"
        + b'data: {"after": "done"}\n\n'
    )
    events, done = _decode_all(data, split)
    assert events == [{"a": 1}, {"b": 2}]
    assert done


def test_sse_multiline_data_event_and_missing_final_blank_line() -> None:
    events, done = _decode_all(b'data: {"a":\ndata: 1}\n\ndata: {"c": 3}')
    assert events == [{"a": 1}, {"c": 3}]
    assert not done


def test_sse_two_kilobytes_of_whitespace_before_json() -> None:
    events, _ = _decode_all(b"data: " + b" " * 2048 + b'{"x": 1}\n\n')
    assert events == [{"x": 1}]


# --- accumulating ----------------------------------------------------------------------


def test_text_finish_and_usage_in_a_repeated_finish_chunk() -> None:
    acc = StreamAccumulator("anthropic/claude-haiku-4.5")
    d1 = acc.add(_chunk({"role": "assistant", "content": "Hel"}))
    d2 = acc.add(_chunk({"content": "lo"}))
    finish = _chunk({"content": ""}, "stop")
    finish["choices"][0]["native_finish_reason"] = "end_turn"
    d3 = acc.add(finish)
    usage = {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7, "cost": 0.00006}
    d4 = acc.add({**finish, "usage": usage})
    assert (d1.first, d2.first) == (True, False)
    assert (d1.content, d2.content) == ("Hel", "lo")
    assert d3.finish_reason == "stop"
    assert d3.native_finish_reason == "end_turn"
    # The finish reason is reported once even though it arrived twice.
    assert d4.finish_reason is None
    assert d4.usage is not None
    assert d4.usage.cost == Decimal("0.00006")
    body = acc.completion()
    assert body["choices"][0]["message"]["content"] == "Hello"
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["model"] == "anthropic/claude-4.5-haiku-20251001"
    assert body["provider"] == "Amazon Bedrock"
    assert body["usage"] == usage
    acc.check_complete(done=True)


@pytest.mark.parametrize("shape", ["empty_choices", "separate"])
def test_other_final_usage_chunk_shapes(shape: str) -> None:
    acc = StreamAccumulator()
    acc.add(_chunk({"content": "hi"}))
    acc.add(_chunk({}, "stop"))
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2, "cost": 1e-6}
    if shape == "empty_choices":
        last = {**_chunk(), "choices": [], "usage": usage}
    else:
        last = _chunk({"content": ""}, None, usage=usage)
    delta = acc.add(last)
    assert delta.usage is not None
    assert acc.usage is not None
    assert acc.usage.total_tokens == 2
    assert acc.finish_reason == "stop"
    assert acc.text == "hi"


def test_reasoning_details_merge_by_type_and_index_without_concatenating_scalars() -> None:
    acc = StreamAccumulator()
    fmt = "anthropic-claude-v1"
    acc.add(
        _chunk(
            {
                "reasoning": "Let me ",
                "reasoning_details": [
                    {
                        "type": "reasoning.text",
                        "text": "Let me ",
                        "format": fmt,
                        "index": 0,
                        "signature": None,
                    }
                ],
            }
        )
    )
    acc.add(
        _chunk(
            {
                "reasoning": "think.",
                "reasoning_details": [
                    {"type": "reasoning.text", "text": "think.", "format": fmt, "index": 0}
                ],
            }
        )
    )
    acc.add(
        _chunk(
            {
                "reasoning_details": [
                    {
                        "type": "reasoning.text",
                        "text": "",
                        "format": fmt,
                        "index": 0,
                        "signature": "c2ln",
                    },
                    {"type": "reasoning.encrypted", "data": "gAAA", "format": fmt, "index": 1},
                ]
            }
        )
    )
    acc.add(
        _chunk(
            {
                "reasoning_details": [
                    {"type": "reasoning.encrypted", "data": "BBBB", "format": fmt, "index": 1}
                ]
            }
        )
    )
    assert acc.reasoning == "Let me think."
    assert acc.reasoning_details == [
        {
            "type": "reasoning.text",
            "text": "Let me think.",
            "format": fmt,
            "index": 0,
            "signature": "c2ln",
        },
        {"type": "reasoning.encrypted", "data": "gAAABBBB", "format": fmt, "index": 1},
    ]
    assert acc.message()["reasoning"] == "Let me think."


def test_a_scalar_detail_that_first_arrives_empty_is_replaced_not_concatenated() -> None:
    acc = StreamAccumulator()
    fmt = "anthropic-claude-v1"

    def detail(**fields: object) -> None:
        acc.add(_chunk({"reasoning_details": [{"type": "reasoning.text", "index": 0, **fields}]}))

    detail(text="Hm", format=fmt, signature="")
    detail(text=".", format=fmt, signature=None)
    detail(text="", format=fmt, signature="SIG")
    detail(text="", format=fmt, signature="OTHER")  # a later non-empty value never replaces it
    assert acc.reasoning_details == [
        {"type": "reasoning.text", "index": 0, "text": "Hm.", "format": fmt, "signature": "SIG"}
    ]


def test_tool_calls_assembled_by_index_with_two_in_one_chunk() -> None:
    acc = StreamAccumulator()
    delta = acc.add(
        _chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_a",
                        "type": "function",
                        "function": {"name": "add", "arguments": ""},
                    },
                    {
                        "index": 1,
                        "id": "call_b",
                        "type": "function",
                        "function": {"name": "mul", "arguments": '{"x": 2}'},
                    },
                ]
            }
        )
    )
    assert [c["id"] for c in delta.tool_calls] == ["call_a", "call_b"]
    acc.add(_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"a": 1'}}]}))
    acc.add(_chunk({"tool_calls": [{"index": 0, "function": {"arguments": ', "b": 2}'}}]}))
    acc.add(_chunk({}, "tool_calls"))
    calls = acc.tool_calls
    assert [(c["id"], c["function"]["name"]) for c in calls] == [
        ("call_a", "add"),
        ("call_b", "mul"),
    ]
    assert json.loads(calls[0]["function"]["arguments"]) == {"a": 1, "b": 2}
    assert json.loads(calls[1]["function"]["arguments"]) == {"x": 2}
    assert acc.message()["tool_calls"] == calls


def test_tool_calls_without_index_and_whole_call_in_one_delta() -> None:
    acc = StreamAccumulator()
    acc.add(
        _chunk(
            {
                "content": None,
                "tool_calls": [
                    {
                        "id": "t1",
                        "type": "function",
                        "function": {"name": "a", "arguments": {"q": 1}},
                    }
                ],
            }
        )
    )
    acc.add(_chunk({"tool_calls": [{"id": "t2", "function": {"name": "b", "arguments": "{}"}}]}))
    acc.add(_chunk({"tool_calls": [{"function": {"arguments": ""}}]}))
    calls = acc.tool_calls
    assert [c["id"] for c in calls] == ["t1", "t2"]
    assert json.loads(calls[0]["function"]["arguments"]) == {"q": 1}


@pytest.mark.parametrize("finish", ["error", None])
def test_mid_stream_error_chunk_raises_with_partial_text_and_usage(finish: str | None) -> None:
    acc = StreamAccumulator("minimax/minimax-m2")
    acc.add(_chunk({"content": "partial "}))
    acc.add(_chunk({"content": "answer"}))
    error_chunk = _chunk(
        {"role": "assistant", "content": ""},
        finish,
        error={
            "code": 429,
            "message": "Rate limit exceeded",
            "metadata": {"error_type": "rate_limit_exceeded"},
        },
        usage={"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5, "cost": 0.00001},
    )
    with pytest.raises(RateLimitError) as info:
        acc.add(error_chunk)
    err = info.value
    assert err.partial_text == "partial answer"
    assert err.usage is not None
    assert err.usage.cost == Decimal("0.00001")
    assert acc.usage == err.usage
    assert err.model == "minimax/minimax-m2"
    assert "minimax/minimax-m2" in str(err)
    assert "after 14 characters" in str(err)


def test_thousands_of_tiny_pieces_accumulate_in_order() -> None:
    acc = StreamAccumulator()
    words = [f"w{i} " for i in range(1000)]
    for i, word in enumerate(words):
        delta = {"content": word, "reasoning": word.upper()}
        if i == 0:
            delta["tool_calls"] = [{"index": 0, "id": "c", "function": {"name": "f"}}]
        else:
            delta["tool_calls"] = [{"index": 0, "function": {"arguments": str(i % 10)}}]
        acc.add(_chunk(delta))
        if i in (10, 64, 500):  # reading midway does not disturb what comes next
            assert acc.text == "".join(words[: i + 1])
    assert acc.text == "".join(words)
    assert acc.reasoning == "".join(words).upper()
    assert acc.tool_calls[0]["function"]["arguments"] == "".join(
        str(i % 10) for i in range(1, 1000)
    )
    assert acc.completion()["choices"][0]["message"]["content"] == "".join(words)


def test_mid_stream_error_with_string_code_is_a_provider_error() -> None:
    acc = StreamAccumulator()
    with pytest.raises(ProviderError) as info:
        acc.add(_chunk({}, "error", error={"code": "server_error", "message": "boom"}))
    assert info.value.partial_text == ""


def test_recorded_midstream_token_limit_is_a_bad_request() -> None:
    acc = StreamAccumulator()
    with pytest.raises(BadRequestError):
        acc.add(
            _chunk({"content": ""}, None, error={"code": 400, "message": "Token limit reached"})
        )


def test_stream_ending_without_finish_or_done_is_a_connection_error() -> None:
    acc = StreamAccumulator()
    acc.add(_chunk({"content": "cut"}))
    with pytest.raises(APIConnectionError) as info:
        acc.check_complete(done=False)
    assert info.value.partial_text == "cut"


def test_finish_reason_error_without_error_object_raises() -> None:
    acc = StreamAccumulator()
    acc.add(_chunk({"content": "x"}, "error"))
    with pytest.raises(OpenRouterError):
        acc.check_complete(done=True)


def test_done_without_finish_reason_is_accepted() -> None:
    acc = StreamAccumulator()
    acc.add(_chunk({"content": "x"}))
    acc.check_complete(done=True)


def test_annotations_and_metadata_kept() -> None:
    acc = StreamAccumulator()
    citation = {"type": "url_citation", "url_citation": {"url": "https://a", "title": "A"}}
    acc.add(_chunk({"content": "x", "annotations": [citation]}, system_fingerprint="fp"))
    assert acc.completion()["choices"][0]["message"]["annotations"] == [citation]
    assert acc.system_fingerprint == "fp"


# --- the real recordings ---------------------------------------------------------------


def _replay(wire, name: str) -> tuple[StreamAccumulator, bool]:
    events, done = _decode_all(wire.bytes(name), 5)
    acc = StreamAccumulator()
    for event in events:
        acc.add(event)
    acc.check_complete(done=done)
    return acc, done


def test_recorded_basic_stream(wire) -> None:
    acc, done = _replay(wire, "rl_stream_basic.response.sse")
    assert done
    assert acc.text == "1\n2\n3"
    assert acc.finish_reason == "stop"
    assert acc.native_finish_reason == "end_turn"
    assert acc.usage is not None
    assert acc.usage.cost == Decimal("0.00006")
    assert acc.id == "gen-1780944361-X5HAtL0Z2NQp8nHAiT6F"


def test_recorded_empty_choices_usage_stream(wire) -> None:
    acc, _ = _replay(wire, "pa_stream_cache_usage.response.sse")
    assert acc.text == "Hello!"
    assert acc.usage is not None
    assert acc.usage.total_tokens == 259


@pytest.mark.parametrize(
    "name", ["rl_tools_stream_1.response.sse", "rl_tools_stream_2.response.sse"]
)
def test_recorded_tool_streams_match_their_usage(wire, name: str) -> None:
    acc, _ = _replay(wire, name)
    assert acc.usage is not None
    assert acc.usage.cost is not None
    if name.endswith("_1.response.sse"):
        (call,) = acc.tool_calls
        assert call["function"]["name"] == "weather"
        assert json.loads(call["function"]["arguments"]) == {
            "latitude": "52.5200",
            "longitude": "13.4050",
        }
        assert acc.finish_reason == "tool_calls"
    else:
        assert acc.text
