"""Every example in README.md and docs/*.md runs, against the emulator, as a user would paste it.

What counts as an example, and how a page is cut into sections, is in ``doc_examples``. Python
sections run with the environment set up as a user's would be (``OPENROUTER_API_KEY`` and
``OPENROUTER_BASE_URL``), pointing at a local emulator, so examples stay free of test
scaffolding. ``<!-- pytest`` blocks are written out and run by pytest in a subprocess, as in a
user's project. Each ``$ python -m openrouter_core ...`` line is run against the emulator and
its output compared with the lines shown under it. Test ids name the page and the section.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from doc_examples import PAGES, README, ROOT, Section, cli_examples, pytest_examples, sections

from openrouter_core.testing import OpenRouterEmulator

SECTIONS = [section for page in PAGES for section in sections(page)]
CLI_EXAMPLES = cli_examples()


def test_every_page_is_read() -> None:
    assert [page.relative_to(ROOT).as_posix() for page in PAGES] == [
        "README.md",
        *sorted(f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md")),
    ]
    pages_with_examples = {section.page for section in SECTIONS}
    assert {"README.md", "docs/options.md", "docs/accounting.md", "docs/errors.md"} <= (
        pages_with_examples
    )


@pytest.mark.parametrize("section", SECTIONS, ids=[section.id for section in SECTIONS])
def test_docs_section_runs(
    section: Section, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with OpenRouterEmulator() as emu:
        monkeypatch.setenv("OPENROUTER_API_KEY", "emulator-key")
        monkeypatch.setenv("OPENROUTER_BASE_URL", emu.base_url)
        monkeypatch.chdir(tmp_path)
        section.run()


def test_docs_pytest_examples_pass(tmp_path: Path) -> None:
    examples = pytest_examples()
    assert [page for page, _ in examples] == ["docs/testing.md"], (
        "the testing page shows how to test with the openrouter_emulator fixture"
    )
    for index, (_, code) in enumerate(examples):
        (tmp_path / f"test_docs_example_{index}.py").write_text(code, encoding="utf-8")
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


def test_the_docs_have_cli_examples() -> None:
    commands = [(page, command.split()[3]) for page, command, _ in CLI_EXAMPLES]
    assert commands == [
        ("docs/catalog.md", "models"),
        ("docs/catalog.md", "models"),
        ("docs/catalog.md", "cheapest"),
        ("docs/catalog.md", "cheapest"),
        ("docs/catalog.md", "cost"),
        ("docs/catalog.md", "cost"),
        ("docs/catalog.md", "endpoints"),
        ("docs/catalog.md", "key"),
    ]
    assert all(output for _, _, output in CLI_EXAMPLES)


@pytest.mark.parametrize(
    ("command", "expected"),
    [(command, expected) for _, command, expected in CLI_EXAMPLES],
    ids=[f"{page}: {command}" for page, command, _ in CLI_EXAMPLES],
)
def test_docs_cli_output_matches(command: str, expected: list[str], tmp_path: Path) -> None:
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


# --- the README's links (mkdocs build --strict checks the links of docs/) ----------------------

_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchor(heading: str) -> str:
    """A heading's anchor, as Python-Markdown's toc (mkdocs) and GitHub make it for plain
    headings."""
    text = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    return {_anchor(m) for m in re.findall(r"(?m)^#{1,6} (.+)$", text)}


def test_the_readme_links_to_pages_that_exist() -> None:
    links = [
        link
        for link in _LINK.findall(README.read_text(encoding="utf-8"))
        if not link.startswith(("http://", "https://", "mailto:"))
    ]
    assert "docs/index.md" in links
    for link in links:
        path, _, anchor = link.partition("#")
        target = ROOT / path if path else README
        assert target.is_file(), f"README.md links to {link}, which does not exist"
        if anchor:
            assert anchor in _anchors(target), f"README.md links to {link}: no such heading"
    linked = {link.partition("#")[0] for link in links}
    missing = [p for p in PAGES[1:] if p.relative_to(ROOT).as_posix() not in linked]
    assert not missing, f"the README does not link to {missing}"
