"""The benchmark harness runs end to end in quick mode (its numbers are not asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_quick_benchmark_runs_and_checks_answers(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = out.read_text()
    for measure in (
        "call CPU, sync",
        "call CPU, async",
        "stream CPU, sync",
        "stream CPU, async",
        "500 concurrent",
        "import over framework",
        "framework alone, import",
        "second instance",
        "memory growth",
    ):
        assert f"| {measure}" in text
    assert "| openai SDK |" in text
    assert "| ChatOpenRouter |" in text
    assert "| OpenRouter (LlamaIndex) |" in text
    assert "versions:" in text
    # The import baselines are named, and importing our classes does not load the openai SDK.
    assert "import BaseChatModel" in text
    assert "import FunctionCallingLLM" in text
    assert "imported the openai SDK" not in text
