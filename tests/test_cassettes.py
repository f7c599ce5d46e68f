"""Hygiene of every recorded cassette under ``cassettes/`` (all frameworks).

A cassette must never hold a key: no ``sk-or-`` anywhere, no ``Bearer `` token, and every
``authorization`` header replaced by the redaction marker. And every recorded response must say
where it came from: the emulator's ``X-OpenRouter-Emulator`` header, or a request to
``openrouter.ai`` (a live recording). Hand-made responses would carry neither.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
REDACTED = "REDACTED"
_FORBIDDEN = ("sk-or-", "Bearer ")


def _files() -> list[Path]:
    return sorted(p for p in CASSETTES.rglob("*") if p.is_file()) if CASSETTES.is_dir() else []


def _headers(container: Any) -> dict[str, list[str]]:
    raw = container.get("headers") or {} if isinstance(container, dict) else {}
    out: dict[str, list[str]] = {}
    for name, value in raw.items():
        values = value if isinstance(value, list) else [value]
        out.setdefault(str(name).lower(), []).extend(str(v) for v in values)
    return out


def _interactions(path: Path) -> Iterator[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        yield from data.get("interactions") or []


def problems(path: Path) -> list[str]:
    """Everything wrong with one cassette file (empty when it is clean)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    found = [f"contains {marker!r}" for marker in _FORBIDDEN if marker in text]
    if path.suffix not in (".yaml", ".yml"):
        return found
    for number, interaction in enumerate(_interactions(path)):
        request = interaction.get("request") or {}
        response = interaction.get("response") or {}
        for value in _headers(request).get("authorization", []):
            if value != REDACTED:
                found.append(f"interaction {number}: authorization header {value[:12]!r}...")
        from_emulator = "x-openrouter-emulator" in _headers(response)
        from_openrouter = urlsplit(str(request.get("uri", ""))).hostname == "openrouter.ai"
        if not (from_emulator or from_openrouter):
            found.append(
                f"interaction {number}: response neither from the emulator nor from openrouter.ai"
            )
    return found


def test_there_are_cassettes() -> None:
    assert [p for p in _files() if p.suffix == ".yaml"], f"no cassettes under {CASSETTES}"


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(CASSETTES)))
def test_cassette_is_clean(path: Path) -> None:
    assert problems(path) == []


_GOOD_REQUEST = {
    "uri": "http://127.0.0.1:5555/api/v1/chat/completions",
    "headers": {"authorization": [REDACTED]},
}
_GOOD_RESPONSE = {"headers": {"X-OpenRouter-Emulator": ["0.1.0"]}, "body": {"string": "{}"}}


def _write(tmp_path: Path, request: dict[str, Any], response: dict[str, Any]) -> Path:
    path = tmp_path / "c.yaml"
    document = {"interactions": [{"request": request, "response": response}], "version": 1}
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def test_the_check_accepts_a_clean_cassette(tmp_path: Path) -> None:
    assert problems(_write(tmp_path, _GOOD_REQUEST, _GOOD_RESPONSE)) == []
    live = {"uri": "https://openrouter.ai/api/v1/chat/completions", "headers": {}}
    assert problems(_write(tmp_path, live, {"headers": {}})) == []


@pytest.mark.parametrize(
    ("request_", "response", "expected"),
    [
        (
            {**_GOOD_REQUEST, "headers": {"Authorization": ["Bearer abc"]}},
            _GOOD_RESPONSE,
            "Bearer ",
        ),
        (
            {**_GOOD_REQUEST, "headers": {"authorization": ["secret-value"]}},
            _GOOD_RESPONSE,
            "authorization header",
        ),
        (_GOOD_REQUEST, {"body": {"string": "key sk-or-v1-abc"}}, "sk-or-"),
        (_GOOD_REQUEST, {"headers": {"content-type": ["x"]}}, "neither from the emulator"),
    ],
    ids=["bearer", "authorization", "key-in-body", "unknown-origin"],
)
def test_the_check_rejects(
    tmp_path: Path, request_: dict[str, Any], response: dict[str, Any], expected: str
) -> None:
    found = problems(_write(tmp_path, request_, response))
    assert any(expected in problem for problem in found), found
