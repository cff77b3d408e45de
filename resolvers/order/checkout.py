"""checkoutBegin / checkoutComplete (use-cases in domain/order/checkout.py)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from datasources.postgres.uow import UnitOfWork
from domain.errors import DomainError, ErrorCode
from domain.geography import check_address_country
from domain.ids import local_id
from domain.order import checkout
from domain.order import fulfillment as lifecycle
from domain.order.fulfillment_service import parse_tracking, update_fulfillment
from domain.order.model import Fulfillment as FulfillmentPart
from domain.order.model import Order as OrderAggregate
from domain.order.routing import FulfillmentMethod as Method
from resolvers.context import Info
from resolvers.errors import UserError, user_errors_field
from resolvers.mutation import optional_local_id, run_mutation, run_use_case
from resolvers.order.checkout_options import (
    CheckoutFulfillmentMethod,
    FulfillmentOption,
    option_type,
)
from resolvers.order.fulfillment_types import Fulfillment, FulfillmentStatus
from resolvers.order.types import Order


@strawberry.input(description="How the order is fulfilled.")
class CheckoutFulfillmentInput:
    method: CheckoutFulfillmentMethod = strawberry.field(description="The fulfillment method.")
    location_id: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of the pickup store; required for PICKUP."
    )
    address: JSON | None = strawberry.field(
        default=None,
        description="Delivery address (an object, e.g. line1, city, postalCode, countryCode, "
        "provinceCode, latitude, longitude); required for SHIP, SHIP_FROM_STORE and SAME_DAY. "
        "latitude/longitude (WGS84 numbers) are the buyer's point for routing (there is no "
        "geocoder): SAME_DAY and the nearest store need them. countryCode sets the tax.",
    )


@strawberry.input(description="How the order is paid.")
class CheckoutPaymentInput:
    token: str = strawberry.field(
        description="Card token from the payment provider (test provider: tok_visa approves, "
        "tok_declined declines)."
    )
    billing_address: JSON | None = strawberry.field(
        default=None,
        description="Billing address of the card (an object with countryCode, postalCode); "
        "compared with the shipping address by the fraud check.",
    )


@strawberry.type(description="Result of checkoutBegin.")
class CheckoutBeginPayload:
    reserved_until: datetime | None = strawberry.field(
        description="Until when the cart's stock is held; null on error."
    )
    subtotal_minor: int | None = strawberry.field(
        description="Sum of the cart's lines at today's prices, in minor units; null on error."
    )
    options: list[FulfillmentOption] | None = strawberry.field(
        description="Every fulfillment method that applies to what was given (SAME_DAY needs "
        "an address with latitude/longitude; PICKUP needs an address or pickupLocationId), "
        "with its plan, shipping price and promised time, or why it is unavailable; null on "
        "error.",
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="Result of checkoutComplete.")
class CheckoutCompletePayload:
    order: Order | None = strawberry.field(
        description="The placed order (the same one on a replay of its idempotencyKey); "
        "null on error."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.input(description="A carrier's tracking of a shipment.")
class TrackingInput:
    carrier: str = strawberry.field(description='Carrier name, e.g. "DHL" (1-100 characters).')
    number: str = strawberry.field(description="Tracking number (1-100 characters).")


@strawberry.type(description="Result of fulfillmentUpdate.")
class FulfillmentUpdatePayload:
    fulfillment: Fulfillment | None = strawberry.field(
        description="The fulfillment after the change; null on error."
    )
    order: Order | None = strawberry.field(
        description="Its order, with the status derived from all its fulfillments; null on error."
    )
    user_errors: list[UserError] = user_errors_field()


def _address(value: Any, field: list[str] | None = None) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or len(json.dumps(value)) > 4000:
        raise DomainError(
            ErrorCode.INVALID,
            "The address must be an object of at most 4000 characters.",
            field or ["fulfillment", "address"],
        )
    check_address_country(value, field or ["fulfillment", "address"])
    return value


_PAYMENT_REFUSALS = (ErrorCode.PAYMENT_DECLINED, ErrorCode.PAYMENT_FAILED)
_CartId = Annotated[strawberry.ID, strawberry.argument(description="Global id of the Cart.")]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Start checkout: list the fulfillment options (plan, shipping price, "
        "promised time per method) and hold the cart's stock for 15 minutes per the plan of "
        "the chosen pickup store, else of the first available method. Calling it again "
        "replaces the hold."
    )
    async def checkout_begin(
        self,
        info: Info,
        cart_id: _CartId,
        pickup_location_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Global id of the pickup store, to hold stock there."),
        ] = None,
        address: Annotated[
            JSON | None,
            strawberry.argument(
                description="Delivery address, as in checkoutComplete; its latitude/longitude "
                "(numbers) locate the buyer for SAME_DAY and the nearest stores, its "
                "countryCode sets the tax of the prices shown."
            ),
        ] = None,
    ) -> CheckoutBeginPayload:

        async def use_case(uow: UnitOfWork) -> CheckoutBeginPayload:
            local = local_id(cart_id, "Cart", ["cartId"])
            location = optional_local_id(pickup_location_id, "Location", ["pickupLocationId"])
            started = await checkout.begin_checkout(
                uow,
                info.context.principal,
                local,
                datetime.now(UTC),
                location_id=location,
                address=_address(address, ["address"]),
                held_carts=info.context.held_carts,
            )
            return CheckoutBeginPayload(
                reserved_until=started.expires_at,
                subtotal_minor=started.total_minor,
                options=[option_type(o, started.currency_code) for o in started.options],
                user_errors=[],
            )

        return await run_mutation(info, CheckoutBeginPayload, use_case)

    @strawberry.mutation(
        description="Place the order: the payment is authorized first, outside any "
        "transaction, then one transaction writes lines at today's prices, stock committed, "
        "fulfillments, loyalty points, cart completed (a failure there voids the "
        "authorization). Retry with the same idempotencyKey to get the same order, never a "
        "second one or a second charge."
    )
    async def checkout_complete(
        self,
        info: Info,
        cart_id: _CartId,
        fulfillment: Annotated[
            CheckoutFulfillmentInput, strawberry.argument(description="How the order is fulfilled.")
        ],
        payment: Annotated[
            CheckoutPaymentInput, strawberry.argument(description="How the order is paid.")
        ],
        idempotency_key: Annotated[
            str,
            strawberry.argument(description="Client-chosen key (1-200 chars) making retries safe."),
        ],
    ) -> CheckoutCompletePayload:
        pool = info.context.pool

        async def place() -> OrderAggregate:
            local = local_id(cart_id, "Cart", ["cartId"])
            location = optional_local_id(
                fulfillment.location_id, "Location", ["fulfillment", "locationId"]
            )
            choice = checkout.FulfillmentChoice(
                Method(fulfillment.method.name), location, _address(fulfillment.address)
            )
            billing = _address(payment.billing_address, ["payment", "billingAddress"])
            try:
                return await checkout.complete_checkout(
                    lambda: UnitOfWork(pool),
                    info.context.principal,
                    info.context.payments,
                    cart_id=local,
                    choice=choice,
                    card_token=payment.token,
                    idempotency_key=idempotency_key,
                    now=datetime.now(UTC),
                    billing_address=billing,
                    held_carts=info.context.held_carts,
                )
            except Exception as error:
                # Nothing of the order was written (a declined or failed payment rolled it
                # back); do not keep the buyer's stock held either. Other refusals keep it.
                if not isinstance(error, DomainError) or error.code in _PAYMENT_REFUSALS:
                    async with UnitOfWork(pool) as uow:
                        await checkout.release_checkout(uow, local)
                raise

        async def placed_order(placed: OrderAggregate) -> CheckoutCompletePayload:
            loader = info.context.loaders.OrderByIdLoader
            loader.prime(placed.id, placed.record())  # as placed: no read after the commit
            order = await loader.load(placed.id)
            return CheckoutCompletePayload(order=order, user_errors=[])  # type: ignore[arg-type]  # a record

        return await run_use_case(CheckoutCompletePayload, place, present=placed_order)

    @strawberry.mutation(
        description="Staff and store associates: move a fulfillment to its next working status "
        "(PICKING, PACKED, SHIPPED, DELIVERY_FAILED, DELIVERED, READY_FOR_PICKUP, PICKED_UP; "
        "the lifecycle table decides, an illegal move is INVALID_TRANSITION). PENDING, "
        "ON_HOLD and ALLOCATED are refused (use orderReview), CANCELLED too (use orderCancel, "
        "which restocks and voids or refunds); an order on hold for review takes no update "
        "until orderReview approves it. The order's status is re-derived; the payment is "
        "captured when the first fulfillment ships or is picked up."
    )
    async def fulfillment_update(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of the Fulfillment.")
        ],
        status: Annotated[
            FulfillmentStatus,
            strawberry.argument(description="The new status: one of the working statuses."),
        ],
        tracking: Annotated[
            TrackingInput | None,
            strawberry.argument(description="Carrier tracking, typically with SHIPPED."),
        ] = None,
    ) -> FulfillmentUpdatePayload:

        async def use_case(uow: UnitOfWork) -> tuple[uuid.UUID, FulfillmentPart]:
            local = local_id(id, "Fulfillment", ["id"])
            parsed = parse_tracking(
                None if tracking is None else tracking.carrier,
                None if tracking is None else tracking.number,
            )
            moved = await update_fulfillment(
                uow,
                info.context.principal,
                info.context.payments,
                local,
                lifecycle.FulfillmentStatus(status.name),
                parsed,
                datetime.now(UTC),
            )
            part = moved.fulfillment(local)
            assert part is not None  # moved: it is the order's
            return moved.id, part

        async def with_order(moved: tuple[uuid.UUID, FulfillmentPart]) -> FulfillmentUpdatePayload:
            order_id, part = moved
            order = await info.context.loaders.OrderByIdLoader.load(order_id)
            return FulfillmentUpdatePayload(fulfillment=part, order=order, user_errors=[])  # type: ignore[arg-type]

        return await run_mutation(info, FulfillmentUpdatePayload, use_case, present=with_order)
