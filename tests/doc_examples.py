"""The runnable examples of README.md and docs/*.md, read the way a user would paste them.

Blocks in one ``##`` section of a page share a namespace and run top to bottom (the text before a
page's first ``##`` is a section too, named by its ``#`` title). A block directly preceded by an
HTML comment starting with ``<!-- not-run`` is skipped; the comment says why. A block preceded
by ``<!-- pytest`` is a test file, run by pytest in a subprocess. Each
``$ python -m openrouter_core ...`` line of a ``console`` block is a CLI example, with the
output shown under it.

``tests/test_docs.py`` runs all of them; ``tests/extras/check_extra.py`` runs the README's quick
starts in venvs that have one framework extra and no pytest, so nothing here imports pytest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = (README, *sorted((ROOT / "docs").glob("*.md")))

_BLOCK = re.compile(r"(<!--\s*(?:not-run|pytest)[^>]*-->\s*)?```python\n(.*?)```", re.DOTALL)
_PYTEST_BLOCK = re.compile(r"<!--\s*pytest[^>]*-->\s*```python\n(.*?)```", re.DOTALL)
_CONSOLE = re.compile(r"```console\n(.*?)```", re.DOTALL)
_CLI_PROMPT = "$ python -m openrouter_core "


def page_name(page: Path) -> str:
    """The page's path from the repository root, as the test ids show it."""
    return page.relative_to(ROOT).as_posix()


@dataclass(frozen=True)
class Section:
    """The Python blocks of one ``##`` section of a page."""

    page: str
    title: str
    blocks: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.page}: {self.title}"

    def run(self) -> dict[str, object]:
        """Run the blocks in order in one fresh namespace, and return it."""
        namespace: dict[str, object] = {"__name__": "__docs__"}
        for index, code in enumerate(self.blocks):
            compiled = compile(code, f"{self.page}[{self.title}#{index}]", "exec")
            exec(compiled, namespace)  # noqa: S102 - the docs are ours; running them is the test
        return namespace


def sections(page: Path) -> list[Section]:
    """The sections of ``page`` that have Python blocks to run."""
    head, *parts = re.split(r"(?m)^## ", page.read_text(encoding="utf-8"))
    title = re.search(r"(?m)^# (.+)$", head)
    named = [(title.group(1).strip() if title else page.name, head)]
    named += [(part.splitlines()[0].strip(), part) for part in parts]
    found = []
    for name, text in named:
        blocks = tuple(code for skip, code in _BLOCK.findall(text) if not skip)
        if blocks:
            found.append(Section(page_name(page), name, blocks))
    return found


def pytest_examples() -> list[tuple[str, str]]:
    """Each ``<!-- pytest`` block of every page, as (page, code)."""
    return [
        (page_name(page), code)
        for page in PAGES
        for code in _PYTEST_BLOCK.findall(page.read_text(encoding="utf-8"))
    ]


def cli_examples() -> list[tuple[str, str, list[str]]]:
    """Each ``$ python -m openrouter_core ...`` line of every page's console blocks, as (page,
    command, the output shown under it up to the next ``$`` line, trailing blank lines and
    spaces dropped)."""
    found: list[tuple[str, str, list[str]]] = []
    for page in PAGES:
        for block in _CONSOLE.findall(page.read_text(encoding="utf-8")):
            output: list[str] | None = None
            for line in block.splitlines():
                if line.startswith("$ "):
                    if not line.startswith(_CLI_PROMPT):
                        raise ValueError(f"{page_name(page)}: not a CLI example: {line!r}")
                    output = []
                    found.append((page_name(page), line[2:], output))
                elif output is not None:
                    output.append(line.rstrip())
    for _, _, output in found:
        while output and not output[-1]:
            output.pop()
    return found
