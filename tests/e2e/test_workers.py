"""`ucg serve --workers 2`: two processes behind one port serve requests and share state."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from prometheus_client.multiprocess import MultiProcessCollector

from domain.ids import to_global_id
from tests.conftest import TestEnv
from tests.helpers import keep_cart_tokens, staff_token
from tests.live import GraphQLSocket
from tests.order_helpers import SHIP, VISA, make_sale

CART_CREATE = """mutation($input: CartInput!) {
  cartCreate(input: $input) { cart { id } userErrors { code } } }"""
CHECKOUT = """mutation Checkout($cartId: ID!, $f: CheckoutFulfillmentInput!,
                             $p: CheckoutPaymentInput!, $key: String!) {
  checkoutComplete(cartId: $cartId, fulfillment: $f, payment: $p, idempotencyKey: $key) {
    order { id } userErrors { code } } }"""
ORDER = "query ReadOrder($id: ID!) { order(id: $id) { id lines { sku quantity } } }"
STOCK_SUB = """subscription($skus: [String!]) { stockChanged(skus: $skus) { sku onHand } }"""


def checkouts_by_worker(metrics_dir: Path) -> dict[int, float]:
    """How many `Checkout` operations each worker process answered (its own metric file)."""
    served: dict[int, float] = {}
    for path in metrics_dir.glob("histogram_*.db"):
        pid = int(re.fullmatch(r"histogram_(\d+)\.db", path.name).group(1))  # type: ignore[union-attr]
        for metric in MultiProcessCollector.merge([str(path)], accumulate=True):
            for sample in metric.samples:
                if (
                    sample.name == "ucg_graphql_operation_seconds_count"
                    and sample.labels.get("operation") == "Checkout"
                ):
                    served[pid] = served.get(pid, 0) + sample.value
    return served


async def test_two_workers_serve_checkouts_and_share_carts_orders_and_events(
    env: TestEnv, db: asyncpg.Connection[Any], serve: Any, tmp_path: Path
) -> None:
    units = 40
    sale = await make_sale(db, units=units)
    server = serve(["--workers", "2"], PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    socket = await GraphQLSocket.open(server.url, token=staff_token(env.settings()))
    await socket.subscribe(STOCK_SUB, {"skus": [sale.sku]})
    line = {"merchandiseId": to_global_id("ProductVariant", sale.variant), "quantity": 1}
    # No keep-alive: every request is a new connection, accepted by either worker.
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=server.url, timeout=15, limits=limits) as http:
        keep_cart_tokens(http, env.settings().jwt_secret)

        async def buy() -> str:
            created = await http.post(
                "/graphql",
                json={
                    "query": CART_CREATE,
                    "variables": {
                        "input": {"channel": to_global_id("Channel", sale.channel), "lines": [line]}
                    },
                },
            )
            cart = created.json()["data"]["cartCreate"]["cart"]["id"]
            placed = await http.post(
                "/graphql",
                json={
                    "query": CHECKOUT,
                    "variables": {"cartId": cart, "f": SHIP, "p": VISA, "key": uuid.uuid4().hex},
                },
            )
            payload = placed.json()["data"]["checkoutComplete"]
            assert payload["userErrors"] == []
            order_id: str = payload["order"]["id"]
            for _ in range(3):  # read back, each time over a new connection
                read = await http.post(
                    "/graphql", json={"query": ORDER, "variables": {"id": order_id}}
                )
                assert "errors" not in read.json(), read.json()
                order = read.json()["data"]["order"]
                assert order["id"] == order_id
                assert order["lines"] == [{"sku": sale.sku, "quantity": 1}]
            return order_id

        orders: list[str] = []
        while len(orders) < units and len(checkouts_by_worker(tmp_path)) < 2:
            orders += await asyncio.gather(*(buy() for _ in range(4)))
    served = checkouts_by_worker(tmp_path)
    assert len(served) == 2, served  # both workers placed orders
    assert sum(served.values()) == len(orders)
    assert len(set(orders)) == len(orders)
    # One socket, held by one worker, sees every sale, whichever worker made it.
    # (The holds come as changes too, with onHand unchanged.)
    left = units - len(orders)
    seen = {units}
    while left not in seen:
        seen.add((await socket.next_data())["stockChanged"]["onHand"])
    assert seen == set(range(left, units + 1))
    await socket.close()
    on_hand = await db.fetchval("SELECT sum(on_hand) FROM stock_levels WHERE sku = $1", sale.sku)
    assert on_hand == units - len(orders)


def test_serve_runs_a_worker_per_core_by_default(env: TestEnv, serve: Any) -> None:
    import psutil

    from api.settings import Settings, auto_workers

    assert Settings().workers == 0  # the shipped default: auto
    expected = auto_workers()
    assert 1 <= expected <= 8
    server = serve(UCG_WORKERS="0")  # as shipped (the suite's servers otherwise run one)

    def workers() -> list[psutil.Process]:
        return [
            child
            for child in psutil.Process(server.proc.pid).children()
            if "spawn_main" in " ".join(child.cmdline())
            and "resource_tracker" not in " ".join(child.cmdline())
        ]

    # Ready means one worker answers; the others may still be importing.
    deadline = time.monotonic() + 30
    while len(workers()) < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(workers()) == expected
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200
