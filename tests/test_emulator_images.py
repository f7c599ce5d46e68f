"""Image generation on the emulator (issue 14): ``modalities: ["image", "text"]``.

An image-output model answers with a small valid PNG in ``message.images`` beside its text,
streamed as one ``delta.images`` chunk, with ``image_tokens`` billed at the model's image
price; ``image_config.aspect_ratio`` shapes the picture. Compared field by field with the real
recording ``rl_image_gen_chat`` where it is present.
"""

from __future__ import annotations

import base64
import http.client
import json
import struct
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from openrouter_core.testing import OpenRouterEmulator

MODEL = "google/gemini-2.5-flash-image"
REQUEST = {
    "model": MODEL,
    "messages": [{"role": "user", "content": "a siamese cat"}],
    "modalities": ["image", "text"],
}


@dataclass(frozen=True)
class _Answer:
    status_code: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def _post(emu: OpenRouterEmulator, body: dict[str, Any]) -> _Answer:
    """The raw wire answer (stdlib HTTP, so both openai majors' venvs run this)."""
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=30)
    try:
        headers = {"Authorization": "Bearer k", "Content-Type": "application/json"}
        conn.request("POST", "/api/v1/chat/completions", json.dumps(body), headers)
        response = conn.getresponse()
        return _Answer(response.status, response.read().decode())
    finally:
        conn.close()


def _png_size(url: str) -> tuple[int, int]:
    assert url.startswith("data:image/png;base64,")
    data = base64.b64decode(url.split(",", 1)[1])
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _sse(text: str) -> list[dict[str, Any]]:
    return [
        json.loads(line[6:])
        for line in text.splitlines()
        if line.startswith("data: ") and line != "data: [DONE]"
    ]


def test_an_image_model_answers_with_a_png_beside_its_text() -> None:
    with OpenRouterEmulator() as emu:
        body = _post(emu, REQUEST).json()
        prices = emu.price(MODEL)
        [charge] = emu.charges
    message = body["choices"][0]["message"]
    assert message["content"]
    [image] = message["images"]
    assert image["type"] == "image_url"
    assert _png_size(image["image_url"]["url"]) == (32, 32)
    usage = body["usage"]
    image_tokens = usage["completion_tokens_details"]["image_tokens"]
    assert image_tokens > 0
    assert image_tokens == charge.image_tokens
    text_tokens = usage["completion_tokens"] - image_tokens
    expected = (
        usage["prompt_tokens"] * prices["prompt"]
        + text_tokens * prices["completion"]
        + image_tokens * prices["image_output"]
    )
    assert Decimal(repr(usage["cost"])) == expected == charge.cost


def test_the_image_is_streamed_in_one_images_chunk() -> None:
    with OpenRouterEmulator() as emu:
        plain = _post(emu, REQUEST).json()
        emu.reset()
        events = _sse(_post(emu, {**REQUEST, "stream": True}).text)
    with_images = [e for e in events if e["choices"] and "images" in e["choices"][0]["delta"]]
    assert len(with_images) == 1
    assert (
        with_images[0]["choices"][0]["delta"]["images"] == plain["choices"][0]["message"]["images"]
    )
    text = "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e["choices"])
    assert text == plain["choices"][0]["message"]["content"]
    assert events[-1]["usage"]["completion_tokens_details"]["image_tokens"] > 0


@pytest.mark.parametrize(
    ("ratio", "size"), [("16:9", (32, 18)), ("9:16", (18, 32)), ("1:1", (32, 32))]
)
def test_image_config_sets_the_aspect_ratio(ratio: str, size: tuple[int, int]) -> None:
    with OpenRouterEmulator() as emu:
        body = _post(emu, {**REQUEST, "image_config": {"aspect_ratio": ratio}}).json()
    url = body["choices"][0]["message"]["images"][0]["image_url"]["url"]
    assert _png_size(url) == size


def test_a_text_model_asked_for_images_has_no_endpoint() -> None:
    with OpenRouterEmulator() as emu:
        response = _post(emu, {**REQUEST, "model": "openai/gpt-4o-mini"})
        assert response.status_code == 404
        assert "output modalities" in response.json()["error"]["message"]
        # Without modalities the image model answers in text only.
        body = _post(emu, {k: v for k, v in REQUEST.items() if k != "modalities"}).json()
    assert "images" not in body["choices"][0]["message"]
    assert body["usage"]["completion_tokens_details"]["image_tokens"] == 0


def test_same_shape_as_the_real_recording(wire: Any) -> None:
    real = json.loads(wire.text("rl_image_gen_chat.response.json"))
    request = wire.json("rl_image_gen_chat.request.json")
    with OpenRouterEmulator() as emu:
        mine = _post(emu, request).json()
    real_message, my_message = real["choices"][0]["message"], mine["choices"][0]["message"]
    assert set(real_message) <= set(my_message)
    assert [set(i) for i in real_message["images"]] == [set(i) for i in my_message["images"]]
    assert set(real["usage"]["completion_tokens_details"]) == set(
        mine["usage"]["completion_tokens_details"]
    )
    # The real call's image tokens and their price: 1290 tokens at $30/M.
    real_tokens = real["usage"]["completion_tokens_details"]["image_tokens"]
    assert mine["usage"]["completion_tokens_details"]["image_tokens"] == real_tokens
    assert mine["model"] == real["model"]
