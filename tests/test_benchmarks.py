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
        "call CPU",
        "stream CPU, sync",
        "stream CPU, async",
        "500 concurrent",
        "second instance",
    ):
        assert measure in text
    assert "| openai SDK |" in text
    assert "versions:" in text
