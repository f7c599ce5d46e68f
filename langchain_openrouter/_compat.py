"""Constructor arguments of code written for ``langchain-openrouter``, sorted into our fields.

``ChatOpenRouter`` is a drop-in for that package's class. Its users pass unknown arguments (sent
in the body through ``model_kwargs``), and newer OpenRouter options inside ``model_kwargs``
(which we have as fields); its timeout was in milliseconds. :func:`sort_arguments` and
:func:`check_timeout` keep such code and serialised objects working, with a warning for each
thing moved or reinterpreted.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from pydantic.fields import FieldInfo

from openrouter_core.options import to_plain

__all__ = ["MILLISECONDS_LIKE", "check_timeout", "sort_arguments"]

MILLISECONDS_LIKE = 1000
"""A timeout this large (seconds) is probably milliseconds, the unit of langchain-openrouter."""

_CLIENT_ARGUMENTS = ("client", "async_client", "http_client", "http_async_client")


def sort_arguments(
    values: dict[str, Any], fields: Mapping[str, FieldInfo], option_fields: Mapping[str, str]
) -> dict[str, Any]:
    """Sort constructor arguments into fields and ``model_kwargs`` (with warnings).

    - An unknown argument is sent in the request body: it moves into ``model_kwargs``.
    - A ``model_kwargs`` key that names a field or an alias (``models``, ``provider``,
      ``transforms``, ``reasoning``, ``temperature``...) moves into that field. When the field
      is also given as an argument, the argument wins and the ``model_kwargs`` value is dropped.
    - Typed option models given for option fields become plain dicts (serialisable).
    - An SDK client (``client=``, as the official class takes) is refused: there is none to
      take, and it must not be sent in the body.

    Args:
        values: The raw constructor arguments.
        fields: The model's fields.
        option_fields: Field name -> OpenRouter option name, for the option fields.

    Returns:
        The sorted arguments (a new dict).

    Raises:
        TypeError: A client object was given.
    """
    given_clients = [name for name in _CLIENT_ARGUMENTS if values.get(name) is not None]
    if given_clients:
        raise TypeError(
            f"ChatOpenRouter takes no {given_clients[0]}=: it sends every request through the "
            "shared openai client of this package. Configure it with base_url=, timeout=, "
            "max_retries= and default_headers= instead."
        )
    values = {k: v for k, v in values.items() if k not in _CLIENT_ARGUMENTS}  # None: nothing
    by_key = {name: name for name in fields}
    by_key.update({f.alias: name for name, f in fields.items() if f.alias})
    del by_key["model_kwargs"]
    values = dict(values)
    extra = dict(values.get("model_kwargs") or {})
    for key in [k for k in extra if k in by_key]:
        field = by_key[key]
        given = [k for k in (field, fields[field].alias) if k and k in values]
        value = extra.pop(key)
        if given:
            _warn(
                f"model_kwargs[{key!r}] is ignored: {given[0]!r} is also given as an argument, "
                "which wins"
            )
            continue
        _warn(
            f"model_kwargs[{key!r}] is a ChatOpenRouter field; it is used as {key}=... "
            "(pass it as an argument instead of inside model_kwargs)"
        )
        values[key] = value
    for name in [n for n in values if n not in by_key and n != "model_kwargs"]:
        _warn(
            f"{name!r} is not a ChatOpenRouter field; it is sent in the request body as "
            f"model_kwargs[{name!r}]"
        )
        extra[name] = values.pop(name)
    values["model_kwargs"] = extra
    for name in option_fields:
        for key in (name, fields[name].alias):
            if key and key in values:
                values[key] = to_plain(values[key])
    return values


def check_timeout(value: float | None) -> float | None:
    """Warn when a timeout looks like milliseconds (it is read as seconds); return it."""
    if value is not None and value >= MILLISECONDS_LIKE:
        warnings.warn(
            f"timeout={value:g} is in seconds ({value / 3600:.1f} hours), not milliseconds "
            f"as in the langchain-openrouter package; for {value:g} ms pass "
            f"timeout={value / 1000:g}",
            UserWarning,
            stacklevel=3,  # as if raised by the field validator that calls this
        )
    return value


def _warn(message: str) -> None:
    # As if raised by the model validator that calls sort_arguments.
    warnings.warn(message, UserWarning, stacklevel=4)
