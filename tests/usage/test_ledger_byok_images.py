"""The ledger's BYOK split and image tokens, through ``track_usage()`` and both frameworks.

A BYOK call (the user's own provider key) reports OpenRouter's fee as ``usage.cost`` (0 in the
real recording ``pa_byok_tools_1``) and what the provider charged as
``cost_details.upstream_inference_cost``; the ledger keeps both apart and adds them up, per
model and in total. Image generation reports ``completion_tokens_details.image_tokens``
(``rl_image_gen_chat``). The recordings are served byte for byte by a loopback server; the
emulator scripts the other shapes.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from langchain_core.messages import HumanMessage
from llama_index.core.llms import ChatMessage

from langchain_openrouter import ChatOpenRouter
from llama_index_openrouter import OpenRouter
from openrouter_core import UsageLedger, track_usage
from openrouter_core.testing import OpenRouterEmulator, replies
from openrouter_core.usage import parse_usage
from tests.raw_server import RawServer

GEMINI = "google/gemini-2.5-flash"
HAIKU = "anthropic/claude-haiku-4.5"
MINI = "openai/gpt-4o-mini"


def _langchain(base_url: str, model: str) -> ChatOpenRouter:
    return ChatOpenRouter(model=model, api_key="test-key", base_url=base_url, max_retries=0)


def _llamaindex(base_url: str, model: str) -> OpenRouter:
    return OpenRouter(model=model, api_key="test-key", api_base=base_url, max_retries=0)


def _header(summary: str) -> list[str]:
    return summary.splitlines()[0].split("  ")


def _cells(summary: str, first: str) -> list[str]:
    """The cells of the summary row whose first column is ``first``."""
    line = next(line for line in summary.splitlines() if line.startswith(first))
    return [cell.strip() for cell in line.split("  ") if cell.strip()]


def _columns(summary: str) -> list[str]:
    return [cell.strip() for cell in _header(summary) if cell.strip()]


# --------------------------------------------------------------------------- real recordings


def test_real_byok_calls_count_the_provider_charge_apart_from_openrouters(wire: Any) -> None:
    raw = [wire.bytes(f"pa_byok_tools_{n}.response.json") for n in (1, 2)]
    upstream = [
        Decimal(str(json.loads(body)["usage"]["cost_details"]["upstream_inference_cost"]))
        for body in raw
    ]
    with RawServer() as server:
        for body in raw:
            server.queue(200, "application/json", body)
        with track_usage() as usage:
            _langchain(server.base_url, GEMINI).invoke("What is the weather in Paris?")
            _llamaindex(server.base_url, GEMINI).chat([ChatMessage(role="user", content="And?")])

    # OpenRouter charged nothing (its BYOK fee was 0); Google billed the user's own key.
    assert usage.requests == usage.byok_requests == 2
    assert usage.total_cost == 0
    assert usage.byok_cost == sum(upstream) == Decimal("0.0005518")
    assert usage.combined_cost == Decimal("0.0005518")
    assert [r.byok_cost for r in usage.records] == upstream

    per_model = usage.by_model()[GEMINI]
    assert (per_model.byok_requests, per_model.total_cost, per_model.byok_cost) == (
        2,
        0,
        Decimal("0.0005518"),
    )
    data = usage.to_dict()
    assert data["totals"]["byok_cost"] == "0.0005518"
    assert data["totals"]["combined_cost"] == "0.0005518"
    assert data["by_model"][GEMINI]["byok_requests"] == 2
    assert data["by_provider"]["Google AI Studio"]["combined_cost"] == "0.0005518"

    summary = usage.summary()
    assert _columns(summary)[-3:] == ["OpenRouter (USD)", "BYOK (USD)", "total (USD)"]
    assert _cells(summary, "total")[-3:] == ["0", "0.0005518", "0.0005518"]
    assert _cells(summary, GEMINI)[:4] == [GEMINI, "Google AI Studio", "2", "2"]  # BYOK: 2
    notes = [line for line in summary.splitlines() if "own provider keys" in line]
    assert [note.split(":")[0] for note in notes] == [
        "2 request(s) ran on your own provider keys (BYOK)"
    ]


def test_real_image_generation_counts_image_tokens(wire: Any) -> None:
    raw = wire.bytes("rl_image_gen_chat.response.json")
    reported = json.loads(raw)["usage"]["completion_tokens_details"]["image_tokens"]
    assert parse_usage(json.loads(raw)["usage"]).image_tokens == reported == 1290  # type: ignore[union-attr]
    with RawServer() as server:
        server.queue(200, "application/json", raw)
        with track_usage() as usage:
            _langchain(server.base_url, "google/gemini-2.5-flash-image").invoke("Paint a cat")

    assert usage.image_tokens == 1290
    assert usage.records[0].image_tokens == 1290
    assert usage.to_dict()["totals"]["image_tokens"] == 1290
    summary = usage.summary()
    columns = _columns(summary)
    assert columns[columns.index("reasoning") + 1] == "images"
    row = _cells(summary, "total")
    assert row[columns.index("images") - 1] == "1290"  # the total row has no provider cell
    assert "BYOK" not in summary  # not a BYOK call: one cost column


# --------------------------------------------------------------------------- the emulator


def test_a_byok_fee_and_the_provider_charge_add_up_with_other_calls(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    emu = openrouter_emulator
    # OpenRouter's 5% BYOK fee on an upstream charge of $0.00042 (the numbers of issue 14).
    byok = {"is_byok": True, "cost": 0.000021, "cost_details": {"upstream_inference_cost": 0.00042}}
    emu.enqueue(replies.text("Paid with my own key.", usage=byok))
    with track_usage() as usage:
        _langchain(emu.base_url, HAIKU).invoke([HumanMessage("Hi")])
        _llamaindex(emu.base_url, MINI).chat([ChatMessage(role="user", content="Hi")])

    (byok_record,) = [r for r in usage.records if r.is_byok]
    (credit_record,) = [r for r in usage.records if not r.is_byok]
    assert byok_record.cost == Decimal("0.000021")
    assert byok_record.byok_cost == Decimal("0.00042")
    assert credit_record.byok_cost is None  # its upstream cost is already in its cost
    credit = credit_record.cost
    assert credit is not None
    assert credit > 0

    assert usage.byok_requests == 1
    assert usage.total_cost == Decimal("0.000021") + credit
    assert usage.byok_cost == Decimal("0.00042")
    assert usage.combined_cost == Decimal("0.000441") + credit

    per_model = usage.by_model()
    assert per_model[byok_record.model].combined_cost == Decimal("0.000441")
    assert per_model[credit_record.model].combined_cost == credit
    assert per_model[credit_record.model].byok_requests == 0

    summary = usage.summary()
    assert _columns(summary)[:4] == ["model", "provider", "requests", "BYOK"]
    assert _cells(summary, byok_record.model)[-3:] == ["0.000021", "0.00042", "0.000441"]
    assert _cells(summary, credit_record.model)[-3:] == [str(credit), "0", str(credit)]
    assert _cells(summary, "total")[-3:] == [
        str(usage.total_cost),
        "0.00042",
        str(usage.combined_cost),
    ]


def test_without_a_byok_call_the_summary_keeps_one_cost_column(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    with track_usage() as usage:
        _langchain(openrouter_emulator.base_url, HAIKU).invoke("Hi")
    summary = usage.summary()
    assert _columns(summary)[-1] == "cost (USD)"
    assert "BYOK" not in summary
    assert "images" not in _columns(summary)
    assert usage.byok_requests == 0
    assert usage.byok_cost == 0
    assert usage.combined_cost == usage.total_cost > 0


def test_a_byok_call_that_reports_no_provider_charge_is_unknown_not_zero(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    emu = openrouter_emulator
    emu.enqueue(replies.text("Hi", usage={"is_byok": True, "cost": 0, "cost_details": None}))
    with track_usage() as usage:
        _langchain(emu.base_url, HAIKU).invoke("Hi")
    totals = usage.totals()
    assert (totals.byok_requests, totals.unknown_byok_cost_requests) == (1, 1)
    assert usage.byok_cost == 0
    summary = usage.summary()
    assert _cells(summary, "total")[-2:] == ["0 + 1 unknown", "0 + 1 unknown"]
    assert (
        "1 BYOK request(s) did not report the provider's charge; byok_cost does not include them."
        in summary.splitlines()
    )


def test_image_tokens_from_the_emulator_reach_the_ledger_and_survive_jsonl(
    openrouter_emulator: OpenRouterEmulator, tmp_path: Path
) -> None:
    emu = openrouter_emulator
    emu.enqueue(replies.text("A cat.", usage={"completion_tokens_details": {"image_tokens": 1290}}))
    byok = {"is_byok": True, "cost": 0, "cost_details": {"upstream_inference_cost": 0.0003}}
    emu.enqueue(replies.text("Mine.", usage=byok))
    with track_usage() as usage:
        _llamaindex(emu.base_url, MINI).chat([ChatMessage(role="user", content="Paint a cat")])
        _langchain(emu.base_url, HAIKU).invoke("Hi")
    assert usage.image_tokens == 1290

    usage.write_jsonl(tmp_path / "usage.jsonl")
    again = UsageLedger.read_jsonl(tmp_path / "usage.jsonl")
    assert again.totals() == usage.totals()
    assert (again.image_tokens, again.byok_requests, again.byok_cost) == (
        1290,
        1,
        Decimal("0.0003"),
    )
    assert again.summary() == usage.summary()


def test_a_generated_image_is_counted_as_the_emulator_billed_it(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    emu = openrouter_emulator
    image_model = "google/gemini-2.5-flash-image"
    painter = ChatOpenRouter(
        model=image_model,
        modalities=["image", "text"],
        api_key="test-key",
        base_url=emu.base_url,
        max_retries=0,
    )
    with track_usage() as usage:
        painter.invoke("Paint a lighthouse at dusk.")
        painter.invoke("And a second one.")
    (charge, second) = emu.charges
    assert charge.image_tokens > 0
    assert [r.image_tokens for r in usage.records] == [charge.image_tokens, second.image_tokens]
    assert usage.image_tokens == charge.image_tokens + second.image_tokens
    assert usage.total_cost == charge.cost + second.cost
    assert _cells(usage.summary(), "total")[-2] == str(usage.image_tokens)
