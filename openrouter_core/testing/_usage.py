"""Token counting, simulated prompt caching and cost arithmetic (pure functions).

Token rule (deterministic, documented so tests can hand-check numbers):

* a text string costs ``ceil(len(text) / 4)`` tokens (``len`` counts code points);
* every message adds :data:`MESSAGE_OVERHEAD` tokens (plus its ``name`` / ``tool_call_id`` text);
* an ``image_url`` part costs :data:`IMAGE_TOKENS`, a ``file`` part :data:`FILE_TOKENS`, an
  ``input_audio`` part :data:`AUDIO_TOKENS` (also reported as ``audio_tokens``), a ``video_url``
  part :data:`VIDEO_TOKENS` (also reported as ``video_tokens``); other part types cost the text
  rule applied to their compact JSON;
* an assistant ``tool_calls`` entry costs the text rule on its name plus on its arguments;
  reasoning sent back in assistant messages is not counted;
* every tool definition costs the text rule on its compact, key-sorted JSON (without
  ``cache_control``); a ``response_format`` JSON schema likewise;
* completion tokens = text rule on the content + on each tool call's name and arguments +
  reasoning tokens (text rule on the reasoning text, counted even when reasoning is excluded).

Cost rule (``Decimal`` arithmetic on the catalog's per-token price strings)::

    prompt_cost     = (prompt - cached - cache_write) * prompt_price
                      + cached * input_cache_read + cache_write * input_cache_write
    completion_cost = (completion_tokens - image_tokens) * completion_price
                      + image_tokens * image_output     (reasoning and generated images included)
    cost            = prompt_cost + completion_cost + request_price

``input_cache_read`` / ``input_cache_write`` fall back to the prompt price, ``image_output``
to the completion price, when a model has no such key. Amounts are JSON numbers whose
``repr(float(x))`` reads back as the same ``Decimal``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

__all__ = [
    "AUDIO_TOKENS",
    "FILE_TOKENS",
    "IMAGE_TOKENS",
    "JSON_NULL",
    "MESSAGE_OVERHEAD",
    "VIDEO_TOKENS",
    "CacheOutcome",
    "PromptAnalysis",
    "UsageNumbers",
    "analyze_prompt",
    "apply_cache",
    "compute_usage",
    "json_number",
    "merge_usage",
    "message_text",
    "text_tokens",
    "to_decimal",
    "usage_payload",
]

MESSAGE_OVERHEAD: Final = 3
"""Tokens added per message."""
IMAGE_TOKENS: Final = 85
"""Tokens counted for one ``image_url`` part."""
FILE_TOKENS: Final = 250
"""Tokens counted for one ``file`` part (PDF etc.)."""
AUDIO_TOKENS: Final = 50
"""Tokens counted for one ``input_audio`` part."""
VIDEO_TOKENS: Final = 100
"""Tokens counted for one ``video_url`` part."""

_MAX_SIGNIFICANT_DIGITS = 15


class _JsonNull:
    """Sentinel: a usage override value that must be serialized as JSON ``null``."""

    _instance: _JsonNull | None = None

    def __new__(cls) -> _JsonNull:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "JSON_NULL"


JSON_NULL: Final = _JsonNull()
"""Use as a value in a ``usage=`` override to send JSON ``null`` (``None`` removes the key)."""


def text_tokens(text: str) -> int:
    """Return ``ceil(len(text) / 4)``: the emulator's token count of a string."""
    return (len(text) + 3) // 4


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _without_cache_control(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: v for k, v in value.items() if k != "cache_control"}
    return value


def message_text(content: Any) -> str:
    """Return the text of a message ``content`` (string, list of parts, or ``None``).

    Args:
        content: A message's ``content`` value.

    Returns:
        Text parts joined with a space; ``""`` when there is none.
    """
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        texts = [
            str(part.get("text", ""))
            for part in content
            if isinstance(part, Mapping) and part.get("type", "text") == "text"
        ]
        return " ".join(t for t in texts if t)
    return ""


@dataclass(frozen=True)
class _Segment:
    identity: str
    tokens: int
    breakpoint: bool


@dataclass(frozen=True)
class PromptAnalysis:
    """Token counts and cache breakpoints of a request's prompt.

    Attributes:
        prompt_tokens: Total prompt tokens.
        audio_tokens: Tokens from ``input_audio`` parts.
        video_tokens: Tokens from ``video_url`` parts.
        media: Count of media parts by part type.
        breakpoints: ``(prefix hash, prefix tokens)`` for each cache breakpoint, in order.
        boundaries: ``(prefix hash, prefix tokens)`` after every prompt segment up to the last
            breakpoint (cache reads match any of them, like Anthropic's block lookup).
    """

    prompt_tokens: int
    audio_tokens: int = 0
    video_tokens: int = 0
    media: Mapping[str, int] = field(default_factory=dict)
    breakpoints: tuple[tuple[str, int], ...] = ()
    boundaries: tuple[tuple[str, int], ...] = ()


def _part_tokens(part: Any) -> tuple[int, str]:
    if isinstance(part, str):
        return text_tokens(part), "text"
    if not isinstance(part, Mapping):
        return text_tokens(_compact(part)), "other"
    kind = str(part.get("type", "text"))
    if kind == "text":
        return text_tokens(str(part.get("text", ""))), kind
    fixed = {
        "image_url": IMAGE_TOKENS,
        "file": FILE_TOKENS,
        "input_audio": AUDIO_TOKENS,
        "video_url": VIDEO_TOKENS,
    }
    if kind in fixed:
        return fixed[kind], kind
    return text_tokens(_compact(_without_cache_control(part))), kind


def _has_cache_control(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("cache_control"), Mapping)


def _segments(body: Mapping[str, Any]) -> tuple[list[_Segment], dict[str, int]]:
    segments: list[_Segment] = []
    media: dict[str, int] = {}
    for tool in body.get("tools") or ():
        definition = _compact(_without_cache_control(tool))
        segments.append(
            _Segment("tool:" + definition, text_tokens(definition), _has_cache_control(tool))
        )
    response_format = body.get("response_format")
    if isinstance(response_format, Mapping) and response_format.get("type") == "json_schema":
        schema = response_format.get("json_schema")
        identity = _compact(["schema", schema])
        segments.append(_Segment(identity, text_tokens(_compact(schema)), False))
    messages = body.get("messages")
    if not isinstance(messages, Sequence) or isinstance(messages, str):
        prompt = body.get("prompt")
        messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else []
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping):
            continue
        extra = "".join(str(message.get(k) or "") for k in ("name", "tool_call_id"))
        head = _compact(["message", index, message.get("role"), extra])
        segments.append(_Segment(head, MESSAGE_OVERHEAD + text_tokens(extra), False))
        content = message.get("content")
        parts: Sequence[Any] = (
            [{"type": "text", "text": content}]
            if isinstance(content, str)
            else content
            if isinstance(content, Sequence)
            else []
        )
        for part in parts:
            tokens, kind = _part_tokens(part)
            if kind not in {"text", "other"}:
                media[kind] = media.get(kind, 0) + 1
            identity = _compact(["part", _without_cache_control(part)])
            segments.append(_Segment(identity, tokens, _has_cache_control(part)))
        for call in message.get("tool_calls") or ():
            function = call.get("function", {}) if isinstance(call, Mapping) else {}
            name = str(function.get("name", ""))
            arguments = str(function.get("arguments", ""))
            identity = _compact(["call", name, arguments])
            segments.append(_Segment(identity, text_tokens(name) + text_tokens(arguments), False))
    if _has_cache_control(body) and segments:
        last = segments[-1]
        segments[-1] = _Segment(last.identity, last.tokens, True)
    return segments, media


def analyze_prompt(body: Mapping[str, Any], *, cache_scope: str) -> PromptAnalysis:
    """Count a request's prompt tokens and find its cache breakpoints.

    A breakpoint is every content part (or tool definition) carrying ``cache_control``, plus the
    last prompt segment when the body has a top-level ``cache_control``. Each prefix is keyed by
    a hash of ``cache_scope`` (the served model) and the conversation up to and including it,
    ignoring the ``cache_control`` markers themselves (string content and a single text part
    are the same prefix).

    Args:
        body: The parsed request body.
        cache_scope: A string mixed into every prefix hash (the served model).

    Returns:
        The analysis.
    """
    segments, media = _segments(body)
    digest = hashlib.sha256(cache_scope.encode())
    total = 0
    breakpoints: list[tuple[str, int]] = []
    boundaries: list[tuple[str, int]] = []
    lookup_end = 0
    for segment in segments:
        total += segment.tokens
        digest.update(segment.identity.encode())
        digest.update(b"\x00")
        boundaries.append((digest.copy().hexdigest(), total))
        if segment.breakpoint:
            breakpoints.append(boundaries[-1])
            lookup_end = len(boundaries)
    return PromptAnalysis(
        prompt_tokens=total,
        audio_tokens=media.get("input_audio", 0) * AUDIO_TOKENS,
        video_tokens=media.get("video_url", 0) * VIDEO_TOKENS,
        media=media,
        breakpoints=tuple(breakpoints),
        boundaries=tuple(boundaries[:lookup_end]),
    )


@dataclass(frozen=True)
class CacheOutcome:
    """Result of looking a prompt up in the simulated cache.

    Attributes:
        cached_tokens: Tokens read from the cache (the longest cached breakpoint prefix).
        cache_write_tokens: Tokens written (last breakpoint prefix minus the cached part).
        new_keys: Prefix hashes to add to the cache.
    """

    cached_tokens: int = 0
    cache_write_tokens: int = 0
    new_keys: tuple[str, ...] = ()


def apply_cache(analysis: PromptAnalysis, cache: Collection[str]) -> CacheOutcome:
    """Compute cache reads and writes for a prompt against the current cache contents.

    Reads: the longest cached prefix ending at any segment boundary up to the last breakpoint.
    Writes: every breakpoint prefix not cached yet; ``cache_write_tokens`` is the last
    breakpoint's prefix minus the tokens read (``0`` when that prefix was already cached).

    Args:
        analysis: The prompt analysis.
        cache: Prefix hashes already cached.

    Returns:
        The outcome; the caller adds ``new_keys`` to its cache.
    """
    if not analysis.breakpoints:
        return CacheOutcome()
    cached = max((tokens for key, tokens in analysis.boundaries if key in cache), default=0)
    last_key, last_tokens = analysis.breakpoints[-1]
    written = 0 if last_key in cache else max(0, last_tokens - cached)
    new_keys = tuple(key for key, _ in analysis.breakpoints if key not in cache)
    return CacheOutcome(cached_tokens=cached, cache_write_tokens=written, new_keys=new_keys)


def _limit(value: Decimal) -> Decimal:
    """Round to at most 15 significant digits so the value survives a float round trip."""
    if value == 0:
        return Decimal(0)
    digits = len(value.as_tuple().digits)
    if digits <= _MAX_SIGNIFICANT_DIGITS:
        return value
    exponent = value.adjusted() - _MAX_SIGNIFICANT_DIGITS + 1
    return value.quantize(Decimal(1).scaleb(exponent))


def json_number(value: Decimal) -> int | float:
    """Serialize a ``Decimal`` amount as a JSON number.

    Zero becomes ``0``; anything else becomes the float whose ``repr`` reads back (through
    ``Decimal(repr(x))``) as the same value, e.g. ``Decimal("0.00000014")`` -> ``1.4e-07``.

    Args:
        value: The amount (at most 15 significant digits).

    Returns:
        ``0`` or a float.
    """
    if value == 0:
        return 0
    return float(_limit(value))


def to_decimal(value: Any) -> Decimal:
    """Read a JSON number the way clients should: ``Decimal(repr(value))``."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, (int, float)):
        return Decimal(repr(value))
    return Decimal(str(value))


@dataclass(frozen=True)
class UsageNumbers:
    """Token counts and cost parts of one generation.

    Attributes:
        prompt_tokens: Prompt tokens (cached and written included).
        completion_tokens: Completion tokens (reasoning included).
        reasoning_tokens: Reasoning tokens.
        cached_tokens: Prompt tokens read from the cache.
        cache_write_tokens: Prompt tokens written to the cache.
        audio_tokens: Prompt audio tokens.
        video_tokens: Prompt video tokens.
        image_tokens: Completion tokens of generated images (part of ``completion_tokens``).
        prompt_cost: Cost of the prompt side.
        completion_cost: Cost of the completion side.
        request_cost: Flat per-request price.
    """

    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    audio_tokens: int = 0
    video_tokens: int = 0
    image_tokens: int = 0
    prompt_cost: Decimal = Decimal(0)
    completion_cost: Decimal = Decimal(0)
    request_cost: Decimal = Decimal(0)

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost(self) -> Decimal:
        """Total cost in USD (credits)."""
        return _limit(self.prompt_cost + self.completion_cost + self.request_cost)


def compute_usage(
    *,
    prompt_tokens: int,
    completion_tokens: int,
    prices: Mapping[str, Decimal],
    reasoning_tokens: int = 0,
    cache: CacheOutcome | None = None,
    audio_tokens: int = 0,
    video_tokens: int = 0,
    image_tokens: int = 0,
) -> UsageNumbers:
    """Apply the cost rule (see the module docstring).

    Args:
        prompt_tokens: Prompt tokens.
        completion_tokens: Completion tokens, reasoning included.
        prices: Per-token prices (``prompt``, ``completion``, ``request``, ``input_cache_*``).
        reasoning_tokens: Reasoning tokens (already part of ``completion_tokens``).
        cache: Cache reads/writes, if any.
        audio_tokens: Prompt audio tokens (reported only).
        video_tokens: Prompt video tokens (reported only).
        image_tokens: Generated image tokens (already part of ``completion_tokens``).

    Returns:
        The usage numbers.
    """
    cache = cache or CacheOutcome()
    prompt_price = max(prices.get("prompt", Decimal(0)), Decimal(0))
    completion_price = max(prices.get("completion", Decimal(0)), Decimal(0))
    read_price = prices.get("input_cache_read", prompt_price)
    write_price = prices.get("input_cache_write", prompt_price)
    image_price = max(prices.get("image_output", completion_price), Decimal(0))
    text_completion = max(0, completion_tokens - image_tokens)
    uncached = max(0, prompt_tokens - cache.cached_tokens - cache.cache_write_tokens)
    prompt_cost = (
        uncached * prompt_price
        + cache.cached_tokens * read_price
        + cache.cache_write_tokens * write_price
    )
    return UsageNumbers(
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        reasoning_tokens=reasoning_tokens,
        cached_tokens=cache.cached_tokens,
        cache_write_tokens=cache.cache_write_tokens,
        audio_tokens=audio_tokens,
        video_tokens=video_tokens,
        image_tokens=image_tokens,
        prompt_cost=_limit(prompt_cost),
        completion_cost=_limit(text_completion * completion_price + image_tokens * image_price),
        request_cost=max(prices.get("request", Decimal(0)), Decimal(0)),
    )


def usage_payload(usage: UsageNumbers) -> dict[str, Any]:
    """Render usage as the full 2026 ``usage`` object (real key order).

    Args:
        usage: The numbers.

    Returns:
        The JSON-ready dict.
    """
    cost = json_number(usage.cost)
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "cost": cost,
        "is_byok": False,
        "prompt_tokens_details": {
            "cached_tokens": usage.cached_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
            "audio_tokens": usage.audio_tokens,
            "video_tokens": usage.video_tokens,
        },
        "cost_details": {
            "upstream_inference_cost": cost,
            "upstream_inference_prompt_cost": json_number(usage.prompt_cost),
            "upstream_inference_completions_cost": json_number(usage.completion_cost),
        },
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "image_tokens": usage.image_tokens,
            "audio_tokens": 0,
        },
    }


def _jsonable(value: Any) -> Any:
    if value is JSON_NULL:
        return None
    if isinstance(value, Decimal):
        return json_number(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def merge_usage(base: Mapping[str, Any], override: Mapping[str, Any] | None) -> dict[str, Any]:
    """Deep-merge a scripted ``usage`` override over computed usage.

    A value of ``None`` removes the key; :data:`JSON_NULL` sends JSON ``null``; nested dicts merge
    recursively; ``Decimal`` values become JSON numbers.

    Args:
        base: The computed usage object.
        override: The scripted override (``None`` keeps ``base``).

    Returns:
        A new dict.
    """
    merged: dict[str, Any] = dict(base)
    for key, value in (override or {}).items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_usage(merged[key], value)
        else:
            merged[key] = _jsonable(value)
    return merged
