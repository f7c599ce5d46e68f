"""Helpers of the usage-ledger tests: client configs, request bodies, and one call through
either framework's public API (plain or streamed, sync or async)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from openrouter_core.client import ClientConfig, aclose_clients
from openrouter_core.parts import text_part, with_cache_control
from openrouter_core.testing import OpenRouterEmulator

HAIKU = "anthropic/claude-haiku-4.5"
MINI = "openai/gpt-4o-mini"
GPT5 = "openai/gpt-5-mini"
GEMINI = "google/gemini-2.5-flash"
# Long enough to be worth caching; the emulator caches prefixes marked with cache_control.
SYSTEM_PROMPT = "You are a meticulous assistant who answers in one short sentence. " * 60


def make_config(emu: OpenRouterEmulator, **overrides: Any) -> ClientConfig:
    kwargs: dict[str, Any] = {
        "api_key": "test-key",
        "base_url": emu.base_url,
        "timeout": 30.0,
        "max_retries": 0,
    }
    kwargs.update(overrides)
    return ClientConfig.build(**kwargs)


def chat_body(model: str = HAIKU, text: str = "Hello there", **extra: Any) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [{"role": "user", "content": text}],
        "usage": {"include": True},
        **extra,
    }


def cached_body(model: str, question: str, **extra: Any) -> dict[str, Any]:
    """A request whose system prompt is a prompt-cache breakpoint."""
    return {
        "model": model,
        "messages": [
            {"role": "system", "content": [with_cache_control(text_part(SYSTEM_PROMPT))]},
            {"role": "user", "content": question},
        ],
        "usage": {"include": True},
        **extra,
    }


FRAMEWORKS = ("langchain", "llamaindex")


def framework_model(framework: str, emu: OpenRouterEmulator, model: str = MINI, **kw: Any) -> Any:
    """``ChatOpenRouter`` or the LlamaIndex ``OpenRouter`` on the emulator (one attempt)."""
    common: dict[str, Any] = {"model": model, "api_key": "test-key", "max_retries": 0, **kw}
    if framework == "langchain":
        from langchain_openrouter import ChatOpenRouter

        return ChatOpenRouter(base_url=emu.base_url, **common)
    from llama_index_openrouter import OpenRouter

    return OpenRouter(api_base=emu.base_url, **common)


def _messages(llm: Any, text: str) -> Any:
    from langchain_core.language_models import BaseChatModel
    from llama_index.core.llms import ChatMessage

    return None if isinstance(llm, BaseChatModel) else [ChatMessage(role="user", content=text)]


def ask(llm: Any, text: str = "Hello", *, stream: bool = False) -> str:
    """One call through the framework's synchronous API: invoke/stream or chat/stream_chat."""
    messages = _messages(llm, text)
    if messages is None:
        if stream:
            return "".join(str(chunk.content) for chunk in llm.stream(text))
        return str(llm.invoke(text).content)
    if stream:
        return "".join(r.delta or "" for r in llm.stream_chat(messages))
    return str(llm.chat(messages).message.content)


async def aask(llm: Any, text: str = "Hello", *, stream: bool = False) -> str:
    """:func:`ask` through the asynchronous API: ainvoke/astream or achat/astream_chat."""
    messages = _messages(llm, text)
    if messages is None:
        if stream:
            return "".join([str(chunk.content) async for chunk in llm.astream(text)])
        return str((await llm.ainvoke(text)).content)
    if stream:
        return "".join([r.delta or "" async for r in await llm.astream_chat(messages)])
    return str((await llm.achat(messages)).message.content)


def on_a_new_loop(*calls: Coroutine[Any, Any, str]) -> list[str | BaseException]:
    """Run ``calls`` concurrently in ``asyncio.run`` (a fresh loop), closing its pools after."""

    async def main() -> list[str | BaseException]:
        try:
            return await asyncio.gather(*calls, return_exceptions=True)
        finally:
            await aclose_clients()

    return asyncio.run(main())
