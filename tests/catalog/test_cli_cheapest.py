"""``python -m openrouter_core``: ``cheapest``, prompts as text, ``--json``, ``--free``, help.

The fixture catalog's prices (``catalog_support.FIXTURE_MODELS``) make every number checkable
by hand; ``tests/catalog/test_cheapest.py`` checks the same numbers through the library.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from openrouter_core import __version__
from openrouter_core.accounting import estimate_prompt_tokens
from openrouter_core.catalog import CAPABILITIES, CAPABILITY_ALIASES
from openrouter_core.cli import main


@pytest.fixture
def in_process(emu, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OPENROUTER_BASE_URL", emu.base_url)
    monkeypatch.setenv("OPENROUTER_CACHE_DIR", str(tmp_path / "cli"))


def run_cli(*args: str, base_url: str, cache: Path, stdin: str | None = None, **env: str):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("OPENROUTER_")}
    full_env.update(OPENROUTER_BASE_URL=base_url, OPENROUTER_CACHE_DIR=str(cache), **env)
    return subprocess.run(
        [sys.executable, "-m", "openrouter_core", *args],
        env=full_env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def table(out: str) -> list[list[str]]:
    """Rows of a table, split on runs of two or more spaces (the header first)."""
    return [[c.strip() for c in line.split("  ") if c.strip()] for line in out.splitlines()]


def _json(capsys: pytest.CaptureFixture[str]) -> Any:
    return json.loads(capsys.readouterr().out)


# --------------------------------------------------------------------------- bare, help, version


def test_run_bare_it_prints_its_help(capsys) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m openrouter_core")
    for command in ("models", "cheapest", "cost", "endpoints", "key"):
        assert f"\n    {command}" in out


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"openrouter_core {__version__}\n"


@pytest.mark.parametrize("command", ["models", "cheapest"])
def test_supports_help_lists_every_accepted_capability(command: str, capsys) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    help_line = text[text.index("--supports CAP") :]
    for name in [*CAPABILITIES, *CAPABILITY_ALIASES]:
        assert name in help_line, name
    assert "request parameter" in help_line


# --------------------------------------------------------------------------- models


def test_models_takes_the_search_words_as_an_argument(in_process, capsys) -> None:
    assert main(["models", "small"]) == 0
    positional = capsys.readouterr().out
    assert main(["models", "--search", "small"]) == 0
    assert capsys.readouterr().out == positional
    assert [row[0] for row in table(positional)[1:]] == ["acme/small", "dup/small"]
    assert main(["models", "acme", "--search", "small"]) == 0  # both: every word must match
    assert [row[0] for row in table(capsys.readouterr().out)[1:]] == ["acme/small"]
    assert main(["models", "acme", "small"]) == 0  # several words, unquoted
    assert [row[0] for row in table(capsys.readouterr().out)[1:]] == ["acme/small"]


def test_models_free(in_process, capsys) -> None:
    assert main(["models", "--free"]) == 0
    assert [row[0] for row in table(capsys.readouterr().out)[1:]] == ["bolt/fast:free"]
    with pytest.raises(SystemExit) as exit_info:
        main(["models", "--free", "--no-free"])
    assert exit_info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


# --------------------------------------------------------------------------- cheapest


def test_cheapest_ranks_within_a_per_request_limit(in_process, capsys) -> None:
    # As in test_cheapest: a 10,000-token prompt, 1,000 output tokens, worst case <= $0.003.
    args = ["cheapest", "--supports", "tools", "--no-free", "--input", "10,000"]
    assert main([*args, "--max-cost", "0.003"]) == 0
    assert table(capsys.readouterr().out) == [
        ["MODEL", "CONTEXT", "$/M IN", "$/M OUT", "ESTIMATE", "WORST CASE"],
        ["acme/small", "32,000", "0.10", "0.40", "$0.0014", "$0.0014"],
        ["dup/small", "16,000", "0.05", "1.00", "$0.0015", "$0.0015"],
    ]
    assert main([*args, "--limit", "1"]) == 0
    rows = table(capsys.readouterr().out)
    assert rows[1][0] == "acme/small"
    assert rows[-1] == ["... and 3 more (--limit)"]


def test_cheapest_free_and_json(in_process, capsys) -> None:
    assert main(["cheapest", "--free", "--json"]) == 0
    data = _json(capsys)
    assert data["model"] == "bolt/fast:free"
    assert (data["estimated_cost"], data["worst_case_cost"]) == ("0", "0")
    assert main(["cheapest", "--supports", "tools", "--no-free", "--input", "10000", "--json"]) == 0
    data = _json(capsys)
    assert data["model"] == "acme/small"
    assert data["fallback_models"] == ["dup/small", "bolt/fast"]
    assert data["fitting"] == 4
    assert [(c["id"], c["worst_case_cost"]) for c in data["candidates"]] == [
        ("acme/small", "0.0014"),
        ("dup/small", "0.0015"),
        ("bolt/fast", "0.0056"),
        ("acme/large", "0.033"),
    ]


def test_cheapest_with_a_prompt_from_text_or_file(in_process, capsys, catalog, tmp_path) -> None:
    prompt = "Summarise the minutes of the last meeting. " * 400
    path = tmp_path / "prompt.txt"
    path.write_text(prompt, encoding="utf-8")
    assert main(["cheapest", "--no-free", "--prompt", prompt, "--output", "300", "--json"]) == 0
    from_text = _json(capsys)
    assert main(["cheapest", "--no-free", "--file", str(path), "--output", "300", "--json"]) == 0
    assert _json(capsys) == from_text
    best = catalog.cheapest(include_free=False, prompt=prompt, output_tokens=300)
    assert from_text["model"] == best.id
    assert from_text["worst_case_cost"] == f"{best.worst_case_cost.normalize():f}"


def test_when_nothing_fits_cheapest_says_why_in_one_line(in_process, capsys) -> None:
    args = ["cheapest", "--supports", "tools,vision", "--input", "1000", "--max-cost", "0.001"]
    assert main(args) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("error: no priced model matches (supports=['tools,vision']")
    assert "1 support vision" in line
    assert "0 can cost at most $0.001 per request in the worst case" in line
    assert main(["cheapest", "--max-tokens", "10", "--output", "20"]) == 2
    assert "max_tokens" in capsys.readouterr().err


# --------------------------------------------------------------------------- cost


def test_cost_of_a_prompt_given_as_text_a_file_or_stdin(emu, tmp_path) -> None:
    prompt = "Translate into French: the cat sleeps on the warm windowsill all afternoon."
    tokens = estimate_prompt_tokens({"messages": [{"role": "user", "content": prompt}]})
    path = tmp_path / "prompt.txt"
    path.write_text(prompt, encoding="utf-8")
    base = {"base_url": emu.base_url, "cache": tmp_path / "cache"}
    by_text = run_cli("cost", "acme/small", "--prompt", prompt, "--output", "100", **base)
    assert by_text.returncode == 0, by_text.stderr
    prompt_cost = tokens * D("0.0000001")  # $0.10/M
    total = prompt_cost + 100 * D("0.0000004")  # 100 x $0.40/M
    assert by_text.stdout.splitlines() == [
        "model   acme/small",
        f"prompt  {len(prompt)} characters, estimated at {tokens} tokens",
        f"input   {tokens} tokens at $0.10/M = ${prompt_cost.normalize():f}",
        "output  100 tokens at $0.40/M = $0.00004",
        f"total   ${total.normalize():f}",
    ]
    by_file = run_cli("cost", "acme/small", "--file", str(path), "--output", "100", **base)
    by_stdin = run_cli("cost", "acme/small", "--file", "-", "--output", "100", stdin=prompt, **base)
    assert by_file.stdout == by_stdin.stdout == by_text.stdout
    missing = run_cli(
        "cost", "acme/small", "--file", str(tmp_path / "nope"), "--output", "1", **base
    )
    assert missing.returncode == 2
    assert missing.stderr.startswith(f"error: cannot read {tmp_path / 'nope'}")
    assert len(missing.stderr.splitlines()) == 1


def test_cost_needs_one_prompt(in_process, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["cost", "acme/small", "--output", "1"])
    assert exit_info.value.code == 2
    assert "one of the arguments --input --prompt --file is required" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["cost", "acme/small", "--input", "1", "--prompt", "hi", "--output", "1"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_cost_json_is_exact(in_process, capsys) -> None:
    args = ["--input", "10000", "--output", "1000", "--cached", "6000", "--cache-write", "2000"]
    assert main(["cost", "acme/large", *args, "--json"]) == 0
    assert _json(capsys) == {
        "model": "acme/large",
        "input_tokens": 10_000,
        "output_tokens": 1_000,
        "cached_tokens": 6_000,
        "cache_write_tokens": 2_000,
        "reasoning_tokens": 0,
        "prompt_characters": None,
        "parts": {
            "input": "0.004",
            "cache_read": "0.0012",
            "cache_write": "0.005",
            "output": "0.008",
            "reasoning": "0",
            "request": "0",
        },
        "total": "0.0182",
    }


# --------------------------------------------------------------------------- --json everywhere


def test_every_command_prints_json(openrouter_emulator, tmp_path) -> None:
    base = {"base_url": openrouter_emulator.base_url, "cache": tmp_path / "cache"}
    models = run_cli("models", "claude-haiku-4.5", "--json", **base)
    assert models.returncode == 0, models.stderr
    listed = json.loads(models.stdout)
    assert "anthropic/claude-haiku-4.5" in [m["id"] for m in listed]
    assert all("pricing" in m for m in listed)  # OpenRouter's own model objects

    endpoints = run_cli("endpoints", "anthropic/claude-haiku-4.5", "--json", **base)
    assert endpoints.returncode == 0, endpoints.stderr
    data = json.loads(endpoints.stdout)
    assert data["id"] == "anthropic/claude-haiku-4.5"
    assert data["endpoints"]
    assert all("provider_name" in e for e in data["endpoints"])

    key = run_cli("key", "--json", OPENROUTER_API_KEY="sk-or-v1-cli-0123456789abcdef", **base)
    assert key.returncode == 0, key.stderr
    assert {"label", "limit", "usage"} <= set(json.loads(key.stdout))
    assert "sk-or-v1-cli-0123456789abcdef" not in key.stdout

    for command in (
        ["cost", "anthropic/claude-haiku-4.5", "--input", "10", "--output", "10"],
        ["cheapest", "--supports", "tools"],
    ):
        result = run_cli(*command, "--json", **base)
        assert result.returncode == 0, result.stderr
        assert isinstance(json.loads(result.stdout), dict)
