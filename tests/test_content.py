from __future__ import annotations

import base64
from decimal import Decimal

from openrouter_core.content import (
    audio_part,
    data_url,
    file_part,
    image_part,
    parse_arguments,
    response_metadata,
    text_part,
    with_cache_control,
)


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


def test_response_metadata_from_recording(wire) -> None:
    meta = response_metadata(wire.json("rl_chat_basic.response.json"))
    assert meta["id"].startswith("gen-")
    assert meta["model"] == "anthropic/claude-4.5-haiku-20251001"
    assert meta["provider"] == "Amazon Bedrock"
    assert (meta["finish_reason"], meta["native_finish_reason"]) == ("stop", "end_turn")
    assert meta["cost"] == 0.000081
    assert meta["cost_details"]["upstream_inference_cost"] == 0.000081
    assert meta["is_byok"] is False
    assert meta["usage"].cost == Decimal("0.000081")


def test_response_metadata_tolerates_sparse_bodies() -> None:
    meta = response_metadata({"id": "gen-1", "choices": []})
    assert meta["finish_reason"] is None
    assert meta["cost"] is None
    assert meta["usage"] is None
    assert meta["annotations"] == []
