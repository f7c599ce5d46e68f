"""Check one framework extra in a venv that has it alone: ``python check_extra.py langchain``.

``make check-extras`` builds ``.venv-langchain`` with ``pip install -e ".[langchain]"`` and
``.venv-llamaindex`` with ``pip install -e ".[llamaindex]"``, then runs this script in each. It
checks that:

- no distribution of the other framework was installed (``langchain*`` or ``llama-index*``);
- the README's quick start for this framework runs, every block, against a local emulator
  (offline, as in ``tests/test_docs.py``);
- importing the other framework's adapter raises an ``ImportError`` that names its extra.

The venv has no pytest: this is a plain script that fails with a traceback and exit status 1.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import io
import os
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for doc_examples

from doc_examples import README, sections

from openrouter_core.testing import OpenRouterEmulator


class Extra:
    def __init__(self, name: str, quick_start: str, adapter: str, distributions: str) -> None:
        self.name = name
        self.quick_start = quick_start  # the README section
        self.adapter = adapter  # the import package it enables
        self.distributions = re.compile(distributions)  # what it installs, by normalized name


EXTRAS = {
    extra.name: extra
    for extra in (
        Extra("langchain", "LangChain quick start", "langchain_openrouter", r"langchain(-|$)"),
        Extra("llamaindex", "LlamaIndex quick start", "llama_index_openrouter", r"llama-index-"),
    )
}


def _installed() -> set[str]:
    return {
        re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower()
        for dist in importlib.metadata.distributions()
    }


def check_other_framework_is_absent(extra: Extra, other: Extra) -> None:
    installed = _installed()
    assert any(extra.distributions.match(name) for name in installed), (
        f"the [{extra.name}] extra installed no {extra.name} package: {sorted(installed)}"
    )
    found = sorted(name for name in installed if other.distributions.match(name))
    assert not found, f"the [{extra.name}] extra also installed {found}"


def run_quick_start(extra: Extra) -> int:
    (section,) = [s for s in sections(README) if s.title == extra.quick_start]
    with tempfile.TemporaryDirectory() as tmp, OpenRouterEmulator() as emu:
        os.environ.update(
            OPENROUTER_API_KEY="emulator-key",
            OPENROUTER_BASE_URL=emu.base_url,
            OPENROUTER_CACHE_DIR=str(Path(tmp, "cache")),
            OPENROUTER_CATALOG_PREFETCH="0",
        )
        os.chdir(tmp)
        with contextlib.redirect_stdout(io.StringIO()):
            section.run()
        assert emu.chat_requests, f"the {extra.quick_start} sent no request to the emulator"
    return len(section.blocks)


def check_missing_adapter_names_its_extra(other: Extra) -> None:
    try:
        importlib.import_module(other.adapter)
    except ImportError as exc:
        error = exc
    else:
        raise AssertionError(f"import {other.adapter} worked without the [{other.name}] extra")
    command = f'pip install "openrouter-frameworks[{other.name}]"'
    assert command in str(error), f"import {other.adapter}: {error}"


def main(name: str) -> None:
    extra = EXTRAS[name]
    (other,) = [e for e in EXTRAS.values() if e is not extra]
    check_other_framework_is_absent(extra, other)
    blocks = run_quick_start(extra)
    check_missing_adapter_names_its_extra(other)
    print(
        f"[{extra.name}] extra: the README's {extra.quick_start} ran ({blocks} blocks) against "
        f"the emulator; no {other.name} package installed; import {other.adapter} raises an "
        f"ImportError naming [{other.name}]"
    )


if __name__ == "__main__":
    main(sys.argv[1])
