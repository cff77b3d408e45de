"""One checkout followed across processes: `ucg serve` (HTTP, GraphQL, SQL) -> `ucg relay`
(Kafka publish) -> the event fan-out consuming it in `ucg serve`, all in one trace, exported
over OTLP/HTTP to a receiver started here (a real HTTP server decoding the protobuf)."""

from __future__ import annotations

import gzip
import secrets
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import asyncpg
import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from datasources.embedded import free_port
from tests.conftest import TestEnv
from tests.helpers import keep_cart_tokens
from tests.integration.test_process_metrics import ucg_process
from tests.kafka_helpers import wait_for
from tests.live import GraphQLSocket
from tests.order_helpers import SHIP, VISA, guest_carts, make_sale

CHECKOUT = """mutation Checkout($cartId: ID!, $f: CheckoutFulfillmentInput!,
                             $p: CheckoutPaymentInput!, $key: String!) {
  checkoutComplete(cartId: $cartId, fulfillment: $f, payment: $p, idempotencyKey: $key) {
    order { id } userErrors { code } } }"""
STOCK_SUB = """subscription StockWatch($skus: [String!]) {
  stockChanged(skus: $skus) { sku onHand } }"""
CONSUMER_KIND = 5  # opentelemetry.proto.trace.v1.Span.SPAN_KIND_CONSUMER
PRODUCER_KIND = 4


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_id: str
    db_system: str = ""  # the span's db.system attribute: postgresql, redis


class OtlpReceiver:
    def __init__(self) -> None:
        self.spans: list[ReceivedSpan] = []
        self.lock = threading.Lock()

    def add(self, body: bytes) -> None:
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource_spans in request.resource_spans:
            attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    with self.lock:
                        self.spans.append(
                            ReceivedSpan(
                                attributes.get("service.name", ""),
                                span.name,
                                span.kind,
                                span.trace_id.hex(),
                                span.span_id.hex(),
                                span.parent_span_id.hex(),
                                next(
                                    (
                                        a.value.string_value
                                        for a in span.attributes
                                        if a.key == "db.system"
                                    ),
                                    "",
                                ),
                            )
                        )

    def of_trace(self, trace_id: str) -> list[ReceivedSpan]:
        with self.lock:
            return [s for s in self.spans if s.trace_id == trace_id]


@contextmanager
def otlp_receiver() -> Iterator[tuple[str, OtlpReceiver]]:
    receiver = OtlpReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            if self.headers.get("content-encoding") == "gzip":
                body = gzip.decompress(body)
            if self.path == "/v1/traces":
                receiver.add(body)
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("content-type", "application/x-protobuf")
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_: Any) -> None:
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
async def test_one_checkout_is_one_trace_from_serve_through_the_relay_to_a_consumer(
    env: TestEnv, db: asyncpg.Connection[Any], serve: Any
) -> None:
    sale = await make_sale(db, units=5)
    (cart,) = await guest_carts(db, sale, 1)
    with otlp_receiver() as (endpoint, receiver):
        server = serve(UCG_OTLP_ENDPOINT=endpoint, UCG_RELAY_ENABLED="false")
        with ucg_process(env, "relay", UCG_OTLP_ENDPOINT=endpoint, UCG_RELAY_METRICS_PORT="0"):
            socket = await GraphQLSocket.open(server.url)
            await socket.subscribe(STOCK_SUB, {"skus": [sale.sku]})
            trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
            async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
                keep_cart_tokens(http, env.settings().jwt_secret)

                async def subscribed() -> bool:
                    return "ucg_event_subscribers 1.0" in (await http.get("/metrics")).text

                await wait_for(subscribed, within=10)
                placed = await http.post(
                    "/graphql",
                    json={
                        "query": CHECKOUT,
                        "variables": {
                            "cartId": cart,
                            "f": SHIP,
                            "p": VISA,
                            "key": uuid.uuid4().hex,
                        },
                    },
                    headers={"traceparent": f"00-{trace_id}-{parent_id}-01"},
                )
                assert placed.json()["data"]["checkoutComplete"]["userErrors"] == []
            assert (await socket.next_data())["stockChanged"]["sku"] == sale.sku
            await socket.close()

            async def complete() -> bool:
                spans = receiver.of_trace(trace_id)
                ids = {s.span_id for s in spans}
                receives = [s for s in spans if s.kind == CONSUMER_KIND]
                # Every receive's parent exported too (the relay's batch may come later).
                return (
                    any(s.service == "ucg-relay" for s in spans)
                    and bool(receives)
                    and all(r.parent_id in ids for r in receives)
                )

            await wait_for(complete, within=30)

    spans = receiver.of_trace(trace_id)
    by_id = {s.span_id: s for s in spans}
    names = {(s.service, s.name) for s in spans}
    http_span = next(s for s in spans if s.name == "POST /graphql")
    assert http_span.service == "ucg-serve" and http_span.parent_id == parent_id
    operation = next(s for s in spans if s.name == "graphql mutation Checkout")
    assert operation.parent_id == http_span.span_id
    sql = [s for s in spans if s.name == "sql"]
    assert sql and all(by_id[s.parent_id].service == "ucg-serve" for s in sql)
    # Redis commands of the request (rate limit, caches) are spans of the same trace.
    redis_spans = [s for s in spans if s.db_system == "redis"]
    assert redis_spans and all(s.service == "ucg-serve" for s in redis_spans), names
    publishes = [s for s in spans if s.service == "ucg-relay" and s.kind == PRODUCER_KIND]
    assert ("ucg-relay", "publish ucg.inventory.v1") in names
    # Each publish continues the request that wrote the event (its outbox traceparent).
    assert all(by_id[p.parent_id].service == "ucg-serve" for p in publishes)
    receives = [s for s in spans if s.kind == CONSUMER_KIND]
    assert any(by_id[r.parent_id].service == "ucg-relay" for r in receives)
    assert all(r.service == "ucg-serve" and r.name.startswith("receive ") for r in receives)
