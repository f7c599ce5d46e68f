"""The saved notebooks in ``notebooks/``: offline set-up first, outputs kept, one cassette each.

``make notebooks`` (part of ``make test``) executes them with nbmake; these checks cover what
an execution does not: that the saved files read well on GitHub (outputs present, no error or
warning in them) and that each replays its own cassette.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CASSETTES = ROOT / "cassettes" / "notebooks"


def _read(path: Path) -> Any:
    return nbformat.read(path, as_version=4)


def test_the_three_notebooks_and_their_cassettes() -> None:
    names = {p.stem for p in NOTEBOOKS}
    assert names == {"langchain_quickstart", "llamaindex_agent", "cost_and_caching"}
    assert {p.stem for p in CASSETTES.glob("*.yaml")} == names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_first_cell_is_the_hidden_offline_setup(path: Path) -> None:
    first = _read(path).cells[0]
    assert first.cell_type == "code"
    assert "hide-cell" in first.metadata["tags"]
    assert first.metadata["jupyter"]["source_hidden"] is True
    assert f'_offline.setup("{path.stem}")' in first.source
    # No other cell touches the set-up: the rest is what a user would write.
    assert all("_offline" not in cell.source for cell in _read(path).cells[1:])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_saved_with_clean_outputs_in_order(path: Path) -> None:
    nbformat.validate(_read(path))
    code = [cell for cell in _read(path).cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    for cell in code:
        assert cell.outputs, f"no saved output for:\n{cell.source}"
        for output in cell.outputs:
            assert output.output_type != "error", output
            assert output.get("name") != "stderr", output.text
