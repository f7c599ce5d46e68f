"""OpenTelemetry export of usage records, read back with the SDK's in-memory exporter/reader."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from usage_helpers import HAIKU, MINI, cached_body, chat_body

from openrouter_core import UsageRecord, track_usage, transport
from openrouter_core.accounting import otel
from openrouter_core.client import ClientConfig, get_client
from openrouter_core.testing import OpenRouterEmulator, replies

sdk_metrics = pytest.importorskip("opentelemetry.sdk.metrics")
sdk_metrics_export = pytest.importorskip("opentelemetry.sdk.metrics.export")
sdk_trace = pytest.importorskip("opentelemetry.sdk.trace")
sdk_trace_export = pytest.importorskip("opentelemetry.sdk.trace.export")
in_memory_spans = pytest.importorskip("opentelemetry.sdk.trace.export.in_memory_span_exporter")


@pytest.fixture
def telemetry() -> Iterator[tuple[Any, Any, Any]]:
    """(metric reader, span exporter, tracer) wired to private providers; export enabled."""
    reader = sdk_metrics_export.InMemoryMetricReader()
    meter_provider = sdk_metrics.MeterProvider(metric_readers=[reader])
    exporter = in_memory_spans.InMemorySpanExporter()
    tracer_provider = sdk_trace.TracerProvider()
    tracer_provider.add_span_processor(sdk_trace_export.SimpleSpanProcessor(exporter))
    assert otel.enable(meter_provider=meter_provider)
    try:
        yield reader, exporter, tracer_provider.get_tracer("tests")
    finally:
        otel.disable()
        meter_provider.shutdown()
        tracer_provider.shutdown()


def _points(reader: Any) -> dict[str, list[Any]]:
    data = reader.get_metrics_data()
    out: dict[str, list[Any]] = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                out.setdefault(metric.name, []).extend(metric.data.data_points)
    return out


def test_each_call_lands_on_the_current_span_and_in_the_metrics(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig, telemetry: tuple[Any, ...]
) -> None:
    reader, exporter, tracer = telemetry
    client = get_client(config)
    with tracer.start_as_current_span("answer-question"):
        transport.complete(client, cached_body(HAIKU, "first", reasoning={"effort": "low"}))
    with tracer.start_as_current_span("second"):
        transport.complete(client, cached_body(HAIKU, "second"))
    openrouter_emulator.enqueue(replies.text("unpriced", usage={"cost": None}))
    transport.complete(client, chat_body("openrouter/auto"))  # no span: metrics only
    first, second, unpriced = openrouter_emulator.charges

    span = exporter.get_finished_spans()[0]
    attrs = dict(span.attributes)
    assert attrs["gen_ai.system"] == "openrouter"
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.request.model"] == HAIKU
    assert attrs["gen_ai.response.model"] == first.served_model
    assert attrs["gen_ai.response.id"] == first.generation_id
    assert attrs["gen_ai.usage.input_tokens"] == first.prompt_tokens
    assert attrs["gen_ai.usage.output_tokens"] == first.completion_tokens
    assert attrs["gen_ai.usage.cache_creation.input_tokens"] == first.cache_write_tokens > 0
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 0
    assert attrs["gen_ai.usage.reasoning.output_tokens"] == first.reasoning_tokens > 0
    assert attrs["openrouter.cost"] == float(first.cost)
    assert attrs["openrouter.provider"] == first.provider
    assert attrs["openrouter.fallback"] is False
    assert attrs["openrouter.failed"] is False
    (event,) = span.events
    assert event.name == "openrouter.usage"
    assert dict(event.attributes) == attrs
    assert (
        dict(exporter.get_finished_spans()[1].attributes)["gen_ai.usage.cache_read.input_tokens"]
        == second.cached_tokens
        > 0
    )

    points = _points(reader)
    cost = {p.attributes["gen_ai.response.model"]: p.value for p in points["openrouter.usage.cost"]}
    assert cost == {first.served_model: pytest.approx(float(first.cost + second.cost))}
    tokens = {
        (p.attributes["gen_ai.response.model"], p.attributes["openrouter.token.type"]): p.value
        for p in points["openrouter.usage.tokens"]
    }
    assert tokens[(first.served_model, "input")] == first.prompt_tokens + second.prompt_tokens
    assert tokens[(first.served_model, "cache_read")] == second.cached_tokens
    assert tokens[(first.served_model, "cache_creation")] == first.cache_write_tokens
    assert tokens[(first.served_model, "reasoning")] == (
        first.reasoning_tokens + second.reasoning_tokens
    )
    assert tokens[(unpriced.served_model, "output")] == unpriced.completion_tokens
    requests = {
        (p.attributes["gen_ai.request.model"], p.attributes["openrouter.cost_known"]): p.value
        for p in points["openrouter.usage.requests"]
    }
    assert requests == {(HAIKU, True): 2, ("openrouter/auto", False): 1}
    histogram = {
        (p.attributes["gen_ai.request.model"], p.attributes["gen_ai.token.type"]): (p.count, p.sum)
        for p in points["gen_ai.client.token.usage"]
    }
    assert histogram[(HAIKU, "input")] == (2, first.prompt_tokens + second.prompt_tokens)
    assert histogram[("openrouter/auto", "output")] == (1, unpriced.completion_tokens)


def test_export_works_alongside_a_ledger_and_stops_when_disabled(
    openrouter_emulator: OpenRouterEmulator, config: ClientConfig, telemetry: tuple[Any, ...]
) -> None:
    reader, _, _ = telemetry
    client = get_client(config)
    with track_usage() as usage:
        transport.complete(client, chat_body(MINI))
    otel.disable()
    transport.complete(client, chat_body(MINI))
    (point,) = _points(reader)["openrouter.usage.cost"]
    assert point.value == pytest.approx(float(usage.total_cost))
    assert usage.total_cost == openrouter_emulator.charges[0].cost


def test_export_record_for_records_from_elsewhere() -> None:
    reader = sdk_metrics_export.InMemoryMetricReader()
    provider = sdk_metrics.MeterProvider(metric_readers=[reader])
    record = UsageRecord(
        requested_model=MINI, served_model="openai/gpt-4o-mini-2024-07-18", cost=Decimal("0.25")
    )
    try:
        assert otel.export_record(record, meter_provider=provider)
        assert otel.export_record(record, meter_provider=provider)
        (point,) = _points(reader)["openrouter.usage.cost"]
        assert point.value == pytest.approx(0.5)
    finally:
        provider.shutdown()
    attrs = otel.record_attributes(UsageRecord(endpoint="/embeddings", error_type="ProviderError"))
    assert attrs["gen_ai.operation.name"] == "embeddings"
    assert attrs["error.type"] == "ProviderError"
    assert "openrouter.cost" not in attrs  # unknown, never 0
    assert "gen_ai.request.model" not in attrs


def test_everything_is_a_no_op_without_opentelemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(sys.modules):
        if name == "opentelemetry" or name.startswith("opentelemetry."):
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    assert not otel.is_available()
    assert not otel.enable()
    assert not otel.export_record(UsageRecord())
    otel.disable()
