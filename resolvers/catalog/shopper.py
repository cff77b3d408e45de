"""Who a personal result is for: the signed-in customer, else an anonymous device or session
(as interactionsTrack knows them), and their profile's signals."""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry

from datasources.postgres import recommendations as recs_db
from domain.auth import PrincipalKind
from domain.catalog import recommendations as rec
from domain.errors import DomainError, ErrorCode
from resolvers.context import Info


@strawberry.input(description="An anonymous shopper, as interactionsTrack knows them.")
class ShopperInput:
    device_id: str | None = strawberry.field(
        default=None, description="The app or browser's pseudonymous device id."
    )
    session_id: str | None = strawberry.field(
        default=None, description="The storefront session id."
    )


def shopper_keys(shopper: ShopperInput | None) -> list[str]:
    if shopper is None:
        return []
    keys = []
    for prefix, value in (("device", shopper.device_id), ("session", shopper.session_id)):
        if value is not None:
            if not 1 <= len(value) <= 128:
                raise DomainError(
                    ErrorCode.INVALID, "Ids are 1 to 128 characters.", ["shopper", f"{prefix}Id"]
                )
            keys.append(f"{prefix}:{value}")
    return keys


async def load_signals(info: Info, shopper: ShopperInput | None) -> rec.PersonalSignals:
    """The signed-in customer's profile, else the device's or session's (one statement)."""
    principal = info.context.principal
    customer_id = (
        principal.id if principal is not None and principal.kind is PrincipalKind.CUSTOMER else None
    )
    keys = shopper_keys(shopper)
    state = await recs_db.profile_state(info.context.pool, customer_id, keys)
    return rec.personal_signals(state, datetime.now(UTC))
