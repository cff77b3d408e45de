"""Every JSON log line written inside a trace carries its trace id."""

from __future__ import annotations

import logging

import orjson
from opentelemetry.sdk.trace import TracerProvider

from api.logging import JsonFormatter


def line() -> dict[str, object]:
    record = logging.makeLogRecord({"name": "ucg.test", "levelname": "INFO", "msg": "hello"})
    entry: dict[str, object] = orjson.loads(JsonFormatter().format(record))
    return entry


def test_a_log_line_inside_a_span_names_its_trace() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("request") as span:
        inside = line()
    assert inside["traceId"] == format(span.get_span_context().trace_id, "032x")
    assert "traceId" not in line()
