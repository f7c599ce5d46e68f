"""Every Python block in README.md runs, against the emulator, exactly as a user would paste it.

Blocks in one ``##`` section share a namespace and run top to bottom. The environment is set
up as a user's would be (``OPENROUTER_API_KEY`` and ``OPENROUTER_BASE_URL``), pointing at a
local emulator, so examples stay free of test scaffolding. A block directly preceded by an
HTML comment starting with ``<!-- not-run`` is skipped; the comment says why.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from openrouter_core.testing import OpenRouterEmulator

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(r"(<!--\s*not-run[^>]*-->\s*)?```python\n(.*?)```", re.DOTALL)


def _sections() -> list[tuple[str, list[str]]]:
    text = README.read_text(encoding="utf-8")
    sections: list[tuple[str, list[str]]] = []
    for part in re.split(r"(?m)^## ", text)[1:]:
        title = part.splitlines()[0].strip()
        blocks = [code for skip, code in _BLOCK.findall(part) if not skip]
        if blocks:
            sections.append((title, blocks))
    return sections


@pytest.mark.parametrize(("title", "blocks"), _sections(), ids=[t for t, _ in _sections()])
def test_readme_section_runs(
    title: str, blocks: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with OpenRouterEmulator() as emu:
        monkeypatch.setenv("OPENROUTER_API_KEY", "emulator-key")
        monkeypatch.setenv("OPENROUTER_BASE_URL", emu.base_url)
        monkeypatch.chdir(tmp_path)
        namespace: dict[str, object] = {"__name__": "__readme__"}
        for index, code in enumerate(blocks):
            compiled = compile(code, f"README.md[{title}#{index}]", "exec")
            exec(compiled, namespace)  # noqa: S102 - the README is ours; running it is the test
