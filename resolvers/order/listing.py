"""Query.orders: a Relay connection of orders, newest first (SQL in order_listing.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from datasources.postgres import order_listing
from domain.errors import DomainError, ErrorCode
from domain.order import fulfillment as lifecycle
from domain.order.listing import listing_owner
from resolvers.common import Connection, check_page_size, connection
from resolvers.context import Info
from resolvers.order.cursors import decode_order_cursor, encode_order_cursor
from resolvers.order.return_types import OrderStatus
from resolvers.order.types import Order


@strawberry.input(description="Which orders to list; every given condition must hold.")
class OrderFilter:
    status: OrderStatus | None = strawberry.field(
        default=None, description="Only orders in this status."
    )
    channel: str | None = strawberry.field(
        default=None, description='Only orders placed on this channel (its code, e.g. "WEB").'
    )
    created_after: datetime | None = strawberry.field(
        default=None, description="Only orders placed at or after this time."
    )
    created_before: datetime | None = strawberry.field(
        default=None, description="Only orders placed before this time."
    )


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise DomainError(ErrorCode.INVALID, "Give times with a UTC offset.", ["filter", field])
    return value


@strawberry.type
class Query:
    @strawberry.field(
        description="Orders, newest first. A customer sees their own; staff with access to "
        "customer data (support, store associates, POS, services, admins) see everyone's. "
        "Signing in is required."
    )
    async def orders(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size, 0 to 250.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor to continue after.")
        ] = None,
        filter: Annotated[
            OrderFilter | None, strawberry.argument(description="Conditions on the orders.")
        ] = None,
    ) -> Connection[Order]:
        owner = listing_owner(info.context.principal)
        check_page_size(first)
        position = None if after is None else decode_order_cursor(after)
        given = filter or OrderFilter()
        where = order_listing.OrderFilter(
            customer_id=owner,
            status=None if given.status is None else lifecycle.OrderStatus(given.status),
            channel_code=given.channel,
            created_after=_aware(given.created_after, "createdAfter"),
            created_before=_aware(given.created_before, "createdBefore"),
        )
        page = await order_listing.orders_page(
            info.context.pool, where, limit=first + 1, after=position
        )
        return connection(page, first, encode_order_cursor)
