"""Build a JSON value that is a valid instance of a JSON schema (pure functions).

Used by the generic model for tool-call arguments and ``response_format: json_schema`` content.
Values are filled from a :class:`TextHints` pool built from the last user message:

* ``number`` / ``integer`` fields take the numbers found in the text, in order (integers are
  rounded; ``minimum`` / ``maximum`` are honoured); when none are left, ``minimum`` or ``1``;
* ``string`` fields take, in order of appearance, quoted strings (``"..."``, ``'...'``,
  ``“...”``) and runs of capitalised words (``New York``) with leading common words (``What``,
  ``Please``, ``Book``...) dropped; capitalised words that open a sentence come after all
  others; when none are left, the remaining numbers as text; then ``"example <property>"``.
  ``enum`` picks the first value mentioned in the text (case-insensitive), else the first
  value; ``const`` is used as is; ``format`` ``date`` / ``date-time`` / ``email`` / ``uri`` get
  fixed valid values;
* ``boolean`` fields are ``true``; ``null`` fields are ``null``;
* objects get all ``required`` properties (all properties if ``required`` is absent), arrays
  ``max(1, minItems)`` items; ``$ref`` (local), ``anyOf`` / ``oneOf`` (first non-null branch),
  ``allOf`` (merged) and type lists are supported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TextHints", "hints_from_text", "instance_for_schema"]

_STOPWORDS = frozenset(
    {
        "A",
        "About",
        "Add",
        "Also",
        "An",
        "And",
        "Answer",
        "Are",
        "As",
        "At",
        "Be",
        "Book",
        "But",
        "Buy",
        "By",
        "Calculate",
        "Call",
        "Can",
        "Check",
        "Choose",
        "Compute",
        "Convert",
        "Could",
        "Count",
        "Create",
        "Delete",
        "Describe",
        "Did",
        "Do",
        "Does",
        "Explain",
        "Extract",
        "Fetch",
        "Find",
        "For",
        "From",
        "Get",
        "Give",
        "Hello",
        "Help",
        "Hey",
        "Hi",
        "How",
        "I",
        "I'm",
        "If",
        "In",
        "Is",
        "It",
        "Its",
        "Just",
        "Let",
        "Lets",
        "List",
        "Look",
        "Make",
        "May",
        "Me",
        "Might",
        "Must",
        "My",
        "Name",
        "No",
        "Now",
        "Of",
        "Ok",
        "Okay",
        "On",
        "Open",
        "Or",
        "Order",
        "Our",
        "Pick",
        "Play",
        "Please",
        "Read",
        "Remove",
        "Reply",
        "Return",
        "Run",
        "Say",
        "Schedule",
        "Search",
        "Select",
        "Send",
        "Set",
        "Shall",
        "Should",
        "Show",
        "So",
        "Start",
        "Stop",
        "Summarise",
        "Summarize",
        "Tell",
        "Thank",
        "Thanks",
        "That",
        "The",
        "Then",
        "These",
        "They",
        "This",
        "Those",
        "To",
        "Translate",
        "Update",
        "Use",
        "Want",
        "Was",
        "We",
        "Were",
        "What",
        "When",
        "Where",
        "Which",
        "Who",
        "Whom",
        "Whose",
        "Why",
        "Will",
        "With",
        "Would",
        "Write",
        "Yes",
        "You",
        "Your",
    }
)
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|(?<![\w])'([^']+)'(?![\w])")
_CAPITALISED = re.compile(r"(?<![\w'’])[A-Z][\w-]*(?:[ \t]+[A-Z][\w-]*)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?\n]\s*|[(\[]\s*)$")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w])")
_MAX_DEPTH = 8


@dataclass
class TextHints:
    """A pool of values taken from a text, consumed in order while filling a schema.

    Attributes:
        text: The source text.
        numbers: Number literals found in the text, as written.
        strings: Quoted strings, then capitalised words.
    """

    text: str
    numbers: list[str] = field(default_factory=list)
    strings: list[str] = field(default_factory=list)
    _number_pos: int = 0
    _string_pos: int = 0

    def next_number(self) -> str | None:
        """Return the next unused number literal, or ``None``."""
        if self._number_pos < len(self.numbers):
            self._number_pos += 1
            return self.numbers[self._number_pos - 1]
        return None

    def next_string(self) -> str | None:
        """Return the next unused string (falling back to unused numbers), or ``None``."""
        if self._string_pos < len(self.strings):
            self._string_pos += 1
            return self.strings[self._string_pos - 1]
        return self.next_number()


def _capitalised(text: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Return (inner, sentence-initial) capitalised runs with their positions."""
    inner: list[tuple[int, str]] = []
    initial: list[tuple[int, str]] = []
    for match in _CAPITALISED.finditer(text):
        words = match.group().split()
        dropped = 0
        while words and words[0] in _STOPWORDS:
            words.pop(0)
            dropped += 1
        if not words:
            continue
        at_start = dropped == 0 and _SENTENCE_START.search(text[: match.start()]) is not None
        (initial if at_start else inner).append((match.start(), " ".join(words)))
    return inner, initial


def hints_from_text(text: str) -> TextHints:
    """Extract numbers, quoted strings and capitalised words from a text.

    Args:
        text: Usually the last user message.

    Returns:
        A fresh value pool.
    """
    quoted = [(m.start(), next(g for g in m.groups() if g)) for m in _QUOTED.finditer(text)]
    unquoted = _QUOTED.sub(lambda m: " " * len(m.group()), text)
    inner, initial = _capitalised(unquoted)
    strings: list[str] = []
    for _, value in [*sorted(quoted + inner), *initial]:
        if value not in strings:
            strings.append(value)
    return TextHints(text=text, numbers=_NUMBER.findall(unquoted), strings=strings)


def _resolve_ref(ref: str, root: Mapping[str, Any]) -> Mapping[str, Any]:
    if not ref.startswith("#"):
        return {}
    node: Any = root
    for token in ref.lstrip("#").strip("/").split("/"):
        if not token:
            continue
        key = token.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or key not in node:
            return {}
        node = node[key]
    return node if isinstance(node, Mapping) else {}


def _merge_all_of(schema: Mapping[str, Any], root: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema.get("allOf") or ():
        if not isinstance(part, Mapping):
            continue
        resolved = _normalize(part, root)
        for key, value in resolved.items():
            if key == "properties" and isinstance(value, Mapping):
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required" and isinstance(value, Sequence):
                merged["required"] = [*merged.get("required", []), *value]
            else:
                merged.setdefault(key, value)
    return merged


def _normalize(schema: Mapping[str, Any], root: Mapping[str, Any]) -> dict[str, Any]:
    current: dict[str, Any] = dict(schema)
    for _ in range(_MAX_DEPTH):
        ref = current.get("$ref")
        if not isinstance(ref, str):
            break
        rest = {k: v for k, v in current.items() if k != "$ref"}
        current = {**_resolve_ref(ref, root), **rest}
    if "allOf" in current:
        current = _merge_all_of(current, root)
    for key in ("anyOf", "oneOf"):
        options = current.get(key)
        if isinstance(options, Sequence) and options:
            chosen = next(
                (o for o in options if isinstance(o, Mapping) and o.get("type") != "null"),
                options[0],
            )
            rest = {k: v for k, v in current.items() if k not in {"anyOf", "oneOf"}}
            return {**_normalize(chosen, root), **rest}
    return current


def _schema_type(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, Sequence) and not isinstance(kind, str):
        non_null = [str(k) for k in kind if k != "null"]
        return non_null[0] if non_null else "null"
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    if schema.get("enum"):
        return "enum"
    return "string"


def _pick_enum(options: Sequence[Any], hints: TextHints) -> Any:
    lowered = hints.text.lower()
    for option in options:
        if isinstance(option, str) and re.search(
            r"(?<![\w])" + re.escape(option.lower()) + r"(?![\w])", lowered
        ):
            return option
    return options[0]


def _number(schema: Mapping[str, Any], hints: TextHints, *, integer: bool) -> int | float:
    literal = hints.next_number()
    value: float = float(literal) if literal is not None else 1.0
    if literal is None and isinstance(schema.get("minimum"), (int, float)):
        value = float(schema["minimum"])
    minimum = schema.get("minimum", schema.get("exclusiveMinimum"))
    maximum = schema.get("maximum", schema.get("exclusiveMaximum"))
    if isinstance(minimum, (int, float)) and value < minimum:
        value = float(minimum) + (1 if "exclusiveMinimum" in schema else 0)
    if isinstance(maximum, (int, float)) and value > maximum:
        value = float(maximum) - (1 if "exclusiveMaximum" in schema else 0)
    if integer:
        return round(value)
    if literal is not None and "." not in literal and value == int(value):
        return int(value)
    return value


def _string(schema: Mapping[str, Any], hints: TextHints, name: str) -> str:
    formats = {
        "date": "2025-01-01",
        "date-time": "2025-01-01T00:00:00Z",
        "time": "12:00:00",
        "email": "user@example.com",
        "uri": "https://example.com",
        "url": "https://example.com",
        "uuid": "00000000-0000-4000-8000-000000000000",
    }
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in formats:
        return formats[fmt]
    value = hints.next_string()
    if value is None:
        value = f"example {name}" if name else "example"
    min_length = schema.get("minLength")
    max_length = schema.get("maxLength")
    if isinstance(min_length, int) and len(value) < min_length:
        value = value + "x" * (min_length - len(value))
    if isinstance(max_length, int) and len(value) > max_length:
        value = value[:max_length]
    return value


def _instance(schema: Any, hints: TextHints, root: Mapping[str, Any], name: str, depth: int) -> Any:
    if not isinstance(schema, Mapping):
        return hints.next_string() or "example"
    normalized = _normalize(schema, root)
    if "const" in normalized:
        return normalized["const"]
    enum = normalized.get("enum")
    if isinstance(enum, Sequence) and not isinstance(enum, str) and enum:
        return _pick_enum(enum, hints)
    kind = _schema_type(normalized)
    if kind == "object":
        properties = normalized.get("properties") or {}
        required = normalized.get("required")
        if depth >= _MAX_DEPTH * 2:
            return {}
        if required is None:
            keys = list(properties) if depth < _MAX_DEPTH else []
        else:
            keys = [k for k in properties if k in required]
        return {key: _instance(properties[key], hints, root, key, depth + 1) for key in keys}
    if kind == "array":
        items = normalized.get("items", {})
        min_items = normalized.get("minItems")
        count = max(1, min_items) if isinstance(min_items, int) else 1
        if depth >= _MAX_DEPTH:
            count = min_items if isinstance(min_items, int) else 0
        if isinstance(items, Sequence) and not isinstance(items, str):
            return [_instance(item, hints, root, name, depth + 1) for item in items]
        return [_instance(items, hints, root, name, depth + 1) for _ in range(count)]
    if kind == "integer":
        return _number(normalized, hints, integer=True)
    if kind == "number":
        return _number(normalized, hints, integer=False)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(normalized, hints, name)


def instance_for_schema(schema: Any, hints: TextHints) -> Any:
    """Return a value valid against ``schema``, filled from ``hints`` (see the module docstring).

    Args:
        schema: A JSON schema (dict).
        hints: The value pool; it is consumed.

    Returns:
        A JSON-serializable value.
    """
    root = schema if isinstance(schema, Mapping) else {}
    return _instance(schema, hints, root, "", 0)
