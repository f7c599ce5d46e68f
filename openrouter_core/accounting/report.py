"""A ledger as people read it: an aligned text table and the HTML table notebooks show.

One row per model and provider, a total row, and notes for what the numbers leave out (calls
without a reported cost, failed calls, abandoned streams, fallbacks).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from openrouter_core.accounting.records import UNKNOWN, UsageTotals

if TYPE_CHECKING:
    from openrouter_core.accounting.ledger import UsageLedger

__all__ = ["html_table", "text_table"]

_HEADER = [
    "model",
    "provider",
    "requests",
    "input",
    "cached",
    "cache write",
    "output",
    "reasoning",
    "cost (USD)",
]


def _cells(name: str, provider: str, totals: UsageTotals) -> list[str]:
    cost = format(totals.total_cost, "f")
    if totals.unknown_cost_requests:
        cost = f"{cost} + {totals.unknown_cost_requests} unknown"
    return [
        name,
        provider,
        str(totals.requests),
        str(totals.input_tokens),
        str(totals.cached_tokens),
        str(totals.cache_write_tokens),
        str(totals.output_tokens),
        str(totals.reasoning_tokens),
        cost,
    ]


def _rows(ledger: UsageLedger) -> list[list[str]]:
    """One row per (model, provider), then the total row."""
    groups: dict[tuple[str, str], UsageTotals] = {}
    for record in ledger.records:
        key = (record.model, record.provider or UNKNOWN)
        groups[key] = groups.get(key, UsageTotals()).add(record)
    rows = [_cells(model, provider, t) for (model, provider), t in groups.items()]
    rows.append(_cells("total", "", ledger.totals()))
    return rows


def _notes(ledger: UsageLedger) -> list[str]:
    totals = ledger.totals()
    notes = []
    if totals.unknown_cost_requests:
        notes.append(
            f"{totals.unknown_cost_requests} request(s) reported no cost; "
            "total_cost does not include them."
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
    rows = _rows(ledger)
    widths = [max(len(row[i]) for row in [_HEADER, *rows]) for i in range(len(_HEADER))]

    def line(row: list[str]) -> str:
        parts = [
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    body = [line(_HEADER), rule, *(line(r) for r in rows[:-1]), rule, line(rows[-1])]
    return "\n".join(body + _notes(ledger))


def html_table(ledger: UsageLedger) -> str:
    """The same table as HTML (the total row in ``<th>`` cells), notes as a list."""
    rows = _rows(ledger)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in _HEADER)
    body = []
    for index, row in enumerate(rows):
        tag = "th" if index == len(rows) - 1 else "td"
        body.append("<tr>" + "".join(f"<{tag}>{html.escape(c)}</{tag}>" for c in row) + "</tr>")
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in _notes(ledger))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>" + (
        f"<ul>{notes}</ul>" if notes else ""
    )
