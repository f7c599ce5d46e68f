"""The one builder of chat-completion request bodies, which both framework adapters call.

An adapter converts its framework's messages to OpenRouter's ``messages`` list and hands them
to :func:`build_chat_request` with the model's settings and the call's keyword arguments; the
rest is decided here, once, for both frameworks:

- routing: each keyword argument is an OpenRouter option (a name in :data:`OPTION_FIELDS`), a
  transport setting (:data:`TRANSPORT_KWARGS`: ``timeout``, ``max_retries``, ``extra_headers``)
  or a body field; an ``extra_body`` mapping is unpacked; ``None`` means "not set";
- layering: the instance's options, then its extra body fields, then the call's, with
  ``provider`` merged one level deep (:func:`merge_option_layers`), and ``usage`` asked for
  unless the caller set it;
- checks: no messages, out-of-range sampling values and non-finite numbers raise a
  ``ValueError`` before anything is sent; a model id not shaped ``author/slug`` warns.

The instance's options are validated and serialised once while unchanged
(:class:`OptionsMemo`), so a call validates only what it adds. Nothing here imports the
``openai`` SDK or a framework.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from openrouter_core.options import OPENROUTER_OPTION_FIELDS, OpenRouterOptions

if TYPE_CHECKING:
    import openai

__all__ = [
    "OPENAI_PARAMS",
    "OPTION_FIELDS",
    "TRANSPORT_KWARGS",
    "ChatRequest",
    "OptionsMemo",
    "RequestOptions",
    "build_chat_request",
    "build_extra_body",
    "check_messages",
    "check_model_id",
    "check_params",
    "merge_option_layers",
    "option_layer",
]

OPTION_FIELDS: frozenset[str] = frozenset(OPENROUTER_OPTION_FIELDS)
"""Names that are OpenRouter options (sent through ``extra_body``), wherever they are given."""

OPENAI_PARAMS: tuple[str, ...] = (
    "temperature",
    "max_tokens",
    "max_completion_tokens",
    "top_p",
    "frequency_penalty",
    "presence_penalty",
    "seed",
    "stop",
    "n",
    "logprobs",
    "top_logprobs",
    "modalities",
)
"""OpenAI body parameters a framework model may hold as typed fields (sent when not ``None``)."""

TRANSPORT_KWARGS: frozenset[str] = frozenset({"timeout", "max_retries", "extra_headers"})
"""Per-call keyword arguments that configure the HTTP request rather than the body."""

_USAGE_DEFAULT = {"include": True}


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


def check_params(params: Mapping[str, Any]) -> None:
    """Reject out-of-range sampling parameters before a request is sent.

    Args:
        params: Request parameters (a whole body or just the parameters).

    Raises:
        ValueError: ``temperature`` outside [0, 2], ``max_tokens`` /
            ``max_completion_tokens`` not a positive integer, or any number that is NaN or
            infinite (JSON has no such values).
    """
    for key, value in params.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{key} must be a finite number, got {value!r}")
    temperature = params.get("temperature")
    if temperature is not None and (
        isinstance(temperature, bool)
        or not isinstance(temperature, (int, float))
        or not 0 <= temperature <= 2
    ):
        raise ValueError(f"temperature must be a number in [0, 2], got {temperature!r}")
    for key in ("max_tokens", "max_completion_tokens"):
        value = params.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value <= 0
        ):
            raise ValueError(f"{key} must be a positive integer, got {value!r}")


def check_messages(messages: Any) -> None:
    """Reject a conversation OpenRouter cannot answer: no messages at all.

    Raises:
        ValueError: ``messages`` is empty or not a list.
    """
    if not isinstance(messages, list) or not messages:
        raise ValueError("no messages to send: pass at least one message")


def check_model_id(model: str, *, stacklevel: int = 2) -> None:
    """Warn when ``model`` is not shaped like an OpenRouter id (``author/slug``).

    Args:
        model: The model id.
        stacklevel: Passed to :func:`warnings.warn`, so the warning points at the caller's code.
    """
    if "/" not in model:
        warnings.warn(
            f"model {model!r} does not look like an OpenRouter model id ('author/slug', e.g. "
            "'anthropic/claude-haiku-4.5'); OpenRouter will likely reject it",
            UserWarning,
            stacklevel=stacklevel + 1,
        )


# --------------------------------------------------------------------------------------------
# Option layers
# --------------------------------------------------------------------------------------------


def _drop_none(mapping: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of ``mapping`` without ``None`` values, also in nested dicts and lists."""
    pruned: dict[str, Any] = {}
    for key, value in mapping.items():
        if value is None:
            continue
        if isinstance(value, dict):
            pruned[key] = _drop_none(value)
        elif isinstance(value, list):
            pruned[key] = _drop_none_in_list(value)
        else:
            pruned[key] = value
    return pruned


def _drop_none_in_list(items: list[Any]) -> list[Any]:
    """Copy a list, pruning the dicts inside it (``None`` items themselves are kept)."""
    return [
        _drop_none(item)
        if isinstance(item, dict)
        else _drop_none_in_list(item)
        if isinstance(item, list)
        else item
        for item in items
    ]


def _restore_free_form(model: BaseModel, dumped: dict[str, Any], *, top: bool = False) -> None:
    """Put back, as given, what ``_drop_none`` must not prune in ``model``'s serialised form.

    ``None`` means "not set" for a declared field, and for any key at the top level of a
    layer (``usage=None`` still gets the default). Below the top level, the value of an
    unknown key and free-form content (a ``dict[str, Any]`` field, a plugin with an unknown
    id) are sent exactly as the caller gave them, explicit ``None`` (JSON ``null``) included.
    """
    fields = type(model).model_fields
    for name in model.model_fields_set:
        info = fields.get(name)
        if info is None:
            continue
        key = info.alias or name
        if key in dumped:
            dumped[key] = _restore_value(getattr(model, name), dumped[key])
    extra = model.__pydantic_extra__
    if extra:
        for key, value in extra.items():
            if value is not None or not top:
                dumped[key] = copy.deepcopy(value)


def _restore_value(value: Any, dumped: Any) -> Any:
    if isinstance(value, BaseModel):
        if isinstance(dumped, dict):
            _restore_free_form(value, dumped)
        return dumped
    if isinstance(value, list) and isinstance(dumped, list) and len(value) == len(dumped):
        return [_restore_value(item, out) for item, out in zip(value, dumped, strict=True)]
    if isinstance(value, dict):
        return copy.deepcopy(value)
    return dumped


def option_layer(layer: object) -> dict[str, Any]:
    """Validate one options layer (unless already a model) and serialise it for the wire.

    ``None`` values of declared fields are dropped at every depth, as are ``None`` values at
    the top level; unknown keys and free-form values below the top level are kept as given.

    Raises:
        pydantic.ValidationError: A value is invalid.
        TypeError: ``layer`` is neither :class:`OpenRouterOptions`, a mapping nor ``None``.
    """
    if layer is None:
        return {}
    if isinstance(layer, OpenRouterOptions):
        options = layer
    elif isinstance(layer, Mapping):
        if not layer:
            return {}
        options = OpenRouterOptions.model_validate(
            layer if isinstance(layer, dict) else dict(layer)
        )
    else:
        msg = f"an options layer must be OpenRouterOptions, a mapping or None, not {type(layer)}"
        raise TypeError(msg)
    if (
        type(options) is OpenRouterOptions
        and not options.model_fields_set
        and not options.__pydantic_extra__
    ):
        return {}
    dumped = _drop_none(options.model_dump(by_alias=True, exclude_none=True))
    _restore_free_form(options, dumped, top=True)
    return dumped


def merge_option_layers(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Merge serialised option layers, later ones winning.

    A top-level key in a later layer replaces the earlier value, except ``provider``: its
    fields are merged one level deep, so a per-call ``provider={"sort": "price"}`` keeps an
    ``order`` set earlier (a later ``max_price`` still replaces an earlier one whole).
    """
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            earlier = merged.get("provider") if key == "provider" else None
            merged[key] = {**earlier, **value} if isinstance(earlier, dict) else value
    return merged


def build_extra_body(
    *layers: OpenRouterOptions | Mapping[str, Any] | None,
    **overrides: Any,
) -> dict[str, Any]:
    """Merge option layers into the ``extra_body`` dict sent with a chat completion request.

    Layers are applied left to right and ``overrides`` last (see :func:`merge_option_layers`).
    ``None`` on a documented field means "not set": it is dropped at every depth and never
    replaces an earlier value, and so is a ``None`` at the top level of a layer; ``False``,
    ``0`` and ``[]`` are kept. Below the top level, unknown keys and free-form values (a plugin
    with an unknown id, ``user_location``) are sent exactly as given, ``None`` included (JSON
    ``null``). ``"usage": {"include": True}`` is added unless a layer sets ``usage`` itself.

    Args:
        *layers: :class:`OpenRouterOptions` instances, plain mappings (validated through
            :class:`OpenRouterOptions` first) or ``None`` (skipped).
        **overrides: A final layer given as keyword arguments.

    Returns:
        A new dict, safe for the caller to modify.

    Raises:
        pydantic.ValidationError: A mapping layer or ``overrides`` holds an invalid value.
        TypeError: A layer is neither :class:`OpenRouterOptions`, a mapping nor ``None``.

    Example:
        ```python
        base = OpenRouterOptions(provider={"order": ["anthropic"]}, models=["a/b"])
        build_extra_body(base, {"provider": {"sort": "price"}}, user="u-1")
        # {'provider': {'order': ['anthropic'], 'sort': 'price'}, 'models': ['a/b'],
        #  'user': 'u-1', 'usage': {'include': True}}
        ```
    """
    merged = merge_option_layers(*(option_layer(layer) for layer in (*layers, overrides)))
    if "usage" not in merged:
        merged["usage"] = dict(_USAGE_DEFAULT)
    return merged


class OptionsMemo:
    """A model instance's options, validated and serialised once while they are unchanged.

    A framework model reads its option fields into a mapping on every call and passes it to
    :meth:`get`: when the mapping equals the one seen last time (compared by value, so a dict
    or list changed in place is noticed) the same serialised layer comes back and nothing is
    validated again; otherwise the new content is validated (raising as
    :class:`OpenRouterOptions` does), serialised and remembered.
    """

    __slots__ = ("_entry",)

    def __init__(self) -> None:
        self._entry: tuple[dict[str, Any], dict[str, Any]] | None = None

    def get(self, layer: Mapping[str, Any]) -> dict[str, Any]:
        """The serialised options for ``layer`` (``{}`` when it is empty); do not modify it.

        Raises:
            pydantic.ValidationError: A value in ``layer`` is invalid.
        """
        if not layer:
            return {}
        entry = self._entry  # one read: another thread may replace it meanwhile
        if entry is not None and entry[0] == layer:
            return entry[1]
        dumped = option_layer(OpenRouterOptions.model_validate(dict(layer)))
        # A deep copy, so that changing a value in place makes the next comparison fail.
        self._entry = (copy.deepcopy(dict(layer)), dumped)
        return dumped


# --------------------------------------------------------------------------------------------
# The request
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class RequestOptions:
    """Per-request settings passed to the SDK.

    Attributes:
        timeout: Seconds for this request, overriding the client's.
        max_retries: Retries for this request, overriding the client's.
        headers: Extra headers for this request.
    """

    timeout: float | None = None
    max_retries: int | None = None
    headers: Mapping[str, str] | None = None

    def to_sdk(self) -> openai.RequestOptions:
        """The SDK's ``options`` mapping."""
        options: openai.RequestOptions = {}
        if self.timeout is not None:
            options["timeout"] = self.timeout
        if self.max_retries is not None:
            options["max_retries"] = self.max_retries
        if self.headers:
            options["headers"] = dict(self.headers)
        return options


@dataclasses.dataclass(frozen=True, slots=True)
class ChatRequest:
    """A chat-completion request ready to send.

    Attributes:
        body: The JSON body, sent exactly as is.
        options: Per-request transport settings, when the call gave any.
    """

    body: dict[str, Any]
    options: RequestOptions | None = None

    @property
    def model(self) -> str:
        """The model the request asks for."""
        return str(self.body["model"])


class _Routed:
    """Keyword arguments sorted into body fields, option layer and transport settings."""

    __slots__ = ("fields", "options", "transport")

    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.options: dict[str, Any] = {}
        self.transport: dict[str, Any] = {}

    def take(self, source: Mapping[str, Any], *, transport: bool) -> _Routed:
        for key, value in source.items():
            if key == "extra_body" and isinstance(value, Mapping):
                self.take(value, transport=False)
            elif key in OPTION_FIELDS:
                self.options[key] = value
            elif transport and key in TRANSPORT_KWARGS:
                if value is not None:
                    self.transport[key] = value
            elif value is not None:
                self.fields[key] = value
        return self


_NOTHING = _Routed()  # the routing of no keyword arguments (never modified)


def build_chat_request(
    *,
    model: str,
    messages: list[dict[str, Any]],
    params: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    call: Mapping[str, Any] | None = None,
    stacklevel: int = 2,
) -> ChatRequest:
    """Build the one chat-completion request of a call; bad input raises before any request.

    Later sources win: the model's typed parameters (``params``), its extra body fields
    (``extra``: ``model_kwargs`` / ``additional_kwargs``), then this call's keyword arguments
    (``call``). In ``extra`` and ``call``, names in :data:`OPTION_FIELDS` are OpenRouter
    options, validated and merged over the model's own ``options``; an ``extra_body`` mapping
    is unpacked; ``None`` values are left out. In ``call`` only, ``model`` overrides the model
    and :data:`TRANSPORT_KWARGS` become the request's :class:`RequestOptions`.

    Args:
        model: The model id.
        messages: The conversation, already in OpenRouter's shape.
        params: The model's OpenAI parameters (``None`` values are left out).
        options: The model's options, serialised (:meth:`OptionsMemo.get`).
        extra: The model's extra body fields.
        call: This call's keyword arguments.
        stacklevel: Where a warning about a per-call model id points (1: the caller).

    Returns:
        The body (a new dict) and the transport settings.

    Raises:
        ValueError: No messages, or an out-of-range or non-finite parameter.
        pydantic.ValidationError: An OpenRouter option has an invalid value.
    """
    check_messages(messages)
    instance = _Routed().take(extra, transport=False) if extra else _NOTHING
    per_call = _Routed().take(call, transport=True) if call else _NOTHING
    requested = per_call.fields.get("model") or instance.fields.get("model")
    if requested and requested != model:
        check_model_id(requested, stacklevel=stacklevel + 1)
        model = requested
    body: dict[str, Any] = {"model": model, "messages": messages}
    if params:
        body.update((key, value) for key, value in params.items() if value is not None)
    body.update(instance.fields)
    body.update(per_call.fields)
    body["model"] = model
    if instance.options or per_call.options:
        options = merge_option_layers(
            options or {}, option_layer(instance.options), option_layer(per_call.options)
        )
    if options:
        body.update(options)
    if "usage" not in body:
        body["usage"] = dict(_USAGE_DEFAULT)
    check_params(body)
    transport = per_call.transport
    return ChatRequest(
        body,
        RequestOptions(
            timeout=transport.get("timeout"),
            max_retries=transport.get("max_retries"),
            headers=transport.get("extra_headers"),
        )
        if transport
        else None,
    )
