"""OpenTelemetry export: one CLIENT span per call and the metrics, through both frameworks.

Spans and metrics are read back with the SDK's in-memory exporter and reader. Attribute names
are checked against the ``opentelemetry-semantic-conventions`` modules, as the export uses them.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from usage_helpers import FRAMEWORKS, HAIKU, MINI, aask, ask, framework_model

from openrouter_core import BudgetExceededError, RateLimitError, UsageRecord, track_usage
from openrouter_core.accounting import otel
from openrouter_core.client import aclose_clients
from openrouter_core.testing import OpenRouterEmulator, replies

sdk_metrics = pytest.importorskip("opentelemetry.sdk.metrics")
sdk_metrics_export = pytest.importorskip("opentelemetry.sdk.metrics.export")
sdk_trace = pytest.importorskip("opentelemetry.sdk.trace")
sdk_trace_export = pytest.importorskip("opentelemetry.sdk.trace.export")
in_memory_spans = pytest.importorskip("opentelemetry.sdk.trace.export.in_memory_span_exporter")
gen_ai = pytest.importorskip("opentelemetry.semconv._incubating.attributes.gen_ai_attributes")
gen_ai_metrics = pytest.importorskip("opentelemetry.semconv._incubating.metrics.gen_ai_metrics")
semconv_error = pytest.importorskip("opentelemetry.semconv.attributes.error_attributes")
semconv_server = pytest.importorskip("opentelemetry.semconv.attributes.server_attributes")
from opentelemetry import trace  # noqa: E402 - after the skip above

# Each way of asking: (asynchronous, streamed), named after the LangChain method.
MODES = {"invoke": (False, False), "stream": (False, True), "ainvoke": (True, False)}
MODES["astream"] = (True, True)


class Telemetry:
    """Private tracer and meter providers, read back in memory; export enabled on them."""

    def __init__(self) -> None:
        self.reader = sdk_metrics_export.InMemoryMetricReader()
        self.meter_provider = sdk_metrics.MeterProvider(metric_readers=[self.reader])
        self.exporter = in_memory_spans.InMemorySpanExporter()
        self.tracer_provider = sdk_trace.TracerProvider()
        self.tracer_provider.add_span_processor(sdk_trace_export.SimpleSpanProcessor(self.exporter))
        self.tracer = self.tracer_provider.get_tracer("tests")

    def spans(self, name_prefix: str = "") -> list[Any]:
        """Finished spans (ours: not the test's own), oldest first."""
        return [
            s
            for s in self.exporter.get_finished_spans()
            if s.name.startswith(name_prefix or ("chat", "embeddings"))
        ]

    def points(self) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        for resource in self.reader.get_metrics_data().resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    out.setdefault(metric.name, []).extend(metric.data.data_points)
        return out


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    tel = Telemetry()
    assert otel.enable(meter_provider=tel.meter_provider, tracer_provider=tel.tracer_provider)
    try:
        yield tel
    finally:
        otel.disable()
        tel.meter_provider.shutdown()
        tel.tracer_provider.shutdown()


@pytest.fixture(autouse=True)
async def _close_async_pools() -> AsyncIterator[None]:
    yield
    await aclose_clients()


async def _ask(llm: Any, text: str, mode: str) -> str:
    is_async, stream = MODES[mode]
    return await aask(llm, text, stream=stream) if is_async else ask(llm, text, stream=stream)


def _semconv_names() -> set[str]:
    return {v for k, v in vars(gen_ai).items() if k.startswith("GEN_AI_")}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_one_client_span_per_call_as_a_child_of_the_current_span(
    openrouter_emulator: OpenRouterEmulator, telemetry: Telemetry, framework: str, mode: str
) -> None:
    emu = openrouter_emulator
    llm = framework_model(framework, emu, HAIKU, temperature=0.5, max_tokens=64)
    with telemetry.tracer.start_as_current_span("answer-question") as parent:
        await _ask(llm, "first", mode)
        await _ask(llm, "second", mode)
    await _ask(llm, "outside any span", mode)

    spans = telemetry.spans()
    assert len(spans) == len(emu.charges) == 3
    for span, charge in zip(spans, emu.charges, strict=True):
        attrs = dict(span.attributes)
        assert span.name == f"chat {HAIKU}"
        assert span.kind is trace.SpanKind.CLIENT
        assert span.start_time < span.end_time
        assert attrs[gen_ai.GEN_AI_OPERATION_NAME] == "chat"
        assert attrs[gen_ai.GEN_AI_PROVIDER_NAME] == attrs[gen_ai.GEN_AI_SYSTEM] == "openrouter"
        assert attrs[gen_ai.GEN_AI_REQUEST_MODEL] == HAIKU
        assert attrs[gen_ai.GEN_AI_REQUEST_TEMPERATURE] == 0.5
        assert attrs[gen_ai.GEN_AI_REQUEST_MAX_TOKENS] == 64
        assert attrs[gen_ai.GEN_AI_REQUEST_STREAM] is MODES[mode][1]
        assert attrs[gen_ai.GEN_AI_RESPONSE_MODEL] == charge.served_model
        assert attrs[gen_ai.GEN_AI_RESPONSE_ID] == charge.generation_id  # each its own
        assert attrs[gen_ai.GEN_AI_USAGE_INPUT_TOKENS] == charge.prompt_tokens
        assert attrs[gen_ai.GEN_AI_USAGE_OUTPUT_TOKENS] == charge.completion_tokens
        assert attrs[semconv_server.SERVER_ADDRESS] == "127.0.0.1"
        assert attrs[semconv_server.SERVER_PORT] == emu.port
        assert attrs["openrouter.cost"] == float(charge.cost)
        assert attrs["openrouter.provider"] == charge.provider
        assert attrs["openrouter.streamed"] is MODES[mode][1]
        assert semconv_error.ERROR_TYPE not in attrs
        assert span.status.is_ok
        assert {k for k in attrs if k.startswith("gen_ai.")} <= _semconv_names()
    first, second, outside = spans
    context = parent.get_span_context()
    assert first.parent.span_id == second.parent.span_id == context.span_id
    assert first.context.trace_id == second.context.trace_id == context.trace_id
    assert first.context.span_id != second.context.span_id
    assert outside.parent is None  # a root span of its own
    assert outside.context.trace_id != context.trace_id
    (theirs,) = telemetry.spans("answer-question")
    assert not theirs.attributes  # the caller's span is left as it was


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_finish_reasons_are_on_the_span(
    openrouter_emulator: OpenRouterEmulator, telemetry: Telemetry, stream: bool
) -> None:
    openrouter_emulator.enqueue(replies.text("cut short", finish_reason="length"))
    ask(framework_model("langchain", openrouter_emulator), stream=stream)
    (span,) = telemetry.spans()
    assert span.attributes[gen_ai.GEN_AI_RESPONSE_FINISH_REASONS] == ("length",)


STORY = "Tell me a story"


def _open_stream(llm: Any) -> Any:
    """A started synchronous stream of the framework's model (one chunk read)."""
    from llama_index.core.llms import ChatMessage

    if isinstance(llm, BaseChatModel):
        stream = llm.stream(STORY)
    else:
        stream = llm.stream_chat([ChatMessage(role="user", content=STORY)])
    next(stream)
    return stream


async def _open_astream(llm: Any) -> Any:
    """:func:`_open_stream`, asynchronous."""
    from llama_index.core.llms import ChatMessage

    if isinstance(llm, BaseChatModel):
        stream = llm.astream(STORY)
    else:
        stream = await llm.astream_chat([ChatMessage(role="user", content=STORY)])
    await stream.__anext__()
    return stream


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_stream_span_ends_when_the_stream_ends_or_is_abandoned(
    openrouter_emulator: OpenRouterEmulator, telemetry: Telemetry, framework: str
) -> None:
    emu = openrouter_emulator
    llm = framework_model(framework, emu)
    emu.enqueue(replies.text("a long story " * 20, chunk_chars=4), times=3)

    with telemetry.tracer.start_as_current_span("parent") as parent:
        finished = _open_stream(llm)
    assert telemetry.spans() == []  # still streaming, after its parent span ended
    for _ in finished:
        pass
    (read,) = telemetry.spans()
    assert read.parent.span_id == parent.get_span_context().span_id
    assert read.attributes["openrouter.incomplete"] is False

    _open_stream(llm).close()
    abandoned = await _open_astream(llm)
    assert len(telemetry.spans()) == 2
    await abandoned.aclose()
    # The framework's generator wraps ours; the event loop closes the inner one (its async
    # generator finalizer) within a few iterations.
    for _ in range(500):
        if len(telemetry.spans()) == 3:
            break
        await asyncio.sleep(0.01)
    spans = telemetry.spans()
    assert len(spans) == 3
    assert [s.attributes["openrouter.incomplete"] for s in spans[1:]] == [True, True]
    assert all(s.status.is_ok for s in spans)


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_failed_call_has_its_error_type_and_a_refused_one_no_span(
    openrouter_emulator: OpenRouterEmulator, telemetry: Telemetry, framework: str
) -> None:
    llm = framework_model(framework, openrouter_emulator)
    openrouter_emulator.enqueue(replies.error(429, "Rate limit exceeded"))
    with pytest.raises(RateLimitError):
        await aask(llm)
    with track_usage(max_cost=0), pytest.raises(BudgetExceededError):
        ask(llm)  # never sent: no span, no duration
    (span,) = telemetry.spans()
    assert span.attributes[semconv_error.ERROR_TYPE] == "RateLimitError"
    assert span.attributes["openrouter.failed"] is True
    assert span.status.status_code is trace.StatusCode.ERROR
    assert "Rate limit exceeded" in (span.status.description or "")
    (duration,) = telemetry.points()[gen_ai_metrics.GEN_AI_CLIENT_OPERATION_DURATION]
    assert duration.count == 1
    assert duration.attributes[semconv_error.ERROR_TYPE] == "RateLimitError"
    assert "openrouter.usage.requests" not in telemetry.points()  # nothing billed


def test_metrics_add_up_across_calls(
    openrouter_emulator: OpenRouterEmulator, telemetry: Telemetry
) -> None:
    emu = openrouter_emulator
    haiku = framework_model("langchain", emu, HAIKU, reasoning={"effort": "low"})
    auto = framework_model("llamaindex", emu, "openrouter/auto")
    ask(haiku, "first")
    ask(haiku, "second", stream=True)
    emu.enqueue(replies.text("unpriced", usage={"cost": None}))
    ask(auto, "no cost reported")
    first, second, unpriced = emu.charges

    points = telemetry.points()
    (duration_point, auto_duration) = sorted(
        points[gen_ai_metrics.GEN_AI_CLIENT_OPERATION_DURATION],
        key=lambda p: p.attributes[gen_ai.GEN_AI_REQUEST_MODEL] != HAIKU,
    )
    assert duration_point.count == 2
    assert auto_duration.count == 1
    assert list(duration_point.explicit_bounds)[:3] == [0.01, 0.02, 0.04]
    assert duration_point.attributes[gen_ai.GEN_AI_PROVIDER_NAME] == "openrouter"
    assert duration_point.attributes[semconv_server.SERVER_PORT] == emu.port
    cost = {
        p.attributes[gen_ai.GEN_AI_RESPONSE_MODEL]: p.value for p in points["openrouter.usage.cost"]
    }
    assert cost == {first.served_model: pytest.approx(float(first.cost + second.cost))}
    tokens = {
        (p.attributes[gen_ai.GEN_AI_RESPONSE_MODEL], p.attributes["openrouter.token.type"]): p.value
        for p in points["openrouter.usage.tokens"]
    }
    assert tokens[(first.served_model, "input")] == first.prompt_tokens + second.prompt_tokens
    assert tokens[(first.served_model, "reasoning")] == (
        first.reasoning_tokens + second.reasoning_tokens
    )
    assert tokens[(unpriced.served_model, "output")] == unpriced.completion_tokens
    requests = {
        (p.attributes[gen_ai.GEN_AI_REQUEST_MODEL], p.attributes["openrouter.cost_known"]): p.value
        for p in points["openrouter.usage.requests"]
    }
    assert requests == {(HAIKU, True): 2, ("openrouter/auto", False): 1}
    histogram = {
        (p.attributes[gen_ai.GEN_AI_REQUEST_MODEL], p.attributes[gen_ai.GEN_AI_TOKEN_TYPE]): (
            p.count,
            p.sum,
        )
        for p in points[gen_ai_metrics.GEN_AI_CLIENT_TOKEN_USAGE]
    }
    assert histogram[(HAIKU, "input")] == (2, first.prompt_tokens + second.prompt_tokens)
    assert histogram[("openrouter/auto", "output")] == (1, unpriced.completion_tokens)
    (span, _, auto_span) = telemetry.spans()
    assert span.attributes[gen_ai.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] == first.reasoning_tokens
    assert "openrouter.cost" not in auto_span.attributes  # unknown, never 0
    assert auto_span.attributes["openrouter.fallback"] is True


def test_embeddings_have_their_own_span(
    openrouter_emulator: OpenRouterEmulator, telemetry: Telemetry
) -> None:
    from langchain_openrouter import OpenRouterEmbeddings

    model = "openai/text-embedding-3-small"
    embedder = OpenRouterEmbeddings(
        model=model, api_key="test-key", base_url=openrouter_emulator.base_url, dimensions=64
    )
    embedder.embed_documents(["alpha", "beta"])
    (span,) = telemetry.spans()
    (charge,) = openrouter_emulator.charges
    assert span.name == f"embeddings {model}"
    assert span.attributes[gen_ai.GEN_AI_OPERATION_NAME] == "embeddings"
    assert span.attributes[gen_ai.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] == 64
    assert span.attributes[gen_ai.GEN_AI_USAGE_INPUT_TOKENS] == charge.prompt_tokens


def test_export_stops_when_disabled_and_works_beside_a_ledger(
    openrouter_emulator: OpenRouterEmulator, telemetry: Telemetry
) -> None:
    llm = framework_model("llamaindex", openrouter_emulator)
    with track_usage() as usage:
        ask(llm)
    otel.disable()
    ask(llm)
    (point,) = telemetry.points()["openrouter.usage.cost"]
    assert point.value == pytest.approx(float(usage.total_cost))
    assert len(telemetry.spans()) == 1


def test_export_record_for_records_from_elsewhere() -> None:
    tel = Telemetry()
    record = UsageRecord(
        requested_model=MINI, served_model="openai/gpt-4o-mini-2024-07-18", cost=Decimal("0.25")
    )
    try:
        with tel.tracer.start_as_current_span("handler"):
            assert otel.export_record(record, meter_provider=tel.meter_provider)
            assert otel.export_record(record, meter_provider=tel.meter_provider)
        (point,) = tel.points()["openrouter.usage.cost"]
        assert point.value == pytest.approx(0.5)
        (handler,) = tel.spans("handler")
        assert [event.name for event in handler.events] == ["openrouter.usage"] * 2
        assert dict(handler.events[0].attributes)["openrouter.cost"] == 0.25
        assert not handler.attributes  # an event per record: none overwrites another
    finally:
        tel.meter_provider.shutdown()
        tel.tracer_provider.shutdown()
    attrs = otel.record_attributes(UsageRecord(endpoint="/embeddings", error_type="ProviderError"))
    assert attrs[gen_ai.GEN_AI_OPERATION_NAME] == "embeddings"
    assert attrs[semconv_error.ERROR_TYPE] == "ProviderError"
    assert "openrouter.cost" not in attrs  # unknown, never 0
    assert gen_ai.GEN_AI_REQUEST_MODEL not in attrs


def test_everything_is_a_no_op_without_opentelemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(sys.modules):
        if name == "opentelemetry" or name.startswith("opentelemetry."):
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    assert not otel.is_available()
    assert not otel.enable()
    assert not otel.export_record(UsageRecord())
    otel.disable()
