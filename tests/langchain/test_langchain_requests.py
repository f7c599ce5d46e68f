"""What ``ChatOpenRouter`` sends: the request bodies the emulator received."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from langchain_openrouter import ChatOpenRouter
from openrouter_core.testing import OpenRouterEmulator, replies

Make = Callable[..., ChatOpenRouter]
PNG = base64.b64encode(b"\x89PNG fake").decode()
PDF = base64.b64encode(b"%PDF-1.4 fake").decode()
WAV = base64.b64encode(b"RIFF fake").decode()


@tool
def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"Sunny in {city}"


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class Joke(BaseModel):
    """A joke."""

    setup: str = Field(description="the question")
    punchline: str = Field(description="the answer")


class JokeDict(TypedDict):
    """A joke."""

    setup: str
    punchline: str


@pytest.fixture
def body(openrouter_emulator: OpenRouterEmulator) -> Callable[[], dict[str, Any]]:
    return lambda: openrouter_emulator.last_request.body


# ----------------------------------------------------------------------------- parameters


def test_openai_parameters_and_model_kwargs(
    make_model: Make, body: Callable[[], dict[str, Any]]
) -> None:
    llm = make_model(
        temperature=0.3,
        max_tokens=50,
        top_p=0.9,
        seed=7,
        frequency_penalty=0.1,
        presence_penalty=0.2,
        stop=["END"],
        model_kwargs={"logprobs": True},
    )
    llm.invoke("hi")
    sent = body()
    assert sent["model"] == "anthropic/claude-haiku-4.5"
    assert sent["messages"] == [{"role": "user", "content": "hi"}]
    assert {k: sent[k] for k in ("temperature", "max_tokens", "top_p", "seed", "stop")} == {
        "temperature": 0.3,
        "max_tokens": 50,
        "top_p": 0.9,
        "seed": 7,
        "stop": ["END"],
    }
    assert sent["frequency_penalty"] == 0.1
    assert sent["presence_penalty"] == 0.2
    assert sent["logprobs"] is True
    assert sent["usage"] == {"include": True}
    assert "stream" not in sent
    llm.invoke("hi", stop=["STOP"], temperature=1.0, max_tokens=5)
    assert (body()["stop"], body()["temperature"], body()["max_tokens"]) == (["STOP"], 1.0, 5)


def test_unset_parameters_are_not_sent(
    make_model: Make, body: Callable[[], dict[str, Any]]
) -> None:
    make_model().invoke("hi")
    assert set(body()) == {"model", "messages", "usage"}


# ----------------------------------------------------------------------------- routing


def test_routing_and_fallback_options(make_model: Make, body: Callable[[], dict[str, Any]]) -> None:
    llm = make_model(
        openrouter_provider={"order": ["anthropic", "amazon-bedrock"], "allow_fallbacks": False},
        models=["openai/gpt-4o-mini"],
        route="fallback",
        transforms=["middle-out"],
        plugins=[{"id": "file-parser", "pdf": {"engine": "native"}}],
        session_id="conv-1",
        user="user-9",
        top_k=40,
        repetition_penalty=1.1,
        verbosity="low",
        trace={"trace_id": "t-1"},
    )
    llm.invoke("hi")
    sent = body()
    assert sent["provider"] == {"order": ["anthropic", "amazon-bedrock"], "allow_fallbacks": False}
    assert sent["models"] == ["openai/gpt-4o-mini"]
    assert sent["route"] == "fallback"
    assert sent["transforms"] == ["middle-out"]
    assert sent["plugins"] == [{"id": "file-parser", "pdf": {"engine": "native"}}]
    assert (sent["session_id"], sent["user"], sent["top_k"]) == ("conv-1", "user-9", 40)
    assert (sent["repetition_penalty"], sent["verbosity"]) == (1.1, "low")
    assert sent["trace"] == {"trace_id": "t-1"}


def test_per_call_options_merge_over_the_instance(
    make_model: Make, body: Callable[[], dict[str, Any]]
) -> None:
    llm = make_model(provider={"order": ["anthropic"]}, models=["openai/gpt-4o-mini"])
    llm.invoke("hi", provider={"sort": "price"}, models=["google/gemini-2.5-flash"])
    assert body()["provider"] == {"order": ["anthropic"], "sort": "price"}
    assert body()["models"] == ["google/gemini-2.5-flash"]
    llm.bind(provider={"only": ["anthropic"]}, reasoning={"effort": "low"}).invoke("hi")
    assert body()["provider"] == {"order": ["anthropic"], "only": ["anthropic"]}
    assert body()["reasoning"] == {"effort": "low"}
    llm.invoke("hi", openrouter_provider={"zdr": True})
    assert body()["provider"] == {"order": ["anthropic"], "zdr": True}


def test_model_override_per_call(make_model: Make, body: Callable[[], dict[str, Any]]) -> None:
    result = make_model().invoke("hi", model="openai/gpt-4o-mini")
    assert body()["model"] == "openai/gpt-4o-mini"
    assert result.response_metadata["model_name"] == "openai/gpt-4o-mini-2024-07-18"


def test_fallback_model_is_reported_as_served(make_model: Make) -> None:
    # The first model cannot call tools, so OpenRouter routes to the fallback.
    llm = make_model(
        model="meta-llama/llama-3.3-70b-instruct", models=["openai/gpt-4o-mini"]
    ).bind_tools([add])
    result = llm.invoke("add 1 and 2")
    assert result.response_metadata["model_name"] == "openai/gpt-4o-mini-2024-07-18"


def test_bad_per_call_input_fails_before_any_request(
    make_model: Make, openrouter_emulator: OpenRouterEmulator
) -> None:
    llm = make_model()
    with pytest.raises(ValueError, match="sort"):
        llm.invoke("hi", provider={"sort": "cheapest"})
    with pytest.raises(ValueError, match="temperature"):
        llm.invoke("hi", temperature=7)
    with pytest.raises(ValueError, match="max_tokens"):
        llm.invoke("hi", max_tokens=0)
    with pytest.raises(ValueError, match="no messages"):
        llm.invoke([])
    with pytest.raises(ValueError, match="cannot convert"):
        llm.bind_tools([object()])
    with pytest.warns(UserWarning, match="author/slug"), pytest.raises(Exception):  # noqa: B017
        llm.invoke("hi", model="gpt-4o")  # the emulator then rejects the unknown id
    assert [r.body.get("model") for r in openrouter_emulator.requests] == ["gpt-4o"]


# ----------------------------------------------------------------------------- reasoning


def test_reasoning_is_sent_on_chat_completions(
    make_model: Make, openrouter_emulator: OpenRouterEmulator
) -> None:
    make_model(reasoning={"max_tokens": 256}).invoke("hi")
    make_model().invoke("hi", reasoning={"effort": "high", "exclude": True})
    paths = [r.path for r in openrouter_emulator.requests]
    assert paths == ["/api/v1/chat/completions"] * 2
    assert openrouter_emulator.requests[0].body["reasoning"] == {"max_tokens": 256}
    assert openrouter_emulator.requests[1].body["reasoning"] == {"effort": "high", "exclude": True}


def test_reasoning_details_go_back_unchanged_in_a_tool_loop(
    make_model: Make, body: Callable[[], dict[str, Any]]
) -> None:
    llm = make_model(reasoning={"max_tokens": 512}).bind_tools([get_weather])
    question = HumanMessage("What is the weather in Paris?")
    first = llm.invoke([question])
    details = first.additional_kwargs["reasoning_details"]
    assert details[0]["signature"]
    assert first.tool_calls
    result = get_weather.invoke(first.tool_calls[0])
    llm.invoke([question, first, result])
    assistant = body()["messages"][1]
    assert assistant["reasoning_details"] == details
    assert assistant["tool_calls"][0]["id"] == first.tool_calls[0]["id"]
    assert body()["messages"][2] == {
        "role": "tool",
        "tool_call_id": first.tool_calls[0]["id"],
        "content": "Sunny in Paris",
    }


def test_streamed_reasoning_details_go_back_merged(
    make_model: Make, body: Callable[[], dict[str, Any]]
) -> None:
    llm = make_model(reasoning={"max_tokens": 512})
    question = HumanMessage("Why is the sky blue?")
    chunks = list(llm.stream([question]))
    full = chunks[0]
    for chunk in chunks[1:]:
        full += chunk
    llm.invoke([question, full, HumanMessage("And at sunset?")])
    sent = body()["messages"][1]["reasoning_details"]
    assert sent == full.additional_kwargs["reasoning_details"]
    assert len(sent) == 1  # one entry, not one per streamed fragment
    assert sent[0]["format"] == "anthropic-claude-v1"
    assert sent[0]["text"] == full.additional_kwargs["reasoning_content"]


def test_reasoning_text_alone_goes_back_as_reasoning(
    make_model: Make, body: Callable[[], dict[str, Any]]
) -> None:
    history = AIMessage("4", additional_kwargs={"reasoning_content": "2 plus 2"})
    make_model().invoke([HumanMessage("2+2?"), history, HumanMessage("and 3+3?")])
    assert body()["messages"][1] == {"role": "assistant", "content": "4", "reasoning": "2 plus 2"}


# ----------------------------------------------------------------------------- content


def test_multimodal_blocks_and_cache_control(
    make_model: Make, body: Callable[[], dict[str, Any]]
) -> None:
    message = HumanMessage(
        content=[
            {"type": "text", "text": "Describe these."},
            {"type": "image", "url": "https://example.org/cat.png"},
            {"type": "image", "base64": PNG, "mime_type": "image/png"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
            {"type": "file", "base64": PDF, "mime_type": "application/pdf", "filename": "a.pdf"},
            {"type": "audio", "base64": WAV, "mime_type": "audio/wav"},
            {"type": "text", "text": "A long document.", "cache_control": {"type": "ephemeral"}},
        ]
    )
    make_model(cache_control={"type": "ephemeral", "ttl": "1h"}).invoke([message])
    sent = body()
    assert sent["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    assert sent["messages"][0]["content"] == [
        {"type": "text", "text": "Describe these."},
        {"type": "image_url", "image_url": {"url": "https://example.org/cat.png"}},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        {
            "type": "file",
            "file": {"filename": "a.pdf", "file_data": f"data:application/pdf;base64,{PDF}"},
        },
        {"type": "input_audio", "input_audio": {"data": WAV, "format": "wav"}},
        {"type": "text", "text": "A long document.", "cache_control": {"type": "ephemeral"}},
    ]


def test_cache_control_reads_and_writes_show_in_usage(make_model: Make) -> None:
    book = " ".join(f"Line {i} of a long reference text." for i in range(300))
    system = SystemMessage(
        [{"type": "text", "text": book, "extras": {"cache_control": {"type": "ephemeral"}}}]
    )
    llm = make_model()
    first = llm.invoke([system, HumanMessage("Summarise.")])
    second = llm.invoke([system, HumanMessage("Summarise again.")])
    assert first.usage_metadata is not None
    assert second.usage_metadata is not None
    written = first.usage_metadata["input_token_details"]["cache_creation"]
    assert written > 0
    assert first.usage_metadata["input_token_details"]["cache_read"] == 0
    assert second.usage_metadata["input_token_details"]["cache_read"] == written


def test_tool_messages_with_list_content_and_error_status(
    make_model: Make, body: Callable[[], dict[str, Any]]
) -> None:
    call = {"name": "add", "args": {"a": 1}, "id": "abc123", "type": "tool_call"}
    messages = [
        HumanMessage("What is 1 + 2?"),
        AIMessage([{"type": "text", "text": "Let me add."}], tool_calls=[call]),
        ToolMessage(
            [{"type": "text", "text": "Error: missing b"}, {"type": "image", "url": "https://x/y"}],
            tool_call_id="abc123",
            status="error",
        ),
    ]
    make_model().bind_tools([add]).invoke(messages)
    sent = body()["messages"]
    assert sent[1]["content"] == "Let me add."
    assert sent[1]["tool_calls"][0]["function"] == {"name": "add", "arguments": '{"a":1}'}
    assert sent[2] == {
        "role": "tool",
        "tool_call_id": "abc123",
        "content": [
            {"type": "text", "text": "Error: missing b"},
            {"type": "image_url", "image_url": {"url": "https://x/y"}},
        ],
    }


# ----------------------------------------------------------------------------- tools


@pytest.mark.parametrize(
    ("tool_choice", "sent"),
    [
        ("auto", "auto"),
        ("none", "none"),
        ("required", "required"),
        ("any", "required"),
        ("add", {"type": "function", "function": {"name": "add"}}),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            {"type": "function", "function": {"name": "get_weather"}},
        ),
    ],
)
def test_bind_tools_with_tool_choice(
    make_model: Make, body: Callable[[], dict[str, Any]], tool_choice: Any, sent: Any
) -> None:
    make_model().bind_tools([add, get_weather], tool_choice=tool_choice).invoke("1 + 2")
    assert body()["tool_choice"] == sent
    assert [t["function"]["name"] for t in body()["tools"]] == ["add", "get_weather"]


def test_bind_tools_true_strict_and_parallel(
    make_model: Make, body: Callable[[], dict[str, Any]]
) -> None:
    llm = make_model().bind_tools([add], tool_choice=True, strict=True, parallel_tool_calls=False)
    result = llm.invoke("1 + 2")
    sent = body()
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "add"}}
    assert sent["parallel_tool_calls"] is False
    assert sent["tools"][0]["function"]["strict"] is True
    assert result.tool_calls[0]["name"] == "add"
    with pytest.raises(ValueError, match="exactly one tool"):
        make_model().bind_tools([add, get_weather], tool_choice=True)


# ----------------------------------------------------------------------------- structure


@pytest.mark.parametrize("schema", [Joke, JokeDict, Joke.model_json_schema()])
def test_structured_output_json_schema_is_the_default(
    make_model: Make, body: Callable[[], dict[str, Any]], schema: Any
) -> None:
    result = make_model().with_structured_output(schema, strict=True).invoke("a joke")
    response_format = body()["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == getattr(schema, "__name__", "Joke")
    assert response_format["json_schema"]["strict"] is True
    assert set(response_format["json_schema"]["schema"]["properties"]) == {"setup", "punchline"}
    if schema is Joke:
        assert isinstance(result, Joke)
    else:
        assert isinstance(result, dict)
        assert set(result) == {"setup", "punchline"}


@pytest.mark.parametrize("schema", [Joke, JokeDict])
def test_structured_output_function_calling(
    make_model: Make, body: Callable[[], dict[str, Any]], schema: Any
) -> None:
    result = make_model().with_structured_output(schema, method="function_calling").invoke("a joke")
    assert body()["tool_choice"] == {"type": "function", "function": {"name": schema.__name__}}
    assert "response_format" not in body()
    assert result["setup"] if isinstance(result, dict) else result.setup


def test_structured_output_json_mode_sends_json_object(
    make_model: Make, openrouter_emulator: OpenRouterEmulator, body: Callable[[], dict[str, Any]]
) -> None:
    openrouter_emulator.enqueue(replies.text('{"setup": "Why?", "punchline": "Because."}'))
    result = make_model().with_structured_output(Joke, method="json_mode").invoke("a joke as JSON")
    assert body()["response_format"] == {"type": "json_object"}
    assert result == Joke(setup="Why?", punchline="Because.")
    openrouter_emulator.enqueue(replies.text('{"anything": 1}'))
    assert make_model().with_structured_output(method="json_mode").invoke("json") == {"anything": 1}


def test_structured_output_include_raw(
    make_model: Make, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(replies.text("not json at all"))
    out = make_model().with_structured_output(Joke, include_raw=True).invoke("a joke")
    assert isinstance(out, dict)
    assert isinstance(out["raw"], AIMessage)
    assert out["parsed"] is None
    assert out["parsing_error"] is not None
    good = make_model().with_structured_output(Joke, include_raw=True).invoke("a joke")
    assert isinstance(good, dict)
    assert isinstance(good["parsed"], Joke)
    assert good["parsing_error"] is None


def test_structured_output_needs_a_schema_and_a_known_method(make_model: Make) -> None:
    with pytest.raises(ValueError, match="needs a schema"):
        make_model().with_structured_output(None)
    with pytest.raises(ValueError, match="unknown structured output method"):
        make_model().with_structured_output(Joke, method="xml")  # type: ignore[arg-type]
