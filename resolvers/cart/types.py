"""The cart subgraph: Cart and its lines, and the cart fields of Customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from domain import models
from domain.auth import PrincipalKind, may_access_customer
from domain.authz import cart_token
from domain.cart import discounts, rates, view
from domain.cart import models as cart_models
from domain.cart.models import Attribute as AttributeRecord
from domain.errors import DomainError, ErrorCode
from domain.ids import from_global_id, to_global_id
from resolvers.cart.views import cart_view
from resolvers.common import (
    CUSTOMER_DESCRIPTION,
    Connection,
    Money,
    Node,
    check_page_size,
    connection,
    decode_cursor,
    described_enum,
    encode_cursor,
    money,
    record_type_check,
)
from resolvers.context import Info
from resolvers.customer.access import visible_cart

CartStatus = described_enum(
    cart_models.CartStatus,
    "Lifecycle of a cart.",
    {
        "ACTIVE": "The cart can change and be checked out.",
        "MERGED": "Folded into another cart when its customer signed in; see mergedInto.",
        "COMPLETED": "Checked out; the cart is now an order and cannot change.",
    },
)
FulfillmentMethod = described_enum(
    rates.FulfillmentMethod,
    "How the shopper gets the goods; drives the shipping estimate and routing.",
    {
        "SHIP": "Parcel delivery from a warehouse.",
        "PICKUP": "Buy online, pick up in a store (BOPIS).",
        "SHIP_FROM_STORE": "Parcel delivery from the nearest store with stock.",
        "SAME_DAY": "Delivered today from a dark store or store near the buyer.",
    },
)
CartWarningCode = described_enum(
    view.CartWarningCode,
    "Why a line may not be fulfilled as asked.",
    {
        "OUT_OF_STOCK": "None of the variant is available at any active location.",
        "NOT_ENOUGH_STOCK": "Fewer units are available than the cart asks for; see availableQuantity.",
        "MERCHANDISE_UNAVAILABLE": "No longer sold on this channel; left out of the totals.",
    },
)
DiscountCodeRejection = described_enum(
    discounts.DiscountRejection,
    "Why an entered discount code does not apply (the code stays on the cart).",
    {
        "NOT_FOUND": "No discount has this code.",
        "NOT_STARTED": "The code's validity window has not begun yet.",
        "EXPIRED": "The code's validity window has ended.",
        "CHANNEL_NOT_ELIGIBLE": "The code is not valid on this cart's sales channel.",
        "CURRENCY_NOT_ELIGIBLE": "A fixed-amount code in another currency than the cart's.",
        "MINIMUM_SUBTOTAL_NOT_MET": "The merchandise subtotal is below the code's minimum.",
        "USAGE_LIMIT_REACHED": "The code has been used as often as it may be.",
        "CUSTOMER_USAGE_LIMIT_REACHED": "This customer has used the code as often as allowed.",
        "NOT_COMBINABLE": "Another code that cannot be combined with this one already applies.",
        "SEGMENT_NOT_ELIGIBLE": "The code is limited to customer segments the cart's customer "
        "is not in (now).",
    },
)


@strawberry.federation.type(
    keys=[Key(fields=FieldSet("id"), resolvable=False)],
    description="A sales channel with its currency.",
)
class Channel:
    is_type_of = record_type_check(models.Channel)

    @strawberry.field(description="Opaque global id of the channel.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Channel", self.id))


@strawberry.federation.type(
    keys=[Key(fields=FieldSet("id"), resolvable=False)],
    description="A sellable version of a product, identified by its SKU.",
)
class ProductVariant:
    is_type_of = record_type_check(models.ProductVariant)

    @strawberry.field(description="Opaque global id of the variant.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("ProductVariant", self.id))


@strawberry.type(description="A key/value pair attached to a cart line, e.g. a gift message.")
class Attribute:
    is_type_of = record_type_check(AttributeRecord)

    key: str = strawberry.field(description="Attribute name.")
    value: str = strawberry.field(description="Attribute value.")


@strawberry.type(description="What a cart line costs, in the cart's currency.")
class CartLineCost:
    unit_price: Money = strawberry.field(description="Price of one unit on the channel now.")
    compare_at_unit_price: Money | None = strawberry.field(
        description="The unit's compare-at (was) price, if any."
    )
    subtotal: Money = strawberry.field(description="unitPrice x quantity.")
    discount: Money = strawberry.field(
        description="This line's share of the cart's discounts (split by largest remainder)."
    )
    tax: Money = strawberry.field(
        description="This line's share of the tax; zero while the destination is unknown."
    )
    total: Money = strawberry.field(
        description="subtotal - discount, plus tax when taxes are not included in prices."
    )


@strawberry.type(description="A problem with a cart line that does not block the mutation.")
class CartWarning:
    code: CartWarningCode = strawberry.field(description="Stable code of the warning.")  # type: ignore[valid-type]
    message: str = strawberry.field(description="Human-readable explanation, in English.")
    available_quantity: int | None = strawberry.field(
        description="Units available now, for the stock warnings."
    )

    @strawberry.field(description="Global id of the cart line concerned.")
    def line_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("CartLine", self.line_id))


@strawberry.type(description="One variant in a cart, with its quantity and live price.")
class CartLine:
    is_type_of = record_type_check(view.LineView)

    @strawberry.field(description="Opaque global id of the line.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("CartLine", self.line.id))  # type: ignore[attr-defined]

    @strawberry.field(description="Units of the variant.")
    def quantity(self) -> int:
        return self.line.quantity  # type: ignore[attr-defined,no-any-return]

    @strawberry.field(description="Line attributes, in the order given.")
    def attributes(self) -> list[Attribute]:
        return self.line.attributes  # type: ignore[attr-defined,no-any-return]

    @strawberry.field(description="The variant bought.")
    async def merchandise(self, info: Info) -> ProductVariant:
        return await info.context.loaders.VariantByIdLoader.load(self.line.variant_id)  # type: ignore[attr-defined,return-value]  # a record

    @strawberry.field(description="The line's SKU.")
    def sku(self) -> str:
        return self.offer.sku  # type: ignore[attr-defined,no-any-return]

    @strawberry.field(description="Costs of the line; null when it is no longer for sale.")
    def cost(self) -> CartLineCost | None:
        c = self.line_cost  # type: ignore[attr-defined]
        if c is None:
            return None
        currency = self.currency_code  # type: ignore[attr-defined]
        return CartLineCost(
            unit_price=money(c.unit_price_minor, currency),
            compare_at_unit_price=(
                money(c.compare_at_unit_minor, currency)
                if c.compare_at_unit_minor is not None
                else None
            ),
            subtotal=money(c.subtotal_minor, currency),
            discount=money(c.discount_minor, currency),
            tax=money(c.tax_minor, currency),
            total=money(c.total_minor, currency),
        )

    warnings: list[CartWarning] = strawberry.field(
        description="Stock and availability warnings, read live; adding never reserves stock."
    )


@strawberry.type(description="A discount code entered on the cart, and whether it applies.")
class CartDiscountCode:
    code: str = strawberry.field(description="The code, upper-cased.")
    applicable: bool = strawberry.field(description="True when the code applies to the cart now.")
    rejection: DiscountCodeRejection | None = strawberry.field(  # type: ignore[valid-type]
        description="Why the code does not apply; null when it does."
    )
    amount: Money = strawberry.field(
        description="What the code takes off (merchandise, or shipping for free shipping)."
    )


@strawberry.type(description="Totals of the cart, in integer cents under the hood.")
class CartCost:
    subtotal: Money = strawberry.field(description="Sum of the line subtotals, before discounts.")
    compare_at_subtotal: Money = strawberry.field(
        description="Sum of compare-at (was) prices, or the price where there is none."
    )
    discount: Money = strawberry.field(
        description="Order discounts from codes; never more than the subtotal."
    )
    shipping: Money | None = strawberry.field(
        description="Estimated shipping for the chosen method; null when it is not offered."
    )
    shipping_discount: Money = strawberry.field(description="Taken off shipping by codes.")
    tax: Money | None = strawberry.field(
        description="Estimated tax; null until the buyer's country is known."
    )
    taxes_included: bool = strawberry.field(
        description="True when prices include tax (the tax is then part of the subtotal)."
    )
    total: Money = strawberry.field(
        description="subtotal - discount + shipping - shippingDiscount (+ tax when not included)."
    )


@strawberry.type(description="Estimated shipping for one fulfillment method.")
class ShippingEstimate:
    method: FulfillmentMethod = strawberry.field(description="Fulfillment method.")  # type: ignore[valid-type]
    amount: Money | None = strawberry.field(
        description="Estimated cost after shipping discounts; null when not offered."
    )


@strawberry.type(description="Who is buying: the signed-in customer and contact details.")
class CartBuyerIdentity:
    email: str | None = strawberry.field(description="Contact email.")
    phone: str | None = strawberry.field(description="Contact phone, E.164.")
    country_code: str | None = strawberry.field(
        description="ISO 3166-1 alpha-2 country of delivery; drives the tax estimate."
    )
    province_code: str | None = strawberry.field(
        description="Region of delivery, e.g. CA for California; refines the tax estimate."
    )
    customer_ref: strawberry.Private[object]

    @strawberry.field(description="The customer the cart belongs to; null for a guest cart.")
    async def customer(self, info: Info) -> Customer | None:
        if self.customer_ref is None:
            return None
        return await info.context.loaders.CustomerByIdLoader.load(self.customer_ref)  # type: ignore[arg-type,return-value]  # a record


@strawberry.federation.type(keys=["id"], description="A shopping cart on one channel.")
class Cart(Node):
    is_type_of = record_type_check(models.Cart)

    @strawberry.field(  # type: ignore[misc]  # self is a record
        description="Opaque global id of the cart. Not a credential: see accessToken."
    )
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Cart", self.id))

    @strawberry.field(
        description="The cart's bearer secret: send it as the X-Cart-Token header (or give it "
        "to an agent) to use this cart. Shown to its creator in cartCreate, to whoever "
        "presents it, and to the cart's customer; null to everyone else."
    )
    def access_token(self, info: Info) -> str | None:
        principal = info.context.principal
        owner = self.customer_id  # type: ignore[attr-defined]
        is_owner = principal is not None and principal.kind is PrincipalKind.CUSTOMER
        if self.id in info.context.held_carts or (is_owner and principal.id == owner):  # type: ignore[union-attr]
            return cart_token(info.context.settings.jwt_secret, self.id)
        return None

    currency_code: str = strawberry.field(description="ISO 4217 currency of the cart.")
    created_at: datetime = strawberry.field(description="When the cart was created.")
    updated_at: datetime | None = strawberry.field(description="When the cart last changed.")
    expires_at: datetime | None = strawberry.field(
        description="When the cart expires if it does not change again."
    )
    status: CartStatus = strawberry.field(description="ACTIVE, MERGED or COMPLETED.")  # type: ignore[valid-type]
    note: str = strawberry.field(description="A note from the buyer.")
    fulfillment_method: FulfillmentMethod = strawberry.field(  # type: ignore[valid-type]
        description="The fulfillment method the cost estimate uses."
    )

    @strawberry.field(
        description=(
            "Handle of the market the cart was created in (cartCreate under @inContext); its "
            "currency is the market's. Null for a cart made outside a market."
        )
    )
    async def market_handle(self, info: Info) -> str | None:
        found = await info.context.loaders.CartMarketByCartIdLoader.load(self.id)
        return None if found is None else found[0]

    @strawberry.field(description="The language of the market context it was created in, if any.")
    async def language(self, info: Info) -> str | None:
        found = await info.context.loaders.CartMarketByCartIdLoader.load(self.id)
        return None if found is None else found[1]

    @strawberry.field(description="The channel the cart is priced on.")
    async def channel(self, info: Info) -> Channel:
        return await info.context.loaders.ChannelByIdLoader.load(self.channel_id)  # type: ignore[attr-defined,return-value]  # a record

    @strawberry.field(description="The cart this one was merged into, if it was.")
    async def merged_into(self, info: Info) -> Cart | None:
        if self.merged_into is None:
            return None
        return await info.context.loaders.CartByIdLoader.load(self.merged_into)  # type: ignore[no-any-return]

    @strawberry.field(description="Who is buying.")
    def buyer_identity(self) -> CartBuyerIdentity:
        return CartBuyerIdentity(
            email=self.buyer_email,  # type: ignore[attr-defined]
            phone=self.buyer_phone,  # type: ignore[attr-defined]
            country_code=self.buyer_country_code,  # type: ignore[attr-defined]
            province_code=self.buyer_province_code,  # type: ignore[attr-defined]
            customer_ref=self.customer_id,  # type: ignore[attr-defined]
        )

    @strawberry.field(description="The lines of the cart, in the order added.")
    async def lines(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size, 0 to 250.")] = 100,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor to continue after.")
        ] = None,
    ) -> Connection[CartLine]:
        check_page_size(first)
        v = await cart_view(info.context, self)  # type: ignore[arg-type]
        start = 0
        if after is not None:
            position = decode_cursor(after, 1)[0]
            if not position.isdigit():
                raise DomainError(ErrorCode.INVALID, "The cursor is not valid here.", ["after"])
            start = int(position) + 1
        items = list(enumerate(v.lines))[start : start + first + 1]
        page = connection(items, first, lambda item: encode_cursor(str(item[0])))
        for edge in page.edges:
            edge.node = edge.node[1]
        return page

    @strawberry.field(description="Units in the cart, over all lines.")
    async def total_quantity(self, info: Info) -> int:
        return (await cart_view(info.context, self)).total_quantity  # type: ignore[arg-type]

    @strawberry.field(description="Totals: subtotal, discounts, shipping, tax, total.")
    async def cost(self, info: Info) -> CartCost:
        c = (await cart_view(info.context, self)).cost  # type: ignore[arg-type]
        cur = self.currency_code
        return CartCost(
            subtotal=money(c.subtotal_minor, cur),
            compare_at_subtotal=money(c.compare_at_subtotal_minor, cur),
            discount=money(c.discount_minor, cur),
            shipping=money(c.shipping_minor, cur) if c.shipping_minor is not None else None,
            shipping_discount=money(c.shipping_discount_minor, cur),
            tax=money(c.tax_minor, cur) if c.tax_minor is not None else None,
            taxes_included=c.taxes_included,
            total=money(c.total_minor, cur),
        )

    @strawberry.field(description="The codes entered, each with whether it applies and why not.")
    async def discount_codes(self, info: Info) -> list[CartDiscountCode]:
        v = await cart_view(info.context, self)  # type: ignore[arg-type]
        return [
            CartDiscountCode(
                code=e.code,
                applicable=e.applied is not None,
                rejection=e.rejection,
                amount=money(v.cost.discount_by_code.get(e.code, 0), self.currency_code),
            )
            for e in v.codes
        ]

    @strawberry.field(description="Estimated shipping for every fulfillment method.")
    async def shipping_estimates(self, info: Info) -> list[ShippingEstimate]:
        v = await cart_view(info.context, self)  # type: ignore[arg-type]
        return [
            ShippingEstimate(
                method=e.method,
                amount=money(e.amount_minor, self.currency_code)
                if e.amount_minor is not None
                else None,
            )
            for e in v.shipping_estimates
        ]

    @strawberry.field(description="Warnings of every line (stock, availability), read live.")
    async def warnings(self, info: Info) -> list[CartWarning]:
        return (await cart_view(info.context, self)).warnings  # type: ignore[arg-type,return-value]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> models.Cart | None:
        _, local = from_global_id(id, "Cart")
        record = await info.context.loaders.CartByIdLoader.load(local)
        return visible_cart(info, record)  # type: ignore[no-any-return]


@dataclass
class CustomerRef:
    """A customer known to this subgraph only by its key."""

    id: object


@strawberry.federation.type(keys=["id"], description=CUSTOMER_DESCRIPTION)
class Customer:
    is_type_of = record_type_check((CustomerRef, models.Customer))  # type: ignore[arg-type]

    @strawberry.field(description="Opaque global id of the customer.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Customer", self.id))

    @strawberry.field(description="The customer's carts, newest first (merged ones included).")
    async def carts(self, info: Info) -> list[Cart]:
        return await info.context.loaders.CartsByCustomerIdLoader.load(self.id)  # type: ignore[no-any-return]

    @strawberry.field(
        description="The cart the customer shops with now: the most recently changed cart "
        "that is neither expired, merged nor checked out."
    )
    async def active_cart(self, info: Info) -> Cart | None:
        carts = await info.context.loaders.CartsByCustomerIdLoader.load(self.id)
        now = datetime.now(UTC)
        active = [
            c
            for c in carts
            if c.status == "ACTIVE" and (c.expires_at is None or c.expires_at > now)
        ]
        return max(active, key=lambda c: c.updated_at or c.created_at) if active else None

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> CustomerRef | None:
        local = from_global_id(id, "Customer")[1]
        return CustomerRef(local) if may_access_customer(info.context.principal, local) else None
