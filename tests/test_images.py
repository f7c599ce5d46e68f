"""Generated images (``modalities: ["image", "text"]``) in both frameworks, plain and streamed.

Served from the real recording ``rl_image_gen_chat`` (a PNG from google/gemini-2.5-flash-image)
and, streamed, in the shape OpenRouter streams it: the whole image in one ``delta.images`` chunk.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from llama_index.core.base.llms.types import ImageBlock
from llama_index.core.llms import ChatMessage

from langchain_openrouter import ChatOpenRouter
from llama_index_openrouter import OpenRouter
from tests.raw_server import RawServer
from tests.test_parity import sse_from_body

MODEL = "google/gemini-2.5-flash-image"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def recording(wire: Any) -> tuple[bytes, dict[str, Any]]:
    raw = wire.bytes("rl_image_gen_chat.response.json")
    return raw, json.loads(raw)


def _langchain(url: str) -> ChatOpenRouter:
    return ChatOpenRouter(
        model=MODEL,
        api_key="k",
        base_url=url,
        max_retries=0,
        modalities=["image", "text"],
        image_config={"aspect_ratio": "1:1"},
    )


def _llamaindex(url: str) -> OpenRouter:
    return OpenRouter(
        model=MODEL,
        api_key="k",
        api_base=url,
        max_retries=0,
        modalities=["image", "text"],
        image_config={"aspect_ratio": "1:1"},
    )


def test_langchain_gets_a_standard_image_block_plain_and_streamed(
    recording: tuple[bytes, dict[str, Any]],
) -> None:
    raw, body = recording
    with RawServer() as server:
        server.queue(200, "application/json", raw)
        server.queue(200, "text/event-stream", sse_from_body(body))
        message = _langchain(server.base_url).invoke("Paint a Siamese cat")
        chunks = list(_langchain(server.base_url).stream("Paint a Siamese cat"))
        sent = server.requests
    assert sent[0]["modalities"] == ["image", "text"]
    assert sent[0]["image_config"] == {"aspect_ratio": "1:1"}
    assert isinstance(message.content, list)
    text, image = message.content
    assert text == {"type": "text", "text": "Here's an image of a Siamese cat! "}
    assert isinstance(image, dict)
    assert image["type"] == "image"
    assert image["mime_type"] == "image/png"
    assert base64.b64decode(image["base64"]).startswith(PNG_SIGNATURE)
    assert message.usage_metadata is not None
    assert message.usage_metadata["output_token_details"]["image"] == 1290  # type: ignore[typeddict-item]
    streamed = [c for c in chunks if isinstance(c.content, list)]
    assert len(streamed) == 1  # the whole image, in one chunk
    total = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    assert total.text == message.text
    assert [b for b in total.content if isinstance(b, dict)] == [image]


def test_llamaindex_gets_an_image_block_plain_and_streamed(
    recording: tuple[bytes, dict[str, Any]],
) -> None:
    raw, body = recording
    messages = [ChatMessage(role="user", content="Paint a Siamese cat")]
    with RawServer() as server:
        server.queue(200, "application/json", raw)
        server.queue(200, "text/event-stream", sse_from_body(body))
        server.queue(200, "application/json", raw)
        response = _llamaindex(server.base_url).chat(messages)
        last = list(_llamaindex(server.base_url).stream_chat(messages))[-1]
        completion = _llamaindex(server.base_url).complete("Paint a Siamese cat")
        sent = server.requests
    assert sent[0]["image_config"] == {"aspect_ratio": "1:1"}
    for result in (response, last):
        [image] = [b for b in result.message.blocks if isinstance(b, ImageBlock)]
        assert image.image_mimetype == "image/png"
        assert image.image is not None
        assert base64.b64decode(image.image).startswith(PNG_SIGNATURE)
        assert result.message.content == "Here's an image of a Siamese cat! "
        assert result.additional_kwargs["image_tokens"] == 1290
    assert completion.additional_kwargs["images"][0].startswith("data:image/png;base64,")
