"""``make demo`` (``demo.py``): run as a user runs it, in a subprocess, offline and failing.

The offline run must work on a fresh clone: no key, no network, its first line saying so, and
the usage table at the end. The failure runs point the demo at an emulator that has run out of
credit, through the same ``OPENROUTER_API_KEY``/``OPENROUTER_BASE_URL`` settings a user has.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pydantic
import pytest

from openrouter_core.catalog import ModelCatalog
from openrouter_core.testing import OpenRouterEmulator, replies

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo.py"


def _run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENROUTER_")}
    clean["OPENROUTER_CACHE_DIR"] = str(tmp_path / "cache")
    clean.update(env)
    return subprocess.run(
        [sys.executable, str(DEMO), *args],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def _table_rows(stdout: str) -> dict[str, list[str]]:
    """The usage table's rows, by model (the first column)."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("model "))
    assert lines[start].split()[:3] == ["model", "provider", "requests"]
    return {line.split()[0]: line.split() for line in lines[start + 2 :] if line[:1].isalnum()}


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    return _run(tmp_path_factory.mktemp("demo"))


def test_offline_demo_says_so_first_and_exits_zero(
    offline: subprocess.CompletedProcess[str],
) -> None:
    assert offline.returncode == 0, offline.stderr
    assert offline.stdout.splitlines()[0].startswith("Running OFFLINE")
    assert offline.stderr == ""


def test_offline_demo_runs_every_step_in_order(offline: subprocess.CompletedProcess[str]) -> None:
    out = offline.stdout
    headers = [line for line in out.splitlines() if line.startswith("[")]
    assert [h.split("]")[0] for h in headers] == ["[1/5", "[2/5", "[3/5", "[4/5", "[5/5"]
    # The agent loops called their tools and answered from the results.
    assert "tool call: get_weather({'city': 'Paris'})" in out
    assert "It is 18 degrees and sunny in Paris." in out
    assert "tool call: multiply({'a': 12, 'b': 7}) -> 84" in out
    # Structured output came back as the pydantic model, not as text.
    assert "Film(title='The Matrix', year=1999, director='Lana Wachowski')" in out
    # Three documents ranked by cosine similarity.
    assert len(re.findall(r"(?m)^  [+-][01]\.\d{3}  ", out)) == 3


def test_offline_demo_ends_with_the_usage_table(offline: subprocess.CompletedProcess[str]) -> None:
    rows = _table_rows(offline.stdout)
    chat = next(row for model, row in rows.items() if model.startswith("openai/gpt-4o-mini"))
    embed = next(row for model, row in rows.items() if "text-embedding-3-small" in model)
    total = rows["total"]
    # chain 1 + LangChain agent 2 + structured 1 + LlamaIndex agent 2 calls; 2 embedding calls
    assert (chat[2], embed[2], total[1]) == ("6", "2", "8")
    assert Decimal(total[-1]) == Decimal(chat[-1]) + Decimal(embed[-1]) > 0
    assert offline.stdout.rstrip().splitlines()[-1].startswith("total")


def test_out_of_credits_is_one_line_and_a_nonzero_exit(tmp_path: Path) -> None:
    with OpenRouterEmulator(credit_limit=Decimal(0)) as emu:
        result = _run(
            tmp_path,
            "--model",
            "anthropic/claude-haiku-4.5",
            OPENROUTER_API_KEY="user-key",
            OPENROUTER_BASE_URL=emu.base_url,
        )
        requested = [body["model"] for body in emu.chat_requests]

    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == (
        f"Running against OpenRouter at {emu.base_url} (OPENROUTER_API_KEY is set)."
    )
    (line,) = result.stderr.splitlines()
    assert line.startswith(
        "demo failed: your key is out of credits (HTTP 402): "
        "add credits at https://openrouter.ai/settings/credits, "
        "or try a free model: python demo.py --model "
    )
    assert requested == ["anthropic/claude-haiku-4.5"]  # --model is used; 402 is not retried
    assert "user-key" not in result.stdout + result.stderr


def _suggested(stderr: str) -> dict[str, str]:
    """The options a failure line suggests (``--model X [--embedding-model Y]``)."""
    words = stderr.split("python demo.py ", 1)[1].split()
    return dict(zip(words[::2], words[1::2], strict=True))


@pytest.mark.parametrize("how", ["credits exhausted", "scripted 402"])
def test_out_of_credits_names_a_free_model_of_the_catalog_at_hand(tmp_path: Path, how: str) -> None:
    limit = Decimal(0) if how == "credits exhausted" else None
    with OpenRouterEmulator(credit_limit=limit) as emu:
        if how == "scripted 402":
            emu.enqueue(replies.error(402, "Insufficient credits"))
        result = _run(tmp_path, OPENROUTER_API_KEY="user-key", OPENROUTER_BASE_URL=emu.base_url)
        catalog = ModelCatalog(base_url=emu.base_url, disk_cache=False)
        free_chat = {m.id for m in catalog.search(free=True)}
        free_embed = {m.id for m in catalog.search(free=True, output="embeddings")}
        agents = {m.id for m in catalog.search(free=True, supports="tools,structured_outputs")}

    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert "out of credits (HTTP 402)" in line
    options = _suggested(line)
    # A model that costs nothing, from the emulator's own catalog, able to run the demo's
    # agents when the catalog has one that calls tools and returns structured output.
    assert options["--model"] in free_chat
    assert options["--model"] in (agents or free_chat)
    assert options.get("--embedding-model") in (free_embed or {None})


def test_no_free_model_is_suggested_when_the_demo_already_used_it(tmp_path: Path) -> None:
    with OpenRouterEmulator() as emu:
        settings = {"OPENROUTER_API_KEY": "user-key", "OPENROUTER_BASE_URL": emu.base_url}
        emu.enqueue(replies.error(402, "Insufficient credits"))
        first = _suggested(_run(tmp_path, **settings).stderr)["--model"]
        emu.enqueue(replies.error(402, "Insufficient credits"))
        again = _run(tmp_path, "--model", first, **settings)
    assert again.stderr.splitlines() == [
        "demo failed: your key is out of credits (HTTP 402): "
        "add credits at https://openrouter.ai/settings/credits"
    ]


def test_a_failure_midway_still_reports_what_was_spent(tmp_path: Path) -> None:
    # Enough credit for the first call only: the chain streams, the agent's call gets a 402.
    with OpenRouterEmulator(credit_limit=Decimal("0.00001")) as emu:
        result = _run(tmp_path, OPENROUTER_API_KEY="user-key", OPENROUTER_BASE_URL=emu.base_url)
        spent = emu.total_cost

    assert result.returncode == 1
    assert "[2/5]" in result.stdout
    assert "[3/5]" not in result.stdout
    rows = _table_rows(result.stdout)
    assert rows["total"][1] == "1"
    assert Decimal(rows["total"][-1]) == spent > 0
    assert "out of credits" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def _load_demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_under_test", DEMO)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _failed_run(tmp_path: Path, reply: Any) -> subprocess.CompletedProcess[str]:
    with OpenRouterEmulator() as emu:
        emu.enqueue(reply)
        return _run(tmp_path, OPENROUTER_API_KEY="user-key", OPENROUTER_BASE_URL=emu.base_url)


def test_a_rejected_key_is_one_line(tmp_path: Path) -> None:
    result = _failed_run(tmp_path, replies.error(401, "User not found."))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "demo failed: OpenRouter rejected the key (HTTP 401): check OPENROUTER_API_KEY"
    ]
    assert "user-key" not in result.stdout + result.stderr


def test_a_multiline_error_message_is_printed_on_one_line(tmp_path: Path) -> None:
    message = "upstream said:\n  bad gateway\n\n\tTraceback (most recent call last):\n  ...\n"
    result = _failed_run(tmp_path, replies.error(422, message))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "demo failed: OpenRouter answered HTTP 422: "
        "upstream said: bad gateway Traceback (most recent call last): ..."
    ]


def test_a_very_long_error_message_is_cut(tmp_path: Path) -> None:
    result = _failed_run(tmp_path, replies.error(422, "word " * 2000))
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("demo failed: OpenRouter answered HTTP 422: word word")
    assert line.endswith("...")
    assert len(line) <= len("demo failed: ") + 300


class _Film(pydantic.BaseModel):
    year: int


@pytest.mark.parametrize(
    "make_error",
    [
        pytest.param(lambda: _Film.model_validate({"year": "nineteen"}), id="validation-error"),
        pytest.param(lambda: _raise(RuntimeError("first line\nsecond line\n")), id="other"),
        pytest.param(lambda: _raise(KeyError("a\nb")), id="key-error"),
        pytest.param(lambda: _raise(ValueError("")), id="empty-message"),
    ],
)
def test_any_other_failure_reason_is_one_line(make_error: Callable[[], object]) -> None:
    demo = _load_demo()
    with pytest.raises(Exception) as info:
        make_error()
    reason = demo._reason(info.value)
    assert "\n" not in reason
    assert reason == " ".join(reason.split())
    assert 0 < len(reason) <= demo.MAX_REASON
    assert reason.startswith(type(info.value).__name__)


def _raise(error: Exception) -> None:
    raise error
