"""UsageLedger on its own: totals, breakdowns, deduplication, export and the summary table."""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from openrouter_core import UsageLedger, UsageRecord
from openrouter_core.accounting import UsageTotals
from openrouter_core.usage import OpenRouterUsage


def _record(
    gen_id: str | None,
    *,
    cost: str | None = "0.001",
    model: str = "anthropic/claude-4.5-haiku-20251001",
    requested: str = "anthropic/claude-haiku-4.5",
    provider: str | None = "Amazon Bedrock",
    **fields: object,
) -> UsageRecord:
    usage = OpenRouterUsage(
        input_tokens=100,
        output_tokens=20,
        total_tokens=120,
        cached_tokens=60,
        cache_write_tokens=30,
        reasoning_tokens=5,
        cost=None if cost is None else Decimal(cost),
        model=model,
        provider=provider,
        generation_id=gen_id,
    )
    return UsageRecord.from_usage(usage, requested_model=requested, **fields)  # type: ignore[arg-type]


def test_totals_are_exact_and_unknown_costs_are_counted_apart() -> None:
    ledger = UsageLedger()
    ledger.add(_record("gen-1", cost="0.1"))
    ledger.add(_record("gen-2", cost="0.2"))
    ledger.add(_record("gen-3", cost=None))
    assert ledger.requests == 3
    assert ledger.total_cost == Decimal("0.3")  # exact, where 0.1 + 0.2 floats are not
    assert ledger.unknown_cost_requests == 1
    assert ledger.input_tokens == 300
    assert ledger.output_tokens == 60
    assert ledger.total_tokens == 360
    assert ledger.cached_tokens == 180
    assert ledger.cache_write_tokens == 90
    assert ledger.reasoning_tokens == 15


def test_a_generation_id_is_recorded_once_and_records_without_id_are_never_merged() -> None:
    ledger = UsageLedger()
    assert ledger.add(_record("gen-1"))
    assert not ledger.add(_record("gen-1", source="langchain"))
    assert ledger.add(_record(None))
    assert ledger.add(_record(None))
    assert ledger.requests == 3
    assert [r.source for r in ledger.records] == ["openrouter", "openrouter", "openrouter"]
    assert UsageLedger([_record("gen-9"), _record("gen-9")]).requests == 1


def test_breakdowns_by_model_and_provider() -> None:
    ledger = UsageLedger()
    ledger.add(_record("a", cost="0.5"))
    ledger.add(_record("b", cost="0.25", provider="Anthropic"))
    ledger.add(
        _record(
            "c",
            cost="0.125",
            model="openai/gpt-4o-mini-2024-07-18",
            requested="openai/gpt-4o-mini",
            provider="OpenAI",
        )
    )
    ledger.add(_record("d", cost=None, model="openai/gpt-4o-mini-2024-07-18", provider=None))
    by_model = ledger.by_model()
    assert set(by_model) == {"anthropic/claude-4.5-haiku-20251001", "openai/gpt-4o-mini-2024-07-18"}
    assert by_model["anthropic/claude-4.5-haiku-20251001"].total_cost == Decimal("0.75")
    assert by_model["anthropic/claude-4.5-haiku-20251001"].requests == 2
    assert by_model["openai/gpt-4o-mini-2024-07-18"].unknown_cost_requests == 1
    assert by_model["openai/gpt-4o-mini-2024-07-18"].total_cost == Decimal("0.125")
    by_provider = ledger.by_provider()
    assert by_provider["Amazon Bedrock"].total_cost == Decimal("0.5")
    assert by_provider["Anthropic"].total_cost == Decimal("0.25")
    assert by_provider["OpenAI"].total_cost == Decimal("0.125")
    assert by_provider["(unknown)"].requests == 1
    assert sum((t.total_cost for t in by_provider.values()), Decimal(0)) == ledger.total_cost


def test_fallbacks_are_flagged_and_listed() -> None:
    ledger = UsageLedger()
    ledger.add(_record("a"))
    ledger.add(_record("b", requested="openrouter/auto", model="mistralai/mistral-nemo"))
    (fallback,) = ledger.fallbacks()
    assert fallback.generation_id == "b"
    assert fallback.fallback
    assert not ledger.records[0].fallback
    assert ledger.totals().fallback_requests == 1


def test_record_round_trips_through_dict_with_exact_decimals() -> None:
    record = UsageRecord(
        requested_model="openai/text-embedding-3-small",
        served_model="text-embedding-3-small",
        provider="OpenAI",
        generation_id="gen-emb-1",
        input_tokens=7,
        cost=Decimal("1.4E-7"),
        upstream_cost=Decimal("0.000000140"),
        is_byok=False,
        failed=True,
        error_type="ProviderError",
        endpoint="/embeddings",
        timestamp=dt.datetime(2026, 6, 8, 18, 47, 45, 123456, tzinfo=dt.timezone.utc),
    )
    data = record.to_dict()
    assert data["cost"] == "1.4E-7"
    assert data["upstream_cost"] == "1.40E-7"
    assert json.loads(json.dumps(data)) == data
    back = UsageRecord.from_dict(data)
    assert back == record
    assert str(back.cost) == "1.4E-7"
    assert str(back.upstream_cost) == "1.40E-7"


def test_jsonl_round_trip_is_exact(tmp_path: Path) -> None:
    ledger = UsageLedger()
    ledger.add(_record("gen-1", cost="0.000123456789012345678"))
    ledger.add(_record("gen-2", cost=None, streamed=True, incomplete=True))
    ledger.add(
        _record("gen-3", requested="openrouter/auto", model="mistralai/mistral-nemo", failed=True)
    )
    path = tmp_path / "usage.jsonl"
    ledger.write_jsonl(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    assert json.loads(lines[0])["cost"] == "0.000123456789012345678"
    back = UsageLedger.read_jsonl(path)
    assert back.records == ledger.records
    assert back.total_cost == Decimal("0.000123456789012345678") + Decimal("0.001")
    assert back.unknown_cost_requests == 1
    assert back.to_dict() == ledger.to_dict()
    assert [r.fallback for r in back.fallbacks()] == [True]


def test_read_jsonl_reports_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"cost": "0.1"}\n\nnot json\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl:3: not JSON"):
        UsageLedger.read_jsonl(path)
    path.write_text('{"input_tokens": "many"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="input_tokens"):
        UsageLedger.read_jsonl(path)
    path.write_text('{"cost": "a lot"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="cost"):
        UsageLedger.read_jsonl(path)


def test_to_dict_and_to_json() -> None:
    ledger = UsageLedger([_record("a", cost="0.5"), _record("b", cost=None)])
    data = json.loads(ledger.to_json())
    assert data["totals"]["total_cost"] == "0.5"
    assert data["totals"]["unknown_cost_requests"] == 1
    assert data["totals"]["requests"] == 2
    assert data["totals"]["total_tokens"] == 240
    assert data["by_model"]["anthropic/claude-4.5-haiku-20251001"]["requests"] == 2
    assert data["by_provider"]["Amazon Bedrock"]["cached_tokens"] == 120
    assert [r["generation_id"] for r in data["records"]] == ["a", "b"]
    assert data == ledger.to_dict()


def test_summary_is_an_aligned_table_with_totals_and_notes() -> None:
    ledger = UsageLedger()
    ledger.add(_record("a", cost="0.00125"))
    ledger.add(_record("b", cost="0.0005", provider="Anthropic"))
    ledger.add(
        _record("c", cost=None, requested="openrouter/auto", model="openai/gpt-4o-mini-2024-07-18")
    )
    text = ledger.summary()
    lines = text.splitlines()
    header = lines[0]
    assert header.split() == [
        "model", "provider", "requests", "input", "cached", "cache", "write", "output",
        "reasoning", "cost", "(USD)",
    ]  # fmt: skip
    table = [line for line in lines if not line.startswith(("fallback", "1 "))]
    # Every table line ends in the same column (right-aligned numbers).
    assert len({len(line) for line in table if not set(line) <= {"-", " "}}) == 1
    rows = [line.split("  ") for line in lines[2:5]]
    cells = [[c.strip() for c in row if c.strip()] for row in rows]
    assert cells == [
        ["anthropic/claude-4.5-haiku-20251001", "Amazon Bedrock", "1", "100", "60", "30", "20",
         "5", "0.00125"],
        ["anthropic/claude-4.5-haiku-20251001", "Anthropic", "1", "100", "60", "30", "20", "5",
         "0.0005"],
        ["openai/gpt-4o-mini-2024-07-18", "Amazon Bedrock", "1", "100", "60", "30", "20", "5",
         "0 + 1 unknown"],
    ]  # fmt: skip
    total = next(line for line in lines if line.startswith("total"))
    assert total.split()[1:8] == ["3", "300", "180", "90", "60", "15", "0.00175"]
    assert total.endswith("0.00175 + 1 unknown")
    assert "1 request(s) reported no cost; total_cost does not include them." in lines
    assert "fallback: requested openrouter/auto, served openai/gpt-4o-mini-2024-07-18" in lines


def test_html_table_for_notebooks_escapes_names() -> None:
    ledger = UsageLedger([_record("a", model="x/<b>bold</b>", requested="x/<b>bold</b>")])
    markup = ledger._repr_html_()
    assert markup.startswith("<table>")
    assert "&lt;b&gt;bold&lt;/b&gt;" in markup
    assert "<b>" not in markup
    assert "<th>total</th>" in markup


def test_empty_ledger() -> None:
    ledger = UsageLedger()
    assert ledger.requests == 0
    assert ledger.total_cost == Decimal(0)
    assert ledger.totals() == UsageTotals()
    assert ledger.summary().splitlines()[-1].split()[:2] == ["total", "0"]
    assert "requests=0" in repr(ledger)


def test_concurrent_adds_from_threads_lose_nothing() -> None:
    ledger = UsageLedger()

    def work(thread: int) -> None:
        for i in range(500):
            ledger.add(_record(f"gen-{thread}-{i}", cost="0.001"))
            ledger.add(_record(f"gen-{thread}-{i}", cost="0.001"))  # a duplicate, ignored

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ledger.requests == 4000
    assert ledger.total_cost == Decimal("4.000")
    assert len({r.generation_id for r in ledger.records}) == 4000


def test_a_failed_call_is_recorded_once_per_ledger_by_its_error() -> None:
    from openrouter_core import ProviderError
    from openrouter_core.accounting import already_recorded

    usage = OpenRouterUsage(input_tokens=10, total_tokens=10, cost=Decimal("0.0001"))
    error = ProviderError("Upstream failed", status_code=502, usage=usage)
    first, second = UsageLedger(), UsageLedger()
    record = UsageRecord.from_usage(usage, failed=True)  # no generation id
    assert not already_recorded(error, first)
    assert first.add(record, call=error)
    assert already_recorded(error, first)
    assert not already_recorded(error, second)
    assert not first.add(record, call=error)
    assert second.add(record, call=error)
    assert first.requests == second.requests == 1
    # A translation raised from it with the same usage is the same call; another call is not.
    translated = RuntimeError("translated")
    translated.usage = usage  # type: ignore[attr-defined]
    translated.__cause__ = error
    assert already_recorded(translated, first)
    other = RuntimeError("another call")
    other.usage = OpenRouterUsage(cost=Decimal("0.0001"))  # type: ignore[attr-defined]
    other.__cause__ = error
    assert not already_recorded(other, first)
    assert first.add(record)  # without a call, a record without an id is always kept
    assert first.requests == 2
    # The mark does not stop the error from being pickled (another process has other ledgers).
    import pickle

    copy = pickle.loads(pickle.dumps(error))  # noqa: S301
    assert not already_recorded(copy, first)


def test_byok_upstream_cost_is_added_once_and_only_for_byok_calls() -> None:
    # A credit call reports its upstream cost too (2026 shape: equal to its cost); it is already
    # in `cost`, so only a BYOK call's upstream cost is money on top.
    def record(gen_id: str, cost: str, upstream: str | None, *, byok: bool) -> UsageRecord:
        upstream_cost = None if upstream is None else Decimal(upstream)
        return replace(_record(gen_id, cost=cost), upstream_cost=upstream_cost, is_byok=byok)

    credit = record("credit", "0.0001", "0.0001", byok=False)
    byok = record("byok", "0.000021", "0.00042", byok=True)
    unreported = record("quiet", "0", None, byok=True)  # no upstream cost reported
    ledger = UsageLedger([credit, byok, unreported])
    totals = ledger.totals()
    assert (totals.byok_requests, totals.unknown_byok_cost_requests) == (2, 1)
    assert totals.total_cost == Decimal("0.000121")
    assert totals.byok_cost == Decimal("0.00042")
    assert totals.combined_cost == Decimal("0.000541")
    assert [r.byok_cost for r in ledger.records] == [None, Decimal("0.00042"), None]
    data = totals.to_dict()
    assert (data["byok_cost"], data["combined_cost"]) == ("0.00042", "0.000541")
    assert "byok_requests=2, byok_cost=Decimal('0.00042')" in repr(ledger)


def test_records_written_before_image_tokens_existed_still_read(tmp_path: Path) -> None:
    data = _record("old").to_dict()
    del data["image_tokens"]
    path = tmp_path / "old.jsonl"
    path.write_text(json.dumps(data) + "\n", encoding="utf-8")
    (record,) = UsageLedger.read_jsonl(path).records
    assert record.image_tokens == 0
    assert UsageRecord.from_dict({**data, "image_tokens": 7}).image_tokens == 7


def test_image_tokens_are_parsed_added_and_totalled() -> None:
    from openrouter_core.usage import parse_usage

    usage = parse_usage(
        {"prompt_tokens": 4, "completion_tokens": 1301, "completion_tokens_details": {
            "reasoning_tokens": 0, "image_tokens": 1290}}
    )  # fmt: skip
    assert usage is not None
    assert usage.image_tokens == 1290
    assert (usage + usage).image_tokens == 2580
    assert usage.to_dict()["image_tokens"] == 1290
    assert OpenRouterUsage().image_tokens == 0
    ledger = UsageLedger([UsageRecord.from_usage(usage, generation_id=g) for g in ("a", "b")])
    assert ledger.image_tokens == 2580
    assert ledger.by_model()["(unknown)"].image_tokens == 2580
