"""The notebooks' offline mode (``notebooks/_offline.py``), as a reader meets it.

A cell the cassette holds replays; a cell edited offline (a request the cassette does not hold)
is answered by a live local emulator, which the notebook says once, and the cassette is left as
it was. ``OPENROUTER_NOTEBOOK_STRICT=1`` (``make notebooks``) fails such a request instead.
Each phase runs in its own interpreter, as a notebook kernel would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_PHASE = """
import sys
from pathlib import Path
sys.path.insert(0, {notebooks!r})
import _offline
_offline.CASSETTES = Path({cassettes!r})
_offline.setup("nb")
from langchain_openrouter import ChatOpenRouter
llm = ChatOpenRouter(model="anthropic/claude-haiku-4.5", max_retries=0)
for question in {questions!r}:
    print("ANSWER:", llm.invoke(question).content.splitlines()[0])
_offline.finish()
"""


def _run(tmp_path: Path, questions: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    code = _PHASE.format(
        notebooks=str(ROOT / "notebooks"), cassettes=str(tmp_path), questions=questions
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENROUTER_")}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_edited_cell_is_answered_by_a_live_emulator_and_says_so_once(tmp_path: Path) -> None:
    recorded = _run(tmp_path, ["What is a bee?"], OPENROUTER_NOTEBOOK_RECORD="1")
    assert recorded.returncode == 0, recorded.stderr
    cassette = tmp_path / "nb.yaml"
    before = cassette.read_bytes()
    assert b"What is a bee?" in before

    replay = _run(tmp_path, ["What is a bee?", "What is a wasp?", "And an ant?"])
    assert replay.returncode == 0, replay.stderr
    lines = replay.stdout.splitlines()
    assert "ANSWER: You said: What is a bee?" in lines
    assert "ANSWER: You said: What is a wasp?" in lines
    assert "ANSWER: You said: And an ant?" in lines
    notices = [line for line in lines if "not in the cassette" in line]
    assert len(notices) == 1
    assert "live local OpenRouter emulator" in notices[0]
    assert cassette.read_bytes() == before


def test_strict_mode_fails_on_a_request_the_cassette_does_not_hold(tmp_path: Path) -> None:
    recorded = _run(tmp_path, ["What is a bee?"], OPENROUTER_NOTEBOOK_RECORD="1")
    assert recorded.returncode == 0, recorded.stderr
    strict = _run(tmp_path, ["What is a wasp?"], OPENROUTER_NOTEBOOK_STRICT="1")
    assert strict.returncode != 0
    assert "CannotOverwriteExistingCassetteException" in strict.stderr
