"""A real Prometheus scrapes a running `ucg serve`; the numbers come back through its API."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx

from domain.ids import to_global_id
from tests.conftest import TestEnv
from tests.helpers import keep_cart_tokens, staff_token
from tests.live import GraphQLSocket
from tests.order_helpers import SHIP, VISA, guest_carts, make_sale
from tests.prometheus_server import prometheus_scraping

CHECKOUT = """mutation Checkout($cartId: ID!, $f: CheckoutFulfillmentInput!,
                             $p: CheckoutPaymentInput!, $key: String!) {
  checkoutComplete(cartId: $cartId, fulfillment: $f, payment: $p, idempotencyKey: $key) {
    order { id } userErrors { code } } }"""
ADJUST = """mutation StockAdjust($sku: String!, $loc: ID!, $key: String!) {
  inventoryAdjust(sku: $sku, locationId: $loc, delta: 4, reason: RECEIVED, idempotencyKey: $key) {
    stockLevel { onHand } userErrors { code } } }"""
STOCK_SUB = """subscription StockWatch($skus: [String!]) {
  stockChanged(skus: $skus) { sku onHand } }"""
TOKEN = "prometheus-scrape-token"


async def wait_for_metric(http: httpx.AsyncClient, line: str) -> None:
    deadline = asyncio.get_running_loop().time() + 10
    while asyncio.get_running_loop().time() < deadline:
        text = (await http.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})).text
        if line in text.splitlines():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"/metrics never showed {line!r}")


def scalar(result: list[dict[str, Any]]) -> float:
    assert len(result) == 1, result
    return float(result[0]["value"][1])


async def test_prometheus_scrapes_serve_after_a_checkout_and_a_stock_change(
    env: TestEnv, db: asyncpg.Connection[Any], serve: Any
) -> None:
    sale = await make_sale(db, units=5)
    (cart,) = await guest_carts(db, sale, 1)
    server = serve(
        UCG_METRICS_TOKEN=TOKEN,
        UCG_INVENTORY_RECONCILE_INTERVAL_SECONDS="0.5",
    )
    admin = staff_token(env.settings())
    socket = await GraphQLSocket.open(server.url, token=admin)
    await socket.subscribe(STOCK_SUB, {"skus": [sale.sku]})
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        keep_cart_tokens(http, env.settings().jwt_secret)  # the storefront that made the cart
        await wait_for_metric(http, "ucg_event_subscribers 1.0")  # subscribed: events flow
        placed = await http.post(
            "/graphql",
            json={
                "query": CHECKOUT,
                "variables": {"cartId": cart, "f": SHIP, "p": VISA, "key": uuid.uuid4().hex},
            },
        )
        assert placed.json()["data"]["checkoutComplete"]["userErrors"] == []
        adjusted = await http.post(
            "/graphql",
            json={
                "query": ADJUST,
                "variables": {
                    "sku": sale.sku,
                    "loc": to_global_id("Location", sale.location),
                    "key": uuid.uuid4().hex,
                },
            },
            headers={"authorization": f"Bearer {admin}"},
        )
        level = adjusted.json()["data"]["inventoryAdjust"]["stockLevel"]
        assert level["onHand"] == 8  # 5, one sold, four received
    while (await socket.next_data())["stockChanged"]["onHand"] != 8:
        pass  # the sale's change comes first
    with prometheus_scraping(f"127.0.0.1:{server.port}", token=TOKEN) as prometheus:
        assert scalar(prometheus.wait_for('up{job="ucg"} == 1')) == 1
        checkouts = 'ucg_graphql_operation_seconds_count{operation="Checkout",type="mutation"}'
        assert scalar(prometheus.wait_for(checkouts)) == 1
        adjusts = 'ucg_graphql_operation_seconds_count{operation="StockAdjust"}'
        assert scalar(prometheus.wait_for(adjusts)) == 1
        # Every stock row still agrees with its ledger after the sale and the adjustment.
        assert scalar(prometheus.wait_for("ucg_inventory_accuracy_ratio")) == 1
        # The relay publishes the checkout's and the adjustment's events.
        assert scalar(prometheus.wait_for("ucg_outbox_unpublished == 0")) == 0
        assert scalar(prometheus.wait_for("ucg_websocket_connections")) == 1
        assert scalar(prometheus.wait_for("ucg_event_subscribers")) == 1
        # The sale's stock changes and the adjustment reached the subscriber through the
        # outbox, Kafka and the fan-out.
        propagated = 'ucg_event_propagation_seconds_count{type="ucg.inventory.stock_changed.v1"}'
        assert scalar(prometheus.wait_for(propagated)) >= 2
        p99 = (
            "histogram_quantile(0.99, sum by (le) "
            '(ucg_event_propagation_seconds_bucket{type="ucg.inventory.stock_changed.v1"}))'
        )
        assert 0 < scalar(prometheus.wait_for(p99)) < 10
        slow = "histogram_quantile(0.99, sum by (le) (ucg_graphql_operation_seconds_bucket))"
        assert 0 < scalar(prometheus.wait_for(slow)) <= 10
    await socket.close()
