"""A ledger as people read it: an aligned text table and the HTML table notebooks show.

One row per model and provider, a total row, and notes for what the numbers leave out (calls
without a reported cost, failed calls, abandoned streams, fallbacks). Columns that would be all
zero stay out: image tokens appear when an image was generated, and the money is split into
what OpenRouter charged, what BYOK providers charged and both together when a call ran on the
user's own provider key.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from openrouter_core.accounting.records import UNKNOWN, UsageTotals

if TYPE_CHECKING:
    from openrouter_core.accounting.ledger import UsageLedger

__all__ = ["html_table", "text_table"]

_Column = tuple[str, Callable[[UsageTotals], str]]


def _money(amount: Decimal, unknown: int) -> str:
    text = format(amount, "f")
    return f"{text} + {unknown} unknown" if unknown else text


_NAMES = ["model", "provider"]
_COUNTS: list[_Column] = [
    ("requests", lambda t: str(t.requests)),
    ("input", lambda t: str(t.input_tokens)),
    ("cached", lambda t: str(t.cached_tokens)),
    ("cache write", lambda t: str(t.cache_write_tokens)),
    ("output", lambda t: str(t.output_tokens)),
    ("reasoning", lambda t: str(t.reasoning_tokens)),
]
_IMAGES: _Column = ("images", lambda t: str(t.image_tokens))
_COST: _Column = ("cost (USD)", lambda t: _money(t.total_cost, t.unknown_cost_requests))
_BYOK_REQUESTS: _Column = ("BYOK", lambda t: str(t.byok_requests))
_BYOK_COSTS: list[_Column] = [
    ("OpenRouter (USD)", lambda t: _money(t.total_cost, t.unknown_cost_requests)),
    ("BYOK (USD)", lambda t: _money(t.byok_cost, t.unknown_byok_cost_requests)),
    (
        "total (USD)",
        lambda t: _money(t.combined_cost, t.unknown_cost_requests + t.unknown_byok_cost_requests),
    ),
]


def _columns(totals: UsageTotals) -> list[_Column]:
    """The numeric columns this ledger needs, in order."""
    columns = list(_COUNTS)
    if totals.byok_requests:
        columns.insert(1, _BYOK_REQUESTS)
    if totals.image_tokens:
        columns.append(_IMAGES)
    columns.extend(_BYOK_COSTS if totals.byok_requests else [_COST])
    return columns


def _table(ledger: UsageLedger) -> tuple[list[str], list[list[str]]]:
    """The header, then one row per (model, provider) and the total row."""
    groups: dict[tuple[str, str], UsageTotals] = {}
    for record in ledger.records:
        key = (record.model, record.provider or UNKNOWN)
        groups[key] = groups.get(key, UsageTotals()).add(record)
    columns = _columns(ledger.totals())
    rows = [
        [model, provider, *(cell(t) for _, cell in columns)]
        for (model, provider), t in groups.items()
    ]
    rows.append(["total", "", *(cell(ledger.totals()) for _, cell in columns)])
    return [*_NAMES, *(name for name, _ in columns)], rows


def _notes(ledger: UsageLedger) -> list[str]:
    totals = ledger.totals()
    notes = []
    if totals.unknown_cost_requests:
        notes.append(
            f"{totals.unknown_cost_requests} request(s) reported no cost; "
            "total_cost does not include them."
        )
    if totals.byok_requests:
        notes.append(
            f"{totals.byok_requests} request(s) ran on your own provider keys (BYOK): "
            "'OpenRouter' is what OpenRouter charged (its fee, for those), 'BYOK' what the "
            "providers billed your keys, 'total' both."
        )
    if totals.unknown_byok_cost_requests:
        notes.append(
            f"{totals.unknown_byok_cost_requests} BYOK request(s) did not report the "
            "provider's charge; byok_cost does not include them."
        )
    if totals.failed_requests:
        notes.append(f"{totals.failed_requests} request(s) failed (billed usage included).")
    if totals.incomplete_requests:
        notes.append(f"{totals.incomplete_requests} stream(s) abandoned before the end.")
    notes.extend(
        f"fallback: requested {r.requested_model}, served {r.served_model}"
        for r in ledger.fallbacks()
    )
    return notes


def text_table(ledger: UsageLedger) -> str:
    """A readable, aligned table per model and provider, a total row and notes."""
    header, rows = _table(ledger)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        parts = [
            cell.ljust(width) if i < len(_NAMES) else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    body = [line(header), rule, *(line(r) for r in rows[:-1]), rule, line(rows[-1])]
    return "\n".join(body + _notes(ledger))


def html_table(ledger: UsageLedger) -> str:
    """The same table as HTML (the total row in ``<th>`` cells), notes as a list."""
    header, rows = _table(ledger)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for index, row in enumerate(rows):
        tag = "th" if index == len(rows) - 1 else "td"
        body.append("<tr>" + "".join(f"<{tag}>{html.escape(c)}</{tag}>" for c in row) + "</tr>")
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in _notes(ledger))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>" + (
        f"<ul>{notes}</ul>" if notes else ""
    )
