"""A real Prometheus scrapes a running `ucg serve`; the numbers come back through its API."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from domain.ids import to_global_id
from tests.conftest import TestEnv
from tests.helpers import keep_cart_tokens, staff_token
from tests.order_helpers import SHIP, VISA, guest_carts, make_sale
from tests.prometheus_server import prometheus_scraping

CHECKOUT = """mutation Checkout($cartId: ID!, $f: CheckoutFulfillmentInput!,
                             $p: CheckoutPaymentInput!, $key: String!) {
  checkoutComplete(cartId: $cartId, fulfillment: $f, payment: $p, idempotencyKey: $key) {
    order { id } userErrors { code } } }"""
ADJUST = """mutation StockAdjust($sku: String!, $loc: ID!, $key: String!) {
  inventoryAdjust(sku: $sku, locationId: $loc, delta: 4, reason: RECEIVED, idempotencyKey: $key) {
    stockLevel { onHand } userErrors { code } } }"""
TOKEN = "prometheus-scrape-token"


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
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        keep_cart_tokens(http, env.settings().jwt_secret)
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
        slow = "histogram_quantile(0.99, sum by (le) (ucg_graphql_operation_seconds_bucket))"
        assert 0 < scalar(prometheus.wait_for(slow)) <= 10
