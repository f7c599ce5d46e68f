"""The reliability suite's adapter: one ``Target`` per framework and calling style.

Every fault row runs for ``ChatOpenRouter`` (LangChain) and ``OpenRouter`` (LlamaIndex), each
sync and async, plain and streaming. A :class:`Target` hides those eight ways of asking a
question behind one coroutine, :meth:`Target.answer`, so each test is written once:

- ``model(**overrides)`` builds the framework's model pointed at the test's emulator (one HTTP
  attempt by default, a fake key built at runtime);
- ``answer(model, prompt, tools=, received=)`` asks and returns the framework's final object
  (an ``AIMessage``/summed ``AIMessageChunk``, or the last ``ChatResponse``); streamed text is
  appended to ``received`` as it arrives, so a test can see what was yielded before an error;
- ``answer_sync(...)``: the same for the synchronous targets, without an event loop (threads);
- ``text(answer)`` reads the answer's text.

Inside ``answer``, synchronous calls run directly in the async test (the emulator serves from its
own thread). A target built with ``base_url=`` talks to an emulator in another process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from openrouter_core.testing import OpenRouterEmulator

MODEL = "anthropic/claude-haiku-4.5"
# Built at runtime: no file in the repository holds a key-shaped literal.
FAKE_KEY = "sk-or-v1-" + "0123456789abcdef" * 4

LANGCHAIN = "langchain"
LLAMAINDEX = "llamaindex"
FRAMEWORKS = (LANGCHAIN, LLAMAINDEX)
MODES = ("call", "acall", "stream", "astream")
METHODS = {
    LANGCHAIN: {"call": "invoke", "acall": "ainvoke", "stream": "stream", "astream": "astream"},
    LLAMAINDEX: {
        "call": "chat",
        "acall": "achat",
        "stream": "stream_chat",
        "astream": "astream_chat",
    },
}


class Target:
    """One framework called one way (see the module docstring)."""

    def __init__(
        self,
        framework: str,
        mode: str,
        emulator: OpenRouterEmulator | None = None,
        *,
        base_url: str | None = None,
    ) -> None:
        self.framework = framework
        self.mode = mode
        self._emulator = emulator
        self.base_url = base_url or (emulator.base_url if emulator is not None else "")

    @property
    def emulator(self) -> OpenRouterEmulator:
        """The in-process emulator the target talks to."""
        assert self._emulator is not None, "this target talks to an emulator in another process"
        return self._emulator

    def __repr__(self) -> str:
        return f"Target({self.framework}, {self.method})"

    @property
    def method(self) -> str:
        """The framework method this target calls (``invoke``, ``astream_chat``...)."""
        return METHODS[self.framework][self.mode]

    @property
    def streaming(self) -> bool:
        return self.mode in ("stream", "astream")

    @property
    def is_async(self) -> bool:
        return self.mode in ("acall", "astream")

    def model(self, **overrides: Any) -> Any:
        """The framework's model on the emulator: fake key, no retries, 20 s timeout."""
        params: dict[str, Any] = {
            "model": MODEL,
            "api_key": FAKE_KEY,
            "max_retries": 0,
            "timeout": 20.0,
        }
        params.update(overrides)
        if self.framework == LANGCHAIN:
            from langchain_openrouter import ChatOpenRouter

            params.setdefault("base_url", self.base_url)
            return ChatOpenRouter(**params)
        from llama_index_openrouter import OpenRouter

        params.setdefault("api_base", self.base_url)
        return OpenRouter(**params)

    def tool(self, function: Callable[..., Any]) -> Any:
        """``function`` as a tool of this framework."""
        if self.framework == LANGCHAIN:
            return function
        from llama_index.core.tools import FunctionTool

        return FunctionTool.from_defaults(function)

    async def answer(
        self,
        llm: Any,
        prompt: str | list[Any] = "Hello",
        /,
        *,
        tools: Sequence[Any] | None = None,
        received: list[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Ask ``prompt`` (text, or the framework's messages); return the final answer object.

        ``kwargs`` are passed to the call (per-call parameters and options). Synchronous
        targets run :meth:`answer_sync` (blocking, inside the caller's event loop).
        """
        if not self.is_async:
            return self.answer_sync(llm, prompt, tools=tools, received=received, **kwargs)
        sink = received if received is not None else []
        if self.framework == LANGCHAIN:
            runnable = llm.bind_tools(list(tools)) if tools else llm
            if self.mode == "acall":
                return await runnable.ainvoke(prompt, **kwargs)
            total: Any = None
            async for chunk in runnable.astream(prompt, **kwargs):
                total = _add_chunk(total, chunk, sink)
            return total
        result = await self._llamaindex_call(llm, prompt, tools, kwargs)
        if self.mode == "acall":
            return result
        last: Any = None
        async for response in result:
            last = _add_response(response, sink)
        return last

    def answer_sync(
        self,
        llm: Any,
        prompt: str | list[Any] = "Hello",
        /,
        *,
        tools: Sequence[Any] | None = None,
        received: list[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """:meth:`answer` for the synchronous targets, callable without an event loop."""
        assert not self.is_async, f"{self!r} is asynchronous: await answer()"
        sink = received if received is not None else []
        if self.framework == LANGCHAIN:
            runnable = llm.bind_tools(list(tools)) if tools else llm
            if self.mode == "call":
                return runnable.invoke(prompt, **kwargs)
            total: Any = None
            for chunk in runnable.stream(prompt, **kwargs):
                total = _add_chunk(total, chunk, sink)
            return total
        result = self._llamaindex_call(llm, prompt, tools, kwargs)
        if self.mode == "call":
            return result
        last: Any = None
        for response in result:
            last = _add_response(response, sink)
        return last

    def text(self, answer: Any) -> str:
        """The text of an answer returned by :meth:`answer`."""
        if self.framework == LANGCHAIN:
            return str(answer.content)
        return str(answer.message.content or "")

    def _llamaindex_call(
        self,
        llm: Any,
        prompt: str | list[Any],
        tools: Sequence[Any] | None,
        kwargs: dict[str, Any],
    ) -> Any:
        """Call the LlamaIndex method of this mode (a coroutine for the async ones)."""
        from llama_index.core.llms import ChatMessage

        messages = [ChatMessage(role="user", content=prompt)] if isinstance(prompt, str) else prompt
        if not tools:
            return getattr(llm, self.method)(messages, **kwargs)
        name = {
            "call": "chat_with_tools",
            "acall": "achat_with_tools",
            "stream": "stream_chat_with_tools",
            "astream": "astream_chat_with_tools",
        }[self.mode]
        return getattr(llm, name)(list(tools), chat_history=messages, **kwargs)


def _add_chunk(total: Any, chunk: Any, sink: list[str]) -> Any:
    """Sum LangChain message chunks, noting the text of each."""
    if chunk.content:
        sink.append(str(chunk.content))
    return chunk if total is None else total + chunk


def _add_response(response: Any, sink: list[str]) -> Any:
    """Note the text a LlamaIndex streamed response added; return the response."""
    if response.delta:
        sink.append(response.delta)
    return response


def run_in_threads(worker: Callable[[int], None], count: int, *, timeout: float) -> None:
    """Run ``worker(0)`` ... ``worker(count - 1)``, each on its own thread, released together.

    Fails when a thread is still running after ``timeout`` seconds; re-raises, in the caller's
    thread, the first exception a worker raised.
    """
    barrier = threading.Barrier(count)
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            worker(index)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    hung = sum(thread.is_alive() for thread in threads)
    assert hung == 0, f"{hung} of {count} threads still running after {timeout} s"
    if failures:
        raise failures[0]
