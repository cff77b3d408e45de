"""A schema extension that times every GraphQL operation and counts its errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Histogram
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from datasources import trace_context
from datasources.metrics import SQL_SECONDS_PER_OPERATION, SQL_STATEMENTS_PER_OPERATION
from datasources.postgres.pool import tally_statements
from domain.errors import DomainError

OPERATION_SECONDS = Histogram(
    "ucg_graphql_operation_seconds",
    "Time to answer a GraphQL query or mutation, by operation name and type",
    ["operation", "type"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0),
)
GRAPHQL_ERRORS = Counter(
    "ucg_graphql_errors_total", "GraphQL errors sent to clients, by extensions.code", ["code"]
)
RATE_LIMIT_REFUSALS = Counter(
    "ucg_rate_limit_refusals_total", "Operations refused by the cost rate limit (THROTTLED)"
)
# Operation names come from clients: past this many distinct ones, the rest share a label.
MAX_OPERATION_NAMES = 500
_seen_names: set[str] = set()
# UCG_METRICS_ENABLED=false stops the recording too, not only the route (api/app.py).
_recording = True


def set_recording(enabled: bool) -> None:
    global _recording
    _recording = enabled


# The labelled series of each (operation, type), looked up once: `.labels()` takes a lock
# and builds a key on every call, the hot path's largest metrics cost.
_series: dict[tuple[str, str], tuple[Any, Any, Any]] = {}


def _operation_series(name: str, kind: str) -> tuple[Any, Any, Any]:
    series = _series.get((name, kind))
    if series is None:
        series = (
            OPERATION_SECONDS.labels(name, kind),
            SQL_STATEMENTS_PER_OPERATION.labels(name, kind),
            SQL_SECONDS_PER_OPERATION.labels(name, kind),
        )
        _series[(name, kind)] = series
    return series


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    if name in _seen_names:
        return name
    if len(_seen_names) >= MAX_OPERATION_NAMES or len(name) > 100:
        return "other"
    _seen_names.add(name)
    return name


def error_code(error: GraphQLError) -> str:
    """The `extensions.code` a client sees (api/graphql_view.py format_error)."""
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):
        return code
    original = error.original_error
    if isinstance(original, DomainError):
        return original.code.value
    if original is None or isinstance(original, GraphQLError):
        return "GRAPHQL_VALIDATION_FAILED"
    return "INTERNAL_SERVER_ERROR"


class OperationMetrics(SchemaExtension):
    """ucg_graphql_operation_seconds by operation name and type; errors by code."""

    def on_operation(self) -> Iterator[None]:
        if trace_context.enabled:
            with trace_context.span("graphql.operation", SpanKind.INTERNAL) as span:
                yield from self._measured()
                if span is not None:
                    context = self.execution_context
                    kind = _operation_type(context)
                    name = operation_label(context.operation_name)
                    span.update_name(f"graphql {kind} {name}")
                    span.set_attribute("graphql.operation.type", kind)
                    span.set_attribute("graphql.operation.name", name)
        else:
            yield from self._measured()

    def _measured(self) -> Iterator[None]:
        if not _recording:
            yield
            return
        started = time.perf_counter()
        with tally_statements() as sql:
            try:
                yield
            finally:
                context = self.execution_context
                kind = _operation_type(context)
                # A subscription lasts as long as its socket: counted by ucg_event_subscribers.
                if kind != "subscription":
                    seconds, statements, sql_seconds = _operation_series(
                        operation_label(context.operation_name), kind
                    )
                    seconds.observe(time.perf_counter() - started)
                    statements.observe(sql.statements)
                    sql_seconds.observe(sql.seconds)
                    self._count_errors()

    def _count_errors(self) -> None:
        context = self.execution_context
        errors: list[Any] = list(context.pre_execution_errors or [])
        result = context.result
        if result is not None and not isinstance(result, list) and result.errors:
            errors += [e for e in result.errors if e not in errors]
        for error in errors:
            if isinstance(error, GraphQLError):
                code = error_code(error)
                GRAPHQL_ERRORS.labels(code).inc()
                if code == "THROTTLED":
                    RATE_LIMIT_REFUSALS.inc()


def _operation_type(context: Any) -> str:
    try:
        kind = context.operation_type
    except Exception:  # noqa: BLE001 - unparsable document or unknown operation name
        return "unknown"
    return kind.value if isinstance(kind, OperationType) else "unknown"
