"""Both frameworks read every answer alike, plain and streamed, as the one core reader does.

Each case is one answer, served four times: to LangChain ``invoke`` and ``stream`` and to
LlamaIndex ``chat`` and ``stream_chat``. The text, reasoning, ``reasoning_details``, tool calls,
finish reason, usage, cost, provider and served model each framework shows must be the same
four times, and equal to what :func:`openrouter_core.response.read_answer` reads from the body.

The answers: every chat recording in ``../shared/openrouter-wire`` (real OpenRouter traffic;
JSON bodies are also streamed, SSE bodies also served whole, both through the same shapes the
real API uses), the recorded error bodies (the same typed error from both frameworks), bodies
using the ``reasoning_content`` alias and an empty ``reasoning``, and the emulator's scenarios.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ImageBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from langchain_openrouter import ChatOpenRouter
from llama_index_openrouter import OpenRouter
from openrouter_core import errors as core_errors
from openrouter_core.response import read_answer
from openrouter_core.streaming import SSEDecoder, StreamAccumulator
from openrouter_core.testing import OpenRouterEmulator, replies
from tests.raw_server import RawServer

WIRE = Path(__file__).resolve().parents[1].parent / "shared" / "openrouter-wire"
MODEL = "anthropic/claude-haiku-4.5"


def _recordings(suffix: str) -> list[str]:
    if not WIRE.is_dir():
        return []
    names = []
    for path in sorted(WIRE.glob(f"*.response.{suffix}")):
        if suffix == "sse" or '"choices"' in path.read_text(encoding="utf-8")[:4000]:
            names.append(path.name.split(".")[0])
    return names


def _error_recordings() -> list[str]:
    if not WIRE.is_dir():
        return []
    names = []
    for path in sorted(WIRE.glob("*.response.json")):
        body = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(body, dict) and "error" in body:
            names.append(path.name.split(".")[0])
    return names


# --------------------------------------------------------------------------- the facts


@dataclasses.dataclass(frozen=True)
class Facts:
    text: str
    reasoning: str | None
    reasoning_details: list[Any]
    tool_calls: list[tuple[str | None, str, Any]]
    finish_reason: str | None
    usage: tuple[int, int, int, int, int, int] | None
    cost: Decimal | None
    provider: str | None
    model: str | None
    requested_model: str | None
    fallback: bool
    images: list[tuple[str | None, str]]


def _image(mime: str | None, data: str | None, url: str | None = None) -> tuple[str | None, str]:
    return mime, data if data is not None else str(url)


def _cost(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def expected(body: dict[str, Any], requested: str) -> Facts:
    answer = read_answer(body, requested=requested)
    usage = answer.usage
    return Facts(
        text=answer.text,
        reasoning=answer.reasoning,
        reasoning_details=[dict(d) for d in answer.reasoning_details],
        tool_calls=[
            (c.id, c.name, c.args if c.args is not None else c.arguments) for c in answer.tool_calls
        ],
        finish_reason=answer.finish_reason,
        usage=None
        if usage is None
        else (
            usage.input_tokens,
            usage.output_tokens,
            usage.total_tokens,
            usage.cached_tokens,
            usage.cache_write_tokens,
            usage.reasoning_tokens,
        ),
        cost=_cost(answer.cost),
        provider=answer.provider,
        model=answer.model,
        requested_model=answer.requested_model,
        fallback=answer.fallback,
        images=[_image(i.mime_type, i.base64, i.url) for i in answer.images],
    )


def langchain_facts(message: AIMessage) -> Facts:
    meta = message.response_metadata
    usage = message.usage_metadata
    calls: list[tuple[str | None, str, Any]] = [
        (c["id"], c["name"], c["args"]) for c in message.tool_calls
    ]
    calls += [(c["id"], c["name"] or "", c["args"]) for c in message.invalid_tool_calls]
    blocks = [b for b in message.content if isinstance(b, dict)] if message.content else []
    return Facts(
        text=message.text,
        reasoning=message.additional_kwargs.get("reasoning_content"),
        reasoning_details=list(message.additional_kwargs.get("reasoning_details") or []),
        tool_calls=calls,
        finish_reason=meta.get("finish_reason"),
        usage=None
        if usage is None
        else (
            usage["input_tokens"],
            usage["output_tokens"],
            usage["total_tokens"],
            usage.get("input_token_details", {}).get("cache_read", 0),
            usage.get("input_token_details", {}).get("cache_creation", 0),
            usage.get("output_token_details", {}).get("reasoning", 0),
        ),
        cost=_cost(meta.get("cost")),
        provider=meta.get("provider"),
        model=meta.get("model_name"),
        requested_model=meta.get("requested_model"),
        fallback=meta.get("fallback", False),
        images=[
            _image(b.get("mime_type"), b.get("base64"), b.get("url"))
            for b in blocks
            if b.get("type") == "image"
        ],
    )


def llamaindex_facts(response: ChatResponse) -> Facts:
    kwargs = response.additional_kwargs
    message = response.message
    thinking = [b.content for b in message.blocks if isinstance(b, ThinkingBlock) and b.content]
    has_usage = kwargs.get("prompt_tokens") is not None
    return Facts(
        text=message.content or "",
        reasoning="".join(thinking) if thinking else None,
        reasoning_details=list(message.additional_kwargs.get("reasoning_details") or []),
        tool_calls=[
            (b.tool_call_id, b.tool_name, b.tool_kwargs)
            for b in message.blocks
            if isinstance(b, ToolCallBlock)
        ],
        finish_reason=kwargs.get("finish_reason"),
        usage=(
            kwargs["prompt_tokens"],
            kwargs["completion_tokens"],
            kwargs["total_tokens"],
            kwargs["cached_tokens"],
            kwargs["cache_write_tokens"],
            kwargs["reasoning_tokens"],
        )
        if has_usage
        else None,
        cost=_cost(kwargs.get("cost")),
        provider=kwargs.get("provider"),
        model=kwargs.get("model"),
        requested_model=kwargs.get("requested_model"),
        fallback=kwargs.get("fallback", False),
        images=[
            _image(b.image_mimetype, b.image.decode() if b.image else None, str(b.url))
            for b in message.blocks
            if isinstance(b, ImageBlock)
        ],
    )


# --------------------------------------------------------------------------- the four calls


def _langchain(base_url: str, model: str) -> ChatOpenRouter:
    return ChatOpenRouter(model=model, api_key="k", base_url=base_url, max_retries=0)


def _llamaindex(base_url: str, model: str) -> OpenRouter:
    return OpenRouter(model=model, api_key="k", api_base=base_url, max_retries=0)


def _sum(chunks: list[AIMessageChunk]) -> AIMessage:
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return AIMessage(
        content=total.content,
        additional_kwargs=total.additional_kwargs,
        response_metadata=total.response_metadata,
        tool_calls=total.tool_calls,
        invalid_tool_calls=total.invalid_tool_calls,
        usage_metadata=total.usage_metadata,
    )


def four_ways(base_url: str, model: str, before: Callable[[], None] | None = None) -> list[Facts]:
    """LangChain invoke and stream, LlamaIndex chat and stream_chat; ``before`` each call."""
    runs: list[Callable[[], Facts]] = [
        lambda: langchain_facts(_langchain(base_url, model).invoke("Hi")),
        lambda: langchain_facts(_sum(list(_langchain(base_url, model).stream("Hi")))),
        lambda: llamaindex_facts(
            _llamaindex(base_url, model).chat([ChatMessage(role="user", content="Hi")])
        ),
        lambda: llamaindex_facts(
            list(
                _llamaindex(base_url, model).stream_chat([ChatMessage(role="user", content="Hi")])
            )[-1]
        ),
    ]
    facts = []
    for run in runs:
        if before is not None:
            before()
        facts.append(run())
    return facts


# --------------------------------------------------------------------------- body <-> stream


def sse_from_body(body: dict[str, Any]) -> bytes:
    """The stream OpenRouter sends for ``body``: the shapes of the real streams recorded."""
    meta = {k: body[k] for k in ("id", "created", "model", "provider") if k in body}
    meta["object"] = "chat.completion.chunk"
    choice = body["choices"][0]
    message = choice["message"]

    def chunk(delta: dict[str, Any], finish: Any = None, native: Any = None) -> dict[str, Any]:
        return {
            **meta,
            "choices": [
                {
                    "index": 0,
                    "delta": delta,
                    "finish_reason": finish,
                    "native_finish_reason": native,
                }
            ],
        }

    events = [chunk({"role": "assistant", "content": ""})]
    reasoning = {k: message[k] for k in ("reasoning", "reasoning_content") if k in message}
    if any(isinstance(v, str) and v for v in reasoning.values()):
        events.append(chunk({"role": "assistant", "content": "", **reasoning}))
    events.extend(
        chunk({"role": "assistant", "content": "", "reasoning_details": [detail]})
        for detail in message.get("reasoning_details") or []
    )
    text = message.get("content") or ""
    third = max(1, len(text) // 3)
    events.extend(
        chunk({"role": "assistant", "content": text[i : i + third]})
        for i in range(0, len(text), third)
    )
    for index, call in enumerate(message.get("tool_calls") or []):
        arguments = call["function"]["arguments"]
        head = {"index": index, "id": call["id"], "type": "function"}
        events.append(
            chunk({"tool_calls": [{**head, "function": {"name": call["function"]["name"]}}]})
        )
        half = len(arguments) // 2
        for piece in (arguments[:half], arguments[half:]):
            events.append(
                chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
            )
    if message.get("annotations"):
        events.append(chunk({"content": "", "annotations": message["annotations"]}))
    if message.get("images"):  # streamed, the whole image arrives in one delta.images chunk
        events.append(chunk({"content": "", "images": message["images"]}))
    events.append(chunk({}, choice.get("finish_reason"), choice.get("native_finish_reason")))
    if body.get("usage") is not None:
        events.append({**meta, "choices": [], "usage": body["usage"]})
    lines = [f"data: {json.dumps(event)}\n\n" for event in events]
    return ("".join(lines) + "data: [DONE]\n\n").encode()


def body_from_sse(raw: bytes) -> dict[str, Any]:
    """The whole answer of a recorded stream, as the non-streaming body of the same answer."""
    decoder = SSEDecoder()
    accumulator = StreamAccumulator()
    for payload in [*decoder.feed(raw), *decoder.flush()]:
        accumulator.add(payload)
    return accumulator.completion()


# --------------------------------------------------------------------------- recordings


def _served(raw_json: bytes, raw_sse: bytes) -> Iterator[tuple[int, str, bytes]]:
    while True:
        for content_type, body in (
            ("application/json", raw_json),
            ("text/event-stream", raw_sse),
        ):
            yield 200, content_type, body


def _check_parity(body: dict[str, Any], raw_json: bytes, raw_sse: bytes, model: str) -> None:
    with RawServer() as server:
        served = _served(raw_json, raw_sse)
        facts = four_ways(server.base_url, model, lambda: server.queue(*next(served)))
    want = expected(body, model)
    names = ["langchain invoke", "langchain stream", "llamaindex chat", "llamaindex stream_chat"]
    for name, got in zip(names, facts, strict=True):
        assert got == want, name


def _requested_model(name: str) -> str:
    request = WIRE / f"{name}.request.json"
    if request.exists():
        model = json.loads(request.read_text(encoding="utf-8")).get("model")
        if isinstance(model, str) and model:
            return model
    return MODEL


@pytest.mark.parametrize("name", _recordings("json") or ["(no recordings)"])
def test_every_recorded_answer_reads_alike(wire: Any, name: str) -> None:
    raw_json = wire.bytes(f"{name}.response.json")
    body = json.loads(raw_json)
    _check_parity(body, raw_json, sse_from_body(body), _requested_model(name))


@pytest.mark.parametrize("name", _recordings("sse") or ["(no recordings)"])
def test_every_recorded_stream_reads_alike(wire: Any, name: str) -> None:
    raw_sse = wire.bytes(f"{name}.response.sse")
    body = body_from_sse(raw_sse)
    _check_parity(body, json.dumps(body).encode(), raw_sse, _requested_model(name))


def _core_class(exc: BaseException) -> type[BaseException]:
    return next(k for k in type(exc).__mro__ if k.__module__ == core_errors.__name__)


@pytest.mark.parametrize("name", _error_recordings() or ["(no recordings)"])
def test_every_recorded_error_raises_alike(wire: Any, name: str) -> None:
    raw = wire.bytes(f"{name}.response.json")
    status = int(json.loads(raw)["error"]["code"])
    calls: list[Callable[[str], object]] = [
        lambda url: _langchain(url, MODEL).invoke("Hi"),
        lambda url: list(_langchain(url, MODEL).stream("Hi")),
        lambda url: _llamaindex(url, MODEL).chat([ChatMessage(role="user", content="Hi")]),
        lambda url: list(
            _llamaindex(url, MODEL).stream_chat([ChatMessage(role="user", content="Hi")])
        ),
    ]
    seen = []
    with RawServer() as server:
        for call in calls:
            server.queue(status, "application/json", raw)
            with pytest.raises(core_errors.OpenRouterError) as info:
                call(server.base_url)
            error = info.value
            seen.append((_core_class(error), error.status_code, error.message, error.provider_name))
    assert len(set(seen)) == 1, seen
    assert seen[0][1] == status


# --------------------------------------------------------------------------- the reasoning rule


@pytest.mark.parametrize(
    ("message", "reasoning"),
    [
        ({"reasoning_content": "thought"}, "thought"),  # the alias alone
        ({"reasoning": "", "reasoning_content": "thought"}, "thought"),  # "" is no reasoning
        ({"reasoning": None, "reasoning_content": "thought"}, "thought"),
        ({"reasoning": "first", "reasoning_content": "second"}, "first"),
        ({"reasoning": ""}, None),
    ],
)
def test_one_reasoning_rule_in_every_path(message: dict[str, Any], reasoning: str | None) -> None:
    body = {
        "id": "gen-1",
        "object": "chat.completion",
        "created": 1,
        "model": MODEL,
        "provider": "Anthropic",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "native_finish_reason": "end_turn",
                "message": {"role": "assistant", "content": "Four.", **message},
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8, "cost": 0.0001},
    }
    raw = json.dumps(body).encode()
    _check_parity(body, raw, sse_from_body(body), MODEL)
    assert expected(body, MODEL).reasoning == reasoning
    with RawServer() as server:
        server.queue(200, "application/json", raw)
        completion = _llamaindex(server.base_url, MODEL).complete("Hi")
    assert completion.additional_kwargs.get("reasoning") == reasoning


# --------------------------------------------------------------------------- emulator scenarios

DETAILS = [
    {
        "type": "reasoning.text",
        "text": "Add the numbers.",
        "signature": "c2lnbmF0dXJl",
        "format": "anthropic-claude-v1",
        "index": 0,
    }
]
CITATION = {
    "type": "url_citation",
    "url_citation": {"url": "https://example.org", "title": "Example", "start_index": 0},
}
SCENARIOS: dict[str, Callable[[], replies.Reply | None]] = {
    "generic model": lambda: None,
    "text": lambda: replies.text("Paris is the capital of France."),
    "reasoning with details": lambda: replies.text(
        "4", reasoning="Add the numbers.", reasoning_details=DETAILS
    ),
    "one tool call": lambda: replies.tool_calls(
        [{"name": "get_weather", "arguments": {"city": "Paris"}, "id": "call_1"}]
    ),
    "parallel tool calls": lambda: replies.tool_calls(
        [
            {"name": "get_weather", "arguments": {"city": "Paris"}, "id": "call_1"},
            {"name": "get_time", "arguments": {"zone": "CET"}, "id": "call_2"},
        ]
    ),
    "malformed tool arguments": lambda: replies.tool_calls(
        [{"name": "get_weather", "arguments": '{"city": "Par', "id": "call_1"}]
    ),
    "annotations": lambda: replies.text("See example.org.", annotations=[CITATION]),
    "served by a fallback": lambda: replies.text("Hi", model="openai/gpt-4o-mini"),
    "cache tokens": lambda: replies.text(
        "Hi", usage={"prompt_tokens_details": {"cached_tokens": 3, "cache_write_tokens": 2}}
    ),
    "no cost reported": lambda: replies.text("Hi", usage={"cost": None}),
    "length cut": lambda: replies.text("Once upon", finish_reason="length"),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_emulator_scenario_reads_alike(scenario: str) -> None:
    reply = SCENARIOS[scenario]()
    with OpenRouterEmulator() as emu:

        def before() -> None:
            if reply is not None:
                emu.enqueue(reply)

        facts = four_ways(emu.base_url, MODEL, before)
    first = facts[0]
    if scenario == "malformed tool arguments":
        # LangChain's stream sum repairs truncated JSON (documented); every other path keeps it
        facts.pop(1)
    assert all(f == first for f in facts), facts
    assert first.provider
    assert first.model
    assert first.finish_reason
    assert first.requested_model == MODEL
    assert first.fallback is (scenario == "served by a fallback")
