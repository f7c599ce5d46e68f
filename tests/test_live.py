"""Live checks against the real OpenRouter API; they run only when ``OPENROUTER_API_KEY`` is set.

Each run costs a fraction of a cent (``openai/gpt-4o-mini``, a few tokens per call, and a small
embedding model). ``OPENROUTER_BASE_URL``, when set, points them at another OpenRouter-compatible
server, such as the local emulator (which is how these tests are checked without a key).
``make test-live`` runs them alone.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from langchain_core.messages import AIMessageChunk
from llama_index.core.llms import ChatMessage

from langchain_openrouter import ChatOpenRouter, OpenRouterEmbeddings
from llama_index_openrouter import OpenRouter
from openrouter_core import ModelNotFoundError, default_catalog, track_usage

pytestmark = [pytest.mark.live, pytest.mark.enable_socket]

MODEL = "openai/gpt-4o-mini"
PROMPT = "Answer with one word: what colour is the sky on a clear day?"


def test_langchain_invoke_and_stream_report_tokens_and_cost() -> None:
    llm = ChatOpenRouter(model=MODEL, max_tokens=16, max_retries=2)
    with track_usage() as usage:
        message = llm.invoke(PROMPT)
        chunks = list(llm.stream(PROMPT))
    assert isinstance(message.content, str)
    assert message.content
    assert message.usage_metadata is not None
    assert message.usage_metadata["input_tokens"] > 0
    assert message.response_metadata["provider"]
    assert message.response_metadata["cost"] > 0
    streamed = chunks[0]
    for chunk in chunks[1:]:
        streamed += chunk
    assert isinstance(streamed, AIMessageChunk)
    assert streamed.text
    assert streamed.usage_metadata is not None
    assert streamed.usage_metadata["output_tokens"] > 0
    assert usage.requests == 2
    assert usage.unknown_cost_requests == 0
    assert isinstance(usage.total_cost, Decimal)
    assert usage.total_cost > 0


async def test_llamaindex_achat_and_astream_report_tokens_and_cost() -> None:
    llm = OpenRouter(model=MODEL, max_tokens=16, max_retries=2)
    messages = [ChatMessage(role="user", content=PROMPT)]
    with track_usage() as usage:
        response = await llm.achat(messages)
        text = "".join([r.delta or "" async for r in await llm.astream_chat(messages)])
    assert response.message.content
    assert text
    assert usage.requests == 2
    assert usage.total_cost > 0
    assert usage.unknown_cost_requests == 0


def test_an_unknown_model_is_a_typed_error_in_both_frameworks() -> None:
    model = "no-such-author/no-such-model-xyz"
    with pytest.raises(ModelNotFoundError):
        ChatOpenRouter(model=model, max_retries=0).invoke(PROMPT)
    with pytest.raises(ModelNotFoundError):
        OpenRouter(model=model, max_retries=0).complete(PROMPT)


def test_embeddings_and_catalog() -> None:
    embeddings = OpenRouterEmbeddings(model="openai/text-embedding-3-small")
    vectors = embeddings.embed_documents(["bees", "flowers"])
    assert len(vectors) == 2
    assert len(vectors[0]) == len(vectors[1]) > 0
    info = default_catalog().get(MODEL)
    assert info.pricing.prompt is not None
    assert info.pricing.prompt > 0
    assert info.context_length
    assert info.supports_tools
