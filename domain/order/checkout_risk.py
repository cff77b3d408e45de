"""The fraud check of checkoutComplete: signals from order history -> `assess_risk`.

Velocity is counted over previous orders in `VELOCITY_WINDOW` by customer, by
normalized shipping address (`address_key`) and by card (`card_fingerprint`,
a hash: the token itself is never stored). Declined authorizations are not
recorded (a declined checkout writes nothing), so `card_declines_recent` is 0.
Billing vs shipping is compared when the payment gives a billing address and
the order ships to an address with a countryCode.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.order.fraud import PostalAddress, RiskSignals

VELOCITY_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class RiskHistory:
    """What the database knows before this order (the order itself not included)."""

    customer_orders_recent: int = 0
    address_orders_recent: int = 0
    card_orders_recent: int = 0
    customer_order_count: int = 0
    customer_average_order_minor: int | None = None
    account_created_at: datetime | None = None


def card_fingerprint(card_token: str) -> str:
    return hashlib.sha256(f"card:{card_token}".encode()).hexdigest()


def _text(address: Mapping[str, Any], key: str) -> str:
    value = address.get(key)
    return " ".join(value.split()).casefold() if isinstance(value, str) else ""


def address_key(address: Mapping[str, Any] | None) -> str | None:
    """Street, postal code, city and country, normalized; None without a street."""
    if not address or not _text(address, "line1"):
        return None
    parts = [_text(address, k) for k in ("line1", "postalCode", "city", "countryCode")]
    return "|".join(p.replace(" ", "") if i == 1 else p for i, p in enumerate(parts))


def postal_address(address: Mapping[str, Any] | None) -> PostalAddress | None:
    if not address:
        return None
    country = address.get("countryCode")
    if not isinstance(country, str) or not country.strip():
        return None
    postal = address.get("postalCode")
    return PostalAddress(country.strip(), postal if isinstance(postal, str) else "")


def risk_signals(
    history: RiskHistory,
    *,
    total_minor: int,
    now: datetime,
    billing: Mapping[str, Any] | None,
    shipping: Mapping[str, Any] | None,
) -> RiskSignals:
    return RiskSignals(
        order_total_minor=total_minor,
        now=now,
        customer_orders_recent=history.customer_orders_recent,
        address_orders_recent=history.address_orders_recent,
        card_orders_recent=history.card_orders_recent,
        customer_order_count=history.customer_order_count,
        customer_average_order_minor=history.customer_average_order_minor,
        account_created_at=history.account_created_at,
        billing=postal_address(billing),
        shipping=postal_address(shipping),
    )
