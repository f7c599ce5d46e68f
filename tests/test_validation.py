"""The pre-request checks both frameworks run (``openrouter_core.request``)."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from openrouter_core.request import check_messages, check_model_id, check_params
from openrouter_core.settings import public_headers


def check_chat_body(body: dict[str, Any]) -> None:
    check_messages(body.get("messages"))
    check_params(body)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ({"messages": []}, "no messages"),
        ({}, "no messages"),
        ({"messages": "Hi"}, "no messages"),
        ({"messages": [{}], "temperature": 2.01}, "temperature"),
        ({"messages": [{}], "temperature": True}, "temperature"),
        ({"messages": [{}], "temperature": "1"}, "temperature"),
        ({"messages": [{}], "max_tokens": 0}, "max_tokens"),
        ({"messages": [{}], "max_tokens": 1.5}, "max_tokens"),
        ({"messages": [{}], "max_completion_tokens": -1}, "max_completion_tokens"),
        ({"messages": [{}], "temperature": float("nan")}, "temperature"),
        ({"messages": [{}], "top_p": float("nan")}, "top_p must be a finite number"),
        ({"messages": [{}], "presence_penalty": float("-inf")}, "presence_penalty"),
    ],
)
def test_bad_bodies_are_rejected(body: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        check_chat_body(body)


def test_edges_are_accepted() -> None:
    check_chat_body({"messages": [{}], "temperature": 0, "max_tokens": 1})
    check_chat_body({"messages": [{}], "temperature": 2.0, "max_completion_tokens": 10})
    check_chat_body({"messages": [{}], "temperature": None, "max_tokens": None})


def _library_constructor(model: str) -> None:
    check_model_id(model)  # stacklevel=2: the warning points at whoever called this


def test_a_model_id_without_author_warns_at_the_users_line() -> None:
    with pytest.warns(UserWarning, match="author/slug") as caught:
        _library_constructor("gpt-4o")
    assert caught[0].filename == __file__
    assert caught[0].lineno != _library_constructor.__code__.co_firstlineno + 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _library_constructor("openrouter/auto")


def test_public_headers_drop_credentials_only() -> None:
    headers = {"Authorization": "Bearer x", "X-API-Key": "y", "Cookie": "z", "X-Title": "t"}
    assert public_headers(headers) == {"X-Title": "t"}
    assert public_headers(None) is None
