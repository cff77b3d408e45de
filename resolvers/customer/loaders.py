"""The customer subgraph's DataLoaders, built per request by resolvers/context.py's Loaders."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from datasources.postgres.customer import (
    addresses_by_customer_ids,
    customers_by_ids,
    identities_by_customer_ids,
    ledgers_by_customer_ids,
)
from datasources.postgres.customer_profiles import (
    ChannelOrders,
    channel_orders_by_customer_ids,
    order_histories_by_customer_ids,
    profiles_by_customer_ids,
)
from datasources.postgres.segments import (
    member_counts_by_segment_ids,
    segment_ids_by_customer_ids,
    segments_by_ids,
)
from domain.customer.profile import OrderHistory, ProfileState
from domain.customer.records import CustomerAddress, CustomerIdentity, LedgerEntry
from domain.customer.segments import Segment
from domain.models import Customer
from resolvers.context import Loader


class CustomerByIdLoader(Loader[uuid.UUID, Customer | None]):
    """Customers by id; None for an unknown id."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, customers_by_ids)


class IdentitiesByCustomerIdLoader(Loader[uuid.UUID, list[CustomerIdentity]]):
    """Each customer's identities (emails, phones, cards...)."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, identities_by_customer_ids)


class AddressesByCustomerIdLoader(Loader[uuid.UUID, list[CustomerAddress]]):
    """Each customer's saved addresses, oldest first."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, addresses_by_customer_ids)


class LoyaltyLedgerByCustomerIdLoader(Loader[uuid.UUID, list[LedgerEntry]]):
    """Each customer's loyalty ledger, newest first."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, ledgers_by_customer_ids)


class ProfileByCustomerIdLoader(Loader[uuid.UUID, ProfileState | None]):
    """Each customer's live profile; None before their first interaction."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, profiles_by_customer_ids)


class OrderHistoryByCustomerIdLoader(Loader[uuid.UUID, OrderHistory]):
    """Each customer's order history, as RFM and churn risk read it."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, order_histories_by_customer_ids)


class ChannelOrdersByCustomerIdLoader(Loader[uuid.UUID, list[ChannelOrders]]):
    """Each customer's orders counted per channel."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, channel_orders_by_customer_ids)


class SegmentByIdLoader(Loader[uuid.UUID, Segment | None]):
    """Segments by id; None for an unknown (or deleted) id."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, segments_by_ids)


class SegmentIdsByCustomerIdLoader(Loader[uuid.UUID, list[uuid.UUID]]):
    """The ids of the segments each customer is in now."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, segment_ids_by_customer_ids)


class MemberCountBySegmentIdLoader(Loader[uuid.UUID, int]):
    """How many customers each segment has now."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, member_counts_by_segment_ids)
