"""Customer A, with a valid token, tries to read and change customer B's data.

Every attempt gets null or an error, nothing changes, and no answer tells whether
B's object exists: it is word for word the answer for an id that exists nowhere.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx

from domain.auth import Role
from tests.conftest import TestEnv
from tests.customer_helpers import gql, local_id, register, staff_token

ADDRESS = {"line1": "1 Secret Lane", "city": "Berlin", "countryCode": "DE", "postalCode": "10115"}


async def _snapshot(db: asyncpg.Connection[Any]) -> list[Any]:
    tables = (
        "customers",
        "customer_identities",
        "customer_addresses",
        "loyalty_ledger",
        "carts",
        "orders",
        "outbox",
    )
    return [[tuple(r) for r in await db.fetch(f"SELECT * FROM {t} ORDER BY 1")] for t in tables]


async def test_customer_a_cannot_touch_customer_b(
    client: httpx.AsyncClient, db: asyncpg.Connection[Any], env: TestEnv
) -> None:
    a = await register(client, firstName="Alice")
    b = await register(client, firstName="Bob", phone="+33 1 23 45 67 89")
    a_token, b_gid = a["accessToken"], b["customer"]["id"]
    b_id = local_id(b_gid)
    # B's own objects, created as B or by staff.
    added = await gql(
        client,
        "mutation($i: CustomerAddressInput!) { customerAddressAdd(input: $i) { address { id } userErrors { code } } }",
        {"i": ADDRESS},
        token=b["accessToken"],
    )
    b_address = added["data"]["customerAddressAdd"]["address"]["id"]
    channel = await db.fetchval(
        "INSERT INTO channels (code, name, currency_code) VALUES ('WEB', 'Web', 'EUR') RETURNING id"
    )
    b_cart = await db.fetchval(
        "INSERT INTO carts (channel_id, currency_code, customer_id) VALUES ($1, 'EUR', $2) RETURNING id",
        channel,
        b_id,
    )
    b_order = await db.fetchval(
        "INSERT INTO orders (customer_id, channel_id, currency_code, total_minor) VALUES ($1, $2, 'EUR', 4200) RETURNING id",
        b_id,
        channel,
    )
    await db.execute(
        "INSERT INTO loyalty_ledger (customer_id, kind, points, reason) VALUES ($1, 'ADJUST', 50, 'welcome')",
        b_id,
    )
    ghost_gid = f"gid://ucg/Customer/{uuid.uuid4()}"
    ghost_address = f"gid://ucg/CustomerAddress/{uuid.uuid4()}"
    before = await _snapshot(db)

    # Reads: null, exactly as for an id that does not exist.
    reads = {
        "customer": "query($id: ID!) { customer(id: $id) { id displayName } }",
        "node": "query($id: ID!) { node(id: $id) { id ... on Customer { displayName } } }",
        "loyalty": "query($id: ID!) { customer(id: $id) { loyalty { balance } } }",
        "identities": "query($id: ID!) { node(id: $id) { ... on Customer { identities { value } } } }",
    }
    for name, query in reads.items():
        for target in (b_gid, ghost_gid):
            body = await gql(client, query, {"id": target}, token=a_token)
            assert body.get("errors") is None, (name, body)
            assert list(body["data"].values()) == [None], (name, body)
    for gid in (f"gid://ucg/Cart/{b_cart}", f"gid://ucg/Order/{b_order}"):
        body = await gql(
            client, "query($id: ID!) { node(id: $id) { id } }", {"id": gid}, token=a_token
        )
        assert body["data"]["node"] is None
    assert (
        await gql(
            client,
            "query($id: ID!) { cart(id: $id) { id } }",
            {"id": f"gid://ucg/Cart/{b_cart}"},
            token=a_token,
        )
    )["data"]["cart"] is None
    assert (
        await gql(
            client,
            "query($id: ID!) { order(id: $id) { id } }",
            {"id": f"gid://ucg/Order/{b_order}"},
            token=a_token,
        )
    )["data"]["order"] is None
    me = await gql(
        client, "{ me { id carts { id } orders { edges { node { id } } } } }", token=a_token
    )
    assert me["data"]["me"] == {"id": a["customer"]["id"], "carts": [], "orders": {"edges": []}}

    # Writes: the same error for B as for nobody, and nothing changes.
    writes: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
        (
            "customerUpdate",
            'mutation($c: ID) { customerUpdate(customerId: $c, input: {firstName: "Mallory"}) { customer { id } userErrors { code message field } } }',
            {"c": b_gid},
            {"c": ghost_gid},
        ),
        (
            "customerAddressAdd",
            "mutation($c: ID, $i: CustomerAddressInput!) { customerAddressAdd(customerId: $c, input: $i) { address { id } userErrors { code message field } } }",
            {"c": b_gid, "i": ADDRESS},
            {"c": ghost_gid, "i": ADDRESS},
        ),
        (
            "customerAddressUpdate",
            "mutation($id: ID!, $i: CustomerAddressInput!) { customerAddressUpdate(id: $id, input: $i) { address { id } userErrors { code message field } } }",
            {"id": b_address, "i": ADDRESS},
            {"id": ghost_address, "i": ADDRESS},
        ),
        (
            "customerAddressRemove",
            "mutation($id: ID!) { customerAddressRemove(id: $id) { customer { id } userErrors { code message field } } }",
            {"id": b_address},
            {"id": ghost_address},
        ),
        (
            "customerIdentityLink",
            'mutation($c: ID) { customerIdentityLink(customerId: $c, input: {kind: EMAIL, value: "mallory@example.com"}) { identity { id } userErrors { code message field } } }',
            {"c": b_gid},
            {"c": ghost_gid},
        ),
        (
            "customerDataExport",
            "mutation($c: ID) { customerDataExport(customerId: $c) { data userErrors { code message field } } }",
            {"c": b_gid},
            {"c": ghost_gid},
        ),
        (
            "customerErase",
            "mutation($c: ID) { customerErase(customerId: $c) { erased userErrors { code message field } } }",
            {"c": b_gid},
            {"c": ghost_gid},
        ),
        (
            "customerLoyaltyAdjust",
            'mutation($c: ID!) { customerLoyaltyAdjust(customerId: $c, input: {kind: ADJUST, points: 1000, reason: "x"}) { loyalty { balance } userErrors { code message field } } }',
            {"c": b_gid},
            {"c": ghost_gid},
        ),
        (
            "customerMerge",
            "mutation($c: ID!, $s: ID!) { customerMerge(survivorId: $s, mergedId: $c) { merged userErrors { code message field } } }",
            {"c": b_gid, "s": a["customer"]["id"]},
            {"c": ghost_gid, "s": a["customer"]["id"]},
        ),
    ]
    for name, mutation, on_b, on_ghost in writes:
        answer_b = (await gql(client, mutation, on_b, token=a_token))["data"][name]
        answer_ghost = (await gql(client, mutation, on_ghost, token=a_token))["data"][name]
        assert answer_b["userErrors"], (name, answer_b)
        assert answer_b == answer_ghost, name
    assert await _snapshot(db) == before

    # Staff may; a merchandiser may not read customers at all.
    support = staff_token(env.settings(), Role.SUPPORT)
    seen = await gql(
        client,
        "query($id: ID!) { customer(id: $id) { displayName addresses { city } } }",
        {"id": b_gid},
        token=support,
    )
    assert seen["data"]["customer"] == {"displayName": "Bob", "addresses": [{"city": "Berlin"}]}
    merch = staff_token(env.settings(), Role.MERCHANDISER)
    assert (
        await gql(
            client, "query($id: ID!) { customer(id: $id) { id } }", {"id": b_gid}, token=merch
        )
    )["data"]["customer"] is None
    anonymous = await gql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": b_gid})
    assert anonymous["data"]["node"] is None
    # B sees B's own things.
    own = await gql(
        client,
        "query($id: ID!) { order(id: $id) { id } }",
        {"id": f"gid://ucg/Order/{b_order}"},
        token=b["accessToken"],
    )
    assert own["data"]["order"] is not None


async def test_profile_addresses_identities_and_consent(
    client: httpx.AsyncClient, env: TestEnv
) -> None:
    me = await register(client)
    token = me["accessToken"]
    upd = await gql(
        client,
        """mutation { customerUpdate(input: {firstName: "Grace", lastName: "Hopper",
              marketingConsent: {granted: true, source: "app"}}) {
            customer { displayName firstName marketingConsent { granted updatedAt source } }
            userErrors { code } } }""",
        token=token,
    )
    customer = upd["data"]["customerUpdate"]["customer"]
    assert customer["firstName"] == "Grace"
    assert customer["marketingConsent"]["granted"] is True
    assert (
        customer["marketingConsent"]["source"] == "app"
        and customer["marketingConsent"]["updatedAt"]
    )
    add = """mutation($i: CustomerAddressInput!) { customerAddressAdd(input: $i) {
        address { id isDefaultShipping } userErrors { code field } } }"""
    first = (await gql(client, add, {"i": {**ADDRESS, "defaultShipping": True}}, token=token))[
        "data"
    ]["customerAddressAdd"]
    second = (
        await gql(
            client,
            add,
            {
                "i": {
                    **ADDRESS,
                    "line1": "2 Other St",
                    "defaultShipping": True,
                    "defaultBilling": True,
                }
            },
            token=token,
        )
    )["data"]["customerAddressAdd"]
    assert first["address"]["isDefaultShipping"] and second["address"]["isDefaultShipping"]
    bad = (await gql(client, add, {"i": {**ADDRESS, "countryCode": "Germany"}}, token=token))[
        "data"
    ]["customerAddressAdd"]
    assert bad["userErrors"] == [{"code": "INVALID", "field": ["input", "countryCode"]}]
    view = await gql(
        client,
        "{ me { addresses { line1 isDefaultShipping isDefaultBilling } defaultShippingAddress { line1 } defaultBillingAddress { line1 } } }",
        token=token,
    )
    assert view["data"]["me"]["defaultShippingAddress"] == {"line1": "2 Other St"}
    assert [a["isDefaultShipping"] for a in view["data"]["me"]["addresses"]] == [False, True]
    removed = await gql(
        client,
        "mutation($id: ID!) { customerAddressRemove(id: $id) { customer { addresses { line1 } } userErrors { code } } }",
        {"id": first["address"]["id"]},
        token=token,
    )
    assert removed["data"]["customerAddressRemove"]["customer"]["addresses"] == [
        {"line1": "2 Other St"}
    ]
    link = """mutation($i: CustomerIdentityInput!) { customerIdentityLink(input: $i) {
        identity { kind value } userErrors { code field } } }"""
    phone = await gql(
        client, link, {"i": {"kind": "PHONE", "value": "+1 (415) 555-0132"}}, token=token
    )
    assert phone["data"]["customerIdentityLink"]["identity"] == {
        "kind": "PHONE",
        "value": "+14155550132",
    }
    again = await gql(client, link, {"i": {"kind": "PHONE", "value": "+14155550132"}}, token=token)
    assert again["data"]["customerIdentityLink"]["userErrors"][0]["code"] == "TAKEN"
    card = await gql(client, link, {"i": {"kind": "LOYALTY_CARD", "value": "card-1"}}, token=token)
    assert card["data"]["customerIdentityLink"]["userErrors"][0]["code"] == "FORBIDDEN"
    # Staff links a loyalty card; the till finds the customer by it, and by phone.
    pos = staff_token(env.settings(), Role.STORE_ASSOCIATE)
    staff_link = """mutation($c: ID, $i: CustomerIdentityInput!) { customerIdentityLink(customerId: $c, input: $i) {
        identity { value } userErrors { code } } }"""
    linked = await gql(
        client,
        staff_link,
        {"c": me["customer"]["id"], "i": {"kind": "LOYALTY_CARD", "value": "lc-000123"}},
        token=pos,
    )
    assert linked["data"]["customerIdentityLink"]["identity"] == {"value": "LC-000123"}
    lookup = "query($k: CustomerIdentityKind!, $v: String!) { customerLookup(kind: $k, value: $v) { id displayName } }"
    for kind, value in (
        ("LOYALTY_CARD", "LC-000123"),
        ("PHONE", "+1 415 555 0132"),
        ("EMAIL", me["email"].upper()),
    ):
        found = await gql(client, lookup, {"k": kind, "v": value}, token=pos)
        assert found["data"]["customerLookup"]["id"] == me["customer"]["id"], kind
    missing = await gql(client, lookup, {"k": "PHONE", "v": "+1 415 555 0199"}, token=pos)
    assert missing["data"]["customerLookup"] is None
