"""The examples of issue 20, each tried from the outside: another customer's cart,
order and catalog internals must read exactly like missing ones (domain/authz.py)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from api.auth import new_api_key
from datasources.postgres import auth_store
from domain.auth import Role
from domain.authz import cart_token
from tests.conftest import TestEnv
from tests.helpers import app_client, customer_token, graphql, staff_token, unique
from tests.integration.cart_support import add_customer, gid
from tests.order_helpers import COMPLETE, SHIP, VISA, guest_carts, make_sale

NO_TOKEN = {"x-cart-token": ""}  # the test client presents no cart token of its own

CART = "query($id: ID!) { cart(id: $id) { id note buyerIdentity { email } } }"
CREATE = """mutation($input: CartInput!) { cartCreate(input: $input) {
  cart { id accessToken buyerIdentity { email customer { id } } } userErrors { code field } } }"""
ADD = """mutation($id: ID!, $v: ID!) { cartLinesAdd(cartId: $id, lines: [{merchandiseId: $v,
  quantity: 1}]) { cart { id } userErrors { code field } } }"""
NOTE = """mutation($id: ID!) { cartNoteUpdate(cartId: $id, note: "mine now") {
  cart { id } userErrors { code field } } }"""
BUYER = """mutation($id: ID!, $b: CartBuyerIdentityInput!) { cartBuyerIdentityUpdate(cartId: $id,
  buyerIdentity: $b) { cart { id } userErrors { code field } } }"""
BEGIN = """mutation($id: ID!) { checkoutBegin(cartId: $id) { reservedUntil
  userErrors { code field } } }"""
CART_ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Cart { id note } } }"""
CATALOG_ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) {
  ... on Product { id description } ... on ProductVariant { sku } } }"""


async def _post(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any],
    headers: dict[str, str] | None = None,
    path: str = "/graphql",
) -> dict[str, Any]:
    response = await client.post(
        path,
        json={"query": query, "variables": variables},
        headers={**NO_TOKEN, **(headers or {})},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def _agent_key(db: asyncpg.Connection[Any], channel: str) -> dict[str, str]:
    key, prefix, secret_hash = new_api_key()
    await auth_store.create_api_key(db, prefix, secret_hash, "agent", channel, ["AGENT"])
    return {"x-api-key": key}


async def _customer_cart(
    client: httpx.AsyncClient, env: TestEnv, db: asyncpg.Connection[Any]
) -> tuple[Any, uuid.UUID, dict[str, Any]]:
    sale = await make_sale(db, 5)
    owner = await add_customer(db, "Ann")
    created = await _post(
        client,
        CREATE,
        {
            "input": {
                "channel": gid("Channel", sale.channel),
                "lines": [{"merchandiseId": gid("ProductVariant", sale.variant), "quantity": 1}],
                "buyerIdentity": {"email": "ann@example.com"},
                "note": "ring twice",
            }
        },
        _bearer(customer_token(env.settings(), owner)),
    )
    cart = created["data"]["cartCreate"]["cart"]
    return sale, owner, cart


async def _cart_row(db: asyncpg.Connection[Any], cart_gid: str) -> Any:
    local = uuid.UUID(cart_gid.rsplit("/", 1)[1])
    return dict(await db.fetchrow("SELECT * FROM carts WHERE id = $1", local) or {})


async def test_an_agent_key_reads_and_changes_no_customer_cart(
    client: httpx.AsyncClient, env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    sale, _, cart = await _customer_cart(client, env, db)
    agent = await _agent_key(db, "AGENT")
    before = await _cart_row(db, cart["id"])
    read = await _post(client, CART, {"id": cart["id"]}, agent)
    assert read["data"]["cart"] is None  # as for a random id
    variant = gid("ProductVariant", sale.variant)
    for query, variables in (
        (ADD, {"id": cart["id"], "v": variant}),
        (NOTE, {"id": cart["id"]}),
        (BEGIN, {"id": cart["id"]}),
    ):
        body = await _post(client, query, variables, agent)
        payload = next(iter(body["data"].values()))
        assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"], payload
    done = await _post(
        client,
        COMPLETE,
        {"cartId": cart["id"], "f": SHIP, "p": VISA, "key": "agent-steals-1"},
        agent,
    )
    assert done["data"]["checkoutComplete"]["order"] is None
    entities = await _post(
        client,
        CART_ENTITIES,
        {"r": [{"__typename": "Cart", "id": cart["id"]}]},
        agent,
        "/subgraphs/cart/graphql",
    )
    assert entities["data"]["_entities"] == [None]
    assert await _cart_row(db, cart["id"]) == before
    assert await db.fetchval("SELECT count(*) FROM orders") == 0


async def test_an_agent_key_acts_for_the_shopper_who_handed_it_the_token(
    client: httpx.AsyncClient, env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    _, _, cart = await _customer_cart(client, env, db)
    assert cart["accessToken"]  # the owner may hand it on
    agent = await _agent_key(db, "AGENT")
    held = agent | {"x-cart-token": cart["accessToken"]}
    read = await _post(client, CART, {"id": cart["id"]}, held)
    assert read["data"]["cart"]["note"] == "ring twice"
    # Another signed-in customer does not get in with the token: they act for themself.
    stranger = await add_customer(db, "Bob")
    other = _bearer(customer_token(env.settings(), stranger))
    token = {"x-cart-token": cart["accessToken"]}
    denied = await _post(client, CART, {"id": cart["id"]}, other | token)
    assert denied["data"]["cart"] is None


async def test_a_guest_cart_is_held_by_its_token_not_its_id(
    client: httpx.AsyncClient, env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 5)
    response = await client.post(
        "/graphql",
        json={"query": CREATE, "variables": {"input": {"channel": gid("Channel", sale.channel)}}},
        headers=NO_TOKEN,
    )
    cart = response.json()["data"]["cartCreate"]["cart"]
    assert response.headers["x-cart-token"] == cart["accessToken"]
    local = uuid.UUID(cart["id"].rsplit("/", 1)[1])
    assert cart["accessToken"] == cart_token(env.settings().jwt_secret, local)
    assert (await _post(client, CART, {"id": cart["id"]}))["data"]["cart"] is None
    forged = {"x-cart-token": cart["accessToken"][:-4] + "0000"}
    assert (await _post(client, CART, {"id": cart["id"]}, forged))["data"]["cart"] is None
    note = await _post(client, NOTE, {"id": cart["id"]})
    assert note["data"]["cartNoteUpdate"]["userErrors"][0]["code"] == "NOT_FOUND"
    held = {"x-cart-token": cart["accessToken"]}
    read = await _post(client, CART, {"id": cart["id"]}, held)
    assert read["data"]["cart"]["id"] == cart["id"] and read["data"]["cart"]["note"] == ""


async def test_a_merchandiser_touches_no_customer_cart(
    client: httpx.AsyncClient, env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    sale, owner, cart = await _customer_cart(client, env, db)
    staff = _bearer(staff_token(env.settings(), Role.MERCHANDISER))
    before = await _cart_row(db, cart["id"])
    assert (await _post(client, CART, {"id": cart["id"]}, staff))["data"]["cart"] is None
    note = await _post(client, NOTE, {"id": cart["id"]}, staff)
    assert note["data"]["cartNoteUpdate"]["userErrors"][0]["code"] == "NOT_FOUND"
    theirs = {
        "channel": gid("Channel", sale.channel),
        "buyerIdentity": {"customerId": gid("Customer", owner)},
    }
    created = await _post(client, CREATE, {"input": theirs}, staff)
    assert created["data"]["cartCreate"]["cart"] is None
    assert [e["code"] for e in created["data"]["cartCreate"]["userErrors"]] == ["FORBIDDEN"]
    mine = await _post(client, CREATE, {"input": {"channel": gid("Channel", sale.channel)}}, staff)
    own = mine["data"]["cartCreate"]["cart"]
    attach = await _post(
        client,
        BUYER,
        {"id": own["id"], "b": {"customerId": gid("Customer", owner)}},
        staff | {"x-cart-token": own["accessToken"]},
    )
    assert [e["code"] for e in attach["data"]["cartBuyerIdentityUpdate"]["userErrors"]] == [
        "FORBIDDEN"
    ]
    done = await _post(
        client, COMPLETE, {"cartId": cart["id"], "f": SHIP, "p": VISA, "key": "m-1"}, staff
    )
    assert done["data"]["checkoutComplete"]["order"] is None
    assert await _cart_row(db, cart["id"]) == before
    # SUPPORT holds the CARTS scope: it may.
    support = _bearer(staff_token(env.settings(), Role.SUPPORT))
    assert (await _post(client, CART, {"id": cart["id"]}, support))["data"]["cart"] is not None


async def test_an_idempotent_replay_answers_only_who_may_use_the_cart(
    client: httpx.AsyncClient, env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    _, owner, cart = await _customer_cart(client, env, db)
    mine = _bearer(customer_token(env.settings(), owner))
    buy = {"cartId": cart["id"], "f": SHIP, "p": VISA, "key": unique("first-order-")}
    placed = await _post(client, COMPLETE, buy, mine)
    order = placed["data"]["checkoutComplete"]["order"]
    assert order is not None, placed
    stranger = _bearer(customer_token(env.settings(), await add_customer(db, "Eve")))
    for caller in ({}, stranger, _bearer(staff_token(env.settings(), Role.MERCHANDISER))):
        replay = await _post(client, COMPLETE, buy, caller)
        result = replay["data"]["checkoutComplete"]
        assert result["order"] is None
        assert [e["code"] for e in result["userErrors"]] == ["NOT_FOUND"]
    again = await _post(client, COMPLETE, buy, mine)
    assert again["data"]["checkoutComplete"]["order"]["id"] == order["id"]
    assert await db.fetchval("SELECT count(*) FROM orders") == 1


async def test_a_draft_product_is_invisible_to_the_public(
    client: httpx.AsyncClient, env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    product = await db.fetchval(
        "INSERT INTO products (handle, title, status, description) "
        "VALUES ('secret', 'Secret', 'DRAFT', 'launch in May') RETURNING id"
    )
    variant = await db.fetchval(
        "INSERT INTO variants (product_id, sku, title) VALUES ($1, 'SECRET-1', 'One') RETURNING id",
        product,
    )
    node = "query($id: ID!) { node(id: $id) { id ... on Product { description } } }"
    by_sku = '{ variant(sku: "SECRET-1") { sku } }'
    refs = {
        "r": [
            {"__typename": "Product", "id": gid("Product", product)},
            {"__typename": "ProductVariant", "sku": "SECRET-1"},
            {"__typename": "ProductVariant", "id": gid("ProductVariant", variant)},
        ]
    }
    merchandiser = _bearer(staff_token(env.settings(), Role.MERCHANDISER))
    for caller, visible in (({}, False), (merchandiser, True)):
        for gid_ in (gid("Product", product), gid("ProductVariant", variant)):
            found = (await _post(client, node, {"id": gid_}, caller))["data"]["node"]
            assert (found is not None) is visible
        sku = (await _post(client, by_sku, {}, caller))["data"]["variant"]
        assert (sku is not None) is visible
        entities = await _post(client, CATALOG_ENTITIES, refs, caller, "/subgraphs/catalog/graphql")
        assert [e is not None for e in entities["data"]["_entities"]] == [visible] * 3


async def test_stock_internals_are_hidden_from_the_public_unless_published(
    env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 7)
    query = (
        '{ variant(sku: "'
        + sale.sku
        + '") { stockLevels { onHand reserved safetyStock available } } }'
    )
    async with app_client(env.settings()) as client:
        public = await graphql(client, query)
        staff = await graphql(
            client, query, token=staff_token(env.settings(), Role.STORE_ASSOCIATE)
        )
        merchandiser = await graphql(
            client, query, token=staff_token(env.settings(), Role.MERCHANDISER)
        )
    assert public["data"]["variant"]["stockLevels"] == [
        {"onHand": None, "reserved": None, "safetyStock": None, "available": 7}
    ]
    assert merchandiser["data"] == public["data"]
    assert staff["data"]["variant"]["stockLevels"] == [
        {"onHand": 7, "reserved": 0, "safetyStock": 0, "available": 7}
    ]
    async with app_client(env.settings(public_stock_detail=True)) as client:
        published = await graphql(client, query)
    assert published["data"] == staff["data"]


async def test_a_guest_order_is_held_by_its_carts_token_not_its_id(
    client: httpx.AsyncClient, env: TestEnv, db: asyncpg.Connection[Any]
) -> None:
    sale = await make_sale(db, 5)
    (cart_gid,) = await guest_carts(db, sale, 1)
    token = {"x-cart-token": cart_token(env.settings().jwt_secret, uuid.UUID(cart_gid[-36:]))}
    buy = {"cartId": cart_gid, "f": SHIP, "p": VISA, "key": unique("guest-")}
    placed = await _post(client, COMPLETE, buy, token)
    order = placed["data"]["checkoutComplete"]["order"]
    assert order is not None, placed
    read = "query($id: ID!) { order(id: $id) { id } node(id: $id) { id } }"
    for caller in (NO_TOKEN, _bearer(customer_token(env.settings(), await add_customer(db, "E")))):
        seen = await _post(client, read, {"id": order["id"]}, caller)
        assert seen["data"] == {"order": None, "node": None}, caller
    for caller in (token, _bearer(staff_token(env.settings(), Role.SUPPORT))):
        seen = await _post(client, read, {"id": order["id"]}, caller)
        assert seen["data"] == {"order": {"id": order["id"]}, "node": {"id": order["id"]}}
    cancel = """mutation($id: ID!) { orderCancel(orderId: $id, reason: CUSTOMER_REQUEST,
      idempotencyKey: "c-1") { order { status } userErrors { code } } }"""
    refused = (await _post(client, cancel, {"id": order["id"]}, NO_TOKEN))["data"]["orderCancel"]
    assert refused == {"order": None, "userErrors": [{"code": "NOT_FOUND"}]}
    done = (await _post(client, cancel, {"id": order["id"]}, token))["data"]["orderCancel"]
    assert done == {"order": {"status": "CANCELLED"}, "userErrors": []}
