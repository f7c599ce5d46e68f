"""The clients under test, each behind the same four calls.

Every adapter is built for one server URL and one reply length (``chunks``, sent as the
``x-bench-chunks`` header), and exposes ``call()``, ``stream()``, ``acall()`` and ``astream()``,
each returning the answer text so the harness can check it before timing anything.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

MODEL = "openai/gpt-4o-mini"
KEY = "bench-key"
PROMPT = "Say something."
SDK = "openai SDK"
# What every user of the framework's chat models imports anyway: the base class of its chat
# models (the "framework alone" import baseline; see benchmarks/run.py).
LANGCHAIN_BASE = "from langchain_core.language_models.chat_models import BaseChatModel"
LLAMA_INDEX_BASE = "from llama_index.core.llms.function_calling import FunctionCallingLLM"


class Adapter:
    name = "?"

    def __init__(self, base_url: str, chunks: int) -> None:
        self.headers = {"x-bench-chunks": str(chunks)}
        self.base_url = base_url

    def call(self) -> str:
        raise NotImplementedError

    def stream(self) -> str:
        raise NotImplementedError

    async def acall(self) -> str:
        raise NotImplementedError

    async def astream(self) -> str:
        raise NotImplementedError

    def construct(self) -> Any:
        raise NotImplementedError


class BareSDK(Adapter):
    name = SDK

    def __init__(self, base_url: str, chunks: int) -> None:
        super().__init__(base_url, chunks)
        import openai

        self.client = openai.OpenAI(base_url=base_url, api_key=KEY, default_headers=self.headers)
        self.aclient = openai.AsyncOpenAI(
            base_url=base_url, api_key=KEY, default_headers=self.headers
        )
        self.messages = [{"role": "user", "content": PROMPT}]

    def call(self) -> str:
        r = self.client.chat.completions.create(model=MODEL, messages=self.messages)  # type: ignore[arg-type]
        return r.choices[0].message.content or ""

    def stream(self) -> str:
        parts = []
        for chunk in self.client.chat.completions.create(
            model=MODEL,
            messages=self.messages,
            stream=True,  # type: ignore[arg-type]
        ):
            if chunk.choices and chunk.choices[0].delta.content:
                parts.append(chunk.choices[0].delta.content)
        return "".join(parts)

    async def acall(self) -> str:
        r = await self.aclient.chat.completions.create(model=MODEL, messages=self.messages)  # type: ignore[arg-type]
        return r.choices[0].message.content or ""

    async def astream(self) -> str:
        parts = []
        async for chunk in await self.aclient.chat.completions.create(
            model=MODEL,
            messages=self.messages,
            stream=True,  # type: ignore[arg-type]
        ):
            if chunk.choices and chunk.choices[0].delta.content:
                parts.append(chunk.choices[0].delta.content)
        return "".join(parts)

    def construct(self) -> Any:
        import openai

        return openai.OpenAI(base_url=self.base_url, api_key=KEY)


class _LangChain(Adapter):
    def _make(self) -> Any:
        raise NotImplementedError

    def __init__(self, base_url: str, chunks: int) -> None:
        super().__init__(base_url, chunks)
        self.model = self._make()
        self.messages = [("human", PROMPT)]

    def call(self) -> str:
        return str(self.model.invoke(self.messages).content)

    def stream(self) -> str:
        return "".join(str(c.content) for c in self.model.stream(self.messages))

    async def acall(self) -> str:
        return str((await self.model.ainvoke(self.messages)).content)

    async def astream(self) -> str:
        return "".join([str(c.content) async for c in self.model.astream(self.messages)])

    def construct(self) -> Any:
        return self._make()


class ChatOpenRouterAdapter(_LangChain):
    name = "ChatOpenRouter"

    def _make(self) -> Any:
        from langchain_openrouter import ChatOpenRouter

        return ChatOpenRouter(
            model=MODEL, base_url=self.base_url, api_key=KEY, default_headers=self.headers
        )


class ChatOpenAIAdapter(_LangChain):
    name = "ChatOpenAI"

    def _make(self) -> Any:
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            model=MODEL,
            base_url=self.base_url,
            api_key=KEY,
            default_headers=self.headers,  # type: ignore[arg-type]
        )


class LlamaIndexAdapter(Adapter):
    name = "OpenRouter (LlamaIndex)"

    def __init__(self, base_url: str, chunks: int) -> None:
        super().__init__(base_url, chunks)
        from llama_index.core.llms import ChatMessage

        self.llm = self.construct()
        self.messages = [ChatMessage(role="user", content=PROMPT)]

    def construct(self) -> Any:
        from llama_index_openrouter import OpenRouter

        return OpenRouter(
            model=MODEL, api_base=self.base_url, api_key=KEY, default_headers=self.headers
        )

    def call(self) -> str:
        return self.llm.chat(self.messages).message.content or ""

    def stream(self) -> str:
        return "".join(r.delta or "" for r in self.llm.stream_chat(self.messages))

    async def acall(self) -> str:
        return (await self.llm.achat(self.messages)).message.content or ""

    async def astream(self) -> str:
        return "".join([r.delta or "" async for r in await self.llm.astream_chat(self.messages)])


def _has(module: str, name: str) -> bool:
    try:
        return hasattr(importlib.import_module(module), name)
    except ImportError:
        return False


def available() -> list[tuple[str, Callable[[str, int], Adapter], str]]:
    """(name, factory, framework baseline import statement for the import-time comparison)."""
    found: list[tuple[str, Callable[[str, int], Adapter], str]] = [(SDK, BareSDK, "")]
    if _has("langchain_openrouter", "ChatOpenRouter"):
        found.append(("ChatOpenRouter", ChatOpenRouterAdapter, LANGCHAIN_BASE))
    if _has("llama_index_openrouter", "OpenRouter"):
        found.append(("OpenRouter (LlamaIndex)", LlamaIndexAdapter, LLAMA_INDEX_BASE))
    if importlib.util.find_spec("langchain_openai") is not None:
        found.append(("ChatOpenAI", ChatOpenAIAdapter, LANGCHAIN_BASE))
    return found
