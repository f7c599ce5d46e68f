"""Server-sent-event decoding and the one stream accumulator both frameworks use.

Everything here is pure: bytes in, plain dicts and small value objects out, no I/O and no
framework types. :class:`SSEDecoder` turns the raw bytes of a response into the JSON payload of
each ``data:`` event (comment lines such as ``: OPENROUTER PROCESSING`` and keep-alive
whitespace never get through). :class:`StreamAccumulator` takes those chat-completion chunks one
by one, reports what each one added as a :class:`StreamDelta`, and keeps the whole answer so
far: text, reasoning, ``reasoning_details`` merged by ``(type, index)``, tool calls assembled by
``index``, finish reasons, provider, model, generation id, annotations and usage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openrouter_core import _json
from openrouter_core.response import read_reasoning
from openrouter_core.usage import OpenRouterUsage, usage_from_body

__all__ = ["SSEDecoder", "StreamAccumulator", "StreamDelta", "merge_reasoning_details"]

_DONE = object()
# Fields of a reasoning_details entry that arrive in pieces and are joined; every other field
# (format, signature, id, type, index) is a scalar that is set once and never concatenated.
_CONCAT_DETAIL_FIELDS = frozenset({"text", "summary", "data"})


class SSEDecoder:
    """Incremental decoder from response bytes to the JSON payloads of SSE ``data`` events.

    Feed it byte chunks as they arrive; each call returns the payloads of the events completed
    by that chunk. ``data: [DONE]`` sets :attr:`done` and ends decoding.
    """

    __slots__ = ("_buffer", "_data", "done")

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[bytes] = []
        self.done = False
        """Whether the ``[DONE]`` terminator has been seen."""

    def feed(self, chunk: bytes) -> list[Any]:
        """Decode one chunk of bytes; return the JSON payloads of the events it completed."""
        if self.done:
            return []
        buffer = self._buffer + chunk if self._buffer else chunk
        lines = buffer.split(b"\n")
        self._buffer = lines.pop()
        events: list[Any] = []
        # _line() inlined: this loop runs for every line of every stream.
        data = self._data
        for line in lines:
            if line[-1:] == b"\r":
                line = line[:-1]  # noqa: PLW2901
            if line:
                if line[:5] == b"data:":
                    data.append(line[6:] if line[5:6] == b" " else line[5:])
                continue
            if not data:
                continue
            payload = self._dispatch()
            data = self._data
            if payload is _DONE:
                break
            if payload is not None:
                events.append(payload)
        return events

    def flush(self) -> list[Any]:
        """Decode whatever is left when the body ends (an event without its final blank line)."""
        events: list[Any] = []
        if self._buffer and not self.done:
            payload = self._line(self._buffer)
            self._buffer = b""
            if payload is not None and payload is not _DONE:
                events.append(payload)
        if self._data and not self.done:
            payload = self._dispatch()
            if payload is not None and payload is not _DONE:
                events.append(payload)
        return events

    def _line(self, line: bytes) -> Any:
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            return self._dispatch() if self._data else None
        if line.startswith(b"data:"):
            value = line[5:]
            self._data.append(value[1:] if value.startswith(b" ") else value)
        # Comments (":"), "event:", "id:" and "retry:" lines carry nothing we use.
        return None

    def _dispatch(self) -> Any:
        data = self._data[0] if len(self._data) == 1 else b"\n".join(self._data)
        self._data = []
        if data[:1] != b"{":  # a JSON object needs no further look
            stripped = data.strip()
            if stripped == b"[DONE]":
                self.done = True
                return _DONE
            if not stripped:
                return None
        return _json.loads(data)


class StreamDelta:
    """What one chunk added to the answer.

    Attributes:
        content: Text added (``""`` when none).
        reasoning: Reasoning text added (``""`` when none).
        reasoning_details: The ``reasoning_details`` fragments this chunk carried, as sent.
        tool_calls: The tool-call fragments this chunk carried, each a dict with ``index``,
            ``id``, ``name`` and ``arguments`` (``None`` where the fragment had none).
        finish_reason: Set on the one delta where the finish reason first arrives.
        native_finish_reason: The provider's own finish reason, on that same delta.
        usage: The usage, on the delta of the chunk that carried it.
        annotations: Annotations (e.g. URL citations) this chunk carried.
        logprobs: The ``logprobs.content`` entries this chunk carried.
        images: The generated images this chunk carried (``delta.images``), as sent.
        first: Whether this is the first chunk of the stream (id, model and provider are known).
        chunk: The raw chunk.
    """

    __slots__ = (
        "annotations",
        "chunk",
        "content",
        "finish_reason",
        "first",
        "images",
        "logprobs",
        "native_finish_reason",
        "reasoning",
        "reasoning_details",
        "tool_calls",
        "usage",
    )

    def __init__(self, chunk: Mapping[str, Any], *, first: bool) -> None:
        self.chunk = chunk
        self.first = first
        self.content = ""
        self.reasoning = ""
        self.reasoning_details: list[dict[str, Any]] = []
        self.tool_calls: list[dict[str, Any]] = []
        self.finish_reason: str | None = None
        self.native_finish_reason: str | None = None
        self.usage: OpenRouterUsage | None = None
        self.annotations: list[Any] = []
        self.logprobs: list[Any] = []
        self.images: list[Any] = []

    @property
    def is_empty(self) -> bool:
        """Whether the chunk added nothing a framework needs to show."""
        return not (
            self.content
            or self.reasoning
            or self.reasoning_details
            or self.tool_calls
            or self.finish_reason
            or self.usage
            or self.annotations
            or self.images
        )


def merge_reasoning_details(
    merged: list[dict[str, Any]], fragments: list[Any], index_of: dict[tuple[Any, Any], int]
) -> None:
    """Merge streamed ``reasoning_details`` fragments into ``merged`` in place.

    Fragments with the same ``(type, index)`` belong to one entry: its text-like fields
    (``text``, ``summary``, ``data``) are joined in order; scalar fields (``format``,
    ``signature``, ``id``) are taken from the first fragment that has them and never
    concatenated, so a ``format`` repeated on every fragment stays ``"anthropic-claude-v1"``.
    A scalar that first arrives as ``""`` is replaced by the first non-empty value after it.
    """
    for fragment in fragments:
        if not isinstance(fragment, Mapping):
            continue
        key = (fragment.get("type"), fragment.get("index"))
        position = index_of.get(key)
        if position is None:
            index_of[key] = len(merged)
            merged.append(dict(fragment))
            continue
        entry = merged[position]
        for name, value in fragment.items():
            if value is None:
                continue
            current = entry.get(name)
            if name in _CONCAT_DETAIL_FIELDS and isinstance(value, str):
                entry[name] = (current if isinstance(current, str) else "") + value
            elif current is None or current == "":
                # a scalar that first came empty (a placeholder ``signature: ""``) is filled
                # in by the first non-empty value, never joined to it
                entry[name] = value


class _Pieces:
    """Text that arrives in pieces, held as one string per block of pieces.

    A stream of tiny chunks would otherwise keep one string object (about 50 bytes of overhead)
    per chunk until the text is read; here memory stays close to the text itself, and
    appending stays O(1).
    """

    __slots__ = ("_blocks", "_tail")
    _BLOCK = 64

    def __init__(self) -> None:
        self._blocks: list[str] = []
        self._tail: list[str] = []

    def append(self, piece: str) -> None:
        tail = self._tail
        tail.append(piece)
        if len(tail) >= self._BLOCK:
            self._blocks.append("".join(tail))
            tail.clear()

    def value(self) -> str:
        """Everything appended so far (kept joined, so reading it again is free)."""
        if self._tail or len(self._blocks) > 1:
            self._blocks = ["".join(self._blocks) + "".join(self._tail)]
            self._tail.clear()
        return self._blocks[0] if self._blocks else ""


class StreamAccumulator:
    """Accumulates a chat-completion stream, one chunk at a time.

    Args:
        model: The requested model, named in errors.

    Example:
        ```python
        acc = StreamAccumulator()
        for chunk in chunks:
            delta = acc.add(chunk)
            print(delta.content, end="")
        completion = acc.completion()  # shaped like a non-streaming response body
        ```
    """

    def __init__(self, model: str | None = None) -> None:
        self.requested_model = model
        self.id: str | None = None
        self.model: str | None = None
        self.provider: str | None = None
        self.created: int | None = None
        self.system_fingerprint: str | None = None
        self.service_tier: str | None = None
        self.finish_reason: str | None = None
        self.native_finish_reason: str | None = None
        self.usage: OpenRouterUsage | None = None
        self.raw_usage: dict[str, Any] | None = None
        self.annotations: list[Any] = []
        self.reasoning_details: list[dict[str, Any]] = []
        self.images: list[Any] = []
        self.refusal: str | None = None
        self.logprobs: list[Any] = []
        self.chunks = 0
        self._text = _Pieces()
        self._reasoning = _Pieces()
        self._details_index: dict[tuple[Any, Any], int] = {}
        self._tools: dict[int, dict[str, Any]] = {}
        self._tool_args: dict[int, _Pieces] = {}
        self._last_tool_index: int | None = None

    @property
    def text(self) -> str:
        """All text received so far."""
        return self._text.value()

    @property
    def reasoning(self) -> str:
        """All reasoning text received so far."""
        return self._reasoning.value()

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        """The tool calls assembled so far, in OpenAI shape (``arguments`` as a JSON string)."""
        calls = []
        for index in sorted(self._tools):
            call = self._tools[index]
            calls.append(
                {
                    "index": index,
                    "id": call.get("id"),
                    "type": call.get("type") or "function",
                    "function": {
                        "name": call.get("name") or "",
                        "arguments": self._tool_args[index].value(),
                    },
                }
            )
        return calls

    def add(self, chunk: Mapping[str, Any]) -> StreamDelta:
        """Take one chunk and return what it added.

        Raises:
            OpenRouterError: When the chunk is a mid-stream error (a top-level ``error``,
                whatever its ``finish_reason``). The error carries the text received so far
                and the usage the chunk reported, which is also kept on the accumulator.
        """
        first = self.chunks == 0
        self.chunks += 1
        delta = StreamDelta(chunk, first=first)
        self._take_metadata(chunk)
        usage = chunk.get("usage")
        if usage is not None:
            self.raw_usage = usage if isinstance(usage, dict) else None
            self.usage = delta.usage = usage_from_body(chunk)
        error = chunk.get("error")
        if error is not None:
            from openrouter_core.error_mapping import (
                error_from_payload,  # the SDK loads on first error
            )

            raise error_from_payload(
                error,
                model=self.requested_model,
                generation_id=self.id,
                partial_text=self.text,
                usage=self.usage,
            )
        choices = chunk.get("choices")
        if choices:
            for choice in choices:
                if isinstance(choice, Mapping) and not choice.get("index"):
                    self._take_choice(choice, delta)
        return delta

    def _take_metadata(self, chunk: Mapping[str, Any]) -> None:
        if self.id is None:
            value = chunk.get("id")
            self.id = value if isinstance(value, str) else None
        model = chunk.get("model")
        if isinstance(model, str) and model:
            self.model = model
        provider = chunk.get("provider")
        if isinstance(provider, str) and provider:
            self.provider = provider
        if self.created is None and isinstance(chunk.get("created"), int):
            self.created = chunk["created"]
        fingerprint = chunk.get("system_fingerprint")
        if isinstance(fingerprint, str):
            self.system_fingerprint = fingerprint
        tier = chunk.get("service_tier")
        if isinstance(tier, str):
            self.service_tier = tier

    def _take_choice(self, choice: Mapping[str, Any], delta: StreamDelta) -> None:
        message = choice.get("delta") or choice.get("message")
        if isinstance(message, Mapping):
            content = message.get("content")
            if isinstance(content, str) and content:
                self._text.append(content)
                delta.content = content
            reasoning = read_reasoning(message)
            if reasoning:
                self._reasoning.append(reasoning)
                delta.reasoning = reasoning
            details = message.get("reasoning_details")
            if isinstance(details, list) and details:
                delta.reasoning_details = [d for d in details if isinstance(d, dict)]
                merge_reasoning_details(self.reasoning_details, details, self._details_index)
            tool_calls = message.get("tool_calls")
            if isinstance(tool_calls, list) and tool_calls:
                for fragment in tool_calls:
                    if isinstance(fragment, Mapping):
                        delta.tool_calls.append(self._take_tool_call(fragment))
            annotations = message.get("annotations")
            if isinstance(annotations, list) and annotations:
                self.annotations.extend(annotations)
                delta.annotations = annotations
            images = message.get("images")
            if isinstance(images, list) and images:
                self.images.extend(images)
                delta.images = images
            refusal = message.get("refusal")
            if isinstance(refusal, str) and refusal:
                self.refusal = (self.refusal or "") + refusal
        finish = choice.get("finish_reason")
        if isinstance(finish, str) and finish and self.finish_reason is None:
            self.finish_reason = delta.finish_reason = finish
            native = choice.get("native_finish_reason")
            if isinstance(native, str):
                self.native_finish_reason = delta.native_finish_reason = native
        logprobs = choice.get("logprobs")
        if isinstance(logprobs, Mapping) and isinstance(logprobs.get("content"), list):
            delta.logprobs = logprobs["content"]
            self.logprobs.extend(delta.logprobs)

    def _take_tool_call(self, fragment: Mapping[str, Any]) -> dict[str, Any]:
        function = fragment.get("function")
        function = function if isinstance(function, Mapping) else {}
        call_id = fragment.get("id") or None
        name = function.get("name") or None
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            arguments = _json.dumps(arguments) if arguments is not None else None
        index = fragment.get("index")
        if not isinstance(index, int):
            # Some upstreams omit the index: a fragment with a new id starts a new call,
            # anything else continues the last one.
            known = call_id is not None and any(
                c.get("id") == call_id for c in self._tools.values()
            )
            if call_id is not None and not known:
                index = len(self._tools)
            else:
                index = self._last_tool_index if self._last_tool_index is not None else 0
        call = self._tools.get(index)
        if call is None:
            call = self._tools[index] = {"id": None, "type": None, "name": None}
            self._tool_args[index] = _Pieces()
        if call_id and not call["id"]:
            call["id"] = call_id
        if name and not call["name"]:
            call["name"] = name
        kind = fragment.get("type")
        if isinstance(kind, str) and not call["type"]:
            call["type"] = kind
        if arguments:
            self._tool_args[index].append(arguments)
        self._last_tool_index = index
        return {"index": index, "id": call_id, "name": name, "arguments": arguments}

    def check_complete(self, *, done: bool) -> None:
        """Raise if the stream ended without finishing.

        Args:
            done: Whether the ``[DONE]`` terminator arrived.

        Raises:
            APIConnectionError: When the body ended with neither ``[DONE]`` nor a finish reason
                (the connection dropped), carrying the text received so far.
            OpenRouterError: When the stream finished with ``finish_reason: "error"``.
        """
        from openrouter_core.error_mapping import error_from_payload
        from openrouter_core.errors import APIConnectionError

        if self.finish_reason == "error":
            raise error_from_payload(
                {"message": "the provider reported an error and ended the stream"},
                model=self.requested_model,
                generation_id=self.id,
                partial_text=self.text,
                usage=self.usage,
            )
        if not done and self.finish_reason is None:
            raise APIConnectionError(
                "the stream ended before the response was complete (no finish reason, no [DONE])",
                model=self.requested_model,
                generation_id=self.id,
                partial_text=self.text,
                usage=self.usage,
            )

    def message(self) -> dict[str, Any]:
        """The assistant message so far, shaped like a non-streaming ``choices[0].message``."""
        tool_calls = self.tool_calls
        message: dict[str, Any] = {
            "role": "assistant",
            "content": self.text,
            "refusal": self.refusal,
            "reasoning": self.reasoning or None,
        }
        if self.reasoning_details:
            message["reasoning_details"] = [dict(d) for d in self.reasoning_details]
        if tool_calls:
            message["tool_calls"] = tool_calls
        if self.annotations:
            message["annotations"] = list(self.annotations)
        if self.images:
            message["images"] = list(self.images)
        return message

    def completion(self) -> dict[str, Any]:
        """Everything so far, shaped like a non-streaming chat-completion response body."""
        choice: dict[str, Any] = {
            "index": 0,
            "finish_reason": self.finish_reason,
            "native_finish_reason": self.native_finish_reason,
            "message": self.message(),
            "logprobs": {"content": list(self.logprobs)} if self.logprobs else None,
        }
        body: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "provider": self.provider,
            "system_fingerprint": self.system_fingerprint,
            "service_tier": self.service_tier,
            "choices": [choice],
        }
        if self.raw_usage is not None:
            body["usage"] = self.raw_usage
        return body
