"""The adapters' side of tracing (api/tracing.py configures it): off unless UCG_OTLP_ENDPOINT
is set, and then W3C trace context carried in Kafka headers and outbox rows."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind

TRACEPARENT = "traceparent"
# Set by api.tracing.configure_tracing: a cheap check on the hot path when tracing is off.
enabled = False


def tracer() -> trace.Tracer:
    return trace.get_tracer("ucg")


def current_traceparent() -> str | None:
    """The traceparent of the current span (written with an outbox row), None when off."""
    if not enabled:
        return None
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get(TRACEPARENT)


def context_from(traceparent: str | bytes | None) -> Any:
    if isinstance(traceparent, bytes):
        traceparent = traceparent.decode("latin-1")
    return propagate.extract({TRACEPARENT: traceparent} if traceparent else {})


def header(headers: Sequence[tuple[str, bytes]] | None) -> bytes | None:
    for name, value in headers or ():
        if name == TRACEPARENT:
            return value
    return None


@contextlib.contextmanager
def span(
    name: str, kind: SpanKind, parent: str | bytes | None = None, **attributes: Any
) -> Iterator[Span | None]:
    """A span (child of `parent`, a traceparent, when given); nothing when tracing is off."""
    if not enabled:
        yield None
        return
    context = context_from(parent) if parent is not None else None
    with tracer().start_as_current_span(
        name, context=context, kind=kind, attributes=attributes
    ) as current:
        yield current


def record_sql(query: str, elapsed: float) -> None:
    """A finished statement (asyncpg's query logger) as a span of the current trace."""
    parent = trace.get_current_span()
    if not parent.is_recording():
        return
    end = time.time_ns()
    sql = tracer().start_span(
        "sql",
        kind=SpanKind.CLIENT,
        start_time=end - int(elapsed * 1e9),
        attributes={"db.system": "postgresql", "db.statement": query[:2000]},
    )
    sql.end(end_time=end)
