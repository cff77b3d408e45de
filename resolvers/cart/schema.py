"""Cart queries and mutations: parse input, run one use-case, return the payload."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import strawberry

from datasources.postgres.uow import UnitOfWork
from domain.authz import cart_token
from domain.cart import services
from domain.cart.models import Attribute, BuyerIdentityInput, CartPolicy, LineInput, LineUpdate
from domain.cart.rates import FulfillmentMethod as FulfillmentMethodEnum
from domain.cart.validation import check_can_read
from domain.ids import from_global_id, local_id
from domain.models import Cart as CartRecord
from resolvers.cart.discount_admin import DiscountMutations
from resolvers.cart.types import Cart, FulfillmentMethod
from resolvers.cart.views import forget_cart
from resolvers.catalog.markets import market_cart
from resolvers.context import Info
from resolvers.customer.access import visible_cart
from resolvers.mutation import entity_payload, run_mutation


def _policy(info: Info) -> CartPolicy:
    settings = info.context.settings
    return CartPolicy(
        now=datetime.now(UTC),
        ttl=timedelta(hours=settings.cart_ttl_hours),
        max_line_quantity=settings.cart_max_line_quantity,
        max_lines=settings.cart_max_lines,
        held_carts=info.context.held_carts,
    )


@strawberry.input(description="A key/value pair for a cart line.")
class AttributeInput:
    key: str = strawberry.field(description="Attribute name, 1-64 characters.")
    value: str = strawberry.field(description="Attribute value, at most 255 characters.")


@strawberry.input(description="A variant to put in the cart.")
class CartLineInput:
    merchandise_id: strawberry.ID = strawberry.field(description="Global id of the ProductVariant.")
    quantity: int = strawberry.field(description="Units, 1 to the configured maximum (999).")
    attributes: list[AttributeInput] | None = strawberry.field(
        default=None,
        description="Line attributes; the same variant with other attributes is another line.",
    )


@strawberry.input(description="A change to one cart line; omitted fields stay as they are.")
class CartLineUpdateInput:
    id: strawberry.ID = strawberry.field(description="Global id of the CartLine.")
    quantity: int | None = strawberry.field(
        default=None,
        description="New quantity, 1 to the maximum; remove a line with cartLinesRemove.",
    )
    attributes: list[AttributeInput] | None = strawberry.field(
        default=None, description="New attributes, replacing the old ones."
    )


@strawberry.input(description="Who is buying. Omitted fields stay as they are.")
class CartBuyerIdentityInput:
    customer_id: strawberry.ID | None = strawberry.field(
        default=None,
        description=(
            "Attach this customer (yourself, or anyone for staff). Their other active cart is "
            "merged into this one."
        ),
    )
    email: str | None = strawberry.field(default=None, description="Contact email.")
    phone: str | None = strawberry.field(default=None, description="Contact phone, E.164.")
    country_code: str | None = strawberry.field(
        default=None, description="ISO 3166-1 alpha-2 country of delivery, e.g. NL."
    )
    province_code: str | None = strawberry.field(
        default=None, description="Region of delivery, e.g. CA."
    )


@strawberry.input(description="A new cart.")
class CartInput:
    channel: strawberry.ID = strawberry.field(description="Global id of the Channel.")
    currency: str | None = strawberry.field(
        default=None, description="ISO 4217 currency; defaults to the channel's currency."
    )
    lines: list[CartLineInput] | None = strawberry.field(
        default=None, description="Lines to start with."
    )
    buyer_identity: CartBuyerIdentityInput | None = strawberry.field(
        default=None,
        description="Who is buying; a signed-in customer is attached without asking.",
    )
    discount_codes: list[str] | None = strawberry.field(
        default=None, description="Discount codes to enter (at most 5)."
    )
    note: str | None = strawberry.field(
        default=None, description="A note, at most 5000 characters."
    )
    fulfillment_method: FulfillmentMethod | None = strawberry.field(
        default=None, description="Fulfillment method for the cost estimate; default SHIP."
    )


def _attributes(values: list[AttributeInput] | None) -> list[Attribute]:
    return [Attribute(a.key, a.value) for a in values or []]


def _lines(values: list[CartLineInput] | None, field: list[str]) -> list[LineInput]:
    return [
        LineInput(
            local_id(line.merchandise_id, "ProductVariant", [*field, str(i), "merchandiseId"]),
            line.quantity,
            _attributes(line.attributes),
        )
        for i, line in enumerate(values or [])
    ]


def _buyer(
    value: CartBuyerIdentityInput | None, field: list[str], country: str | None = None
) -> BuyerIdentityInput:
    if value is None:
        return BuyerIdentityInput(country_code=country)
    customer_id = None
    if value.customer_id is not None:
        customer_id = local_id(value.customer_id, "Customer", [*field, "customerId"])
    return BuyerIdentityInput(
        customer_id, value.email, value.phone, value.country_code or country, value.province_code
    )


def _payload(name: str, mutation: str) -> Any:
    declared = type(name, (), {"__annotations__": {"cart": Cart | None}, "__module__": __name__})
    return entity_payload(
        f"Result of {mutation}.", cart="The cart after the change; null on error."
    )(declared)


CartCreatePayload = _payload("CartCreatePayload", "cartCreate")
CartLinesAddPayload = _payload("CartLinesAddPayload", "cartLinesAdd")
CartLinesUpdatePayload = _payload("CartLinesUpdatePayload", "cartLinesUpdate")
CartLinesRemovePayload = _payload("CartLinesRemovePayload", "cartLinesRemove")
CartDiscountCodesUpdatePayload = _payload(
    "CartDiscountCodesUpdatePayload", "cartDiscountCodesUpdate"
)
CartBuyerIdentityUpdatePayload = _payload(
    "CartBuyerIdentityUpdatePayload", "cartBuyerIdentityUpdate"
)
CartNoteUpdatePayload = _payload("CartNoteUpdatePayload", "cartNoteUpdate")
CartFulfillmentMethodUpdatePayload = _payload(
    "CartFulfillmentMethodUpdatePayload", "cartFulfillmentMethodUpdate"
)


async def _run(
    info: Info,
    payload: Any,
    use_case: Callable[[UnitOfWork, CartPolicy], Awaitable[CartRecord]],
) -> Any:

    async def after_commit(cart: CartRecord) -> None:
        forget_cart(info.context, cart.id)
        if payload is CartCreatePayload:
            info.context.hold_cart(cart.id)  # so the payload may show Cart.accessToken
            response = info.context.response
            if response is not None and hasattr(response, "headers"):
                token = cart_token(info.context.settings.jwt_secret, cart.id)
                response.headers["x-cart-token"] = token

    return await run_mutation(
        info, payload, lambda uow: use_case(uow, _policy(info)), after_commit=after_commit
    )


_CartId = Annotated[strawberry.ID, strawberry.argument(description="Global id of the Cart.")]


@strawberry.type
class Query:
    @strawberry.field(
        description="A cart by global id: for whoever holds its token (X-Cart-Token), its "
        "customer, or a CARTS scope; anyone else gets null, as for a missing cart. An expired "
        "cart is an error with code CART_EXPIRED."
    )
    async def cart(self, info: Info, id: _CartId) -> Cart | None:
        _, local = from_global_id(id, "Cart")
        cart = visible_cart(info, await info.context.loaders.CartByIdLoader.load(local))
        if cart is None:
            return None  # someone else's cart reads like a missing one
        check_can_read(info.context.principal, cart, datetime.now(UTC), info.context.held_carts)
        return cart  # type: ignore[no-any-return]


@strawberry.type
class Mutation(DiscountMutations):
    @strawberry.mutation(
        description="Create a cart: for a guest or a signed-in customer. Keep `cart.accessToken` "
        "and send it back as the X-Cart-Token header: a guest cart is held by it, not its id."
    )
    async def cart_create(
        self,
        info: Info,
        input: Annotated[
            CartInput,
            strawberry.argument(
                description="Channel, currency, first lines, buyer and codes of the new cart."
            ),
        ],
    ) -> CartCreatePayload:  # type: ignore[valid-type]
        principal = info.context.principal

        async def use_case(uow: UnitOfWork, policy: CartPolicy) -> CartRecord:
            # In an @inContext market the cart keeps it (currency, buyer's country, language).
            in_market = market_cart(info, input.currency)
            cart = await services.create_cart(
                uow,
                principal,
                policy,
                channel_id=local_id(input.channel, "Channel", ["input", "channel"]),
                currency_code=in_market.currency_code,
                lines=_lines(input.lines, ["input", "lines"]),
                buyer=_buyer(input.buyer_identity, ["input", "buyerIdentity"], in_market.country),
                discount_codes=input.discount_codes or [],
                note=input.note or "",
                fulfillment_method=FulfillmentMethodEnum(
                    input.fulfillment_method or FulfillmentMethodEnum.SHIP
                ),
            )
            await in_market.record(uow, cart.id)
            return cart

        return await _run(info, CartCreatePayload, use_case)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Add lines; the same variant with the same attributes adds to its line."
    )
    async def cart_lines_add(
        self,
        info: Info,
        cart_id: _CartId,
        lines: Annotated[list[CartLineInput], strawberry.argument(description="Lines to add.")],
    ) -> CartLinesAddPayload:  # type: ignore[valid-type]
        async def use_case(uow: UnitOfWork, policy: CartPolicy) -> CartRecord:
            cart = local_id(cart_id, "Cart", ["cartId"])
            parsed = _lines(lines, ["lines"])
            return await services.add_lines(uow, info.context.principal, policy, cart, parsed)

        return await _run(info, CartLinesAddPayload, use_case)  # type: ignore[no-any-return]

    @strawberry.mutation(description="Change quantities or attributes of lines.")
    async def cart_lines_update(
        self,
        info: Info,
        cart_id: _CartId,
        lines: Annotated[
            list[CartLineUpdateInput], strawberry.argument(description="Changes, one per line.")
        ],
    ) -> CartLinesUpdatePayload:  # type: ignore[valid-type]
        async def use_case(uow: UnitOfWork, policy: CartPolicy) -> CartRecord:
            cart = local_id(cart_id, "Cart", ["cartId"])
            updates = [
                LineUpdate(
                    local_id(u.id, "CartLine", ["lines", str(i), "id"]),
                    u.quantity,
                    None if u.attributes is None else _attributes(u.attributes),
                )
                for i, u in enumerate(lines)
            ]
            return await services.update_lines(uow, info.context.principal, policy, cart, updates)

        return await _run(info, CartLinesUpdatePayload, use_case)  # type: ignore[no-any-return]

    @strawberry.mutation(description="Remove lines.")
    async def cart_lines_remove(
        self,
        info: Info,
        cart_id: _CartId,
        line_ids: Annotated[
            list[strawberry.ID], strawberry.argument(description="Global ids of the lines.")
        ],
    ) -> CartLinesRemovePayload:  # type: ignore[valid-type]
        async def use_case(uow: UnitOfWork, policy: CartPolicy) -> CartRecord:
            cart = local_id(cart_id, "Cart", ["cartId"])
            ids = [local_id(v, "CartLine", ["lineIds", str(i)]) for i, v in enumerate(line_ids)]
            return await services.remove_lines(uow, info.context.principal, policy, cart, ids)

        return await _run(info, CartLinesRemovePayload, use_case)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Replace the cart's discount codes. A code that does not apply is kept "
        "with its reason (Cart.discountCodes); it does not fail the mutation."
    )
    async def cart_discount_codes_update(
        self,
        info: Info,
        cart_id: _CartId,
        discount_codes: Annotated[
            list[str], strawberry.argument(description="All codes the cart should carry.")
        ],
    ) -> CartDiscountCodesUpdatePayload:  # type: ignore[valid-type]
        async def use_case(uow: UnitOfWork, policy: CartPolicy) -> CartRecord:
            cart = local_id(cart_id, "Cart", ["cartId"])
            return await services.update_discount_codes(
                uow, info.context.principal, policy, cart, discount_codes
            )

        return await _run(info, CartDiscountCodesUpdatePayload, use_case)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Set who is buying. Attaching a customer (sign-in) merges that customer's "
        "other active cart into this one: quantities summed and capped, prices re-evaluated."
    )
    async def cart_buyer_identity_update(
        self,
        info: Info,
        cart_id: _CartId,
        buyer_identity: Annotated[
            CartBuyerIdentityInput,
            strawberry.argument(
                description="Who is buying: a customer to attach (merging carts) and contact details."
            ),
        ],
    ) -> CartBuyerIdentityUpdatePayload:  # type: ignore[valid-type]
        async def use_case(uow: UnitOfWork, policy: CartPolicy) -> CartRecord:
            cart = local_id(cart_id, "Cart", ["cartId"])
            buyer = _buyer(buyer_identity, ["buyerIdentity"])
            return await services.update_buyer_identity(
                uow, info.context.principal, policy, cart, buyer
            )

        return await _run(info, CartBuyerIdentityUpdatePayload, use_case)  # type: ignore[no-any-return]

    @strawberry.mutation(description="Set the buyer's note.")
    async def cart_note_update(
        self,
        info: Info,
        cart_id: _CartId,
        note: Annotated[str, strawberry.argument(description="The note, at most 5000 characters.")],
    ) -> CartNoteUpdatePayload:  # type: ignore[valid-type]
        async def use_case(uow: UnitOfWork, policy: CartPolicy) -> CartRecord:
            cart = local_id(cart_id, "Cart", ["cartId"])
            return await services.update_note(uow, info.context.principal, policy, cart, note)

        return await _run(info, CartNoteUpdatePayload, use_case)  # type: ignore[no-any-return]

    @strawberry.mutation(description="Choose the fulfillment method the cost estimate uses.")
    async def cart_fulfillment_method_update(
        self,
        info: Info,
        cart_id: _CartId,
        method: Annotated[FulfillmentMethod, strawberry.argument(description="The method.")],
    ) -> CartFulfillmentMethodUpdatePayload:  # type: ignore[valid-type]
        async def use_case(uow: UnitOfWork, policy: CartPolicy) -> CartRecord:
            cart = local_id(cart_id, "Cart", ["cartId"])
            return await services.update_fulfillment_method(
                uow, info.context.principal, policy, cart, FulfillmentMethodEnum(method)
            )

        return await _run(info, CartFulfillmentMethodUpdatePayload, use_case)  # type: ignore[no-any-return]
