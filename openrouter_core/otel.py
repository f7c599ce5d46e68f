"""Compatibility: the OpenTelemetry export under its old module; this module only re-exports.

The export lives in :mod:`openrouter_core.accounting.otel` (``from openrouter_core import otel``
and ``otel.enable()`` keep working). Without ``opentelemetry`` installed every function is a
no-op.
"""

from openrouter_core.accounting.otel import (
    SYSTEM,
    Attributes,
    disable,
    enable,
    export_record,
    is_available,
    record_attributes,
)

__all__ = [
    "SYSTEM",
    "Attributes",
    "disable",
    "enable",
    "export_record",
    "is_available",
    "record_attributes",
]
