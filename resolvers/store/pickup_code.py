"""Order.pickupCode: shown to the buyer only (domain/store/pickup.py)."""

from __future__ import annotations

from domain.auth import PrincipalKind
from domain.order.order_record import OrderRecord
from domain.store.pickup import PICKUP_METHOD, pickup_code
from resolvers.context import Info


def _is_buyer(info: Info, order: OrderRecord) -> bool:
    principal = info.context.principal
    if order.customer_id is not None:
        return (
            principal is not None
            and principal.kind is PrincipalKind.CUSTOMER
            and principal.id == order.customer_id
        )
    # A guest order: held by the token of the cart it came from (staff hold none).
    return order.cart_id is not None and order.cart_id in info.context.held_carts


async def buyer_pickup_code(info: Info, order: OrderRecord) -> str | None:
    secret = getattr(info.context.settings, "jwt_secret", None)
    if not secret or not _is_buyer(info, order):
        return None
    parts = await info.context.loaders.FulfillmentsByOrderIdLoader.load(order.id)
    if not any(p.method == PICKUP_METHOD for p in parts):
        return None
    return pickup_code(secret, order.id)
