"""The authorization walk, generated from the schema (issue 20).

For every Node type, every query and mutation taking an id, every subscription, every
MCP tool and every subgraph's `_entities`, each principal kind tries a first
customer's objects and must get the very answer a random id gets, with no change in
the database. A new field or mutation with an id argument is walked automatically; an
id argument the walk cannot classify fails the test (add it to OWNED_ARGS or
PUBLIC_ARGS), and so does a new Node type (OWNED_NODES or PUBLIC_NODES).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import asyncpg
import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    build_schema,
    get_named_type,
)
from mcp.server.mcpserver.exceptions import ToolError
from starlette.requests import Request

from api.app import create_app
from api.auth import new_api_key
from datasources.kafka.fanout import EventHub
from datasources.postgres import auth_store
from domain.auth import Role
from entrypoints.mcp import UcgTools, build_mcp_server, principal_from_http
from resolvers.context import Context
from resolvers.subgraphs import SUBGRAPH_NAMES, subgraph_schema
from resolvers.supergraph import supergraph_schema, supergraph_sdl
from tests.conftest import TestEnv
from tests.helpers import customer_token, graphql, staff_token
from tests.integration.cart_support import add_customer
from tests.order_helpers import make_sale
from tests.return_helpers import create_return, picked_up_order

# Owned object kinds: what a first customer (the victim) has of each.
OWNED_NODES = {"Cart", "Order", "Customer", "Return"}
PUBLIC_NODES = {"Channel", "Location", "Product", "ProductVariant", "Collection"}
# (field, argument path) -> the owned kind an id names; `*` is any field.
OWNED_ARGS: dict[tuple[str, str], str] = {
    ("*", "cartId"): "Cart",
    ("*", "orderId"): "Order",
    ("*", "customerId"): "Customer",
    ("*", "survivorId"): "Customer",
    ("*", "mergedId"): "Customer",
    ("*", "returnId"): "Return",
    ("*", "buyerIdentity.customerId"): "Customer",
    ("cart", "id"): "Cart",
    ("order", "id"): "Order",
    ("customer", "id"): "Customer",
    ("customer360", "id"): "Customer",
    ("customerAddressUpdate", "id"): "CustomerAddress",
    ("customerAddressRemove", "id"): "CustomerAddress",
    ("fulfillmentUpdate", "id"): "Fulfillment",
    ("cartLinesUpdate", "lines.id"): "CartLine",
    ("cartLinesRemove", "lineIds"): "CartLine",
    ("orderReturnCreate", "lines.lineId"): "OrderLine",
    ("orderCancel", "lines.lineId"): "OrderLine",
    ("storeHoldCancel", "holdId"): "StoreHold",
    ("storeWorkLinePick", "fulfillmentId"): "Fulfillment",
    ("storeWorkLinePick", "lineId"): "OrderLine",
    ("posSaleComplete", "customer.id"): "Customer",
    ("posEndlessAisleOrder", "customer.id"): "Customer",
    ("posReturn", "lines.lineId"): "OrderLine",
}
# Ids of public objects: the same real one in both calls.
PUBLIC_ARGS: dict[tuple[str, str], str] = {
    ("*", "locationId"): "Location",
    ("*", "locationIds"): "Location",
    ("*", "pickupLocationId"): "Location",
    ("*", "fulfillment.locationId"): "Location",
    ("*", "lines.merchandiseId"): "ProductVariant",
    ("*", "input.channel"): "Channel",
    ("*", "input.channels"): "Channel",
    ("*", "productId"): "Product",
    ("product", "id"): "Product",
    ("productUpdate", "id"): "Product",
    ("productArchive", "id"): "Product",
    ("node", "id"): "Node",  # walked per Node type below
    ("*", "productIds"): "Product",
    ("*", "input.parentId"): "Collection",
    ("collection", "id"): "Collection",
    ("collectionUpdate", "id"): "Collection",
    ("collectionDelete", "id"): "Collection",
    ("collectionAddProducts", "id"): "Collection",
    ("collectionRemoveProducts", "id"): "Collection",
    # Segments are staff definitions, not a customer's objects.
    ("segmentUpdate", "id"): "Segment",
    ("segmentDelete", "id"): "Segment",
    ("*", "segmentIds"): "Segment",
    ("*", "input.segments"): "Segment",
    ("*", "storeId"): "Location",
    ("*", "filters.availableAt"): "Location",
    ("translationsRegister", "resourceId"): "Product",
}
# MCP tool parameters naming owned objects.
MCP_OWNED = {"cart_id": "Cart", "order_id": "Order"}
MCP_PUBLIC = {"location_id", "variant_id"}


@dataclass
class Victim:
    ids: dict[str, str]  # owned kind -> global id of the victim's object
    public: dict[str, str]  # public kind -> global id of a real public object


def _random(kind: str) -> str:
    return f"gid://ucg/{kind}/{uuid.uuid4()}"


def _classify(field: str, path: str) -> tuple[str, str]:
    """By the whole path, else by its shorter suffixes (input.lines.x -> lines.x -> x)."""
    parts = path.split(".")
    for i in range(len(parts)):
        suffix = ".".join(parts[i:])
        for table, where in ((OWNED_ARGS, "owned"), (PUBLIC_ARGS, "public")):
            kind = table.get((field, suffix)) or table.get(("*", suffix))
            if kind is not None:
                return where, kind
    raise AssertionError(f"classify the id argument {field}({path}) in test_authz_walk.py")


def _value(t: GraphQLInputType, field: str, path: str, ids: dict[str, str], v: Victim) -> Any:
    """A value for an argument: ids from the classification, a plain dummy otherwise."""
    if isinstance(t, GraphQLNonNull):
        return _value(t.of_type, field, path, ids, v)
    if isinstance(t, GraphQLList):
        return [_value(t.of_type, field, path, ids, v)]
    if isinstance(t, GraphQLInputObjectType):
        return {
            name: _value(f.type, field, f"{path}.{name}", ids, v)
            for name, f in t.fields.items()
            if isinstance(f.type, GraphQLNonNull) or get_named_type(f.type).name == "ID"
        }
    if isinstance(t, GraphQLEnumType):
        return next(iter(t.values))
    assert isinstance(t, GraphQLScalarType)
    if t.name == "ID":
        where, kind = _classify(field, path)
        return ids[kind] if where == "owned" else v.public[kind]
    fixed = {"Int": 1, "Float": 1.0, "Boolean": False, "DateTime": "2026-01-01T00:00:00+00:00"}
    return fixed.get(t.name, f"walk-{uuid.uuid4().hex[:8]}")


def _id_paths(t: GraphQLInputType, path: str) -> list[str]:
    named = get_named_type(t)
    if isinstance(named, GraphQLInputObjectType):
        return [p for n, f in named.fields.items() for p in _id_paths(f.type, f"{path}.{n}")]
    return [path] if named.name == "ID" else []


def _selection(field: GraphQLField) -> str:
    named = get_named_type(field.type)
    if not isinstance(named, GraphQLObjectType):
        return "" if not hasattr(named, "fields") else "{ __typename }"
    parts = ["__typename"]
    for name, sub in named.fields.items():
        if any(isinstance(a.type, GraphQLNonNull) for a in sub.args.values()):
            continue
        inner = get_named_type(sub.type)
        if name == "userErrors":
            parts.append("userErrors { code }")
        elif hasattr(inner, "fields"):
            parts.append(f"{name} {{ __typename }}")
    return "{ " + " ".join(parts) + " }"


def _operations(root: str) -> list[tuple[str, str, list[str], GraphQLField]]:
    schema = build_schema(supergraph_sdl())
    operations = []
    for name, field in schema.type_map[root].fields.items():  # type: ignore[attr-defined]
        paths = [p for a_name, a in field.args.items() for p in _id_paths(a.type, a_name)]
        if paths:
            operations.append((root, name, paths, field))
    return operations


def _document(root: str, name: str, field: GraphQLField) -> str:
    params = ", ".join(f"${a}: {t.type}" for a, t in field.args.items())
    args = ", ".join(f"{a}: ${a}" for a in field.args)
    keyword = {"Query": "query", "Mutation": "mutation", "Subscription": "subscription"}[root]
    return f"{keyword}({params}) {{ {name}({args}) {_selection(field)} }}"


def _variables(name: str, field: GraphQLField, ids: dict[str, str], v: Victim) -> dict[str, Any]:
    return {a: _value(t.type, name, a, ids, v) for a, t in field.args.items()}


def _normalize(body: Any, victim: Victim) -> str:
    """The answer with every id and generated value blanked: only its shape and codes."""
    text = json.dumps(body, sort_keys=True)
    text = re.sub(r"gid://ucg/\w+/[0-9a-f-]{36}", "<id>", text)
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", text)
    text = re.sub(r'"message": "[^"]*"', '"message": "<m>"', text)
    return re.sub(r'"(throttleStatus|cost)": \{[^}]*\}+', '"cost": {}', text)


# New rows an attacker may legitimately make while walking (its own carts).
MAY_GROW = {"carts", "cart_lines"}


async def _snapshot(db: asyncpg.Connection[Any]) -> dict[str, dict[Any, Any]]:
    tables = ["carts", "cart_lines", "orders", "order_lines", "fulfillments", "customers",
              "customer_addresses", "customer_identities", "returns", "stock_levels"]  # fmt: skip
    state: dict[str, dict[Any, Any]] = {}
    for table in tables:
        rows = await db.fetch(f"SELECT * FROM {table}")  # noqa: S608
        state[table] = {tuple(r.values())[:2]: dict(r) for r in rows}
    return state


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[Any]:
    """Rows that changed or vanished, and new rows where none may appear."""
    changes = []
    for table, rows in before.items():
        changes += [(table, k) for k, row in rows.items() if after[table].get(k) != row]
        if table not in MAY_GROW:
            changes += [(table, k, "new") for k in after[table].keys() - rows.keys()]
    return changes


@pytest.fixture
async def store(env: TestEnv, db: asyncpg.Connection[Any]) -> AsyncIterator[Any]:
    settings = env.settings()
    app = create_app(settings)
    await app.state.services.start()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ucg.test") as client:
        sale = await make_sale(db, 20, kind="STORE", price=1000)
        order = await picked_up_order(client, db, settings, sale, qty=2)
        returned = await create_return(client, order, 1)
        assert returned["userErrors"] == [], returned
        ann = order.customer_id
        cart = await db.fetchval(
            "INSERT INTO carts (channel_id, currency_code, customer_id) "
            "VALUES ($1, 'EUR', $2) RETURNING id",
            sale.channel,
            ann,
        )
        line = await db.fetchval(
            "INSERT INTO cart_lines (cart_id, variant_id, quantity) VALUES ($1, $2, 1) "
            "RETURNING id",
            cart,
            sale.variant,
        )
        address = await db.fetchval(
            "INSERT INTO customer_addresses (customer_id, line1, city, country_code) "
            "VALUES ($1, 'Damrak 1', 'Amsterdam', 'NL') RETURNING id",
            ann,
        )
        hold = await db.fetchval(
            "WITH r AS (INSERT INTO reservations (expires_at, reference) "
            "VALUES (now() + interval '1 day', 'walk') RETURNING id) "
            "INSERT INTO store_holds (reservation_id, location_id, customer_id) "
            "SELECT r.id, $1, $2 FROM r RETURNING id",
            sale.location,
            ann,
        )
        product = await db.fetchval("SELECT product_id FROM variants WHERE id = $1", sale.variant)
        segment = await db.fetchval(
            """INSERT INTO segments (name, rule) VALUES ('Walk', '{"match": "ALL",
                 "conditions": [{"field": "ORDER_COUNT", "operator": "GTE", "values": ["1"]}],
                 "groups": []}') RETURNING id"""
        )
        victim = Victim(
            {
                "Cart": f"gid://ucg/Cart/{cart}",
                "CartLine": f"gid://ucg/CartLine/{line}",
                "Order": order.id,
                "OrderLine": order.line_id,
                "Fulfillment": order.fulfillment_id,
                "Customer": f"gid://ucg/Customer/{ann}",
                "CustomerAddress": f"gid://ucg/CustomerAddress/{address}",
                "Return": returned["return"]["id"],
                "StoreHold": f"gid://ucg/StoreHold/{hold}",
            },
            {
                "Location": f"gid://ucg/Location/{sale.location}",
                "ProductVariant": f"gid://ucg/ProductVariant/{sale.variant}",
                "Channel": f"gid://ucg/Channel/{sale.channel}",
                "Product": f"gid://ucg/Product/{product}",
                "Segment": f"gid://ucg/Segment/{segment}",
            },
        )
        key, prefix, secret_hash = new_api_key()
        await auth_store.create_api_key(db, prefix, secret_hash, "agent", "AGENT", ["AGENT"])
        other = await add_customer(db, "Mallory")
        principals = {
            "anonymous": {},
            "customer": {"authorization": f"Bearer {customer_token(settings, other)}"},
            "api key": {"x-api-key": key},
            "merchandiser": {"authorization": f"Bearer {staff_token(settings, Role.MERCHANDISER)}"},
        }
        yield SimpleNamespace(
            client=client, victim=victim, principals=principals, app=app, settings=settings
        )
    await app.state.services.close()


def _random_ids(victim: Victim) -> dict[str, str]:
    return {kind: _random(gid.split("/")[3]) for kind, gid in victim.ids.items()}


async def test_every_node_type_is_classified() -> None:
    schema = build_schema(supergraph_sdl())
    nodes = {
        t.name
        for t in schema.type_map.values()
        if isinstance(t, GraphQLObjectType) and any(i.name == "Node" for i in t.interfaces)
    }
    assert nodes == OWNED_NODES | PUBLIC_NODES, "classify the new Node type in this test"


async def test_no_principal_tells_someone_elses_object_from_a_random_id(
    store: Any, db: asyncpg.Connection[Any]
) -> None:
    client, victim = store.client, store.victim
    before = await _snapshot(db)
    operations = _operations("Query") + _operations("Mutation")
    assert {"cart", "order", "cartLinesAdd", "checkoutComplete", "orderCancel"} <= {
        name for _, name, _, _ in operations
    }
    node = "query($id: ID!) { node(id: $id) { __typename } }"
    leaks = []
    for who, headers in store.principals.items():
        for kind in OWNED_NODES:
            seen = [
                _normalize(await graphql(client, node, {"id": gid}, headers=headers), victim)
                for gid in (victim.ids[kind], _random(kind))
            ]
            if seen[0] != seen[1]:
                leaks.append((who, f"node({kind})", seen))
        for root, name, paths, field in operations:
            if not any(_classify(name, p)[0] == "owned" for p in paths):
                continue
            document = _document(root, name, field)
            answers = []
            for ids in (victim.ids, _random_ids(victim)):
                variables = _variables(name, field, ids, victim)
                body = await graphql(client, document, variables, headers=headers)
                answers.append(_normalize(body, victim))
            if answers[0] != answers[1]:
                leaks.append((who, name, answers))
    assert leaks == []
    assert _changes(before, await _snapshot(db)) == []


async def test_no_subgraph_entity_resolver_tells_them_apart(
    store: Any, db: asyncpg.Connection[Any]
) -> None:
    client, victim = store.client, store.victim
    before = await _snapshot(db)
    leaks = []
    for subgraph in SUBGRAPH_NAMES:
        schema = subgraph_schema(subgraph)._schema
        entity = schema.type_map.get("_Entity")
        members = {t.name for t in getattr(entity, "types", [])} & OWNED_NODES
        for kind in sorted(members):
            query = "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }"
            for who, headers in store.principals.items():
                seen = []
                for gid in (victim.ids[kind], _random(kind)):
                    body = await graphql(
                        client,
                        query,
                        {"r": [{"__typename": kind, "id": gid}]},
                        path=f"/subgraphs/{subgraph}/graphql",
                        headers=headers,
                    )
                    seen.append(_normalize(body, victim))
                if seen[0] != seen[1]:
                    leaks.append((who, subgraph, kind, seen))
    assert leaks == []
    assert _changes(before, await _snapshot(db)) == []


async def test_no_subscription_tells_them_apart(store: Any, db: asyncpg.Connection[Any]) -> None:
    from api.auth import authenticate

    victim, resources = store.victim, store.app.state.services
    hub = EventHub(store.settings, resources.redis)
    leaks = []
    for root, name, paths, field in _operations("Subscription"):
        if not any(_classify(name, p)[0] == "owned" for p in paths):
            continue
        document = _document(root, name, field)
        for who, headers in store.principals.items():
            principal = await authenticate(store.settings, headers, resources.pool, resources.redis)
            seen = []
            for ids in (victim.ids, _random_ids(victim)):
                context = Context(
                    pool=resources.pool,
                    redis=resources.redis,
                    producer=resources.producer,
                    request_id="walk",
                    principal=principal,
                    settings=store.settings,
                    events=hub,  # not started: nothing may get as far as subscribing
                )
                stream = await supergraph_schema().subscribe(
                    document, variable_values=_variables(name, field, ids, victim),
                    context_value=context,
                )  # fmt: skip
                first = await anext(stream) if hasattr(stream, "__anext__") else stream  # type: ignore[arg-type]
                if hasattr(stream, "aclose"):
                    await stream.aclose()
                errors = [e.extensions.get("code") for e in first.errors or []]
                seen.append((first.data, errors))
            if seen[0] != seen[1] or seen[0][1] != ["NOT_FOUND"]:
                leaks.append((who, name, seen))
    assert leaks == []


class HttpCall:
    def __init__(self, headers: dict[str, str]) -> None:
        scope = {"type": "http", "method": "POST", "path": "/mcp", "client": ("192.0.2.1", 1),
                 "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}  # fmt: skip
        self.request_context = SimpleNamespace(request=Request(scope))
        self.headers = headers


async def test_no_mcp_tool_tells_them_apart(store: Any, db: asyncpg.Connection[Any]) -> None:
    victim, resources = store.victim, store.app.state.services
    server = build_mcp_server(UcgTools(resources, principal_from_http(resources)))
    before = await _snapshot(db)
    leaks = []
    walked = set()
    for tool in await server.list_tools():
        params = tool.input_schema.get("properties", {})
        owned = [p for p in params if p in MCP_OWNED]
        unknown = [p for p in params if p.endswith("_id") and p not in {*MCP_OWNED, *MCP_PUBLIC}]
        assert not unknown, f"classify the MCP parameters {tool.name}{unknown}"
        if not owned:
            continue
        walked.add(tool.name)
        required = tool.input_schema.get("required", [])
        for who, headers in store.principals.items():
            seen = []
            for ids in (victim.ids, _random_ids(victim)):
                args: dict[str, Any] = {p: ids[MCP_OWNED[p]] for p in owned}
                for p in required:
                    args.setdefault(p, [] if params[p].get("type") == "array" else "walk-x")
                try:
                    result = await server.call_tool(tool.name, args, HttpCall(headers))  # type: ignore[arg-type]
                    answer: Any = result.structured_content
                except ToolError as error:
                    answer = str(error).split(":", 1)[0]
                seen.append(_normalize(answer, victim))
            if seen[0] != seen[1]:
                leaks.append((who, tool.name, seen))
    assert {"get_cart", "complete_checkout", "order_status", "cancel_order"} <= walked
    assert leaks == []
    assert _changes(before, await _snapshot(db)) == []
