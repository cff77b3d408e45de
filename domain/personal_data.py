"""What is personal data, column by column, and what erasure does with it.

One explicit table instead of guessing by column names: every text, jsonb and array column of
every table is listed here as personal or not, with what a customer's erasure (GDPR art. 17)
does to the table. A test compares this with the migrated database, so a migration that adds a
column nobody classified fails the build. The export (art. 15) dumps every row linked to the
customer, so it needs no list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Erasure(StrEnum):
    """What a customer's erasure does to a table's rows linked to that customer."""

    ANONYMIZE = "anonymize"
    """The personal columns are blanked (NULL, '' or {}); the row stays (financial records)."""
    DELETE_ROWS = "delete rows"
    """The rows go."""
    CUSTOMER_RECORD = "customer record"
    """The customer row itself: blanked by its own rules (consent withdrawn, erased_at set)."""
    EXPIRES = "expires"
    """Personal data held briefly and removed by a retention job, not by erasure."""
    NOT_CUSTOMER_DATA = "not customer data"
    """Holds no customer's data (catalog, stock, staff, bookkeeping)."""


class Link(StrEnum):
    """How a table's rows reach a customer."""

    SELF = "id"
    CUSTOMER = "customer_id"
    CART = "cart_id"
    ORDER = "order_id"
    NONE = ""


@dataclass(frozen=True)
class TablePolicy:
    erasure: Erasure
    link: Link
    personal: frozenset[str]
    not_personal: frozenset[str]
    why: str = ""

    @property
    def columns(self) -> frozenset[str]:
        return self.personal | self.not_personal


def _policy(
    erasure: Erasure,
    link: Link,
    personal: str = "",
    not_personal: str = "",
    why: str = "",
) -> TablePolicy:
    return TablePolicy(
        erasure, link, frozenset(personal.split()), frozenset(not_personal.split()), why
    )


_A, _D, _E, _N = Erasure.ANONYMIZE, Erasure.DELETE_ROWS, Erasure.EXPIRES, Erasure.NOT_CUSTOMER_DATA

# table -> policy. Only text-like columns (text, varchar, jsonb, json, arrays) are classified:
# numbers, uuids, booleans and timestamps identify no one on their own.
PERSONAL_DATA: Mapping[str, TablePolicy] = {
    "customers": _policy(
        Erasure.CUSTOMER_RECORD,
        Link.SELF,
        personal="display_name first_name last_name password_hash",
        not_personal="first_seen_channel last_seen_channel marketing_consent_source",
    ),
    "customer_identities": _policy(
        _D, Link.CUSTOMER, personal="normalized", not_personal="kind source_system"
    ),
    "customer_addresses": _policy(
        _D, Link.CUSTOMER, personal="name line1 line2 city postal_code region phone country_code"
    ),
    "carts": _policy(
        _A,
        Link.CUSTOMER,
        personal="buyer_email buyer_phone buyer_province_code buyer_country_code note",
        not_personal="currency_code discount_codes fulfillment_method language status",
    ),
    "cart_lines": _policy(
        _A, Link.CART, personal="attributes", why="line attributes carry gift messages"
    ),
    "orders": _policy(
        _A,
        Link.CUSTOMER,
        personal="shipping_address address_key card_fingerprint review_note",
        not_personal=(
            "cancel_reason currency_code fulfillment_method idempotency_key request_hash "
            "review_decision "
            "risk_reasons status"
        ),
        why="totals, lines and payments are kept for the books",
    ),
    "returns": _policy(
        _A,
        Link.ORDER,
        personal="note",
        not_personal="currency_code idempotency_key reason request_hash status",
    ),
    "order_lines": _policy(_A, Link.ORDER, not_personal="sku"),
    "fulfillments": _policy(
        _A,
        Link.ORDER,
        not_personal="method status tracking",
        why="a tracking number is the carrier's reference; the carrier holds the address",
    ),
    "payments": _policy(
        _A, Link.ORDER, not_personal="authorization_id currency_code provider status"
    ),
    "payment_transactions": _policy(
        _A,
        Link.ORDER,
        not_personal=(
            "authorization_id currency_code failure_code idempotency_key kind provider "
            "provider_key provider_reference state"
        ),
        why="provider references and amounts, kept for the books",
    ),
    "test_provider_authorizations": _policy(
        _N, Link.NONE, not_personal="id currency_code", why="the built-in test provider's state"
    ),
    "test_provider_replies": _policy(
        _N,
        Link.NONE,
        not_personal="operation idempotency_key request reply",
        why="the built-in test provider's answers: references and amounts only",
    ),
    "loyalty_ledger": _policy(_A, Link.CUSTOMER, not_personal="kind reason"),
    "idempotency_keys": _policy(
        _E,
        Link.NONE,
        personal="response",
        not_personal="key request_hash scope",
        why="a stored answer (it may name the buyer) lives until the key expires",
    ),
    "outbox": _policy(
        _E,
        Link.NONE,
        personal="payload",
        not_personal="aggregate_id aggregate_type topic traceparent type",
        why="events are deleted once published and older than the relay's retention",
    ),
    "staff_users": _policy(
        _N,
        Link.NONE,
        personal="display_name email password_hash",
        not_personal="roles",
        why="staff members' data, managed with `ucg staff`",
    ),
    "api_keys": _policy(_N, Link.NONE, not_personal="channel_code name prefix roles secret_hash"),
    "refresh_tokens": _policy(
        _N, Link.NONE, not_personal="subject_kind", why="revoked on erasure; hashes only"
    ),
    "aggregate_sequences": _policy(_N, Link.NONE, not_personal="aggregate_id aggregate_type"),
    "channels": _policy(_N, Link.NONE, not_personal="code currency_code name"),
    "checkouts": _policy(_N, Link.NONE),
    "discounts": _policy(_N, Link.NONE, not_personal="channel_ids code currency_code kind"),
    "discount_redemptions": _policy(_N, Link.NONE),
    "fulfillment_lines": _policy(_N, Link.NONE),
    "locations": _policy(
        _N, Link.NONE, not_personal="address code kind name opening_hours time_zone"
    ),
    "prices": _policy(_N, Link.NONE, not_personal="currency_code"),
    "processed_events": _policy(_N, Link.NONE, not_personal="consumer event_id"),
    "products": _policy(
        _N,
        Link.NONE,
        not_personal=(
            "description handle media_urls product_type seo_description seo_title status "
            "tags title vendor"
        ),
    ),
    "variants": _policy(_N, Link.NONE, not_personal="barcode options sku title"),
    "collections": _policy(
        _N,
        Link.NONE,
        not_personal=(
            "description handle image_alt_text image_url rules seo_description seo_title "
            "sort_key title"
        ),
    ),
    "collection_products": _policy(_N, Link.NONE),
    "markets": _policy(
        _N, Link.NONE, not_personal="currency_code default_language handle languages name"
    ),
    "market_countries": _policy(_N, Link.NONE, not_personal="country_code"),
    "translations": _policy(_N, Link.NONE, not_personal="key language resource_kind value"),
    "collection_channels": _policy(_N, Link.NONE),
    "product_images": _policy(_N, Link.NONE, not_personal="alt_text url"),
    "product_co_purchases": _policy(_N, Link.NONE, why="counts of orders per product pair"),
    "product_recommendation_overrides": _policy(_N, Link.NONE, not_personal="intent"),
    "reservations": _policy(_N, Link.NONE, not_personal="reference status"),
    "reservation_lines": _policy(_N, Link.NONE, not_personal="sku"),
    "return_lines": _policy(_N, Link.NONE, not_personal="sku"),
    "search_terms": _policy(_N, Link.NONE, not_personal="term", why="words of the catalog"),
    "schema_migrations": _policy(_N, Link.NONE, not_personal="checksum name"),
    "stock_levels": _policy(_N, Link.NONE, not_personal="sku"),
    "stock_movements": _policy(_N, Link.NONE, not_personal="reason sku source source_event_id"),
    "store_pickup_arrivals": _policy(
        _A,
        Link.ORDER,
        personal="note",
        not_personal="bay",
        why="the buyer's free-text note for staff may describe them; the bay is a number",
    ),
    "store_pickup_readiness": _policy(_N, Link.NONE, why="times per fulfillment and store"),
    "store_pick_lines": _policy(_N, Link.NONE, why="units picked per fulfillment line"),
    "store_holds": _policy(_N, Link.NONE, why="ids and times; the units are a reservation"),
    "interactions": _policy(
        _D,
        Link.CUSTOMER,
        personal="device_id session_id search_term",
        not_personal="type channel source",
        why="also deleted by the retention job after UCG_INTERACTION_RETENTION_DAYS",
    ),
    "interaction_links": _policy(
        _D, Link.CUSTOMER, personal="anonymous_key", why="device/session ids stitched to them"
    ),
    "customer_profiles": _policy(
        _D,
        Link.CUSTOMER,
        personal="subject state",
        why="the live profile; an anonymous one is folded into the customer's at stitching",
    ),
    "segments": _policy(
        _N,
        Link.NONE,
        not_personal="name description rule",
        why="staff-defined rules, no one's data",
    ),
    "segment_memberships": _policy(
        _D, Link.CUSTOMER, why="which segments the customer is in (exported with the names)"
    ),
    "discount_segments": _policy(_N, Link.NONE, why="which segments may use a discount code"),
}


def unclassified(columns: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """Text-like columns of the database (table -> names) that the table above does not list."""
    missing: dict[str, set[str]] = {}
    for table, names in columns.items():
        policy = PERSONAL_DATA.get(table)
        left = set(names) - (policy.columns if policy else set())
        if left or policy is None:
            missing[table] = left
    return missing


def stale(columns: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """Classified columns (or whole tables) that the database no longer has."""
    gone: dict[str, set[str]] = {}
    for table, policy in PERSONAL_DATA.items():
        left = set(policy.columns) - set(columns.get(table, set()))
        if left or table not in columns:
            gone[table] = left
    return gone


def erased_in_place() -> list[tuple[str, Link, frozenset[str]]]:
    """(table, link, personal columns) of the tables whose linked rows erasure anonymizes."""
    return [
        (table, policy.link, policy.personal)
        for table, policy in PERSONAL_DATA.items()
        if policy.erasure is Erasure.ANONYMIZE and policy.personal
    ]


def deleted_on_erasure() -> list[tuple[str, Link]]:
    """(table, link) of the tables whose linked rows erasure deletes."""
    return [
        (table, policy.link)
        for table, policy in PERSONAL_DATA.items()
        if policy.erasure is Erasure.DELETE_ROWS
    ]
