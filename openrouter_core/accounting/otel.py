"""Optional OpenTelemetry export of usage records (install the ``otel`` extra).

:func:`enable` exports every OpenRouter call made through :mod:`openrouter_core` (both
frameworks) as it ends: GenAI semantic-convention attributes and an ``openrouter.usage`` event on
the current span, and metrics, so many workers aggregate cost and tokens in an existing
collector. Without ``opentelemetry`` installed every function here is a no-op.

Span attributes: ``gen_ai.system`` (``"openrouter"``), ``gen_ai.operation.name``,
``gen_ai.request.model``, ``gen_ai.response.model``, ``gen_ai.response.id``,
``gen_ai.usage.input_tokens``, ``gen_ai.usage.output_tokens``,
``gen_ai.usage.cache_read.input_tokens``, ``gen_ai.usage.cache_creation.input_tokens``,
``gen_ai.usage.reasoning.output_tokens``, ``openrouter.cost`` (USD, absent when not reported),
``openrouter.provider``, ``openrouter.is_byok``, ``openrouter.streamed``, ``openrouter.failed``,
``openrouter.incomplete``, ``openrouter.fallback`` and ``error.type``.

Metrics: ``gen_ai.client.token.usage`` (histogram, ``gen_ai.token.type`` = ``input`` /
``output``), ``openrouter.usage.cost`` (counter, USD), ``openrouter.usage.tokens`` (counter,
``openrouter.token.type`` = ``input``, ``output``, ``cache_read``, ``cache_creation``,
``reasoning``) and ``openrouter.usage.requests`` (counter, with ``openrouter.cost_known`` and
``openrouter.failed``), each with the system, operation, models and provider as attributes.
"""

from __future__ import annotations

import threading
from typing import Any

from openrouter_core._version import __version__
from openrouter_core.accounting.records import UsageRecord
from openrouter_core.accounting.tracking import add_listener, remove_listener

__all__ = ["disable", "enable", "export_record", "is_available", "record_attributes"]

SYSTEM = "openrouter"
"""The ``gen_ai.system`` value of every record."""

Attributes = dict[str, str | int | float | bool]


def is_available() -> bool:
    """Whether the OpenTelemetry API is installed."""
    try:
        import opentelemetry.metrics
        import opentelemetry.trace  # noqa: F401
    except ImportError:
        return False
    return True


def _operation(record: UsageRecord) -> str:
    return "embeddings" if record.endpoint.endswith("/embeddings") else "chat"


def _metric_attributes(record: UsageRecord) -> Attributes:
    attrs: Attributes = {"gen_ai.system": SYSTEM, "gen_ai.operation.name": _operation(record)}
    if record.requested_model:
        attrs["gen_ai.request.model"] = record.requested_model
    if record.served_model:
        attrs["gen_ai.response.model"] = record.served_model
    if record.provider:
        attrs["openrouter.provider"] = record.provider
    return attrs


def record_attributes(record: UsageRecord) -> Attributes:
    """The span attributes of one record (GenAI semantic conventions plus ``openrouter.*``)."""
    attrs = _metric_attributes(record)
    attrs.update(
        {
            "gen_ai.usage.input_tokens": record.input_tokens,
            "gen_ai.usage.output_tokens": record.output_tokens,
            "gen_ai.usage.cache_read.input_tokens": record.cached_tokens,
            "gen_ai.usage.cache_creation.input_tokens": record.cache_write_tokens,
            "gen_ai.usage.reasoning.output_tokens": record.reasoning_tokens,
            "openrouter.streamed": record.streamed,
            "openrouter.failed": record.failed,
            "openrouter.incomplete": record.incomplete,
            "openrouter.fallback": record.fallback,
        }
    )
    if record.generation_id:
        attrs["gen_ai.response.id"] = record.generation_id
    if record.cost is not None:
        attrs["openrouter.cost"] = float(record.cost)
    if record.is_byok is not None:
        attrs["openrouter.is_byok"] = record.is_byok
    if record.error_type:
        attrs["error.type"] = record.error_type
    return attrs


class _Exporter:
    """Instruments created once per meter provider; called with every record."""

    def __init__(self, meter_provider: Any = None) -> None:
        from opentelemetry import metrics, trace

        self._current_span = trace.get_current_span
        provider = meter_provider if meter_provider is not None else metrics.get_meter_provider()
        meter = provider.get_meter("openrouter_core", __version__)
        self.token_usage = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Tokens used per OpenRouter call (input and output).",
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

    def __call__(self, record: UsageRecord) -> None:
        span = self._current_span()
        if span.is_recording():
            attrs = record_attributes(record)
            span.set_attributes(attrs)
            span.add_event("openrouter.usage", attrs)
        base = _metric_attributes(record)
        self.token_usage.record(record.input_tokens, {**base, "gen_ai.token.type": "input"})
        self.token_usage.record(record.output_tokens, {**base, "gen_ai.token.type": "output"})
        for kind, count in (
            ("input", record.input_tokens),
            ("output", record.output_tokens),
            ("cache_read", record.cached_tokens),
            ("cache_creation", record.cache_write_tokens),
            ("reasoning", record.reasoning_tokens),
        ):
            if count:
                self.tokens.add(count, {**base, "openrouter.token.type": kind})
        if record.cost is not None:
            self.cost.add(float(record.cost), base)
        self.requests.add(
            1,
            {
                **base,
                "openrouter.cost_known": record.cost is not None,
                "openrouter.failed": record.failed,
            },
        )


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


def enable(*, meter_provider: Any = None) -> bool:
    """Export every OpenRouter call from now on (replacing an earlier :func:`enable`).

    Args:
        meter_provider: The ``MeterProvider`` for the metrics (default: the global one). Span
            attributes always go to the span current when a call ends.

    Returns:
        ``False`` (and nothing happens) when OpenTelemetry is not installed.
    """
    global _exporter  # noqa: PLW0603 - one process-wide exporter
    if not is_available():
        return False
    exporter = _Exporter(meter_provider)
    with _lock:
        if _exporter is not None:
            remove_listener(_exporter)
        _exporter = exporter
        add_listener(exporter)
    return True


def disable() -> None:
    """Stop exporting (a no-op when :func:`enable` was not called)."""
    global _exporter  # noqa: PLW0603
    with _lock:
        if _exporter is not None:
            remove_listener(_exporter)
            _exporter = None


def export_record(record: UsageRecord, *, meter_provider: Any = None) -> bool:
    """Export one record now (e.g. from a framework handler's ledger).

    Uses the exporter of :func:`enable` when ``meter_provider`` is not given.

    Returns:
        ``False`` when OpenTelemetry is not installed.
    """
    if not is_available():
        return False
    exporter = _exporter if meter_provider is None else None
    (exporter or _exporter_for(meter_provider))(record)
    return True
