"""Staff mutation to create discount codes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from datasources.postgres.uow import UnitOfWork
from domain.cart import discount_admin
from domain.cart.discounts import DiscountDefinition
from domain.cart.pricing import DiscountKind as DiscountKindEnum
from domain.ids import local_id
from resolvers.common import Money, described_enum, money
from resolvers.context import Info
from resolvers.mutation import entity_payload, run_mutation

DiscountKind = described_enum(
    DiscountKindEnum,
    "What a discount code takes off.",
    {
        "PERCENTAGE": "A percentage off the merchandise subtotal.",
        "FIXED_AMOUNT": "A fixed amount off the merchandise, in one currency.",
        "FREE_SHIPPING": "The whole shipping fee.",
    },
)


@strawberry.input(description="A new discount code.")
class DiscountCodeCreateInput:
    code: str = strawberry.field(description="The code shoppers enter; stored upper-case.")
    kind: DiscountKind = strawberry.field(description="What the code takes off.")  # type: ignore[valid-type]
    percentage: Decimal | None = strawberry.field(
        default=None, description='PERCENTAGE: e.g. "10" or "12.5"; above 0, at most 100.'
    )
    amount: Decimal | None = strawberry.field(
        default=None, description="FIXED_AMOUNT: the amount, in currencyCode."
    )
    currency_code: str | None = strawberry.field(
        default=None,
        description="Currency of amount and minimumSubtotal; the code applies only to carts in it.",
    )
    minimum_subtotal: Decimal | None = strawberry.field(
        default=None, description="Subtotal (before discounts) the cart must reach."
    )
    starts_at: datetime | None = strawberry.field(default=None, description="Valid from.")
    ends_at: datetime | None = strawberry.field(default=None, description="Valid until.")
    usage_limit: int | None = strawberry.field(
        default=None, description="Most uses in total (counted at checkout)."
    )
    usage_limit_per_customer: int | None = strawberry.field(
        default=None, description="Most uses by one customer."
    )
    channels: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Channels where the code applies; none means every channel."
    )
    combinable: bool = strawberry.field(
        default=False, description="Whether the code applies together with other combinable codes."
    )
    segments: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Customer segments (Segment ids) whose members alone may use the code "
        "(a targeted offer); none means anyone.",
    )


@strawberry.type(description="A discount code as configured.")
class DiscountCode:
    code: str = strawberry.field(description="The code, upper-case.")
    kind: DiscountKind = strawberry.field(description="What the code takes off.")  # type: ignore[valid-type]
    percentage: Decimal | None = strawberry.field(description="PERCENTAGE: the percentage.")
    amount: Money | None = strawberry.field(description="FIXED_AMOUNT: the amount.")
    minimum_subtotal: Money | None = strawberry.field(description="Minimum subtotal, if any.")
    starts_at: datetime | None = strawberry.field(description="Valid from.")
    ends_at: datetime | None = strawberry.field(description="Valid until.")
    usage_limit: int | None = strawberry.field(description="Most uses in total.")
    usage_limit_per_customer: int | None = strawberry.field(description="Most uses per customer.")
    combinable: bool = strawberry.field(description="Applies together with other codes.")

    @classmethod
    def from_record(cls, d: DiscountDefinition) -> DiscountCode:
        currency = d.currency_code
        return cls(
            code=d.code,
            kind=d.kind,
            percentage=Decimal(d.value).scaleb(-2)
            if d.kind is DiscountKindEnum.PERCENTAGE
            else None,
            amount=money(d.value, currency)
            if d.kind is DiscountKindEnum.FIXED_AMOUNT and currency
            else None,
            minimum_subtotal=money(d.min_subtotal_minor, currency)
            if currency and d.min_subtotal_minor
            else None,
            starts_at=d.starts_at,
            ends_at=d.ends_at,
            usage_limit=d.usage_limit,
            usage_limit_per_customer=d.usage_limit_per_customer,
            combinable=d.combinable,
        )


@entity_payload("Result of discountCodeCreate.", discount_code="The new code; null on error.")
class DiscountCodeCreatePayload:
    discount_code: DiscountCode | None


@strawberry.type
class DiscountMutations:
    @strawberry.mutation(description="Create a discount code (staff: ADMIN or MERCHANDISER).")
    async def discount_code_create(
        self,
        info: Info,
        input: Annotated[
            DiscountCodeCreateInput,
            strawberry.argument(description="The discount code to create and its rules."),
        ],
    ) -> DiscountCodeCreatePayload:

        async def use_case(uow: UnitOfWork) -> DiscountCode:
            channel_ids = [
                local_id(channel, "Channel", ["input", "channels", str(i)])
                for i, channel in enumerate(input.channels or [])
            ]
            segment_ids = [
                local_id(segment, "Segment", ["input", "segments", str(i)])
                for i, segment in enumerate(input.segments or [])
            ]
            new = discount_admin.NewDiscount(
                code=input.code,
                kind=DiscountKindEnum(input.kind),
                percentage=input.percentage,
                amount=input.amount,
                currency_code=input.currency_code,
                minimum_subtotal=input.minimum_subtotal,
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                usage_limit=input.usage_limit,
                usage_limit_per_customer=input.usage_limit_per_customer,
                channel_ids=channel_ids,
                combinable=input.combinable,
                segment_ids=segment_ids,
            )
            d = await discount_admin.create_discount(uow, info.context.principal, new)
            return DiscountCode.from_record(d)

        return await run_mutation(info, DiscountCodeCreatePayload, use_case)
