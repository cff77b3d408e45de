"""Read-side ownership: what a caller may see. "Not yours" looks exactly like "not there"."""

from __future__ import annotations

import uuid
from typing import Any

from domain.auth import PrincipalKind, may_access_customer
from domain.authz import may_read_order, may_use_cart
from domain.models import Customer
from resolvers.context import Info

_MAX_HOPS = 10


async def visible_customer(info: Info, customer_id: uuid.UUID) -> Customer | None:
    """The customer, or for staff the survivor of a merged one; None if not visible."""
    principal = info.context.principal
    if not may_access_customer(principal, customer_id):
        return None
    loader = info.context.loaders.CustomerByIdLoader
    customer = await loader.load(customer_id)
    hops = 0
    while customer is not None and customer.merged_into is not None and hops < _MAX_HOPS:
        if principal is None or principal.kind is PrincipalKind.CUSTOMER:
            return None
        customer = await loader.load(customer.merged_into)
        hops += 1
    return customer


def visible_owned(info: Info, record: Any) -> Any:
    """An order or return, if domain.authz.may_read_order lets this caller read it (its
    customer, a scope, or for a guest's the token of the cart it came from)."""
    if record is None:
        return None
    held = record.cart_id is not None and record.cart_id in info.context.held_carts
    return record if may_read_order(info.context.principal, record.customer_id, held) else None


def visible_cart(info: Info, record: Any) -> Any:
    """A cart, if domain.authz.may_use_cart lets this caller use it (token, owner, scope)."""
    if record is None:
        return None
    held = record.id in info.context.held_carts
    return record if may_use_cart(info.context.principal, record.customer_id, held) else None
