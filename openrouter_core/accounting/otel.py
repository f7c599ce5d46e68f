"""Optional OpenTelemetry export of every OpenRouter call: a span each, and metrics.

:func:`enable` (install the ``otel`` extra) registers an observer with
:mod:`openrouter_core.observers`, so it sees every call the transport makes, from both
frameworks, in any thread. Each call sent becomes one ``CLIENT`` span named ``chat {model}`` or
``embeddings {model}``, a child of the span that was current when the request was sent (or a
root span), starting then and ending when the call ends: for a stream, when it is read to the
end, fails, or is abandoned. A request refused before it was sent (by the budget guard) has no
span. The span is built when the call ends, with the time it started; it is never the current
span while the request runs.

Attribute names come from the ``opentelemetry-semantic-conventions`` package: the ``gen_ai``
attributes (``gen_ai.operation.name``, ``gen_ai.provider.name`` and the older
``gen_ai.system``, both ``"openrouter"``; request model, stream and parameters; response model,
id and finish reasons; input, output, cache-read, cache-creation and reasoning tokens),
``error.type`` and ``server.address``/``server.port``. OpenRouter's own facts are ``openrouter.*``:
``cost`` (USD, absent when not reported), ``provider``, ``is_byok``, ``streamed``, ``failed``,
``incomplete`` and ``fallback``.

Metrics: ``gen_ai.client.operation.duration`` (seconds, every call sent, with ``error.type``
when it failed) and ``gen_ai.client.token.usage`` (``gen_ai.token.type`` = ``input`` /
``output``), with the bucket boundaries the conventions advise; ``openrouter.usage.cost``
(USD), ``openrouter.usage.tokens`` (``openrouter.token.type`` = ``input``, ``output``,
``cache_read``, ``cache_creation``, ``reasoning``) and ``openrouter.usage.requests`` (with
``openrouter.cost_known`` and ``openrouter.failed``). Usage metrics count the calls a ledger
records (:func:`~openrouter_core.accounting.tracking.is_recorded`). Without OpenTelemetry
installed every function here is a no-op.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Mapping
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from openrouter_core import observers
from openrouter_core._version import __version__
from openrouter_core.accounting.records import UsageRecord
from openrouter_core.accounting.tracking import call_record, is_recorded
from openrouter_core.observers import CallInfo, CallOutcome

__all__ = ["disable", "enable", "export_record", "is_available", "record_attributes"]

SYSTEM = "openrouter"
"""The ``gen_ai.provider.name`` (and ``gen_ai.system``) value of every call."""

Attributes = dict[str, "str | int | float | bool | tuple[str, ...]"]

# The histogram bucket boundaries the GenAI conventions advise for these two metrics.
_DURATION_BUCKETS = (
    *(0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64),
    *(1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92),
)
_TOKEN_BUCKETS = tuple(4**i for i in range(14))  # 1, 4, 16 ... 67108864
# A call that never reports its end (a stream never read) is forgotten past this many.
_MAX_OPEN_CALLS = 100_000


def is_available() -> bool:
    """Whether the OpenTelemetry API and its semantic conventions are installed."""
    try:
        _semconv()
        import opentelemetry.metrics
        import opentelemetry.trace  # noqa: F401
    except ImportError:
        return False
    return True


@functools.cache
def _semconv() -> tuple[ModuleType, ModuleType, ModuleType]:
    """The ``gen_ai``, ``error`` and ``server`` attribute modules of the semantic conventions."""
    from opentelemetry.semconv._incubating.attributes import gen_ai_attributes
    from opentelemetry.semconv.attributes import error_attributes, server_attributes

    return gen_ai_attributes, error_attributes, server_attributes


def _operation(endpoint: str) -> str:
    values = _semconv()[0].GenAiOperationNameValues
    return str(values.EMBEDDINGS.value if endpoint.endswith("/embeddings") else values.CHAT.value)


@functools.lru_cache(maxsize=64)  # a process calls a handful of API roots
def _server(base_url: str | None) -> tuple[str, int] | None:
    if not base_url:
        return None
    parts = urlsplit(base_url)
    if not parts.hostname:
        return None
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def _common_attributes(
    endpoint: str, requested_model: str | None, base_url: str | None = None
) -> Attributes:
    """What every span and metric of a call carries: operation, provider, model, server."""
    gen_ai, _, server = _semconv()
    attrs: Attributes = {
        gen_ai.GEN_AI_OPERATION_NAME: _operation(endpoint),
        gen_ai.GEN_AI_PROVIDER_NAME: SYSTEM,
        gen_ai.GEN_AI_SYSTEM: SYSTEM,
    }
    if requested_model:
        attrs[gen_ai.GEN_AI_REQUEST_MODEL] = requested_model
    address = _server(base_url)
    if address is not None:
        attrs[server.SERVER_ADDRESS], attrs[server.SERVER_PORT] = address
    return attrs


def _metric_attributes(record: UsageRecord, base_url: str | None = None) -> Attributes:
    attrs = _common_attributes(record.endpoint, record.requested_model, base_url)
    if record.served_model:
        attrs[_semconv()[0].GEN_AI_RESPONSE_MODEL] = record.served_model
    if record.provider:
        attrs["openrouter.provider"] = record.provider
    return attrs


def record_attributes(record: UsageRecord, *, base_url: str | None = None) -> Attributes:
    """The attributes of one call's record: GenAI semantic conventions plus ``openrouter.*``."""
    return _with_record(_metric_attributes(record, base_url), record)


def _with_record(metric_attributes: Attributes, record: UsageRecord) -> Attributes:
    """A call's metric attributes plus the rest of its record's (a new dict)."""
    gen_ai, error, _ = _semconv()
    attrs = dict(metric_attributes)
    attrs.update(
        {
            gen_ai.GEN_AI_USAGE_INPUT_TOKENS: record.input_tokens,
            gen_ai.GEN_AI_USAGE_OUTPUT_TOKENS: record.output_tokens,
            gen_ai.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: record.cached_tokens,
            gen_ai.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: record.cache_write_tokens,
            gen_ai.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: record.reasoning_tokens,
            "openrouter.streamed": record.streamed,
            "openrouter.failed": record.failed,
            "openrouter.incomplete": record.incomplete,
            "openrouter.fallback": record.fallback,
        }
    )
    if record.generation_id:
        attrs[gen_ai.GEN_AI_RESPONSE_ID] = record.generation_id
    if record.cost is not None:
        attrs["openrouter.cost"] = float(record.cost)
    if record.is_byok is not None:
        attrs["openrouter.is_byok"] = record.is_byok
    if record.error_type:
        attrs[error.ERROR_TYPE] = record.error_type
    return attrs


@functools.cache
def _request_fields() -> tuple[tuple[str, str], ...]:
    """Numeric request fields of the body and the ``gen_ai.request.*`` attribute of each."""
    gen_ai = _semconv()[0]
    return (
        ("max_tokens", gen_ai.GEN_AI_REQUEST_MAX_TOKENS),
        ("max_completion_tokens", gen_ai.GEN_AI_REQUEST_MAX_TOKENS),
        ("temperature", gen_ai.GEN_AI_REQUEST_TEMPERATURE),
        ("top_p", gen_ai.GEN_AI_REQUEST_TOP_P),
        ("top_k", gen_ai.GEN_AI_REQUEST_TOP_K),
        ("frequency_penalty", gen_ai.GEN_AI_REQUEST_FREQUENCY_PENALTY),
        ("presence_penalty", gen_ai.GEN_AI_REQUEST_PRESENCE_PENALTY),
        ("seed", gen_ai.GEN_AI_REQUEST_SEED),
        ("dimensions", gen_ai.GEN_AI_EMBEDDINGS_DIMENSION_COUNT),
    )


def _request_attributes(body: Mapping[str, Any], stream: bool) -> Attributes:
    gen_ai = _semconv()[0]
    attrs: Attributes = {gen_ai.GEN_AI_REQUEST_STREAM: stream}
    for field, name in _request_fields():
        value = body.get(field)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            attrs[name] = value
    n = body.get("n")
    if isinstance(n, int) and not isinstance(n, bool) and n != 1:
        attrs[gen_ai.GEN_AI_REQUEST_CHOICE_COUNT] = n
    stop = body.get("stop")
    stops = [stop] if isinstance(stop, str) else stop if isinstance(stop, list) else []
    if stops and all(isinstance(s, str) for s in stops):
        attrs[gen_ai.GEN_AI_REQUEST_STOP_SEQUENCES] = tuple(stops)
    encoding = body.get("encoding_format")
    if isinstance(encoding, str):
        attrs[gen_ai.GEN_AI_REQUEST_ENCODING_FORMATS] = (encoding,)
    return attrs


def _span_name(attrs: Attributes) -> str:
    gen_ai = _semconv()[0]
    model = attrs.get(gen_ai.GEN_AI_REQUEST_MODEL)
    operation = str(attrs[gen_ai.GEN_AI_OPERATION_NAME])
    return f"{operation} {model}" if model else operation


class _Exporter:
    """The observer behind :func:`enable`: a span and metrics per call (instruments made once)."""

    def __init__(self, meter_provider: Any = None, tracer_provider: Any = None) -> None:
        from opentelemetry import context, metrics, trace

        gen_ai_metrics = _gen_ai_metrics()
        self._context = context
        self._trace = trace
        self._tracer = trace.get_tracer(
            "openrouter_core", __version__, tracer_provider=tracer_provider
        )
        provider = meter_provider if meter_provider is not None else metrics.get_meter_provider()
        meter = provider.get_meter("openrouter_core", __version__)
        self.duration = meter.create_histogram(
            gen_ai_metrics.GEN_AI_CLIENT_OPERATION_DURATION,
            unit="s",
            description="Duration of each OpenRouter call, until its last byte.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self.token_usage = meter.create_histogram(
            gen_ai_metrics.GEN_AI_CLIENT_TOKEN_USAGE,
            unit="{token}",
            description="Tokens used per OpenRouter call (input and output).",
            explicit_bucket_boundaries_advisory=_TOKEN_BUCKETS,
        )
        self.cost = meter.create_counter(
            "openrouter.usage.cost", unit="USD", description="Credits charged by OpenRouter."
        )
        self.tokens = meter.create_counter(
            "openrouter.usage.tokens",
            unit="{token}",
            description="Tokens by type: input, output, cache_read, cache_creation, reasoning.",
        )
        self.requests = meter.create_counter(
            "openrouter.usage.requests", unit="{request}", description="OpenRouter calls."
        )
        # id(call) -> (call, context it was sent in, start in epoch ns, start in perf seconds)
        self._open: dict[int, tuple[CallInfo, Any, int, float]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ the observer

    def before_call(self, call: CallInfo) -> None:
        """Note when and under which span the call was sent."""
        entry = (call, self._context.get_current(), time.time_ns(), time.perf_counter())
        with self._lock:
            while len(self._open) >= _MAX_OPEN_CALLS:
                del self._open[next(iter(self._open))]
            self._open[id(call)] = entry

    def after_call(self, call: CallInfo, outcome: CallOutcome) -> None:
        """Export the call: its span, its duration and (when a ledger records it) its usage."""
        with self._lock:
            entry = self._open.pop(id(call), None)
        if entry is None or not outcome.sent:
            return
        _, parent, start_ns, started = entry
        seconds = time.perf_counter() - started
        record = call_record(call, outcome)
        attrs = _metric_attributes(record, call.base_url)
        self._span(call, outcome, record, attrs, parent, start_ns, seconds)
        duration_attrs = dict(attrs)
        if record.error_type:
            duration_attrs[_semconv()[1].ERROR_TYPE] = record.error_type
        self.duration.record(seconds, duration_attrs)
        if is_recorded(outcome):
            self.usage(record, attrs)

    def _span(
        self,
        call: CallInfo,
        outcome: CallOutcome,
        record: UsageRecord,
        metric_attributes: Attributes,
        parent: Any,
        start_ns: int,
        seconds: float,
    ) -> None:
        attrs = _with_record(metric_attributes, record)
        attrs.update(_request_attributes(call.body, call.stream))
        if outcome.finish_reasons:
            attrs[_semconv()[0].GEN_AI_RESPONSE_FINISH_REASONS] = tuple(outcome.finish_reasons)
        span = self._tracer.start_span(
            _span_name(attrs),
            context=parent,
            kind=self._trace.SpanKind.CLIENT,
            attributes=attrs,
            start_time=start_ns,
        )
        if outcome.error is not None:
            span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, str(outcome.error)))
        span.end(end_time=start_ns + int(seconds * 1e9))

    # ------------------------------------------------------------------ usage metrics

    def usage(self, record: UsageRecord, attrs: Attributes) -> None:
        """Add one record to the token, cost and request metrics."""
        gen_ai = _semconv()[0]
        token_type = gen_ai.GEN_AI_TOKEN_TYPE
        kinds = gen_ai.GenAiTokenTypeValues
        self.token_usage.record(record.input_tokens, {**attrs, token_type: kinds.INPUT.value})
        self.token_usage.record(record.output_tokens, {**attrs, token_type: kinds.OUTPUT.value})
        for name, count in (
            ("input", record.input_tokens),
            ("output", record.output_tokens),
            ("cache_read", record.cached_tokens),
            ("cache_creation", record.cache_write_tokens),
            ("reasoning", record.reasoning_tokens),
        ):
            if count:
                self.tokens.add(count, {**attrs, "openrouter.token.type": name})
        if record.cost is not None:
            self.cost.add(float(record.cost), attrs)
        self.requests.add(
            1,
            {
                **attrs,
                "openrouter.cost_known": record.cost is not None,
                "openrouter.failed": record.failed,
            },
        )

    def export(self, record: UsageRecord) -> None:
        """A record from elsewhere: its usage metrics, and an event on the current span."""
        span = self._trace.get_current_span()
        if span.is_recording():
            span.add_event("openrouter.usage", record_attributes(record))
        self.usage(record, _metric_attributes(record))


@functools.cache
def _gen_ai_metrics() -> ModuleType:
    from opentelemetry.semconv._incubating.metrics import gen_ai_metrics

    return gen_ai_metrics


_exporter: _Exporter | None = None
# Exporters for export_record(), one per meter provider (None: the global one).
_exporters: dict[int, tuple[Any, _Exporter]] = {}
_lock = threading.Lock()


def _exporter_for(meter_provider: Any) -> _Exporter:
    with _lock:
        entry = _exporters.get(id(meter_provider))
        if entry is None:
            entry = (meter_provider, _Exporter(meter_provider))
            _exporters[id(meter_provider)] = entry
        return entry[1]


def enable(*, meter_provider: Any = None, tracer_provider: Any = None) -> bool:
    """Export every OpenRouter call from now on (replacing an earlier :func:`enable`).

    Args:
        meter_provider: The ``MeterProvider`` for the metrics (default: the global one).
        tracer_provider: The ``TracerProvider`` for the spans (default: the global one, as it
            is when each call ends).

    Returns:
        ``False`` (and nothing happens) when OpenTelemetry is not installed.
    """
    global _exporter  # noqa: PLW0603 - one process-wide exporter
    if not is_available():
        return False
    exporter = _Exporter(meter_provider, tracer_provider)
    with _lock:
        if _exporter is not None:
            observers.remove_observer(_exporter)
        _exporter = exporter
        observers.add_observer(exporter)
    return True


def disable() -> None:
    """Stop exporting (a no-op when :func:`enable` was not called)."""
    global _exporter  # noqa: PLW0603
    with _lock:
        if _exporter is not None:
            observers.remove_observer(_exporter)
            _exporter = None


def export_record(record: UsageRecord, *, meter_provider: Any = None) -> bool:
    """Export one record made elsewhere (e.g. a framework handler's ledger) now.

    It adds to the usage metrics, and adds an ``openrouter.usage`` event with the record's
    attributes to the current span. Uses the exporter of :func:`enable` when
    ``meter_provider`` is not given.

    Returns:
        ``False`` when OpenTelemetry is not installed.
    """
    if not is_available():
        return False
    exporter = _exporter if meter_provider is None else None
    (exporter or _exporter_for(meter_provider)).export(record)
    return True
