"""OpenTelemetry traces: off by default; with UCG_OTLP_ENDPOINT, spans for each HTTP request,
GraphQL operation, SQL statement, Redis command and Kafka publish/receive/process are exported over OTLP
(HTTP, protobuf) to `<endpoint>/v1/traces`. The trace context crosses processes in the
`traceparent` of outbox rows and Kafka headers (datasources/trace_context.py)."""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.settings import Settings
from datasources import trace_context

log = logging.getLogger("ucg.tracing")


def configure_tracing(settings: Settings, service: str) -> bool:
    """Export this process's spans as `ucg-<service>` when UCG_OTLP_ENDPOINT is set."""
    if not settings.otlp_endpoint or trace_context.enabled:
        return trace_context.enabled
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # shutdown_on_exit: the last spans are flushed when the process ends (SIGTERM too).
    provider = TracerProvider(resource=Resource.create({"service.name": f"ucg-{service}"}))
    exporter = OTLPSpanExporter(endpoint=settings.otlp_endpoint.rstrip("/") + "/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=500))
    trace.set_tracer_provider(provider)
    # Redis commands as client spans (the library's instrumentation of redis.asyncio).
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    RedisInstrumentor().instrument()
    trace_context.enabled = True
    log.info("exporting traces to %s", settings.otlp_endpoint)
    return True


class TracingMiddleware:
    """A SERVER span per HTTP request, continuing the caller's `traceparent` if it sent one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not trace_context.enabled:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        method, path = scope["method"], scope["path"]
        with trace_context.tracer().start_as_current_span(
            f"{method} {path}",
            context=propagate.extract(headers),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": path},
        ) as span:

            async def traced_send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status = message["status"]
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                await send(message)

            await self.app(scope, receive, traced_send)


def current_trace_id() -> str | None:
    """The hex trace id of the current span, for log lines; None outside a trace."""
    context: Any = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
