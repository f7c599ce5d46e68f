"""How LlamaIndex messages and content blocks reach OpenRouter (read from the emulator)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    CacheControl,
    CachePoint,
    ChatMessage,
    DocumentBlock,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from llama_index_openrouter import OpenRouter
from openrouter_core.testing import OpenRouterEmulator

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
WAV = b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00" + bytes(24)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _sent(llm: OpenRouter, emu: OpenRouterEmulator, messages: list[ChatMessage]) -> list[dict]:
    llm.chat(messages)
    return emu.last_request.body["messages"]


def test_text_blocks(llm: OpenRouter, openrouter_emulator: OpenRouterEmulator) -> None:
    sent = _sent(
        llm,
        openrouter_emulator,
        [
            ChatMessage(role="system", content="Be brief."),
            ChatMessage(role="user", blocks=[TextBlock(text="One."), TextBlock(text="Two.")]),
        ],
    )

    assert sent == [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [{"type": "text", "text": "One."}, {"type": "text", "text": "Two."}],
        },
    ]


def test_images_from_a_url_a_path_and_bytes(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "pixel.png"
    path.write_bytes(PNG)
    message = ChatMessage(
        role="user",
        blocks=[
            TextBlock(text="Compare these."),
            ImageBlock(url="https://example.org/cat.jpg", detail="low"),
            ImageBlock(path=path),
            ImageBlock(image=PNG),
        ],
    )

    [sent] = _sent(llm, openrouter_emulator, [message])

    assert sent["content"] == [
        {"type": "text", "text": "Compare these."},
        {"type": "image_url", "image_url": {"url": "https://example.org/cat.jpg", "detail": "low"}},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{_b64(PNG)}"}},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{_b64(PNG)}"}},
    ]


def test_a_pdf_document_becomes_a_file_part(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    message = ChatMessage(
        role="user",
        blocks=[DocumentBlock(data=PDF, title="report.pdf"), TextBlock(text="Summarise.")],
    )

    [sent] = _sent(llm, openrouter_emulator, [message])

    assert sent["content"][0] == {
        "type": "file",
        "file": {"filename": "report.pdf", "file_data": f"data:application/pdf;base64,{_b64(PDF)}"},
    }


def test_a_document_url_is_sent_as_is(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    message = ChatMessage(
        role="user", blocks=[DocumentBlock(url="https://example.org/a.pdf", title="a.pdf")]
    )

    [sent] = _sent(llm, openrouter_emulator, [message])

    assert sent["content"] == [
        {"type": "file", "file": {"filename": "a.pdf", "file_data": "https://example.org/a.pdf"}}
    ]


def test_audio_and_video(llm: OpenRouter, openrouter_emulator: OpenRouterEmulator) -> None:
    message = ChatMessage(
        role="user",
        blocks=[
            AudioBlock(audio=WAV, format="wav"),
            VideoBlock(url="https://example.org/clip.mp4"),
        ],
    )

    [sent] = _sent(llm, openrouter_emulator, [message])

    assert sent["content"] == [
        {"type": "input_audio", "input_audio": {"data": _b64(WAV), "format": "wav"}},
        {"type": "video_url", "video_url": {"url": "https://example.org/clip.mp4"}},
    ]


def test_a_cache_point_marks_the_preceding_part(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    messages = [
        ChatMessage(
            role="system",
            blocks=[
                TextBlock(text="You know this book:"),
                TextBlock(text="A LONG BOOK " * 50),
                CachePoint(cache_control=CacheControl(type="ephemeral")),
            ],
        ),
        ChatMessage(
            role="user",
            blocks=[
                TextBlock(text="Question?"),
                CachePoint(cache_control=CacheControl(type="ephemeral", ttl="1h")),
            ],
        ),
    ]

    system, user = _sent(llm, openrouter_emulator, messages)

    assert system["content"] == [
        {"type": "text", "text": "You know this book:"},
        {"type": "text", "text": "A LONG BOOK " * 50, "cache_control": {"type": "ephemeral"}},
    ]
    assert user["content"] == [
        {"type": "text", "text": "Question?", "cache_control": {"type": "ephemeral", "ttl": "1h"}}
    ]


def test_an_assistant_turn_with_tool_calls_and_the_tool_results(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    messages = [
        ChatMessage(role="user", content="Weather in Paris and Rome?"),
        ChatMessage(
            role="assistant",
            blocks=[
                ThinkingBlock(content="I should call the tool twice."),
                ToolCallBlock(
                    tool_call_id="call_1", tool_name="weather", tool_kwargs={"c": "Paris"}
                ),
                ToolCallBlock(
                    tool_call_id="call_2", tool_name="weather", tool_kwargs='{"c":"Rome"}'
                ),
            ],
            additional_kwargs={"reasoning_details": [{"type": "reasoning.text", "text": "x"}]},
        ),
        ChatMessage(role="tool", content="Sunny", additional_kwargs={"tool_call_id": "call_1"}),
        ChatMessage(role="tool", content="Rainy", additional_kwargs={"tool_call_id": "call_2"}),
    ]

    sent = _sent(llm, openrouter_emulator, messages)

    assert sent[1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"c":"Paris"}'},
            },
            {
                "id": "call_2",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"c":"Rome"}'},
            },
        ],
        "reasoning_details": [{"type": "reasoning.text", "text": "x"}],
    }
    assert sent[2:] == [
        {"role": "tool", "tool_call_id": "call_1", "content": "Sunny"},
        {"role": "tool", "tool_call_id": "call_2", "content": "Rainy"},
    ]
    assert "Sunny" in llm.chat(messages).message.content  # the model read the results


def test_tool_calls_kept_in_additional_kwargs_by_other_code_are_sent(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    call = {"id": "c9", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    messages = [
        ChatMessage(role="user", content="Go"),
        ChatMessage(role="assistant", content="", additional_kwargs={"tool_calls": [call]}),
        ChatMessage(role="tool", content="done", additional_kwargs={"tool_call_id": "c9"}),
    ]

    sent = _sent(llm, openrouter_emulator, messages)

    assert sent[1]["tool_calls"] == [call]


@pytest.mark.parametrize(
    ("message", "error"),
    [
        (ChatMessage(role="tool", content="orphan"), "tool_call_id"),
        (
            ChatMessage(
                role="user", blocks=[CachePoint(cache_control=CacheControl(type="ephemeral"))]
            ),
            "CachePoint",
        ),
        (ChatMessage(role="user", blocks=[AudioBlock(audio=b"\x01\x02\x03")]), "audio format"),
    ],
)
def test_bad_input_fails_before_any_request(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator, message: ChatMessage, error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        llm.chat([message])

    assert openrouter_emulator.requests == []
