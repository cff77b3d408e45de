"""POS sale at the till: posSaleComplete (domain/store/pos_service.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from datasources.postgres.store_pos import PosUnitOfWork
from domain.customer.identity import IdentityKind as DomainIdentityKind
from domain.errors import DomainError, ErrorCode
from domain.geography import check_address_country
from domain.ids import local_id
from domain.order import aftersale
from domain.order.payments import Captured
from domain.order.returns import ReturnRecord
from domain.order.routing import FulfillmentMethod
from domain.store import pos as domain_pos
from domain.store.boris import return_at_store, store_return_share
from domain.store.pos_aisle import endless_aisle_order
from domain.store.pos_service import complete_sale, refund_captured
from resolvers.cart.schema import _policy as cart_policy
from resolvers.context import Info
from resolvers.customer.enums import IdentityKind
from resolvers.mutation import entity_payload, optional_local_id, run_mutation, run_use_case
from resolvers.order.return_types import ReturnReason
from resolvers.order.returns import OrderReturnPayload, ReturnLineInput
from resolvers.order.returns import _payload as return_payload
from resolvers.store.access import store_location
from resolvers.store.pos_types import PosAisleOrder, PosSale, PosTenderKind, StoreReturnShare


@strawberry.input(description="Units of one SKU carried out of the store.")
class PosLineInput:
    sku: str = strawberry.field(description="SKU sold.")
    quantity: int = strawberry.field(description="Units, at least 1.")


@strawberry.input(description="One tender of the sale; several make a split tender.")
class PosTenderInput:
    kind: PosTenderKind = strawberry.field(description="Cash or card.")
    amount_minor: int = strawberry.field(
        description="Amount in minor units (cash: what was handed over)."
    )
    card_token: str | None = strawberry.field(
        default=None, description="CARD: the card token from the terminal."
    )


@strawberry.input(
    description="Who buys: a customer id, or a lookup by email / phone / loyalty card. "
    "Omit for an anonymous sale."
)
class PosCustomerInput:
    id: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of the Customer."
    )
    kind: IdentityKind | None = strawberry.field(
        default=None, description="Kind of identifier to look the customer up by."
    )
    value: str | None = strawberry.field(default=None, description="The identifier as entered.")


def _customer(
    customer: PosCustomerInput | None,
) -> tuple[uuid.UUID | None, tuple[DomainIdentityKind, str] | None]:
    if customer is not None and customer.id is not None:
        return local_id(customer.id, "Customer", ["customer", "id"]), None
    if customer is not None and customer.kind is not None and customer.value:
        return None, (DomainIdentityKind(customer.kind.value), customer.value)
    return None, None


@entity_payload("Result of posSaleComplete.", sale="The sale; null on error.")
class PosSalePayload:
    sale: PosSale | None


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Sell at the till (POS keys and store staff): the lines are taken from "
        "this store's shelf at once (OUT_OF_STOCK names a line; no oversell), priced on the "
        "POS channel, paid by the tenders (cash, card, or split; TENDER_SHORT when they do "
        "not cover it), the customer attached (or anonymous) and their points earned; an "
        "ordinary order, already PICKED_UP, with its event, in one transaction. A retry with "
        "the same idempotencyKey answers the first sale."
    )
    async def pos_sale_complete(
        self,
        info: Info,
        location_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of the store Location.")
        ],
        lines: Annotated[list[PosLineInput], strawberry.argument(description="What is sold.")],
        tenders: Annotated[
            list[PosTenderInput], strawberry.argument(description="How it is paid.")
        ],
        idempotency_key: Annotated[
            str, strawberry.argument(description="Same key, same sale: a retry is not resold.")
        ],
        customer: Annotated[
            PosCustomerInput | None,
            strawberry.argument(description="Who buys; omit for an anonymous sale."),
        ] = None,
        discount_codes: Annotated[
            list[str] | None,
            strawberry.argument(
                description="Discount codes (the store's, on the POS channel, and the "
                "omnichannel ones), at most 5; one that does not apply is INVALID."
            ),
        ] = None,
    ) -> PosSalePayload:
        captured: list[Captured] = []

        async def sell() -> PosSale:
            store = store_location(info, location_id)
            customer_id, lookup = _customer(customer)
            wanted = [domain_pos.PosLine(line.sku, line.quantity) for line in lines]
            paid = [
                domain_pos.Tender(domain_pos.TenderKind(t.kind.name), t.amount_minor, t.card_token)
                for t in tenders
            ]
            try:
                async with PosUnitOfWork(info.context.pool) as uow:
                    sale = await complete_sale(
                        uow,
                        info.context.payments,
                        info.context.principal,
                        location_id=store,
                        lines=wanted,
                        tenders=paid,
                        customer_id=customer_id,
                        customer_lookup=lookup,
                        idempotency_key=idempotency_key,
                        captured=captured,
                        discount_codes=discount_codes or [],
                        now=datetime.now(UTC),
                    )
            except BaseException:
                await refund_captured(info.context.payments, idempotency_key, captured)
                raise
            return PosSale.from_record(sale)

        return await run_use_case(PosSalePayload, sell)


@strawberry.enum(description="Where an endless-aisle order goes.")
class PosAisleMethod(Enum):
    SHIP = strawberry.enum_value("SHIP", description="Delivered to the customer's address.")
    PICKUP = strawberry.enum_value("PICKUP", description="Picked up at another store.")


@entity_payload("Result of posEndlessAisleOrder.", order="The order; null on error.")
class PosAisleOrderPayload:
    order: PosAisleOrder | None


@strawberry.type
class AisleMutation:
    @strawberry.mutation(
        description="Endless aisle (POS keys and store staff): order for the customer what "
        "this store lacks, delivered home (SHIP, with an address) or picked up at another "
        "store (PICKUP, pickupLocationId), routed by the same rules as online checkout and "
        "paid at the till by card. Errors as checkoutComplete's; nothing is charged then. A "
        "retry with the same idempotencyKey answers the first order."
    )
    async def pos_endless_aisle_order(
        self,
        info: Info,
        location_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of the till's store.")
        ],
        lines: Annotated[list[PosLineInput], strawberry.argument(description="What to order.")],
        method: Annotated[PosAisleMethod, strawberry.argument(description="Delivery or pickup.")],
        card_token: Annotated[
            str, strawberry.argument(description="The card token from the till's terminal.")
        ],
        idempotency_key: Annotated[
            str, strawberry.argument(description="Same key, same order: a retry is not re-sold.")
        ],
        pickup_location_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="PICKUP: global id of the store to pick up at."),
        ] = None,
        address: Annotated[
            JSON | None,
            strawberry.argument(description="SHIP: the delivery address, as in checkoutComplete."),
        ] = None,
        customer: Annotated[
            PosCustomerInput | None,
            strawberry.argument(description="Who buys; omit for a guest."),
        ] = None,
    ) -> PosAisleOrderPayload:
        pool = info.context.pool

        async def order() -> PosAisleOrder:
            store = store_location(info, location_id)
            pickup = optional_local_id(pickup_location_id, "Location", ["pickupLocationId"])
            customer_id, lookup = _customer(customer)
            if address is not None and not isinstance(address, dict):
                raise DomainError(ErrorCode.INVALID, "The address is an object.", ["address"])
            if address is not None:
                check_address_country(address, ["address"])
            aisle = await endless_aisle_order(
                lambda: PosUnitOfWork(pool),
                info.context.principal,
                info.context.payments,
                cart_policy(info),
                location_id=store,
                lines=[domain_pos.PosLine(line.sku, line.quantity) for line in lines],
                method=FulfillmentMethod(method.name),
                pickup_location_id=pickup,
                address=address,
                card_token=card_token,
                customer_id=customer_id,
                customer_lookup=lookup,
                idempotency_key=idempotency_key,
                now=datetime.now(UTC),
            )
            return PosAisleOrder.from_record(aisle)

        return await run_use_case(PosAisleOrderPayload, order)


@strawberry.type
class BorisMutation:
    @strawberry.mutation(
        description="Return anywhere (POS keys and store staff): take back units of an order "
        "(online, or sold at this store's till) at this store, asked for and received at "
        "once: resellable units go on hand HERE, DAMAGED/DEFECTIVE are not restocked, the "
        "original payment is refunded and the order's points taken back. More than was "
        "bought, or another store's till sale, is NOT_RETURNABLE. Retry with the same "
        "idempotencyKey to get the same return."
    )
    async def pos_return(
        self,
        info: Info,
        location_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of the store taking it.")
        ],
        order_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of the Order.")
        ],
        lines: Annotated[
            list[ReturnLineInput], strawberry.argument(description="The units brought back.")
        ],
        reason: Annotated[
            ReturnReason,
            strawberry.argument(description="Why; DAMAGED/DEFECTIVE units are not restocked."),
        ],
        idempotency_key: Annotated[
            str, strawberry.argument(description="Client-chosen key (1-190 chars).")
        ],
        note: Annotated[
            str | None, strawberry.argument(description="Free text, at most 1000 characters.")
        ] = None,
    ) -> OrderReturnPayload:

        async def use_case(uow: PosUnitOfWork) -> ReturnRecord:
            store = store_location(info, location_id)
            order = local_id(order_id, "Order", ["orderId"])
            wanted = [
                aftersale.LineQuantity(
                    local_id(line.line_id, "OrderLine", ["lines", str(i), "lineId"]), line.quantity
                )
                for i, line in enumerate(lines)
            ]
            return await return_at_store(
                uow,
                info.context.principal,
                info.context.payments,
                location_id=store,
                order_id=order,
                lines=wanted,
                reason=aftersale.ReturnReason(reason),
                note=note,
                idempotency_key=idempotency_key,
                now=datetime.now(UTC),
            )

        return await run_mutation(
            info,
            OrderReturnPayload,
            use_case,
            unit_of_work=PosUnitOfWork,
            present=lambda record: return_payload(info, record),
        )


@strawberry.type
class Query:
    @strawberry.field(
        description="Returns received at a store and the cross-channel part of them (store "
        "staff, POS and support)."
    )
    async def store_return_share(
        self,
        info: Info,
        location_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of the store Location.")
        ],
    ) -> StoreReturnShare:
        store = store_location(info, location_id)
        async with PosUnitOfWork(info.context.pool) as uow:
            share = await store_return_share(uow, info.context.principal, store)
        return StoreReturnShare.from_record(share)
