"""`make demo`: the whole product in one run, with or without an OpenRouter key.

With ``OPENROUTER_API_KEY`` set, the demo talks to OpenRouter (``OPENROUTER_BASE_URL`` or the
real API) using a cheap model (``--model``). Without it, it starts the local OpenRouter
emulator and says so on its first line. Inside one ``track_usage()`` block it runs:

1. a LangChain chain (prompt | model | parser) streaming its answer token by token;
2. a LangChain tool-calling agent (``langchain.agents.create_agent``) with two tools;
3. LangChain structured output into a pydantic model;
4. a LlamaIndex ``FunctionAgent`` with two tools answering a question;
5. an embedding similarity (LangChain ``OpenRouterEmbeddings``);

then prints the usage table: per model and provider, requests, tokens and exact cost. On a
failure it prints one line saying why and exits with status 1; a key out of credits is also told
which free model of the catalog to try (``--model``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from unittest import mock

DEFAULT_MODEL = "openai/gpt-4o-mini"
DEFAULT_EMBEDDING_MODEL = "openai/text-embedding-3-small"
STEPS = 5


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Show OpenRouter with LangChain and LlamaIndex, and what it cost.",
        epilog="Without OPENROUTER_API_KEY the demo runs offline against a local emulator.",
    )
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help=f"chat model, with tool calling and structured output (default {DEFAULT_MODEL})",
    )
    parser.add_argument(
        "--embedding-model",
        default=DEFAULT_EMBEDDING_MODEL,
        help=f"embedding model (default {DEFAULT_EMBEDDING_MODEL})",
    )
    return parser.parse_args(argv)


def _step(number: int, title: str) -> None:
    print(f"\n[{number}/{STEPS}] {title}", flush=True)


@contextlib.contextmanager
def _target() -> Iterator[None]:
    """Point the packages at the emulator unless a key is set; say where requests go."""
    if os.environ.get("OPENROUTER_API_KEY"):
        from openrouter_core.settings import resolve_base_url

        url = resolve_base_url(None, env=("OPENROUTER_BASE_URL", "OPENROUTER_API_BASE"))
        print(f"Running against OpenRouter at {url} (OPENROUTER_API_KEY is set).")
        yield
        return
    print(
        "Running OFFLINE against the local OpenRouter emulator: OPENROUTER_API_KEY is not set, "
        "so the answers are canned and the costs simulated."
    )
    from openrouter_core.testing import OpenRouterEmulator

    with OpenRouterEmulator() as emulator, tempfile.TemporaryDirectory() as cache:
        # The packages read these like any user setting; the emulator's model list goes to a
        # throwaway catalog cache instead of the user's.
        settings = {
            "OPENROUTER_API_KEY": "emulator-key",
            "OPENROUTER_BASE_URL": emulator.base_url,
            "OPENROUTER_CACHE_DIR": cache,
        }
        with mock.patch.dict(os.environ, settings):
            yield


def _chain(model: str) -> None:
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    from langchain_openrouter import ChatOpenRouter

    _step(1, "LangChain chain (prompt | model | parser), streamed token by token")
    prompt = ChatPromptTemplate.from_messages(
        [
            ("system", "You are a concise assistant. Answer in at most two sentences."),
            ("user", "Explain what {topic} is to a new Python developer."),
        ]
    )
    chain = prompt | ChatOpenRouter(model=model, temperature=0) | StrOutputParser()
    for token in chain.stream({"topic": "an LLM gateway like OpenRouter"}):
        print(token, end="", flush=True)
    print()


def _langchain_agent(model: str) -> None:
    from langchain.agents import create_agent
    from langchain_core.tools import tool

    from langchain_openrouter import ChatOpenRouter

    _step(2, "LangChain tool-calling agent (create_agent with two tools)")

    @tool
    def get_weather(city: str) -> str:
        """Get the current weather in a city."""
        return f"It is 18 degrees and sunny in {city}."

    @tool
    def get_local_time(city: str) -> str:
        """Get the local time in a city."""
        return f"It is 14:05 in {city}."

    agent = create_agent(
        ChatOpenRouter(model=model, temperature=0),
        tools=[get_weather, get_local_time],
        system_prompt="Use the tools to answer. Be brief.",
    )
    result = agent.invoke({"messages": [("user", "What is the weather in Paris right now?")]})
    for message in result["messages"]:
        for call in getattr(message, "tool_calls", None) or []:
            print(f"  tool call: {call['name']}({call['args']})")
    print(f"  answer: {result['messages'][-1].content}")


def _structured_output(model: str) -> None:
    from pydantic import BaseModel, Field

    from langchain_openrouter import ChatOpenRouter

    _step(3, "LangChain structured output into a pydantic model")

    class Film(BaseModel):
        """A film."""

        title: str = Field(description="the film's title")
        year: int = Field(description="the year it was released")
        director: str = Field(description="who directed it")

    llm = ChatOpenRouter(model=model, temperature=0)
    text = 'Extract the film: "The Matrix", directed by "Lana Wachowski", came out in 1999.'
    film = llm.with_structured_output(Film).invoke(text)
    print(f"  {film!r}")


def _llamaindex_agent(model: str) -> None:
    from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult

    from llama_index_openrouter import OpenRouter
    from openrouter_core.client import aclose_clients

    _step(4, "LlamaIndex FunctionAgent with two tools")

    def multiply(a: float, b: float) -> float:
        """Multiply two numbers."""
        return a * b

    def add(a: float, b: float) -> float:
        """Add two numbers."""
        return a + b

    agent = FunctionAgent(
        tools=[multiply, add],
        llm=OpenRouter(model=model, temperature=0),
        system_prompt="Use the tools for every calculation.",
    )

    async def run() -> str:
        try:
            handler = agent.run("What is 12 times 7?")
            async for event in handler.stream_events():
                if isinstance(event, ToolCallResult):
                    call = f"{event.tool_name}({event.tool_kwargs})"
                    print(f"  tool call: {call} -> {event.tool_output}")
            return str(await handler)
        finally:
            await aclose_clients()

    print(f"  answer: {asyncio.run(run())}")


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def _embeddings(model: str) -> None:
    from langchain_openrouter import OpenRouterEmbeddings

    _step(5, "Embedding similarity")
    embeddings = OpenRouterEmbeddings(model=model)
    docs = [
        "OpenRouter routes each request to one of many model providers.",
        "Bees communicate the direction of flowers with a waggle dance.",
        "A gateway forwards API calls to the right backend service.",
    ]
    query = "Which service sends my LLM calls to different providers?"
    doc_vectors = embeddings.embed_documents(docs)
    query_vector = embeddings.embed_query(query)
    scores = [_cosine(query_vector, vector) for vector in doc_vectors]
    ranked = sorted(zip(scores, docs, strict=True), reverse=True)
    print(f"  query: {query}")
    for score, doc in ranked:
        print(f"  {score:+.3f}  {doc}")


MAX_REASON = 300
"""The longest failure reason printed, in characters (an upstream message can be long)."""


def _reason(exc: BaseException, model: str = DEFAULT_MODEL) -> str:
    """One line saying why the demo failed, and what to do about it.

    Whatever the exception (an OpenRouter error, a pydantic ``ValidationError``, anything
    else), newlines and runs of whitespace collapse to single spaces and the line is cut at
    :data:`MAX_REASON` characters.
    """
    line = " ".join(_describe(exc, model).split()) or type(exc).__name__
    if len(line) > MAX_REASON:
        line = line[: MAX_REASON - 3].rstrip() + "..."
    return line


def _free_models(current: str) -> str:
    """``--model`` (and ``--embedding-model``) options naming free models of the catalog at hand.

    The catalog is the one of the API the demo talks to; a chat model that calls tools and
    returns structured output is preferred. Empty when there is none, when ``current`` is
    already the suggestion, or when the catalog cannot be read.
    """
    from openrouter_core.catalog import NoModelMatchesError, default_catalog

    try:
        catalog = default_catalog()
        chat = None
        for needs in (["tools", "structured_outputs"], None):
            with contextlib.suppress(NoModelMatchesError):
                chat = catalog.cheapest(free=True, supports=needs).id
                break
        embed = None
        with contextlib.suppress(NoModelMatchesError):
            embed = catalog.cheapest(free=True, output="embeddings").id
    except Exception:  # a hint must never hide the failure it explains
        return ""
    if chat is None or chat == current:
        return ""
    return f"--model {chat}" + (f" --embedding-model {embed}" if embed else "")


def _describe(exc: BaseException, model: str = DEFAULT_MODEL) -> str:
    """Why the demo failed, possibly over several lines (``model``: the chat model it used)."""
    from openrouter_core.errors import (
        APIConnectionError,
        AuthenticationError,
        InsufficientCreditsError,
        ModelNotFoundError,
        OpenRouterError,
        RateLimitError,
    )

    found: BaseException | None = exc
    while found is not None and not isinstance(found, OpenRouterError):
        found = found.__cause__ or found.__context__
    if found is None:
        return f"{type(exc).__name__}: {exc}" if str(exc).strip() else type(exc).__name__
    error: OpenRouterError = found
    status = f" (HTTP {error.status_code})" if error.status_code else ""
    if isinstance(error, InsufficientCreditsError):
        free = _free_models(model)
        hint = f", or try a free model: python demo.py {free}" if free else ""
        return (
            f"your key is out of credits{status}: add credits at "
            f"https://openrouter.ai/settings/credits{hint}"
        )
    if isinstance(error, AuthenticationError):
        return f"OpenRouter rejected the key{status}: check OPENROUTER_API_KEY"
    if isinstance(error, ModelNotFoundError):
        return f"model {error.model!r} is not available{status}: pick another with --model"
    if isinstance(error, RateLimitError):
        return f"rate limited by OpenRouter{status}: wait a moment and run the demo again"
    if isinstance(error, APIConnectionError):
        return f"could not reach OpenRouter: {error.message}"
    if error.status_code:
        return f"OpenRouter answered HTTP {error.status_code}: {error.message}"
    return error.message


def _run(args: argparse.Namespace) -> None:
    from openrouter_core import track_usage

    print(f"Chat model {args.model}, embedding model {args.embedding_model}.")

    with track_usage() as usage:
        try:
            _chain(args.model)
            _langchain_agent(args.model)
            _structured_output(args.model)
            _llamaindex_agent(args.model)
            _embeddings(args.embedding_model)
        finally:
            if usage.requests:
                print("\nUsage (every call above, both frameworks):")
                print(usage.summary())


def _fail(exc: BaseException, model: str) -> int:
    print(flush=True)
    print(f"demo failed: {_reason(exc, model)}", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        with _target():
            try:
                _run(args)
            except Exception as exc:  # one readable line instead of a traceback
                # Said while the target is set, so a hint reads the catalog of the same API.
                return _fail(exc, args.model)
    except KeyboardInterrupt:
        print(flush=True)
        print("demo interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the target itself failed (e.g. the emulator did not start)
        return _fail(exc, args.model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
