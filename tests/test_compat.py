"""Code written for the official packages runs unchanged (``langchain-openrouter`` 0.2.9 and
``llama-index-llms-openrouter`` 0.6.0), and every tool form OpenRouter takes gets through.

Each test is written from those packages' documented public behaviour (their READMEs,
docstrings and constructors): what their users write, and what they expect to get back.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.llms import ChatMessage
from llama_index.core.tools import FunctionTool
from pydantic import SecretStr

from langchain_openrouter import ChatOpenRouter
from llama_index_openrouter import OpenRouter
from llama_index_openrouter.tools import OpenRouterServerTool, with_tool_options
from openrouter_core.testing import OpenRouterEmulator, replies
from tests.raw_server import RawServer

MODEL = "anthropic/claude-haiku-4.5"
WEB_SEARCH = {"type": "openrouter:web_search", "parameters": {"max_results": 3}}


def _chat(emu: OpenRouterEmulator, **kwargs: Any) -> ChatOpenRouter:
    return ChatOpenRouter(model=MODEL, api_key="k", base_url=emu.base_url, max_retries=0, **kwargs)


def _llm(emu: OpenRouterEmulator, **kwargs: Any) -> OpenRouter:
    return OpenRouter(model=MODEL, api_key="k", api_base=emu.base_url, max_retries=0, **kwargs)


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}"


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


# =========================================================================== LangChain


def test_langchain_model_property_answers_like_the_official_class() -> None:
    llm = ChatOpenRouter(model=MODEL, api_key="k")
    assert llm.model == llm.model_name == MODEL


def test_langchain_client_argument_is_refused_with_what_to_use_instead() -> None:
    with pytest.raises(TypeError, match=r"takes no client=.*base_url="):
        ChatOpenRouter(model=MODEL, api_key="k", client=object())
    # client=None (the official class's default) takes nothing and is not sent in the body
    assert "client" not in ChatOpenRouter(model=MODEL, api_key="k", client=None).model_kwargs


def test_langchain_base_url_from_the_official_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with OpenRouterEmulator() as emu:
        monkeypatch.setenv("OPENROUTER_API_BASE", emu.base_url)
        llm = ChatOpenRouter(model=MODEL, api_key="k", max_retries=0)
        assert llm.openrouter_api_base == emu.base_url
        llm.invoke("Hi")
        assert len(emu.chat_requests) == 1


def test_langchain_metadata_has_the_openai_keys_and_no_nulls() -> None:
    with OpenRouterEmulator() as emu:
        emu.enqueue(replies.text("Hi", usage={"cost": None, "cost_details": None}))
        message = _chat(emu).invoke("Hi")
        result = _chat(emu).generate([[HumanMessage("Hi")]])
    meta = message.response_metadata
    assert meta["id"].startswith("gen-")
    assert isinstance(meta["created"], int)
    assert meta["object"] == "chat.completion"
    assert None not in meta.values()
    assert "cost" not in meta  # not reported by this answer
    assert "system_fingerprint" not in meta  # null on the wire
    assert result.llm_output is not None
    assert {"id", "created", "object", "model_name"} <= result.llm_output.keys()


def _logprob(token: str) -> dict[str, Any]:
    return {"token": token, "logprob": -0.5, "bytes": list(token.encode()), "top_logprobs": []}


def test_langchain_streamed_chunks_carry_their_logprobs() -> None:
    base = {"id": "gen-1", "object": "chat.completion.chunk", "created": 1, "model": MODEL}
    events = [
        {
            **base,
            "choices": [
                {
                    "index": 0,
                    "delta": {"content": token},
                    "finish_reason": None,
                    "logprobs": {"content": [_logprob(token)]},
                }
            ],
        }
        for token in ("Hel", "lo")
    ]
    events.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    sse = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    with RawServer() as server:
        server.queue(200, "text/event-stream", sse.encode())
        llm = ChatOpenRouter(model=MODEL, api_key="k", base_url=server.base_url, max_retries=0)
        chunks = list(llm.stream("Hi"))
    with_logprobs = [c for c in chunks if "logprobs" in c.response_metadata]
    assert [c.response_metadata["logprobs"]["content"][0]["token"] for c in with_logprobs] == [
        "Hel",
        "lo",
    ]
    total = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    assert [e["token"] for e in total.response_metadata["logprobs"]["content"]] == ["Hel", "lo"]


@pytest.mark.parametrize("where", ["argument", "environment", "call"])
def test_langchain_empty_session_id_is_not_sent(
    where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with OpenRouterEmulator() as emu:
        if where == "environment":
            monkeypatch.setenv("OPENROUTER_SESSION_ID", "")
        kwargs = {"session_id": ""} if where == "argument" else {}
        llm = _chat(emu, **kwargs)
        llm.invoke("Hi", **({"session_id": ""} if where == "call" else {}))
        assert "session_id" not in emu.last_request.body


def test_langchain_server_tools_pass_through_bind_tools_beside_functions() -> None:
    with OpenRouterEmulator() as emu:
        _chat(emu).bind_tools([WEB_SEARCH]).invoke("News?")
        alone = emu.last_request.body["tools"]
        _chat(emu).bind_tools([get_weather, WEB_SEARCH], tool_choice="get_weather").invoke("Hi")
        mixed = emu.last_request.body["tools"]
    assert alone == [WEB_SEARCH]
    assert mixed[0]["function"]["name"] == "get_weather"
    assert mixed[1] == WEB_SEARCH


def test_langchain_the_users_usage_value_wins() -> None:
    with OpenRouterEmulator() as emu:
        _chat(emu, model_kwargs={"usage": {"include": False}}).invoke("Hi")
        from_model_kwargs = emu.last_request.body["usage"]
        _chat(emu).invoke("Hi", usage={"include": False})
        per_call = emu.last_request.body["usage"]
        _chat(emu).invoke("Hi")
        default = emu.last_request.body["usage"]
    assert from_model_kwargs == per_call == {"include": False}
    assert default == {"include": True}


def test_langchain_serialised_objects_and_traces_name_this_package() -> None:
    seen: dict[str, Any] = {}

    class Seen(BaseCallbackHandler):
        def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
            seen.update(kwargs.get("metadata") or {})

    from openrouter_core import __version__

    with OpenRouterEmulator() as emu:
        llm = _chat(emu)
        llm.invoke("Hi", config={"callbacks": [Seen()]})
    assert llm.metadata is not None
    assert llm.metadata["lc_versions"]["openrouter-frameworks"] == __version__
    assert seen["lc_versions"]["openrouter-frameworks"] == __version__


def test_a_pydantic_dump_of_the_official_class_loads() -> None:
    # ChatOpenRouter(model=..., temperature=0, ...).model_dump() in langchain-openrouter 0.2.9:
    # its field names, client excluded, default_headers excluded.
    dump = {
        "name": None,
        "cache": None,
        "verbose": False,
        "callbacks": None,
        "tags": None,
        "metadata": None,
        "custom_get_token_ids": None,
        "rate_limiter": None,
        "disable_streaming": False,
        "output_version": None,
        "openrouter_api_key": SecretStr("sk-or-v1-test"),
        "openrouter_api_base": None,
        "app_url": "https://docs.langchain.com",
        "app_title": "LangChain",
        "app_categories": None,
        "request_timeout": None,
        "max_retries": 2,
        "model_name": MODEL,
        "temperature": 0.0,
        "max_tokens": None,
        "max_completion_tokens": None,
        "top_p": None,
        "frequency_penalty": None,
        "presence_penalty": None,
        "seed": None,
        "stop": None,
        "n": 1,
        "streaming": False,
        "stream_usage": True,
        "model_kwargs": {},
        "reasoning": {"effort": "high"},
        "openrouter_provider": {"order": ["Anthropic"]},
        "route": None,
        "plugins": None,
        "session_id": None,
        "trace": None,
    }
    llm = ChatOpenRouter.model_validate(dump)
    assert (llm.model, llm.temperature, llm.openrouter_provider) == (
        MODEL,
        0.0,
        {"order": ["Anthropic"]},
    )
    with OpenRouterEmulator() as emu:
        llm.openrouter_api_base = emu.base_url
        llm.invoke("Hi")
        body = emu.last_request.body
    assert body["provider"] == {"order": ["Anthropic"]}
    assert body["reasoning"] == {"effort": "high"}


# =========================================================================== LlamaIndex


def test_llamaindex_order_and_allow_fallbacks_route_the_provider() -> None:
    with OpenRouterEmulator() as emu:
        llm = _llm(emu, order=["anthropic", "amazon-bedrock"], allow_fallbacks=False)
        llm.complete("Hi")
        body = emu.last_request.body
    assert body["provider"] == {"order": ["anthropic", "amazon-bedrock"], "allow_fallbacks": False}
    assert llm.provider is not None
    assert llm.provider.order == ["anthropic", "amazon-bedrock"]


def test_llamaindex_official_arguments_with_a_meaning_are_taken() -> None:
    with OpenRouterEmulator() as emu:
        llm = _llm(
            emu,
            reasoning_effort="low",
            modalities=["text"],
            logprobs=True,
            top_logprobs=2,
            is_chat_model=True,
            strict=True,
            timeout=30,
            default_headers={"X-Trace": "t-1"},
            context_window=4096,
            is_function_calling_model=True,
        )
        llm.chat_with_tools([FunctionTool.from_defaults(fn=add)], user_msg="1+2?")
        request = emu.last_request
    body = request.body
    assert body["reasoning"] == {"effort": "low"}
    assert (body["modalities"], body["logprobs"], body["top_logprobs"]) == (["text"], True, 2)
    assert body["tools"][0]["function"]["strict"] is True
    assert request.header("x-trace") == "t-1"
    assert llm.metadata.context_window == 4096
    assert llm.metadata.is_chat_model is True


@pytest.mark.parametrize(
    "argument",
    ["http_client", "async_http_client", "reuse_client", "api_version", "tokenizer", "typo_arg"],
)
def test_llamaindex_arguments_without_a_meaning_are_refused_with_the_accepted_names(
    argument: str,
) -> None:
    with pytest.raises(TypeError) as info:
        OpenRouter(model=MODEL, **{argument: object()})
    message = str(info.value)
    assert argument in message
    for accepted in ("additional_kwargs", "order", "allow_fallbacks", "provider", "timeout"):
        assert accepted in message


def test_llamaindex_agents_carry_cache_control_strict_and_server_tools() -> None:
    lookup = FunctionTool.from_defaults(fn=add)
    tools = [
        with_tool_options(lookup, cache_control={"type": "ephemeral"}, strict=True),
        OpenRouterServerTool("openrouter:web_search", max_results=3),
    ]
    with OpenRouterEmulator() as emu:
        llm = _llm(emu)
        llm.chat_with_tools(tools, user_msg="Hi")
        direct = emu.last_request.body["tools"]
        emu.enqueue(replies.tool_calls([{"name": "add", "arguments": {"a": 1, "b": 2}}]))
        emu.enqueue(replies.text("3"))
        agent = FunctionAgent(tools=tools, llm=llm)

        import asyncio

        async def run() -> str:
            return str(await agent.run(user_msg="1+2?"))

        answer = asyncio.run(run())
        sent = [r["tools"] for r in emu.chat_requests[-2:]]
    function, server = direct
    assert function["cache_control"] == {"type": "ephemeral"}
    assert function["function"]["strict"] is True
    assert function["function"]["name"] == "add"
    assert server == WEB_SEARCH
    assert all(s == direct for s in sent)
    assert answer == "3"


def test_a_server_tool_is_not_run_locally() -> None:
    web = OpenRouterServerTool()
    assert web.metadata.name == "web_search"
    with pytest.raises(RuntimeError, match="run by OpenRouter"):
        web(query="x")
    with pytest.raises(ValueError, match="openrouter:"):
        OpenRouterServerTool("web_search")


def test_llamaindex_chat_still_takes_tools_as_dicts() -> None:
    with OpenRouterEmulator() as emu:
        _llm(emu).chat([ChatMessage(role="user", content="News?")], tools=[WEB_SEARCH])
        assert emu.last_request.body["tools"] == [WEB_SEARCH]
