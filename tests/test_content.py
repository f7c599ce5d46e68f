from __future__ import annotations

import base64
from decimal import Decimal

from openrouter_core.parts import (
    audio_part,
    data_url,
    file_part,
    image_part,
    text_part,
    with_cache_control,
)
from openrouter_core.response import parse_arguments, read_answer


def test_parts() -> None:
    assert data_url(b"\x00\x01", "image/png") == "data:image/png;base64,AAE="
    assert data_url("AAE=", "image/png") == "data:image/png;base64,AAE="
    assert image_part("https://x/a.png", detail="low") == {
        "type": "image_url",
        "image_url": {"url": "https://x/a.png", "detail": "low"},
    }
    assert file_part("data:application/pdf;base64,JVBE", filename="a.pdf") == {
        "type": "file",
        "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBE"},
    }
    part = audio_part(b"RIFF", "wav")
    assert part["input_audio"]["format"] == "wav"
    assert base64.b64decode(part["input_audio"]["data"]) == b"RIFF"
    cached = with_cache_control(text_part("big"), {"type": "ephemeral", "ttl": "1h"})
    assert cached == {
        "type": "text",
        "text": "big",
        "cache_control": {"type": "ephemeral", "ttl": "1h"},
    }
    assert with_cache_control(text_part("x"))["cache_control"] == {"type": "ephemeral"}


def test_parse_arguments() -> None:
    assert parse_arguments('{"a": 1}').args == {"a": 1}
    assert parse_arguments("").args == {}
    assert parse_arguments(None).args == {}
    bad = parse_arguments('{"a": ')
    assert bad.args is None
    assert bad.raw == '{"a": '
    assert "not valid JSON" in (bad.error or "")
    wrong = parse_arguments("[1]")
    assert wrong.args is None
    assert "JSON object" in (wrong.error or "")


def test_answer_from_recording(wire) -> None:
    answer = read_answer(wire.json("rl_chat_basic.response.json"))
    assert answer.id is not None
    assert answer.id.startswith("gen-")
    assert answer.model == "anthropic/claude-4.5-haiku-20251001"
    assert answer.provider == "Amazon Bedrock"
    assert (answer.finish_reason, answer.native_finish_reason) == ("stop", "end_turn")
    assert answer.text == "2 + 2 = 4"
    assert answer.cost == 0.000081
    assert answer.cost_details["upstream_inference_cost"] == 0.000081
    assert answer.is_byok is False
    assert answer.usage is not None
    assert answer.usage.cost == Decimal("0.000081")
    assert answer.usage_details == {
        "cached_tokens",
        "cache_write_tokens",
        "reasoning_tokens",
        "image_tokens",
    }


def test_answer_tolerates_sparse_bodies() -> None:
    answer = read_answer({"id": "gen-1", "choices": []})
    assert answer.finish_reason is None
    assert answer.cost is None
    assert answer.usage is None
    assert answer.annotations == ()
    assert answer.text == ""
    assert answer.tool_calls == ()
