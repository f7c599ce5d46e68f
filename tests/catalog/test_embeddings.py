"""Embeddings in both frameworks against the emulator: batching, routing, cost, errors, secrets."""

from __future__ import annotations

import json
import math
import pickle
import subprocess
import sys
from decimal import Decimal

import pytest
from pydantic import ValidationError

from langchain_openrouter import OpenRouterEmbeddings
from llama_index_openrouter import OpenRouterEmbedding
from openrouter_core.embeddings import batched, embeddings_body, parse_embeddings
from openrouter_core.errors import (
    AuthenticationError,
    MissingAPIKeyError,
    ModelNotFoundError,
    ProviderError,
)
from openrouter_core.testing import DEFAULT_EMBEDDING_DIMENSIONS, OpenRouterEmulator, replies

KEY = "sk-or-v1-embeddings-secret-0123456789"
MODEL = "openai/text-embedding-3-small"
TEXTS = ["alpha river", "beta mountain", "gamma forest", "delta desert", "epsilon sea"]


def embedding_requests(emu: OpenRouterEmulator) -> list[dict]:
    return [r.body for r in emu.requests if r.path.endswith("/embeddings")]


def _langchain(emu: OpenRouterEmulator, **kwargs) -> OpenRouterEmbeddings:
    options = {"model": MODEL, "api_key": KEY, "base_url": emu.base_url, "max_retries": 0}
    options.update(kwargs)
    return OpenRouterEmbeddings(**options)


def _llama(emu: OpenRouterEmulator, **kwargs) -> OpenRouterEmbedding:
    options = {"model": MODEL, "api_key": KEY, "base_url": emu.base_url, "max_retries": 0}
    options.update(kwargs)
    return OpenRouterEmbedding(**options)


def _unit(vector: list[float]) -> bool:
    return math.isclose(math.sqrt(sum(v * v for v in vector)), 1.0, rel_tol=1e-5)


# --------------------------------------------------------------------------------------------
# LangChain
# --------------------------------------------------------------------------------------------


def test_langchain_batches_in_order(openrouter_emulator, recorder) -> None:
    embeddings = _langchain(openrouter_emulator, batch_size=2)
    vectors = embeddings.embed_documents(TEXTS)
    sent = embedding_requests(openrouter_emulator)
    assert [body["input"] for body in sent] == [TEXTS[0:2], TEXTS[2:4], TEXTS[4:5]]
    assert all(body["model"] == MODEL for body in sent)
    assert all(set(body) == {"model", "input"} for body in sent)
    assert len(vectors) == 5
    assert all(len(v) == DEFAULT_EMBEDDING_DIMENSIONS and _unit(v) for v in vectors)
    assert len({tuple(v) for v in vectors}) == 5
    # The emulator's vectors depend only on the text: each batch position kept its text.
    assert embeddings.embed_query(TEXTS[3]) == vectors[3]
    assert openrouter_emulator.last_request.header("authorization") == f"Bearer {KEY}"


def test_langchain_reports_tokens_and_cost_per_batch(openrouter_emulator, recorder) -> None:
    _langchain(openrouter_emulator, batch_size=2).embed_documents(TEXTS)
    charges = openrouter_emulator.charges
    assert len(recorder.after) == len(charges) == 3
    for (call, outcome), charge in zip(recorder.after, charges, strict=True):
        assert call.endpoint == "/embeddings"
        assert call.model == MODEL
        assert not outcome.failed
        assert outcome.usage.cost == charge.cost > 0
        assert outcome.usage.input_tokens == charge.prompt_tokens
        assert outcome.usage.generation_id == charge.generation_id
        assert outcome.usage.provider == charge.provider
    total = sum((o.usage.cost for _, o in recorder.after), Decimal(0))
    assert total == openrouter_emulator.total_cost


def test_langchain_dimensions_routing_and_extra_fields(openrouter_emulator) -> None:
    embeddings = _langchain(
        openrouter_emulator,
        dimensions=256,
        provider={"order": ["openai"], "allow_fallbacks": False},
        model_kwargs={"input_type": "query", "user": "u-7"},
        app_title="Embed Test",
    )
    (vector,) = embeddings.embed_documents(["short text"])
    assert len(vector) == 256
    (body,) = embedding_requests(openrouter_emulator)
    assert body == {
        "model": MODEL,
        "input": ["short text"],
        "dimensions": 256,
        "provider": {"order": ["openai"], "allow_fallbacks": False},
        "input_type": "query",
        "user": "u-7",
    }
    assert openrouter_emulator.last_request.header("x-title") == "Embed Test"


async def test_langchain_async(openrouter_emulator, recorder, async_pool) -> None:
    embeddings = _langchain(openrouter_emulator, batch_size=3)
    vectors = await embeddings.aembed_documents(TEXTS)
    query = await embeddings.aembed_query(TEXTS[4])
    assert [b["input"] for b in embedding_requests(openrouter_emulator)] == [
        TEXTS[0:3],
        TEXTS[3:5],
        [TEXTS[4]],
    ]
    assert query == vectors[4]
    assert len(recorder.after) == 3


def test_langchain_bad_input_fails_before_any_request(openrouter_emulator) -> None:
    embeddings = _langchain(openrouter_emulator)
    with pytest.raises(TypeError, match="list of strings"):
        embeddings.embed_documents("not a list")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        embeddings.embed_documents(["ok", 3])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="may not replace input"):
        _langchain(openrouter_emulator, model_kwargs={"input": ["x"]}).embed_documents(["a"])
    assert embeddings.embed_documents([]) == []
    assert openrouter_emulator.requests == []
    with pytest.raises(ValidationError):
        _langchain(openrouter_emulator, batch_size=0)
    with pytest.raises(ValidationError):
        _langchain(openrouter_emulator, provider={"sort": "cheapest-please"})


def test_langchain_missing_key(openrouter_emulator) -> None:
    embeddings = OpenRouterEmbeddings(base_url=openrouter_emulator.base_url)
    assert embeddings.model == MODEL  # the default model
    with pytest.raises(MissingAPIKeyError, match="OPENROUTER_API_KEY"):
        embeddings.embed_query("hi")
    assert openrouter_emulator.requests == []


def test_langchain_key_from_environment(openrouter_emulator, monkeypatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    monkeypatch.setenv("OPENROUTER_BASE_URL", openrouter_emulator.base_url)
    assert len(OpenRouterEmbeddings(max_retries=0).embed_query("hi")) > 0
    assert openrouter_emulator.last_request.header("authorization") == f"Bearer {KEY}"


def test_langchain_key_never_shows(openrouter_emulator) -> None:
    embeddings = _langchain(openrouter_emulator)
    assert embeddings.openrouter_api_key.get_secret_value() == KEY
    for text in (repr(embeddings), str(embeddings), embeddings.model_dump_json()):
        assert KEY not in text
    assert KEY not in json.dumps(embeddings.model_dump(mode="json"))


def test_langchain_errors_are_typed_and_billed_batches_reported(
    openrouter_emulator, recorder
) -> None:
    # The first batch goes through; the second is rejected. No partial result is returned,
    # and the billed first batch is still reported to the observers.
    openrouter_emulator.enqueue(replies.stall(0), endpoint="embeddings")
    openrouter_emulator.enqueue(replies.error(401, "User not found."), endpoint="embeddings")
    with pytest.raises(AuthenticationError):
        _langchain(openrouter_emulator, batch_size=2).embed_documents(TEXTS)
    assert len(embedding_requests(openrouter_emulator)) == 2
    (first, second) = [outcome for _, outcome in recorder.after]
    assert first.usage.cost == openrouter_emulator.charges[0].cost
    assert second.failed
    assert isinstance(second.error, AuthenticationError)


def test_langchain_error_in_200_and_unknown_model(openrouter_emulator) -> None:
    openrouter_emulator.enqueue(replies.error_in_200("Upstream failed", 502), endpoint="embeddings")
    with pytest.raises(ProviderError, match="Upstream failed"):
        _langchain(openrouter_emulator).embed_query("hi")
    with pytest.raises(ModelNotFoundError):
        _langchain(openrouter_emulator, model="openai/gpt-4o-mini").embed_query("hi")


# --------------------------------------------------------------------------------------------
# LlamaIndex
# --------------------------------------------------------------------------------------------


def test_llama_index_batches_in_order(openrouter_emulator, recorder) -> None:
    embed_model = _llama(openrouter_emulator, embed_batch_size=2)
    vectors = embed_model.get_text_embedding_batch(TEXTS)
    assert [b["input"] for b in embedding_requests(openrouter_emulator)] == [
        TEXTS[0:2],
        TEXTS[2:4],
        TEXTS[4:5],
    ]
    assert len(vectors) == 5
    assert all(_unit(v) for v in vectors)
    assert embed_model.get_text_embedding(TEXTS[1]) == vectors[1]
    assert embed_model.get_query_embedding(TEXTS[2]) == vectors[2]
    assert len(recorder.after) == 5
    costs = [outcome.usage.cost for _, outcome in recorder.after]
    assert costs == [c.cost for c in openrouter_emulator.charges]


async def test_llama_index_async(openrouter_emulator, recorder, async_pool) -> None:
    embed_model = _llama(openrouter_emulator, batch_size=4, dimensions=64)
    vectors = await embed_model.aget_text_embedding_batch(TEXTS)
    query = await embed_model.aget_query_embedding(TEXTS[0])
    text = await embed_model.aget_text_embedding(TEXTS[4])
    sent = embedding_requests(openrouter_emulator)
    assert [b["input"] for b in sent] == [TEXTS[0:4], TEXTS[4:5], [TEXTS[0]], [TEXTS[4]]]
    assert all(b["dimensions"] == 64 for b in sent)
    assert all(len(v) == 64 for v in vectors)
    assert query == vectors[0]
    assert text == vectors[4]
    assert all(not outcome.failed for _, outcome in recorder.after)


def test_llama_index_options_reach_the_body(openrouter_emulator) -> None:
    embed_model = _llama(
        openrouter_emulator,
        provider={"only": ["azure"]},
        additional_kwargs={"input_type": "document"},
        default_headers={"X-Trace": "t-1"},
    )
    embed_model.get_text_embedding("hello")
    (body,) = embedding_requests(openrouter_emulator)
    assert body["provider"] == {"only": ["azure"]}
    assert body["input_type"] == "document"
    assert openrouter_emulator.last_request.header("x-trace") == "t-1"


def test_llama_index_key_never_serialized(openrouter_emulator) -> None:
    embed_model = _llama(openrouter_emulator, dimensions=32)
    assert embed_model.class_name() == "OpenRouterEmbedding"
    assert embed_model.model_name == MODEL
    assert embed_model.api_base == openrouter_emulator.base_url
    for text in (repr(embed_model), embed_model.to_json(), json.dumps(embed_model.to_payload())):
        assert KEY not in text
    data = embed_model.to_dict()
    assert "api_key" not in data
    assert data["class_name"] == "OpenRouterEmbedding"
    restored = OpenRouterEmbedding.from_dict(data)
    assert restored.api_key is None  # read from the environment at the first call
    assert restored.dimensions == 32
    # LlamaIndex pickles transformations for parallel ingestion; our object must survive it.
    assert pickle.loads(pickle.dumps(embed_model)).model_name == MODEL  # noqa: S301


def test_llama_index_missing_key_and_bad_input(openrouter_emulator) -> None:
    embed_model = OpenRouterEmbedding(api_base=openrouter_emulator.base_url)
    with pytest.raises(MissingAPIKeyError):
        embed_model.get_query_embedding("hi")
    with pytest.raises(TypeError, match=r"texts\[0\]"):
        _llama(openrouter_emulator).get_text_embedding_batch([None])  # type: ignore[list-item]
    assert openrouter_emulator.requests == []
    with pytest.raises(ValidationError):
        OpenRouterEmbedding(dimensions=0)


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


def test_batched_and_body_validation() -> None:
    assert list(batched(["a", "b", "c"], 2)) == [["a", "b"], ["c"]]
    assert list(batched([], 5)) == []
    with pytest.raises(ValueError, match="batch_size"):
        list(batched(["a"], 0))
    with pytest.raises(ValueError, match="model id"):
        embeddings_body("", ["a"])
    with pytest.raises(ValueError, match="dimensions"):
        embeddings_body(MODEL, ["a"], dimensions=-3)


def test_parse_embeddings_reorders_and_never_returns_partial_results() -> None:
    body = {
        "data": [
            {"index": 1, "embedding": [0.0, 1.0]},
            {"index": 0, "embedding": [1.0, 0]},
        ],
        "usage": {"prompt_tokens": 4, "cost": 1.4e-07},
    }
    assert parse_embeddings(body, 2) == [[1.0, 0.0], [0.0, 1.0]]
    with pytest.raises(ProviderError, match="1 vectors for 2 inputs") as info:
        parse_embeddings({**body, "data": body["data"][:1]}, 2)
    assert info.value.usage.cost == Decimal("1.4E-7")  # billed usage travels on the error
    with pytest.raises(ProviderError, match="invalid vector"):
        parse_embeddings({"data": [{"index": 0, "embedding": "AAAA"}]}, 1)
    with pytest.raises(ProviderError, match="invalid vector"):
        parse_embeddings({"data": [{"index": 0, "embedding": [1]}, {"index": 0}]}, 2)


def test_real_embeddings_response_parses(wire) -> None:
    raw = wire.bytes("rl_embeddings_cost.response.json")
    from openrouter_core import _json
    from openrouter_core.usage import usage_from_body

    body = _json.loads(raw)
    (vector,) = parse_embeddings(body, 1)
    assert len(vector) == len(body["data"][0]["embedding"]) > 100
    assert usage_from_body(body).cost == Decimal("1.4E-7")


def test_importing_the_framework_packages_stays_light() -> None:
    code = (
        "import sys, langchain_openrouter, llama_index_openrouter\n"
        "from langchain_openrouter import OpenRouterEmbeddings\n"
        "from llama_index_openrouter import OpenRouterEmbedding\n"
        "OpenRouterEmbeddings(api_key='k'); OpenRouterEmbedding(api_key='k')\n"
        "print(sorted(m for m in ('openai', 'openrouter_core.transport', "
        "'openrouter_core.client', 'openrouter_core.catalog') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
