"""Bad input: a clear error before any request, for both frameworks and every calling style.

Every test ends by checking that the emulator received nothing, so a check that moved after
the request (or disappeared, letting OpenRouter answer 400) fails here.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError
from rel_support import LANGCHAIN, MODEL, Target

from openrouter_core import errors as core
from openrouter_core.testing import OpenRouterEmulator


async def _rejected(target: Target, model: Any, prompt: Any = "Hello", **kwargs: Any) -> Exception:
    with pytest.raises((ValueError, TypeError)) as info:
        await target.answer(model, prompt, **kwargs)
    assert not isinstance(info.value, core.APIStatusError)  # not OpenRouter's 400: ours
    assert target.emulator.requests == []
    return info.value


async def test_an_empty_message_list(target: Target) -> None:
    error = await _rejected(target, target.model(), [])
    assert "no messages" in str(error)


def _unsupported_message(target: Target) -> tuple[Any, str]:
    if target.framework == LANGCHAIN:
        from langchain_core.messages import FunctionMessage

        return FunctionMessage(name="lookup", content="42"), "FunctionMessage"
    from llama_index.core.base.llms.types import CitationBlock, TextBlock
    from llama_index.core.llms import ChatMessage

    block = CitationBlock(
        cited_content=TextBlock(text="cited"),
        source="doc-1",
        title="A document",
        additional_location_info={},
    )
    return ChatMessage(role="user", blocks=[block]), "CitationBlock"


async def test_a_message_the_api_cannot_take(target: Target) -> None:
    message, name = _unsupported_message(target)
    error = await _rejected(target, target.model(), [message])
    assert name in str(error)


class Opaque:
    """A type no JSON schema can describe."""


class OpaqueArgs(BaseModel):
    """Arguments of a tool whose schema cannot be converted."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    thing: Opaque


def use_opaque(thing: Opaque) -> str:
    """Use an opaque thing."""
    return "used"


async def test_a_tool_whose_schema_cannot_be_converted(target: Target) -> None:
    if target.framework == LANGCHAIN:
        tool: Any = OpaqueArgs
    else:
        from llama_index.core.tools import FunctionTool

        tool = FunctionTool.from_defaults(use_opaque, name="use_opaque", fn_schema=OpaqueArgs)
    error = await _rejected(target, target.model(), tools=[tool])
    assert "cannot convert" in str(error)
    assert "Opaque" in str(error)  # the tool (or its schema) is named


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": -5}, "max_tokens"),
        ({"temperature": 2.5}, "temperature"),
        ({"temperature": -0.1}, "temperature"),
        ({"provider": {"sort": "cheapest"}}, "sort"),
        ({"provider": {"max_price": {"prompt": -1}}}, "max_price"),
    ],
    ids=["max_tokens-0", "max_tokens-neg", "temperature-high", "temperature-neg", "sort", "price"],
)
async def test_bad_per_call_parameters(target: Target, kwargs: dict[str, Any], named: str) -> None:
    error = await _rejected(target, target.model(), **kwargs)
    assert named in str(error)


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"max_tokens": 0}, "max_tokens"),
        ({"temperature": 3}, "temperature"),
        ({"provider": {"sort": "cheapest"}}, "sort"),
        ({"provider": {"order": "anthropic"}}, "order"),
        ({"timeout": 0}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
    ],
    ids=["max_tokens", "temperature", "sort", "order", "timeout", "max_retries"],
)
def test_bad_constructor_arguments(
    framework_target: Target, kwargs: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValidationError) as info:
        framework_target.model(**kwargs)
    assert named in str(info.value)
    assert framework_target.emulator.requests == []


def test_a_model_id_that_is_not_author_slug_warns_but_aliases_do_not(
    framework_target: Target, openrouter_emulator: OpenRouterEmulator
) -> None:
    with pytest.warns(UserWarning, match="author/slug") as caught:
        framework_target.model(model="gpt-4o-mini")
    assert "gpt-4o-mini" in str(caught[0].message)
    assert caught[0].filename == __file__ or "rel_support" in caught[0].filename
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        framework_target.model(model="openrouter/auto")
        framework_target.model(model=MODEL)
    assert openrouter_emulator.requests == []


async def test_a_per_call_model_that_is_not_author_slug_warns(target: Target) -> None:
    model = target.model()
    with pytest.warns(UserWarning, match="author/slug"), pytest.raises(core.BadRequestError):
        await target.answer(model, model="gpt-4o-mini")  # the emulator rejects the unknown id
    assert [r.body["model"] for r in target.emulator.requests] == ["gpt-4o-mini"]
