"""Creating discount codes (staff)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from domain.auth import Principal, Role, require_roles
from domain.cart.discounts import DiscountDefinition, normalize_code
from domain.cart.ports import CartUnitOfWork
from domain.cart.pricing import BASIS_POINTS, DiscountKind
from domain.errors import DomainError, ErrorCode, NotFound
from domain.models import OutboxEvent
from domain.money import exponent, is_currency_code

DISCOUNT_TOPIC = "ucg.carts.v1"


@dataclass(frozen=True)
class NewDiscount:
    code: str
    kind: DiscountKind
    percentage: Decimal | None = None
    amount: Decimal | None = None
    currency_code: str | None = None
    minimum_subtotal: Decimal | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    usage_limit: int | None = None
    usage_limit_per_customer: int | None = None
    channel_ids: list[uuid.UUID] = field(default_factory=list)
    combinable: bool = False
    segment_ids: list[uuid.UUID] = field(default_factory=list)


def _words(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _minor(amount: Decimal, currency_code: str, name: str) -> int:
    scaled = amount.scaleb(exponent(currency_code))
    if amount < 0 or scaled != scaled.to_integral_value():
        raise DomainError(
            ErrorCode.INVALID,
            f"{_words(name)} must be a non-negative amount with at most {exponent(currency_code)} "
            f"decimals in {currency_code}.",
            [name],
        )
    return int(scaled)


def _value(new: NewDiscount) -> int:
    if new.kind is DiscountKind.PERCENTAGE:
        bp = None if new.percentage is None else new.percentage * 100
        if bp is None or not 0 < bp <= BASIS_POINTS or bp != bp.to_integral_value():
            raise DomainError(
                ErrorCode.INVALID,
                "A percentage discount needs percentage above 0 and at most 100, "
                "with at most 2 decimals.",
                ["percentage"],
            )
        return int(bp)
    if new.kind is DiscountKind.FIXED_AMOUNT:
        if new.amount is None or new.currency_code is None:
            raise DomainError(
                ErrorCode.INVALID,
                "A fixed-amount discount needs amount and currencyCode.",
                ["amount"],
            )
        return _minor(new.amount, new.currency_code, "amount")
    return 0


def validate(new: NewDiscount) -> tuple[str, int, int]:
    """The normalized code, the stored value, the minimum subtotal in minor units."""
    code = normalize_code(new.code)
    if not 1 <= len(code) <= 64 or not code.replace("-", "").replace("_", "").isalnum():
        raise DomainError(
            ErrorCode.INVALID,
            "A code is 1-64 letters, digits, - or _.",
            ["code"],
        )
    if new.currency_code is not None and not is_currency_code(new.currency_code):
        raise DomainError(ErrorCode.INVALID, "Currency code must be ISO 4217.", ["currency_code"])
    value = _value(new)
    minimum = 0
    if new.minimum_subtotal is not None:
        if new.currency_code is None:
            raise DomainError(
                ErrorCode.INVALID,
                "A minimum subtotal needs currencyCode.",
                ["currency_code"],
            )
        minimum = _minor(new.minimum_subtotal, new.currency_code, "minimum_subtotal")
    if new.starts_at and new.ends_at and new.ends_at <= new.starts_at:
        raise DomainError(ErrorCode.INVALID, "endsAt must be after startsAt.", ["ends_at"])
    for name, limit in (
        ("usage_limit", new.usage_limit),
        ("usage_limit_per_customer", new.usage_limit_per_customer),
    ):
        if limit is not None and limit < 1:
            raise DomainError(ErrorCode.INVALID, f"{_words(name)} must be at least 1.", [name])
    return code, value, minimum


async def create_discount(
    uow: CartUnitOfWork, principal: Principal | None, new: NewDiscount
) -> DiscountDefinition:
    require_roles(principal, Role.MERCHANDISER)
    code, value, minimum = validate(new)
    if await uow.carts.discount_code_exists(code):
        raise DomainError(ErrorCode.TAKEN, f"Code {code} already exists.", ["code"])
    known = await uow.carts.existing_channel_ids(new.channel_ids)
    for i, channel_id in enumerate(new.channel_ids):
        if channel_id not in known:
            raise NotFound("Channel", ["channels", str(i)])
    segments = await uow.carts.existing_segment_ids(new.segment_ids) if new.segment_ids else set()
    for i, segment_id in enumerate(new.segment_ids):
        if segment_id not in segments:
            raise NotFound("Segment", ["segments", str(i)])
    definition = DiscountDefinition(
        code=code,
        kind=new.kind,
        value=value,
        currency_code=new.currency_code,
        min_subtotal_minor=minimum,
        starts_at=new.starts_at,
        ends_at=new.ends_at,
        usage_limit=new.usage_limit,
        usage_limit_per_customer=new.usage_limit_per_customer,
        channel_ids=frozenset(new.channel_ids),
        combinable=new.combinable,
        segment_ids=frozenset(new.segment_ids),
    )
    discount_id = await uow.carts.insert_discount(definition)
    await uow.add_event(
        OutboxEvent(
            DISCOUNT_TOPIC,
            "ucg.discount.created.v1",
            "Discount",
            str(discount_id),
            {"discountId": str(discount_id), "code": code, "kind": new.kind.value},
        )
    )
    return definition
