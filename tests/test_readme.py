"""Every Python block in README.md runs, against the emulator, exactly as a user would paste it.

Blocks in one ``##`` section share a namespace and run top to bottom. The environment is set
up as a user's would be (``OPENROUTER_API_KEY`` and ``OPENROUTER_BASE_URL``), pointing at a
local emulator, so examples stay free of test scaffolding. A block directly preceded by an
HTML comment starting with ``<!-- not-run`` is skipped; the comment says why. A block preceded
by ``<!-- pytest`` is a test file: it is written out and run by pytest in a subprocess. Each
``$ python -m openrouter_core ...`` line of a ``console`` block is run against the emulator and
its output compared with the lines shown under it.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from openrouter_core.testing import OpenRouterEmulator

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(r"(<!--\s*(?:not-run|pytest)[^>]*-->\s*)?```python\n(.*?)```", re.DOTALL)
_PYTEST_BLOCK = re.compile(r"<!--\s*pytest[^>]*-->\s*```python\n(.*?)```", re.DOTALL)


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


def test_readme_pytest_examples_pass(tmp_path: Path) -> None:
    examples = _PYTEST_BLOCK.findall(README.read_text(encoding="utf-8"))
    assert examples, "the README shows how to test with the openrouter_emulator fixture"
    for index, code in enumerate(examples):
        (tmp_path / f"test_readme_example_{index}.py").write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENROUTER_")}
    # A user's project: no configuration of ours, the fixture from the installed package.
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert f"{len(examples)} passed" in proc.stdout


_CONSOLE = re.compile(r"```console\n(.*?)```", re.DOTALL)
_CLI_PROMPT = "$ python -m openrouter_core "


def _cli_examples() -> list[tuple[str, list[str]]]:
    """Each ``$ python -m openrouter_core ...`` line of the README's console blocks, with the
    output shown under it (up to the next ``$`` line, trailing blank lines and spaces dropped)."""
    examples: list[tuple[str, list[str]]] = []
    for block in _CONSOLE.findall(README.read_text(encoding="utf-8")):
        for line in block.splitlines():
            if line.startswith("$ "):
                examples.append((line[2:], []))
            elif examples:
                examples[-1][1].append(line.rstrip())
    found = []
    for command, output in examples:
        assert f"$ {command}".startswith(_CLI_PROMPT), f"not a CLI example: {command!r}"
        while output and not output[-1]:
            output.pop()
        found.append((command, output))
    return found


def test_the_readme_has_cli_examples() -> None:
    commands = [command.split()[3] for command, _ in _cli_examples()]
    assert commands == ["models", "cost", "endpoints", "key"]
    assert all(output for _, output in _cli_examples())


@pytest.mark.parametrize(
    ("command", "expected"), _cli_examples(), ids=[c for c, _ in _cli_examples()]
)
def test_readme_cli_output_matches(command: str, expected: list[str], tmp_path: Path) -> None:
    argv = [sys.executable, *shlex.split(command)[1:]]  # "python" is this interpreter
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENROUTER_")}
    with OpenRouterEmulator() as emu:
        env.update(
            OPENROUTER_API_KEY="emulator-key",
            OPENROUTER_BASE_URL=emu.base_url,
            OPENROUTER_CACHE_DIR=str(tmp_path / "cache"),
        )
        result = subprocess.run(
            argv, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
        )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert [line.rstrip() for line in result.stdout.rstrip("\n").splitlines()] == expected
