"""Structured output: json_schema when the model supports it, tool calling otherwise."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from llama_index.core.llms import ChatMessage
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel

from llama_index_openrouter import OpenRouter
from openrouter_core.testing import OpenRouterEmulator, replies

PROMPT = PromptTemplate("Extract the city and its population from: {text}")


class City(BaseModel):
    """A city and its population."""

    name: str
    population: int


def test_structured_predict_uses_tool_calling_by_default(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    openrouter_emulator.enqueue(
        replies.tool_calls([{"name": "City", "arguments": {"name": "Paris", "population": 2}}])
    )

    city = llm.structured_predict(City, PROMPT, text="Paris has 2 million people")

    assert city == City(name="Paris", population=2)
    body = openrouter_emulator.last_request.body
    assert body["tools"][0]["function"]["name"] == "City"
    assert body["tool_choice"] == "required"
    assert "response_format" not in body


async def test_astructured_predict_with_tools(
    llm: OpenRouter, openrouter_emulator: OpenRouterEmulator
) -> None:
    city = await llm.astructured_predict(City, PROMPT, text="Rome")

    assert isinstance(city, City)  # the emulator filled the schema
    assert openrouter_emulator.last_request.body["tool_choice"] == "required"


def test_structured_predict_uses_json_schema_when_supported(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator
) -> None:
    llm = make_llm(supports_json_schema=True)
    openrouter_emulator.enqueue(replies.text('{"name": "Lima", "population": 10}'))

    city = llm.structured_predict(City, PROMPT, text="Lima has 10 million people")

    assert city == City(name="Lima", population=10)
    body = openrouter_emulator.last_request.body
    assert "tools" not in body
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "City"
    assert body["response_format"]["json_schema"]["schema"] == City.model_json_schema()
    assert body["messages"][-1]["content"] == (
        "Extract the city and its population from: Lima has 10 million people"
    )


async def test_astructured_predict_with_json_schema(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator
) -> None:
    llm = make_llm(supports_json_schema=True)

    city = await llm.astructured_predict(City, PROMPT, text="Oslo")

    assert isinstance(city, City)
    assert openrouter_emulator.last_request.body["response_format"]["type"] == "json_schema"


def test_invalid_json_is_an_error_not_a_result(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator
) -> None:
    llm = make_llm(supports_json_schema=True)
    openrouter_emulator.enqueue(replies.text('{"name": "Lima", "popul'))

    with pytest.raises(ValueError, match="City"):
        llm.structured_predict(City, PROMPT, text="Lima")


@pytest.mark.parametrize("json_schema", [True, False])
def test_stream_structured_predict(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator, json_schema: bool
) -> None:
    llm = make_llm(supports_json_schema=json_schema)
    arguments = {"name": "Kyoto", "population": 1}
    if json_schema:
        openrouter_emulator.enqueue(replies.text(json.dumps(arguments), chunk_chars=6))
    else:
        openrouter_emulator.enqueue(
            replies.tool_calls([{"name": "City", "arguments": arguments}], chunk_chars=6)
        )

    partials = list(llm.stream_structured_predict(City, PROMPT, text="Kyoto"))

    assert len(partials) > 2
    assert partials[-1] == City(name="Kyoto", population=1)
    # partial objects come before the end
    assert any(getattr(p, "name", None) and p != partials[-1] for p in partials)


async def test_astream_structured_predict(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator
) -> None:
    llm = make_llm(supports_json_schema=True)
    openrouter_emulator.enqueue(replies.text('{"name": "Quito", "population": 3}', chunk_chars=5))

    partials = [p async for p in await llm.astream_structured_predict(City, PROMPT, text="Quito")]

    assert partials[-1] == City(name="Quito", population=3)


def test_as_structured_llm(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator
) -> None:
    structured = make_llm(supports_json_schema=True).as_structured_llm(City)
    openrouter_emulator.enqueue(replies.text('{"name": "Accra", "population": 4}'))

    response = structured.chat([ChatMessage(role="user", content="Accra has 4 million people")])

    assert response.raw == City(name="Accra", population=4)
    assert json.loads(response.message.content) == {"name": "Accra", "population": 4}


async def test_a_tool_call_answer_to_a_json_schema_stream_still_gives_the_object(
    make_llm: Callable[..., OpenRouter], openrouter_emulator: OpenRouterEmulator
) -> None:
    # A model asked for json_schema output may still answer with a tool call.
    llm = make_llm(supports_json_schema=True)
    call = [{"name": "City", "arguments": {"name": "Lagos", "population": 15}}]
    openrouter_emulator.enqueue(replies.tool_calls(call, chunk_chars=6))
    openrouter_emulator.enqueue(replies.tool_calls(call, chunk_chars=6))

    partials = list(llm.stream_structured_predict(City, PROMPT, text="Lagos"))
    apartials = [p async for p in await llm.astream_structured_predict(City, PROMPT, text="Lagos")]

    assert partials[-1] == apartials[-1] == City(name="Lagos", population=15)
    assert [r["response_format"]["type"] for r in openrouter_emulator.chat_requests] == [
        "json_schema",
        "json_schema",
    ]
