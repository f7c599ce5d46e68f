"""The emulator as a faithful stand-in for OpenRouter (issue 17, one test per row of it).

Known models (the recordings', the public dump's, the main families'), the shipped catalog
snapshot and its refresh script, context-length and upstream tool refusals, embeddings that
rank by shared words, the ``serve`` command and the split of the emulator by job.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

import openai
import pytest

from langchain_openrouter import ChatOpenRouter, OpenRouterEmbeddings
from openrouter_core import BudgetExceededError, track_usage
from openrouter_core.catalog import ModelCatalog, StaleCatalogWarning
from openrouter_core.catalog.snapshot import (
    SNAPSHOT_PATH,
    build_snapshot,
    bundled_snapshot,
    read_snapshot,
    write_snapshot,
)
from openrouter_core.catalog.store import CatalogStore
from openrouter_core.errors import BadRequestError, ContextLengthExceededError, ProviderError
from openrouter_core.testing import OpenRouterEmulator

ROOT = Path(__file__).resolve().parents[1]
# Every model id of the public GET /models dump that ../shared/openrouter-wire/INDEX.md names
# (wikiarena/wikiarena openrouter_models.json @58a25bc, July 2025, the tools-capable models; the
# recordings folder keeps five of them). Ids are facts; the dump itself is not copied here.
JULY_2025_DUMP_IDS = [
    "ai21/jamba-1.6-large",
    "ai21/jamba-1.6-mini",
    "amazon/nova-lite-v1",
    "amazon/nova-micro-v1",
    "amazon/nova-pro-v1",
    "anthropic/claude-3-haiku",
    "anthropic/claude-3-haiku:beta",
    "anthropic/claude-3-opus",
    "anthropic/claude-3-opus:beta",
    "anthropic/claude-3-sonnet",
    "anthropic/claude-3.5-haiku",
    "anthropic/claude-3.5-haiku-20241022",
    "anthropic/claude-3.5-haiku:beta",
    "anthropic/claude-3.5-sonnet",
    "anthropic/claude-3.5-sonnet-20240620",
    "anthropic/claude-3.5-sonnet-20240620:beta",
    "anthropic/claude-3.5-sonnet:beta",
    "anthropic/claude-3.7-sonnet",
    "anthropic/claude-3.7-sonnet:beta",
    "anthropic/claude-3.7-sonnet:thinking",
    "anthropic/claude-opus-4",
    "anthropic/claude-sonnet-4",
    "arcee-ai/virtuoso-large",
    "cohere/command-r",
    "cohere/command-r-03-2024",
    "cohere/command-r-08-2024",
    "cohere/command-r-plus",
    "cohere/command-r-plus-04-2024",
    "cohere/command-r-plus-08-2024",
    "deepseek/deepseek-chat",
    "deepseek/deepseek-chat-v3-0324",
    "deepseek/deepseek-chat-v3-0324:free",
    "deepseek/deepseek-r1",
    "deepseek/deepseek-r1-0528",
    "deepseek/deepseek-r1-distill-llama-70b",
    "google/gemini-2.0-flash-001",
    "google/gemini-2.0-flash-exp:free",
    "google/gemini-2.0-flash-lite-001",
    "google/gemini-2.5-flash",
    "google/gemini-2.5-flash-lite",
    "google/gemini-2.5-flash-lite-preview-06-17",
    "google/gemini-2.5-pro",
    "google/gemini-2.5-pro-exp-03-25",
    "google/gemini-2.5-pro-preview",
    "google/gemini-2.5-pro-preview-05-06",
    "google/gemini-flash-1.5",
    "google/gemini-flash-1.5-8b",
    "google/gemini-pro-1.5",
    "meta-llama/llama-3-70b-instruct",
    "meta-llama/llama-3-8b-instruct",
    "meta-llama/llama-3.1-405b-instruct",
    "meta-llama/llama-3.1-70b-instruct",
    "meta-llama/llama-3.1-8b-instruct",
    "meta-llama/llama-3.2-11b-vision-instruct",
    "meta-llama/llama-3.2-3b-instruct",
    "meta-llama/llama-3.3-70b-instruct",
    "meta-llama/llama-3.3-70b-instruct:free",
    "meta-llama/llama-4-maverick",
    "meta-llama/llama-4-scout",
    "microsoft/phi-3-medium-128k-instruct",
    "microsoft/phi-3-mini-128k-instruct",
    "microsoft/phi-3.5-mini-128k-instruct",
    "minimax/minimax-m1",
    "minimax/minimax-m1-80k",
    "mistral/ministral-8b",
    "mistralai/codestral-2501",
    "mistralai/devstral-medium",
    "mistralai/devstral-small",
    "mistralai/devstral-small-2505",
    "mistralai/devstral-small-2505:free",
    "mistralai/magistral-medium-2506",
    "mistralai/magistral-medium-2506:thinking",
    "mistralai/magistral-small-2506",
    "mistralai/ministral-3b",
    "mistralai/ministral-8b",
    "mistralai/mistral-7b-instruct",
    "mistralai/mistral-7b-instruct-v0.1",
    "mistralai/mistral-7b-instruct-v0.3",
    "mistralai/mistral-7b-instruct:free",
    "mistralai/mistral-large",
    "mistralai/mistral-large-2407",
    "mistralai/mistral-large-2411",
    "mistralai/mistral-medium-3",
    "mistralai/mistral-nemo",
    "mistralai/mistral-saba",
    "mistralai/mistral-small",
    "mistralai/mistral-small-24b-instruct-2501",
    "mistralai/mistral-small-3.1-24b-instruct",
    "mistralai/mistral-small-3.1-24b-instruct:free",
    "mistralai/mistral-small-3.2-24b-instruct",
    "mistralai/mistral-small-3.2-24b-instruct:free",
    "mistralai/mistral-tiny",
    "mistralai/mixtral-8x22b-instruct",
    "mistralai/mixtral-8x7b-instruct",
    "mistralai/pixtral-12b",
    "mistralai/pixtral-large-2411",
    "moonshotai/kimi-k2",
    "moonshotai/kimi-k2:free",
    "nousresearch/hermes-3-llama-3.1-70b",
    "nvidia/llama-3.1-nemotron-70b-instruct",
    "openai/codex-mini",
    "openai/gpt-3.5-turbo",
    "openai/gpt-3.5-turbo-0613",
    "openai/gpt-3.5-turbo-16k",
    "openai/gpt-4",
    "openai/gpt-4-0314",
    "openai/gpt-4-1106-preview",
    "openai/gpt-4-turbo",
    "openai/gpt-4-turbo-preview",
    "openai/gpt-4.1",
    "openai/gpt-4.1-mini",
    "openai/gpt-4.1-nano",
    "openai/gpt-4o",
    "openai/gpt-4o-2024-05-13",
    "openai/gpt-4o-2024-08-06",
    "openai/gpt-4o-2024-11-20",
    "openai/gpt-4o-mini",
    "openai/gpt-4o-mini-2024-07-18",
    "openai/gpt-4o:extended",
    "openai/o1",
    "openai/o3",
    "openai/o3-mini",
    "openai/o3-mini-high",
    "openai/o3-pro",
    "openai/o4-mini",
    "openai/o4-mini-high",
    "qwen/qwen-2.5-72b-instruct",
    "qwen/qwen-max",
    "qwen/qwen-plus",
    "qwen/qwen-turbo",
    "qwen/qwen3-14b",
    "qwen/qwen3-235b-a22b",
    "qwen/qwen3-235b-a22b-2507",
    "qwen/qwen3-235b-a22b-thinking-2507",
    "qwen/qwen3-235b-a22b:free",
    "qwen/qwen3-30b-a3b",
    "qwen/qwen3-32b",
    "qwen/qwen3-4b:free",
    "qwen/qwen3-coder",
    "qwen/qwen3-coder:free",
    "thedrummer/rocinante-12b",
    "thedrummer/unslopnemo-12b",
    "x-ai/grok-2-1212",
    "x-ai/grok-3",
    "x-ai/grok-3-beta",
    "x-ai/grok-3-mini",
    "x-ai/grok-3-mini-beta",
    "x-ai/grok-4",
    "z-ai/glm-4-32b",
    "z-ai/glm-4.5",
    "z-ai/glm-4.5-air",
]


def _client(emu: OpenRouterEmulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=emu.base_url, api_key="test-key", max_retries=0)


def _recorded_model_ids(wire: Any) -> set[str]:
    ids: set[str] = set()
    for name in wire.names(".request.json"):
        body = wire.json(name)
        if isinstance(body.get("model"), str):
            ids.add(body["model"])
        ids.update(m for m in body.get("models") or () if isinstance(m, str))
    for name in wire.names(".response.json"):
        text = wire.text(name)
        if name.startswith("models_list_"):
            ids.update(m["id"] for m in json.loads(text)["data"])
        else:
            ids.update(re.findall(r'"model"\s*:\s*"([a-z0-9-]+/[^"]+)"', text))
    return ids


# --- the models people name --------------------------------------------------------------------


def test_every_recorded_model_id_is_known_and_answered(wire: Any) -> None:
    ids = _recorded_model_ids(wire)
    assert {"openai/gpt-4o", "anthropic/claude-4.5-haiku-20251001", "qwen/qwen3-4b:free"} <= ids
    with OpenRouterEmulator() as emu, _client(emu) as client:
        for model in sorted(ids):
            if "embedding" in model:
                answer: Any = client.embeddings.create(model=model, input="hello")
            else:
                answer = client.chat.completions.create(
                    model=model, messages=[{"role": "user", "content": "hello"}]
                )
            assert answer.model, model
        assert emu.errors == []


def test_every_model_id_of_the_public_july_2025_dump_is_known() -> None:
    assert len(JULY_2025_DUMP_IDS) == 151
    with OpenRouterEmulator() as emu:
        listed = {m["id"] for m in emu.catalog}
    assert sorted(set(JULY_2025_DUMP_IDS) - listed) == []


FAMILIES = {
    "OpenAI": ["openai/gpt-4o", "openai/gpt-4o-mini", "openai/gpt-4.1", "openai/gpt-5"],
    "OpenAI o-series and GPT-3.5": ["openai/o1", "openai/o3-mini", "openai/gpt-3.5-turbo"],
    "Anthropic": ["anthropic/claude-3.5-sonnet", "anthropic/claude-sonnet-4.5"],
    "Google": ["google/gemini-2.0-flash-001", "google/gemini-2.5-pro"],
    "Meta": ["meta-llama/llama-3.1-8b-instruct", "meta-llama/llama-4-maverick"],
    "Mistral": ["mistralai/mistral-large", "mistralai/mistral-nemo"],
    "DeepSeek": ["deepseek/deepseek-chat", "deepseek/deepseek-r1"],
    "Qwen": ["qwen/qwen-2.5-72b-instruct", "qwen/qwen3-235b-a22b"],
    "xAI": ["x-ai/grok-3", "x-ai/grok-4"],
    "Z.ai": ["z-ai/glm-4.5", "z-ai/glm-4.6"],
    "Perplexity": ["perplexity/sonar", "perplexity/sonar-pro"],
    "embeddings": ["openai/text-embedding-3-small", "openai/text-embedding-3-large"],
    ":free": ["meta-llama/llama-3.3-70b-instruct:free", "openai/gpt-oss-20b:free"],
}


@pytest.mark.parametrize("family", FAMILIES)
def test_the_catalog_knows_the_main_families_with_real_facts(family: str) -> None:
    with OpenRouterEmulator() as emu:
        listed = {m["id"]: m for m in emu.catalog}
    for model_id in FAMILIES[family]:
        model = listed[model_id]
        prices = {k: Decimal(v) for k, v in model["pricing"].items()}
        if model_id.endswith(":free"):
            assert prices["prompt"] == prices["completion"] == 0
        else:
            assert prices["prompt"] > 0, model_id
        assert model["context_length"] >= 4096
        assert model["architecture"]["input_modalities"], model_id
        if family == "embeddings":
            assert model["architecture"]["output_modalities"] == ["embeddings"]
        else:
            assert "max_tokens" in model["supported_parameters"], model_id
    assert listed["openai/gpt-4o"]["pricing"]["prompt"] == "0.0000025"


def test_the_override_model_of_the_langchain_suite_answers_as_itself() -> None:
    with OpenRouterEmulator() as emu, _client(emu) as client:
        answer = client.chat.completions.create(
            model="openai/gpt-4o", messages=[{"role": "user", "content": "Hello"}]
        )
    assert answer.model.startswith("openai/gpt-4o")


# --- the shipped snapshot ----------------------------------------------------------------------


def test_the_snapshot_is_dated_and_is_what_the_emulator_serves() -> None:
    snapshot = bundled_snapshot()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", snapshot.date)
    assert snapshot.source
    assert len(snapshot.models) > 500
    with OpenRouterEmulator() as emu:
        assert {m["id"] for m in emu.catalog} == snapshot.ids()


def test_the_catalog_never_lists_a_model_the_emulator_rejects() -> None:
    with OpenRouterEmulator() as emu, _client(emu) as client:
        listed = client.get(
            "/models", cast_to=object, options={"params": {"output_modalities": "all"}}
        )
        for model in listed["data"]:  # type: ignore[index]
            outputs = model["architecture"]["output_modalities"]
            if "embeddings" in outputs:
                client.embeddings.create(model=model["id"], input="x")
            else:
                client.chat.completions.create(
                    model=model["id"], messages=[{"role": "user", "content": "x"}], max_tokens=8
                )
        assert emu.errors == []


@pytest.fixture
def openrouter_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every download of the model catalog fails as it does offline (never the network)."""

    def unreachable(self: CatalogStore) -> list[Any]:
        raise ProviderError("openrouter.ai cannot be reached from the tests")

    monkeypatch.setattr(CatalogStore, "_download", unreachable)


@pytest.mark.usefixtures("openrouter_unreachable")
def test_offline_and_uncached_the_catalog_falls_back_on_the_dated_snapshot() -> None:
    # OpenRouter's own API cannot be reached; the disk cache is off.
    catalog = ModelCatalog(disk_cache=False, max_retries=0)
    with pytest.warns(StaleCatalogWarning, match=bundled_snapshot().date):
        info = catalog.get("openai/gpt-4o")
    assert info.pricing.prompt == Decimal("0.0000025")
    assert catalog.estimate_cost("openai/gpt-4o", 1_000, 1_000) == Decimal("0.0125")
    assert catalog.peek("claude-haiku-4.5") is not None  # what the budget guard reads


@pytest.mark.usefixtures("openrouter_unreachable")
def test_offline_the_budget_guard_prices_from_the_snapshot() -> None:
    from openrouter_core import default_catalog

    shared = default_catalog()  # OpenRouter's own API, unreachable from the tests
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StaleCatalogWarning)
            shared.load()
        llm = ChatOpenRouter(model="openai/gpt-4o", api_key="k", max_tokens=100_000, max_retries=0)
        with track_usage(max_cost=Decimal("0.01")), pytest.raises(BudgetExceededError):
            llm.invoke("This would cost up to a dollar.")  # refused before anything is sent
    finally:
        shared.clear()  # the shared catalog outlives the test


def test_the_refresh_script_builds_the_snapshot_from_a_real_models_response(
    wire: Any, tmp_path: Path
) -> None:
    source = wire.path("models_list_2025_07.response.json")
    out = tmp_path / "snapshot.json"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "refresh_catalog.py"),
            "--from",
            str(source),
            "--date",
            "2025-07-29",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    snapshot = read_snapshot(out)
    real = wire.json("models_list_2025_07.response.json")["data"]
    assert snapshot.date == "2025-07-29"
    assert snapshot.ids() == {m["id"] for m in real}
    by_id = {m["id"]: m for m in snapshot.models}
    for model in real:
        kept = by_id[model["id"]]
        for key in ("pricing", "context_length", "architecture", "supported_parameters"):
            assert kept[key] == model[key]
    # An emulator serving that file lists exactly those models.
    with OpenRouterEmulator(models=snapshot.entries()) as emu:
        assert {m["id"] for m in emu.catalog} == snapshot.ids()


def test_a_refresh_keeps_models_only_an_older_response_lists(tmp_path: Path) -> None:
    new = {"data": [{"id": "acme/b", "name": "B", "pricing": {"prompt": "1"}}]}
    old = {"data": [{"id": "acme/a", "name": "A"}, {"id": "acme/b", "name": "old B"}]}
    snapshot = build_snapshot([new, old], date="2026-01-02", source="test")
    assert [m["name"] for m in snapshot.models] == ["A", "B"]
    assert read_snapshot(write_snapshot(snapshot, tmp_path / "s.json")) == snapshot
    with pytest.raises(ValueError, match="no models"):
        build_snapshot([{"data": []}], date="2026-01-02", source="test")
    assert SNAPSHOT_PATH.is_file()


# --- refusals as OpenRouter gives them --------------------------------------------------------


def test_a_prompt_over_the_context_window_is_refused_with_the_documented_400() -> None:
    prompt = "word " * 600_000
    with OpenRouterEmulator() as emu:
        llm = ChatOpenRouter(
            model="openai/gpt-4o-mini", base_url=emu.base_url, api_key="k", max_retries=0
        )
        with pytest.raises(ContextLengthExceededError) as refused:
            llm.invoke(prompt)
        assert emu.charges == []
    error = refused.value
    assert error.status_code == 400
    assert re.match(
        r"This endpoint's maximum context length is 128000 tokens\. However, you requested "
        r"about \d+ tokens \(\d+ of text input\)",
        error.message,
    )
    assert error.metadata["previous_errors"][0]["code"] == 400


def test_a_huge_embeddings_input_is_refused_the_same_way() -> None:
    with OpenRouterEmulator() as emu:
        embeddings = OpenRouterEmbeddings(
            model="openai/text-embedding-3-small", base_url=emu.base_url, api_key="k"
        )
        with pytest.raises(ContextLengthExceededError, match="maximum context length is 8192"):
            embeddings.embed_query("word " * 100_000)
        assert emu.charges == []


def test_a_tool_the_upstream_rejects_is_relayed_as_provider_returned_error() -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "bad tool!",
            "parameters": {"type": "object", "properties": {"city": {"type": "strin"}}},
        },
    }
    with OpenRouterEmulator() as emu:
        llm = ChatOpenRouter(
            model="anthropic/claude-haiku-4.5", base_url=emu.base_url, api_key="k", max_retries=0
        )
        with pytest.raises(BadRequestError) as refused:
            llm.bind_tools([tool]).invoke("Weather in Paris?")
        good_name = {**tool, "function": {**tool["function"], "name": "weather"}}
        with pytest.raises(BadRequestError) as bad_type:
            llm.bind_tools([good_name]).invoke("Weather in Paris?")
    assert refused.value.message == "Provider returned error"
    assert refused.value.provider_name == "Amazon Bedrock"
    assert "bad tool!" in json.dumps(refused.value.raw)
    assert "strin" in json.dumps(bad_type.value.raw)


# --- embeddings that mean something ----------------------------------------------------------


def test_offline_embeddings_rank_the_passage_that_shares_the_query_words_first() -> None:
    passages = [
        "Paris is the capital of France.",
        "OpenRouter is one API that routes requests to hundreds of AI models.",
        "Bees make honey from the nectar of flowers.",
    ]
    with OpenRouterEmulator() as emu:
        embeddings = OpenRouterEmbeddings(
            model="openai/text-embedding-3-small", base_url=emu.base_url, api_key="k"
        )
        vectors = embeddings.embed_documents(passages)
        query = embeddings.embed_query("What does OpenRouter route requests to?")
        again = embeddings.embed_query("What does OpenRouter route requests to?")
    scores = [sum(a * b for a, b in zip(query, v, strict=True)) for v in vectors]
    assert max(range(3), key=scores.__getitem__) == 1
    assert query == again


def test_the_demo_similarity_step_ranks_the_bees_sentence_last(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sys.path.insert(0, str(ROOT))
    try:
        import demo
    finally:
        sys.path.remove(str(ROOT))
    with OpenRouterEmulator() as emu:
        monkeypatch.setenv("OPENROUTER_API_KEY", "k")
        monkeypatch.setenv("OPENROUTER_BASE_URL", emu.base_url)
        demo._embeddings("openai/text-embedding-3-small")
    ranked = [line for line in capsys.readouterr().out.splitlines() if re.match(r"\s+[+-]\d", line)]
    assert len(ranked) == 3
    assert "Bees" in ranked[-1]


# --- the serve command -------------------------------------------------------------------------


def test_serve_runs_in_the_foreground_prints_the_export_line_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    replies_file = tmp_path / "replies.json"
    replies_file.write_text(json.dumps([{"reply": "text", "content": "scripted hello"}]))
    catalog_file = tmp_path / "models.json"
    catalog_file.write_text(
        json.dumps(
            {"data": [m for m in bundled_snapshot().entries() if m["id"] == "openai/gpt-4o-mini"]}
        )
    )
    command = [sys.executable, "-m", "openrouter_core.testing", "serve", "--port", "0"]
    command += ["--replies", str(replies_file), "--catalog", str(catalog_file)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        export = process.stdout.readline().strip()
        assert first.startswith("OpenRouter emulator serving at http://127.0.0.1:")
        base_url = export.removeprefix("export OPENROUTER_BASE_URL=")
        assert export.startswith("export OPENROUTER_BASE_URL=")
        assert base_url in first
        with openai.OpenAI(base_url=base_url, api_key="k", max_retries=0) as client:
            answer = client.chat.completions.create(
                model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
            assert answer.choices[0].message.content == "scripted hello"
            listed = client.get("/models", cast_to=object)
            assert [m["id"] for m in listed["data"]] == ["openai/gpt-4o-mini"]  # type: ignore[index]
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "emulator stopped" in out
    assert "Traceback" not in err


def test_serve_rejects_a_bad_replies_file(tmp_path: Path) -> None:
    bad = tmp_path / "replies.json"
    bad.write_text(json.dumps([{"reply": "sing"}]))
    result = subprocess.run(
        [sys.executable, "-m", "openrouter_core.testing", "serve", "--replies", str(bad)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert "unknown reply kind 'sing'" in result.stderr


# --- one job per module ------------------------------------------------------------------------


def test_the_emulator_is_split_by_job() -> None:
    testing = ROOT / "openrouter_core" / "testing"
    for job in ("_emulator", "_chat", "_embeddings", "_billing", "_listing", "_keys", "_catalog"):
        assert (testing / f"{job}.py").is_file(), job
    for path in testing.glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 600, path.name
    source = (testing / "_emulator.py").read_text(encoding="utf-8")
    start = source.index("class OpenRouterEmulator")
    assert len(source[start:].splitlines()) <= 400
