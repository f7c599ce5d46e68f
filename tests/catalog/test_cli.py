"""``python -m openrouter_core``: tables, cost breakdowns and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from catalog_support import ScriptedEmulator, models_requests

from openrouter_core.cli import main


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env}
    for name in ("OPENROUTER_API_KEY",):
        if name not in env:
            full_env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "openrouter_core", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def cli_env(emu, tmp_path: Path) -> dict[str, str]:
    return {"OPENROUTER_BASE_URL": emu.base_url, "OPENROUTER_CACHE_DIR": str(tmp_path / "cli")}


@pytest.fixture
def in_process(emu, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OPENROUTER_BASE_URL", emu.base_url)
    monkeypatch.setenv("OPENROUTER_CACHE_DIR", str(tmp_path / "cli"))


def _column_ends(header: str, name: str) -> int:
    return header.index(name) + len(name)


def test_models_prints_an_aligned_table(cli_env, emu) -> None:
    result = run_cli("models", "--supports", "tools", "--sort", "price", env=cli_env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    header, *rows = result.stdout.splitlines()
    assert header.split() == [
        "MODEL",
        "CONTEXT",
        "MAX",
        "OUT",
        "$/M",
        "IN",
        "$/M",
        "OUT",
        "CAPABILITIES",
    ]
    assert [row.split()[0] for row in rows] == [
        "bolt/fast:free",
        "dup/small",
        "acme/small",
        "bolt/fast",
        "acme/large",
        "acme/router",
    ]
    # Numbers are right-aligned under their headers; the capabilities column starts at one place.
    price_end = _column_ends(header, "$/M IN")
    context_end = _column_ends(header, "CONTEXT")
    caps_start = header.index("CAPABILITIES")
    prices = {row.split()[0]: row[price_end - 6 : price_end].strip() for row in rows}
    assert prices["dup/small"] == "0.05"
    assert prices["acme/large"] == "2.00"
    assert prices["acme/router"] == "varies"
    assert rows[4][context_end - 7 : context_end] == "200,000"
    assert rows[4][caps_start:] == "tools,json,reasoning,vision,pdf"
    assert len(models_requests(emu)) == 1


def test_models_filters(in_process, capsys) -> None:
    assert main(["models", "--max-price", "0.5", "--no-free"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert [line.split()[0] for line in rows] == ["acme/small", "bolt/fast"]
    assert main(["models", "--search", "small", "--max-input-price", "0.06"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert [line.split()[0] for line in rows] == ["dup/small"]
    assert main(["models", "--output", "embeddings"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert [line.split()[0] for line in rows] == ["acme/embed"]
    assert main(["models", "--supports", "tools", "--supports", "vision,pdf"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert [line.split()[0] for line in rows] == ["acme/large"]


def test_cost_prints_the_breakdown_and_total(cli_env) -> None:
    result = run_cli("cost", "fast", "--input", "3,000", "--output", "1000", env=cli_env)
    assert result.returncode == 0, result.stderr
    # 3,000 x $0.50/M = 0.0015; 1,000 x $0.50/M = 0.0005; request 0.0001 -> 0.0021
    assert result.stdout.splitlines() == [
        "model    bolt/fast",
        "input    3,000 tokens at $0.50/M = $0.0015",
        "output   1,000 tokens at $0.50/M = $0.0005",
        "request  $0.0001",
        "total    $0.0021",
    ]


def test_cost_of_an_unlisted_free_variant_is_the_base_price(in_process, capsys) -> None:
    assert main(["cost", "acme/small", "--input", "1000", "--output", "1000"]) == 0
    base = capsys.readouterr().out
    assert main(["cost", "acme/small:free", "--input", "1000", "--output", "1000"]) == 0
    free = capsys.readouterr().out
    assert free == base
    assert free.splitlines()[0].split() == ["model", "acme/small"]
    assert free.splitlines()[-1].split() != ["total", "$0"]


def test_cost_with_cache_and_reasoning(in_process, capsys) -> None:
    args = ["--input", "10000", "--output", "1000", "--cached", "6000", "--cache-write", "2000"]
    code = main(["cost", "acme/large", *args])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].split() == ["total", "$0.0182"]
    assert "cached       6,000 tokens at $0.20/M = $0.0012" in lines
    assert "cache write  2,000 tokens at $2.50/M = $0.005" in lines
    assert (
        main(["cost", "thinker", "--input", "1000", "--output", "3000", "--reasoning", "2000"]) == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert "output     1,000 tokens at $4.00/M = $0.004" in lines
    assert "reasoning  2,000 tokens at $2.00/M = $0.004" in lines
    assert lines[-1].split() == ["total", "$0.009"]


def test_errors_are_one_line_with_exit_codes(cli_env) -> None:
    result = run_cli("cost", "small", "--input", "1", "--output", "1", env=cli_env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: 'small' matches several models: acme/small, dup/small; "
        "use the full 'author/slug' id"
    ]


def test_more_errors_in_process(in_process, capsys, emu) -> None:
    assert main(["models", "--supports", "tool"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert err.startswith("error: unknown capability 'tool'")
    with pytest.raises(SystemExit) as exit_info:  # argparse usage error
        main(["cost", "acme/small", "--input", "-5", "--output", "1"])
    assert exit_info.value.code == 2
    assert "a token count must be >= 0" in capsys.readouterr().err
    assert main(["cost", "acme/router", "--input", "1", "--output", "1"]) == 1
    assert capsys.readouterr().err == (
        "error: acme/router lists no token prices (its cost depends on routing)\n"
    )
    assert main(["cost", "acme/small", "--input", "1", "--output", "1", "--cached", "2"]) == 2
    assert "exceed input_tokens" in capsys.readouterr().err
    assert main(["models", "--search", "zzz"]) == 1
    assert capsys.readouterr().err == "no models match\n"
    assert main(["models", "--min-context", "10000000"]) == 1


def test_unreachable_without_cache_is_one_clear_line(monkeypatch, capsys, tmp_path) -> None:
    server = ScriptedEmulator()
    server.models_status = 503
    with server:
        monkeypatch.setenv("OPENROUTER_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENROUTER_CACHE_DIR", str(tmp_path))
        assert main(["models", "--max-retries", "0"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: the OpenRouter model catalog is unavailable")


def test_stale_cache_prints_a_warning_line(emu, monkeypatch, capsys, tmp_path) -> None:
    monkeypatch.setenv("OPENROUTER_BASE_URL", emu.base_url)
    monkeypatch.setenv("OPENROUTER_CACHE_DIR", str(tmp_path))
    assert main(["models", "--limit", "1"]) == 0
    capsys.readouterr()
    cache = next(tmp_path.glob("models-*.json"))
    # age the cached copy by two hours, then make OpenRouter unreachable
    data = json.loads(cache.read_text())
    data["fetched_at"] -= 7200
    cache.write_text(json.dumps(data))
    emu.stop()
    assert main(["models", "--limit", "2", "--max-retries", "0"]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 3
    (warning,) = captured.err.splitlines()
    assert warning.startswith("warning: could not refresh the OpenRouter model catalog")
    assert warning.endswith("using the cached copy from 2 h ago")


def test_endpoints_command(openrouter_emulator, monkeypatch, capsys) -> None:
    monkeypatch.setenv("OPENROUTER_BASE_URL", openrouter_emulator.base_url)
    assert main(["endpoints", "claude-haiku-4.5"]) == 0
    title, header, *rows = capsys.readouterr().out.splitlines()
    assert title == "anthropic/claude-haiku-4.5 (Anthropic: Claude Haiku 4.5)"
    assert header.split()[:2] == ["PROVIDER", "TAG"]
    assert [r.split("  ")[0] for r in rows] == ["Amazon Bedrock", "Anthropic"]
    assert "99.8%" in rows[0]


def test_key_command(openrouter_emulator, cli_env) -> None:
    env = {**cli_env, "OPENROUTER_BASE_URL": openrouter_emulator.base_url}
    result = run_cli("key", env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert "no OpenRouter API key is configured" in result.stderr
    assert "OPENROUTER_API_KEY" in result.stderr
    key = "sk-or-v1-cli-0123456789abcdef"
    result = run_cli("key", env={**env, "OPENROUTER_API_KEY": key})
    assert result.returncode == 0, result.stderr
    lines = dict(line.split("  ", 1) for line in result.stdout.splitlines())
    assert lines["limit"].strip() == "unlimited"
    assert lines["usage"].strip() == "$0"
    assert key not in result.stdout  # OpenRouter's label is a masked form of the key
