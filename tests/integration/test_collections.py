"""Collections: staff admin (CATALOG scope, validation, events), nesting and breadcrumbs,
rule-based and manual membership, publishing per channel, collections in predictive search."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from domain.auth import Role
from domain.ids import to_global_id
from tests.conftest import TestEnv
from tests.helpers import graphql, staff_token

CREATE = """mutation($input: CollectionCreateInput!) { collectionCreate(input: $input) {
  collection { id handle title ruleBased channelCodes rules { field relation value } }
  userErrors { code field message } } }"""
UPDATE = """mutation($id: ID!, $input: CollectionUpdateInput!) {
  collectionUpdate(id: $id, input: $input) {
    collection { handle parent { handle } } userErrors { code field } } }"""
DELETE = """mutation($id: ID!) { collectionDelete(id: $id) {
  deletedCollectionId userErrors { code field } } }"""
ADD = """mutation($id: ID!, $p: [ID!]!) { collectionAddProducts(id: $id, productIds: $p) {
  collection { handle } userErrors { code field } } }"""
REMOVE = """mutation($id: ID!, $p: [ID!]!) { collectionRemoveProducts(id: $id, productIds: $p) {
  collection { handle } userErrors { code field } } }"""
PAGE = """query($h: String!, $ch: String) { collection(handle: $h, channel: $ch) {
  handle title seo { title description } parent { handle } children { handle }
  breadcrumbs { handle title }
  products(first: 10) { edges { node { handle } } } } }"""
LIST = """query($after: String) { collections(first: 2, after: $after) {
  edges { node { handle } } pageInfo { hasNextPage endCursor } } }"""


async def make_products(db: asyncpg.Connection[Any]) -> dict[str, uuid.UUID]:
    """Five products priced on WEB: (handle, tags, vendor, type, price EUR, status)."""
    await db.execute(
        "INSERT INTO channels (code, name, currency_code) VALUES ('WEB', 'Web', 'EUR'), "
        "('APP', 'App', 'EUR') ON CONFLICT DO NOTHING"
    )
    web = await db.fetchval("SELECT id FROM channels WHERE code = 'WEB'")
    rows = [
        ("sun-hat", ["summer", "hats"], "Noord", "Hats", 1995, "ACTIVE"),
        ("linen-shirt", ["summer"], "Noord", "Shirts", 4995, "ACTIVE"),
        ("beach-towel", ["summer"], "Grachten", "Home", 7995, "ACTIVE"),
        ("wool-scarf", ["winter"], "Grachten", "Scarves", 2995, "ACTIVE"),
        ("draft-cap", ["summer"], "Noord", "Hats", 995, "DRAFT"),
    ]
    ids = {}
    for handle, tags, vendor, kind, price, status in rows:
        pid = await db.fetchval(
            "INSERT INTO products (handle, title, status, vendor, product_type, tags) "
            "VALUES ($1, initcap(replace($1, '-', ' ')), $2, $3, $4, $5) RETURNING id",
            handle,
            status,
            vendor,
            kind,
            tags,
        )
        vid = await db.fetchval(
            "INSERT INTO variants (product_id, sku, title, options) VALUES ($1, $2, 'One', $3) "
            "RETURNING id",
            pid,
            handle.upper(),
            [{"name": "Size", "value": "One"}],
        )
        await db.execute(
            "INSERT INTO prices (variant_id, channel_id, currency_code, amount_minor) "
            "VALUES ($1, $2, 'EUR', $3)",
            vid,
            web,
            price,
        )
        ids[handle] = pid
    return ids


def gid(kind: str, local: uuid.UUID) -> str:
    return to_global_id(kind, local)


async def test_collections_admin_tree_rules_and_channels(
    env: TestEnv, client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    products = await make_products(db)
    staff = staff_token(env.settings(), Role.MERCHANDISER)
    clothing_input = {"handle": "clothing", "title": "Clothing", "channels": ["WEB"]}

    anonymous = await graphql(client, CREATE, {"input": clothing_input})
    assert anonymous["data"]["collectionCreate"]["userErrors"][0]["code"] == "UNAUTHENTICATED"
    clerk = staff_token(env.settings(), Role.STORE_ASSOCIATE)
    refused = await graphql(client, CREATE, {"input": clothing_input}, token=clerk)
    assert refused["data"]["collectionCreate"]["userErrors"][0]["code"] == "FORBIDDEN"

    made = await graphql(client, CREATE, {"input": clothing_input}, token=staff)
    clothing = made["data"]["collectionCreate"]["collection"]
    assert clothing["handle"] == "clothing" and clothing["channelCodes"] == ["WEB"]
    again = await graphql(client, CREATE, {"input": clothing_input}, token=staff)
    assert again["data"]["collectionCreate"]["userErrors"][0]["code"] == "TAKEN"

    summer_rules = [
        {"field": "TAG", "relation": "EQUALS", "value": "Summer"},
        {"field": "PRICE", "relation": "LESS_THAN", "value": "50"},
    ]
    summer_input = {
        "handle": "summer-under-50",
        "title": "Summer under 50",
        "parentId": clothing["id"],
        "rules": summer_rules,
        "sortKey": "PRICE",
        "channels": ["WEB", "APP"],
        "seoDescription": "Light things for warm days.",
    }
    made = await graphql(client, CREATE, {"input": summer_input}, token=staff)
    summer = made["data"]["collectionCreate"]["collection"]
    assert summer["ruleBased"] is True
    assert summer["rules"][0] == {"field": "TAG", "relation": "EQUALS", "value": "summer"}

    for bad, code, field in [
        (
            {"rules": [{"field": "TAG", "relation": "LESS_THAN", "value": "x"}]},
            "INVALID",
            ["input", "rules", "0"],
        ),
        (
            {"rules": [{"field": "PRICE", "relation": "LESS_THAN", "value": "cheap"}]},
            "INVALID",
            ["input", "rules", "0"],
        ),
        ({"channels": ["NOPE"]}, "NOT_FOUND", ["input", "channels", "0"]),
        ({"handle": "Bad Handle"}, "INVALID", ["input", "handle"]),
        (
            {"parentId": "gid://ucg/Product/" + str(uuid.uuid4())},
            "INVALID_ID",
            ["input", "parentId"],
        ),
        ({"parentId": gid("Collection", uuid.uuid4())}, "NOT_FOUND", ["input", "parentId"]),
    ]:
        body = await graphql(
            client, CREATE, {"input": {"handle": "x-1", "title": "X", **bad}}, token=staff
        )
        errors = body["data"]["collectionCreate"]["userErrors"]
        assert (errors[0]["code"], errors[0]["field"]) == (code, field), (bad, errors)
    assert await db.fetchval("SELECT count(*) FROM collections") == 2  # nothing half-made

    # A cycle is refused: clothing cannot go under its own child.
    cycle = await graphql(
        client, UPDATE, {"id": clothing["id"], "input": {"parentId": summer["id"]}}, token=staff
    )
    assert cycle["data"]["collectionUpdate"]["userErrors"] == [
        {"code": "INVALID", "field": ["input", "parentId"]}
    ]

    picks = (
        await graphql(
            client,
            CREATE,
            {"input": {"handle": "staff-picks", "title": "Staff picks", "channels": ["APP"]}},
            token=staff,
        )
    )["data"]["collectionCreate"]["collection"]
    order = ["beach-towel", "wool-scarf", "sun-hat"]
    added = await graphql(
        client,
        ADD,
        {"id": picks["id"], "p": [gid("Product", products[h]) for h in order]},
        token=staff,
    )
    assert added["data"]["collectionAddProducts"]["userErrors"] == []
    missing = await graphql(
        client, ADD, {"id": picks["id"], "p": [gid("Product", uuid.uuid4())]}, token=staff
    )
    assert missing["data"]["collectionAddProducts"]["userErrors"][0] == {
        "code": "NOT_FOUND",
        "field": ["productIds", "0"],
    }
    to_rules = await graphql(
        client, ADD, {"id": summer["id"], "p": [gid("Product", products["sun-hat"])]}, token=staff
    )
    assert to_rules["data"]["collectionAddProducts"]["userErrors"][0]["code"] == "INVALID"

    # Shoppers: the rule-based one holds ACTIVE summer products under 50, cheapest first.
    page = await graphql(client, PAGE, {"h": "summer-under-50", "ch": None})
    assert "errors" not in page, page
    got = page["data"]["collection"]
    assert [e["node"]["handle"] for e in got["products"]["edges"]] == ["sun-hat", "linen-shirt"]
    assert [b["handle"] for b in got["breadcrumbs"]] == ["clothing", "summer-under-50"]
    assert got["parent"] == {"handle": "clothing"}
    assert got["seo"] == {"title": "Summer under 50", "description": "Light things for warm days."}
    top = await graphql(client, PAGE, {"h": "clothing", "ch": "WEB"})
    assert top["data"]["collection"]["children"] == [{"handle": "summer-under-50"}]
    assert top["data"]["collection"]["breadcrumbs"] == [{"handle": "clothing", "title": "Clothing"}]

    # The manual one keeps its order, and is published on APP only.
    assert (await graphql(client, PAGE, {"h": "staff-picks", "ch": "WEB"}))["data"][
        "collection"
    ] is None
    app = await graphql(client, PAGE, {"h": "staff-picks", "ch": "APP"})
    assert [e["node"]["handle"] for e in app["data"]["collection"]["products"]["edges"]] == order
    removed = await graphql(
        client,
        REMOVE,
        {"id": picks["id"], "p": [gid("Product", products["wool-scarf"])]},
        token=staff,
    )
    assert removed["data"]["collectionRemoveProducts"]["userErrors"] == []
    app = await graphql(client, PAGE, {"h": "staff-picks", "ch": "APP"})
    assert [e["node"]["handle"] for e in app["data"]["collection"]["products"]["edges"]] == [
        "beach-towel",
        "sun-hat",
    ]

    # An unpublished collection is hidden from shoppers, listed for staff; paging by title.
    hidden = await graphql(
        client, CREATE, {"input": {"handle": "hidden", "title": "Hidden"}}, token=staff
    )
    hidden_id = hidden["data"]["collectionCreate"]["collection"]["id"]
    node = "query($id: ID!) { node(id: $id) { __typename ... on Collection { handle } } }"
    assert (await graphql(client, node, {"id": hidden_id}))["data"]["node"] is None
    assert (await graphql(client, node, {"id": hidden_id}, token=staff))["data"]["node"] == {
        "__typename": "Collection",
        "handle": "hidden",
    }
    assert (await graphql(client, node, {"id": summer["id"]}))["data"]["node"]["handle"] == (
        "summer-under-50"
    )
    assert (await graphql(client, PAGE, {"h": "hidden", "ch": None}))["data"]["collection"] is None
    first = (await graphql(client, LIST))["data"]["collections"]
    assert [e["node"]["handle"] for e in first["edges"]] == ["clothing", "staff-picks"]
    rest = (await graphql(client, LIST, {"after": first["pageInfo"]["endCursor"]}))["data"]
    assert [e["node"]["handle"] for e in rest["collections"]["edges"]] == ["summer-under-50"]
    everything = await graphql(
        client, "{ collections(first: 10) { edges { node { handle } } } }", token=staff
    )
    assert len(everything["data"]["collections"]["edges"]) == 4

    # Deleting a parent with children is refused; the child then the parent go.
    refused = await graphql(client, DELETE, {"id": clothing["id"]}, token=staff)
    assert refused["data"]["collectionDelete"]["userErrors"][0]["code"] == "INVALID"
    for c in (summer, clothing):
        done = await graphql(client, DELETE, {"id": c["id"]}, token=staff)
        assert done["data"]["collectionDelete"]["deletedCollectionId"] == c["id"]

    events = await db.fetch(
        "SELECT payload->>'change' AS change FROM outbox "
        "WHERE type = 'ucg.catalog.collection_changed.v1' ORDER BY id"
    )
    assert [e["change"] for e in events] == [
        "CREATED",
        "CREATED",
        "CREATED",
        "PRODUCTS_ADDED",
        "PRODUCTS_REMOVED",
        "CREATED",
        "DELETED",
        "DELETED",
    ]


async def test_collections_in_predictive_search(
    env: TestEnv, client: httpx.AsyncClient, db: asyncpg.Connection[Any]
) -> None:
    await make_products(db)
    staff = staff_token(env.settings(), Role.ADMIN)
    for handle, title, channels in [
        ("summer", "Summer Essentials", ["WEB"]),
        ("summer-drafts", "Summer Drafts", []),
        ("winter", "Winter", ["WEB"]),
    ]:
        await graphql(
            client,
            CREATE,
            {"input": {"handle": handle, "title": title, "channels": channels}},
            token=staff,
        )
    query = """{ predictiveSearch(query: "Súmmer ess", limit: 5) {
        collections { handle } } }"""
    body = await graphql(client, query)
    assert body["data"]["predictiveSearch"]["collections"] == [{"handle": "summer"}]
    wide = await graphql(client, '{ predictiveSearch(query: "summ") { collections { handle } } }')
    assert wide["data"]["predictiveSearch"]["collections"] == [{"handle": "summer"}]
    staff_view = await graphql(
        client, '{ predictiveSearch(query: "summ") { collections { handle } } }', token=staff
    )
    assert [c["handle"] for c in staff_view["data"]["predictiveSearch"]["collections"]] == [
        "summer-drafts",
        "summer",
    ]
