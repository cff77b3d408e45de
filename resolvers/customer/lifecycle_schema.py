"""Staff and GDPR mutations: merge, data export, erase, loyalty adjustments."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from datasources.postgres.uow import UnitOfWork
from domain.customer import lifecycle, loyalty, points
from resolvers.context import Info
from resolvers.customer.args import CustomerIdArg, customer_id_arg, revoke_sessions
from resolvers.customer.enums import LedgerKind
from resolvers.customer.types import Customer, LoyaltyAccount, LoyaltyLedgerEntry
from resolvers.errors import UserError
from resolvers.mutation import PROBLEMS, entity_payload, run_mutation

ErrorList = list[UserError]


@strawberry.type(description="Result of customerMerge.")
class CustomerMergePayload:
    survivor: Customer | None = strawberry.field(description="The surviving customer.")
    merged: bool = strawberry.field(
        default=False,
        description="True if this call merged; false if it was already done (no-op).",
    )
    user_errors: ErrorList = strawberry.field(description="Problems; empty on success.")


@entity_payload(
    "Result of customerDataExport.",
    errors=PROBLEMS,
    data="Every personal datum held about the customer, as one JSON document.",
)
class CustomerDataExportPayload:
    data: JSON | None


@strawberry.type(description="Result of customerErase.")
class CustomerErasePayload:
    customer_id: strawberry.ID | None = strawberry.field(description="The erased customer.")
    erased: bool = strawberry.field(
        default=False,
        description="True if this call erased; false if it was already erased (no-op).",
    )
    user_errors: ErrorList = strawberry.field(description="Problems; empty on success.")


@entity_payload(
    "Result of customerLoyaltyAdjust.", errors=PROBLEMS, loyalty="The account after the change."
)
class LoyaltyPayload:
    loyalty: LoyaltyAccount | None


@strawberry.input(description="A staff change to loyalty points.")
class LoyaltyAdjustInput:
    kind: LedgerKind = strawberry.field(
        description="ADJUST (signed points), REDEEM or EXPIRE (points taken off, positive)."
    )
    points: int = strawberry.field(description="Number of points.")
    reason: str = strawberry.field(description="Why, for the ledger.")


@strawberry.type
class LifecycleMutation:
    @strawberry.mutation(
        description="Merge a duplicate customer into a survivor (staff: ADMIN, SUPPORT). "
        "Moves identities, addresses, carts, orders and points; repeating it is a no-op."
    )
    async def customer_merge(
        self,
        info: Info,
        survivor_id: Annotated[strawberry.ID, strawberry.argument(description="Who stays.")],
        merged_id: Annotated[strawberry.ID, strawberry.argument(description="Who goes.")],
    ) -> CustomerMergePayload:

        async def use_case(uow: UnitOfWork) -> CustomerMergePayload:
            survivor = customer_id_arg(survivor_id, "survivorId")
            merged = customer_id_arg(merged_id, "mergedId")
            assert survivor is not None and merged is not None
            result = await lifecycle.merge_customers(uow, info.context.principal, survivor, merged)
            if result.changed:
                await revoke_sessions(info, merged)
            customer = await uow.customers.get(survivor)
            return CustomerMergePayload(survivor=customer, merged=result.changed, user_errors=[])  # type: ignore[arg-type]

        return await run_mutation(info, CustomerMergePayload, use_case)

    @strawberry.mutation(
        description="Every personal datum held about a customer as one JSON document "
        "(the customer themself, or staff with SUPPORT)."
    )
    async def customer_data_export(
        self, info: Info, customer_id: CustomerIdArg = None
    ) -> CustomerDataExportPayload:
        return await run_mutation(
            info,
            CustomerDataExportPayload,
            lambda uow: lifecycle.export_customer(
                uow, info.context.principal, customer_id_arg(customer_id)
            ),
        )

    @strawberry.mutation(
        description="Erase a customer's personal data everywhere (GDPR), keeping order "
        "financials; signs them out. The customer themself, or staff with SUPPORT."
    )
    async def customer_erase(
        self, info: Info, customer_id: CustomerIdArg = None
    ) -> CustomerErasePayload:

        async def use_case(uow: UnitOfWork) -> CustomerErasePayload:
            result = await lifecycle.erase_customer(
                uow, info.context.principal, customer_id_arg(customer_id)
            )
            if result.changed:
                await revoke_sessions(info, result.customer_id)
            gid = strawberry.ID(f"gid://ucg/Customer/{result.customer_id}")
            return CustomerErasePayload(customer_id=gid, erased=result.changed, user_errors=[])

        return await run_mutation(info, CustomerErasePayload, use_case)

    @strawberry.mutation(
        description="Adjust, redeem or expire a customer's points (staff and POS)."
    )
    async def customer_loyalty_adjust(
        self,
        info: Info,
        customer_id: Annotated[strawberry.ID, strawberry.argument(description="The customer.")],
        input: Annotated[LoyaltyAdjustInput, strawberry.argument(description="The change.")],
    ) -> LoyaltyPayload:

        async def use_case(uow: UnitOfWork) -> LoyaltyAccount:
            local = customer_id_arg(customer_id)
            assert local is not None
            status = await points.adjust_points(
                uow,
                info.context.principal,
                local,
                loyalty.LedgerKind(input.kind.value),
                input.points,
                input.reason,
            )
            entries = await uow.customers.ledger(local)
            return LoyaltyAccount(
                balance=status.balance,
                lifetime_earned=status.lifetime_earned,
                tier=status.tier,
                entries=[LoyaltyLedgerEntry.from_record(e) for e in list(reversed(entries))[:100]],
            )

        return await run_mutation(info, LoyaltyPayload, use_case)
