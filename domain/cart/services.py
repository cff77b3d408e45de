"""Cart use-cases. Each runs in one unit of work and writes `ucg.cart.updated.v1`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from domain.auth import Principal, PrincipalKind, require_principal
from domain.authz import may_act_for_customer
from domain.cart.models import BuyerIdentityInput, CartLine, CartPolicy, LineInput, LineUpdate
from domain.cart.ports import CartUnitOfWork
from domain.cart.rates import FulfillmentMethod
from domain.cart.validation import (
    check_attributes,
    check_buyer_identity,
    check_can_change,
    check_note,
    check_quantity,
    line_key,
    normalize_codes,
)
from domain.errors import DomainError, ErrorCode, NotFound
from domain.models import Cart, OutboxEvent

CART_TOPIC = "ucg.carts.v1"
CART_UPDATED = "ucg.cart.updated.v1"


async def _event(
    uow: CartUnitOfWork,
    cart: Cart,
    reason: str,
    known_lines: list[CartLine] | None = None,
    **extra: object,
) -> None:
    """No personal data: no customer id, email, phone, address or note. `known_lines`: the
    cart's lines as this transaction just wrote them (not read again)."""
    lines = known_lines if known_lines is not None else await uow.carts.lines(cart.id)
    data: dict[str, object] = {
        "cartId": str(cart.id),
        "channelId": str(cart.channel_id),
        "currencyCode": cart.currency_code,
        "status": cart.status,
        "reason": reason,
        "signedIn": cart.customer_id is not None,
        "totalQuantity": sum(line.quantity for line in lines),
        "lines": [{"variantId": str(line.variant_id), "quantity": line.quantity} for line in lines],
        "expiresAt": cart.expires_at.isoformat() if cart.expires_at else None,
        **extra,
    }
    await uow.add_event(OutboxEvent(CART_TOPIC, CART_UPDATED, "Cart", str(cart.id), data))


async def _open_cart(
    uow: CartUnitOfWork, principal: Principal | None, cart_id: uuid.UUID, policy: CartPolicy
) -> Cart:
    cart = await uow.carts.cart_for_update(cart_id)
    if cart is None:
        raise NotFound("Cart", ["cart_id"])
    check_can_change(principal, cart, policy.now, policy.held_carts)
    return cart


async def _touch(uow: CartUnitOfWork, cart: Cart, policy: CartPolicy, **fields: Any) -> Cart:
    """Every change slides the expiry: a cart expires `ttl` after its last change."""
    return await uow.carts.update_cart(
        cart.id, updated_at=policy.now, expires_at=policy.now + policy.ttl, **fields
    )


async def _check_offers(
    uow: CartUnitOfWork, cart: Cart, variant_ids: Sequence[uuid.UUID], field: list[str]
) -> None:
    offers = await uow.carts.offers(variant_ids, cart.channel_id, cart.currency_code)
    for i, variant_id in enumerate(variant_ids):
        offer = offers.get(variant_id)
        path = [*field, str(i), "variant_id"]
        if offer is None:
            raise NotFound("Variant", path)
        if not offer.product_active:
            raise DomainError(ErrorCode.VARIANT_UNAVAILABLE, f"{offer.sku} is not for sale.", path)
        if offer.price_minor is None:
            raise DomainError(
                ErrorCode.VARIANT_UNAVAILABLE,
                f"{offer.sku} has no price on this channel in {cart.currency_code}.",
                path,
            )


async def _add_lines(
    uow: CartUnitOfWork,
    cart: Cart,
    lines: Sequence[LineInput],
    policy: CartPolicy,
    field: list[str],
    known: list[CartLine] | None = None,
) -> list[CartLine]:
    """Add the lines (a line like one the cart has adds to its quantity); the cart's lines
    after, as `lines` reads them. `known`: the cart's lines, when this transaction knows
    them (a cart it has just created has none), so they are not read."""
    for i, line in enumerate(lines):
        check_quantity(line.quantity, policy, [*field, str(i), "quantity"])
        check_attributes(line.attributes, [*field, str(i), "attributes"])
    await _check_offers(uow, cart, [line.variant_id for line in lines], field)
    current_lines = known if known is not None else await uow.carts.lines(cart.id)
    existing = {line_key(x.variant_id, x.attributes): x for x in current_lines}
    position = max((x.position for x in existing.values()), default=-1) + 1
    for i, line in enumerate(lines):
        key = line_key(line.variant_id, line.attributes)
        if key in existing:
            current = existing[key]
            current.quantity += line.quantity
            check_quantity(current.quantity, policy, [*field, str(i), "quantity"])
            await uow.carts.update_line(current.id, current.quantity, current.attributes)
            continue
        if len(existing) >= policy.max_lines:
            raise DomainError(
                ErrorCode.INVALID, f"A cart has at most {policy.max_lines} lines.", field
            )
        existing[key] = await uow.carts.insert_line(
            cart.id, line.variant_id, line.quantity, line.attributes, position
        )
        position += 1
    # In `lines`' order: by position (new lines come after), ties as they were read.
    return sorted(existing.values(), key=lambda x: x.position)


async def _merge(uow: CartUnitOfWork, survivor: Cart, other: Cart, policy: CartPolicy) -> Cart:
    """Move `other`'s lines into `survivor`: quantities summed and capped, nothing dropped
    silently (lines past the line limit stay on the merged cart, which can still be read)."""
    lines = await uow.carts.lines(survivor.id)
    existing = {line_key(x.variant_id, x.attributes): x for x in lines}
    position = max((x.position for x in lines), default=-1) + 1
    for line in await uow.carts.lines(other.id):
        key = line_key(line.variant_id, line.attributes)
        if key in existing:
            current = existing[key]
            current.quantity = min(current.quantity + line.quantity, policy.max_line_quantity)
            await uow.carts.update_line(current.id, current.quantity, current.attributes)
        elif len(existing) < policy.max_lines:
            existing[key] = await uow.carts.insert_line(
                survivor.id,
                line.variant_id,
                min(line.quantity, policy.max_line_quantity),
                line.attributes,
                position,
            )
            position += 1
    codes = list(dict.fromkeys([*survivor.discount_codes, *other.discount_codes]))
    merged = await uow.carts.update_cart(
        other.id, status="MERGED", merged_into=survivor.id, updated_at=policy.now
    )
    await _event(uow, merged, "MERGED", mergedInto=str(survivor.id))
    return await uow.carts.update_cart(
        survivor.id,
        discount_codes=codes[: policy.max_discount_codes],
        note=survivor.note or other.note,
        buyer_email=survivor.buyer_email or other.buyer_email,
        buyer_phone=survivor.buyer_phone or other.buyer_phone,
        buyer_country_code=survivor.buyer_country_code or other.buyer_country_code,
        buyer_province_code=survivor.buyer_province_code or other.buyer_province_code,
    )


def _customer_to_attach(
    principal: Principal | None, requested: uuid.UUID | None, field: list[str]
) -> uuid.UUID | None:
    """A customer attaches only themself; only a CARTS scope attaches someone else."""
    if requested is None:
        if principal is not None and principal.kind is PrincipalKind.CUSTOMER:
            return principal.id
        return None
    caller = require_principal(principal)
    if not may_act_for_customer(caller, requested):
        # Before any lookup, so the answer is the same whether the customer exists.
        raise DomainError(ErrorCode.FORBIDDEN, "You can only attach yourself to a cart.", field)
    return requested


async def _attach_customer(
    uow: CartUnitOfWork, cart: Cart, customer_id: uuid.UUID, policy: CartPolicy, field: list[str]
) -> tuple[Cart, list[uuid.UUID]]:
    """Attach, then fold the customer's other active carts into this one (one active cart
    per customer; the customer row lock serializes two devices signing in at once)."""
    if cart.customer_id is not None and cart.customer_id != customer_id:
        raise DomainError(ErrorCode.FORBIDDEN, "The cart belongs to another customer.", field)
    if not await uow.carts.customer_exists(customer_id, lock=True):
        raise NotFound("Customer", field)
    merged: list[uuid.UUID] = []
    for other in await uow.carts.active_carts_of(customer_id, policy.now, exclude=cart.id):
        cart = await _merge(uow, cart, other, policy)
        merged.append(other.id)
    if cart.customer_id != customer_id:
        cart = await uow.carts.update_cart(cart.id, customer_id=customer_id)
    return cart, merged


def _buyer_fields(buyer: BuyerIdentityInput) -> dict[str, Any]:
    fields = {
        "buyer_email": buyer.email,
        "buyer_phone": buyer.phone,
        "buyer_country_code": buyer.country_code,
        "buyer_province_code": buyer.province_code,
    }
    return {k: v for k, v in fields.items() if v is not None}


async def create_cart(
    uow: CartUnitOfWork,
    principal: Principal | None,
    policy: CartPolicy,
    *,
    channel_id: uuid.UUID,
    currency_code: str | None,
    lines: Sequence[LineInput] = (),
    buyer: BuyerIdentityInput | None = None,
    discount_codes: Sequence[str] = (),
    note: str = "",
    fulfillment_method: FulfillmentMethod = FulfillmentMethod.SHIP,
) -> Cart:
    buyer = buyer or BuyerIdentityInput()
    check_buyer_identity(buyer, ["buyer_identity"])
    check_note(note, ["note"])
    codes = normalize_codes(discount_codes, policy, ["discount_codes"])
    customer_id = _customer_to_attach(
        principal, buyer.customer_id, ["buyer_identity", "customer_id"]
    )
    channel = await uow.carts.channel(channel_id)
    if channel is None:
        raise NotFound("Channel", ["channel"])
    if principal is not None and principal.channel and principal.channel != channel.code:
        raise DomainError(
            ErrorCode.FORBIDDEN,
            f"Your credentials are bound to channel {principal.channel}.",
            ["channel"],
        )
    currency = currency_code or channel.currency_code
    if currency != channel.currency_code and not await uow.carts.currency_sold(
        channel.id, currency
    ):
        raise DomainError(
            ErrorCode.CURRENCY_NOT_SUPPORTED,
            f"Channel {channel.code} does not sell in {currency}.",
            ["currency"],
        )
    await check_segment_codes(uow, codes, customer_id, ["discount_codes"])
    cart = await uow.carts.insert_cart(
        channel.id,
        currency,
        policy.now + policy.ttl,
        note=note,
        discount_codes=codes,
        fulfillment_method=fulfillment_method.value,
        **_buyer_fields(buyer),
    )
    added: list[CartLine] | None = await _add_lines(uow, cart, lines, policy, ["lines"], known=[])
    merged: list[uuid.UUID] = []
    if customer_id is not None:
        cart, merged = await _attach_customer(
            uow, cart, customer_id, policy, ["buyer_identity", "customer_id"]
        )
        added = None  # a merge may have moved lines in: read them
    await _event(uow, cart, "CREATED", added, mergedCartIds=[str(m) for m in merged])
    return cart


async def add_lines(
    uow: CartUnitOfWork,
    principal: Principal | None,
    policy: CartPolicy,
    cart_id: uuid.UUID,
    lines: Sequence[LineInput],
) -> Cart:
    cart = await _open_cart(uow, principal, cart_id, policy)
    if not lines:
        raise DomainError(ErrorCode.INVALID, "Give at least one line.", ["lines"])
    await _add_lines(uow, cart, lines, policy, ["lines"])
    cart = await _touch(uow, cart, policy)
    await _event(uow, cart, "LINES_ADDED")
    return cart


async def update_lines(
    uow: CartUnitOfWork,
    principal: Principal | None,
    policy: CartPolicy,
    cart_id: uuid.UUID,
    updates: Sequence[LineUpdate],
) -> Cart:
    cart = await _open_cart(uow, principal, cart_id, policy)
    current: dict[uuid.UUID, CartLine] = {x.id: x for x in await uow.carts.lines(cart.id)}
    keys = {line_key(x.variant_id, x.attributes): x.id for x in current.values()}
    for i, update in enumerate(updates):
        line = current.get(update.line_id)
        if line is None:
            raise NotFound("Cart line", ["lines", str(i), "id"])
        quantity = line.quantity if update.quantity is None else update.quantity
        attributes = line.attributes if update.attributes is None else update.attributes
        check_quantity(quantity, policy, ["lines", str(i), "quantity"])
        check_attributes(attributes, ["lines", str(i), "attributes"])
        key = line_key(line.variant_id, attributes)
        if keys.get(key, line.id) != line.id:
            raise DomainError(
                ErrorCode.INVALID,
                "Another line already has this variant with these attributes.",
                ["lines", str(i), "attributes"],
            )
        keys.pop(line_key(line.variant_id, line.attributes), None)
        keys[key] = line.id
        line.quantity, line.attributes = quantity, attributes
        await uow.carts.update_line(line.id, quantity, attributes)
    cart = await _touch(uow, cart, policy)
    await _event(uow, cart, "LINES_UPDATED")
    return cart


async def remove_lines(
    uow: CartUnitOfWork,
    principal: Principal | None,
    policy: CartPolicy,
    cart_id: uuid.UUID,
    line_ids: Sequence[uuid.UUID],
) -> Cart:
    cart = await _open_cart(uow, principal, cart_id, policy)
    current = {x.id for x in await uow.carts.lines(cart.id)}
    for i, line_id in enumerate(line_ids):
        if line_id not in current:
            raise NotFound("Cart line", ["line_ids", str(i)])
    await uow.carts.delete_lines(line_ids)
    cart = await _touch(uow, cart, policy)
    await _event(uow, cart, "LINES_REMOVED")
    return cart


async def check_segment_codes(
    uow: CartUnitOfWork,
    codes: Sequence[str],
    customer_id: uuid.UUID | None,
    field: list[str],
) -> None:
    """A code limited to customer segments is refused outright for a cart whose customer is
    in none of them (or a guest cart), rather than kept as a code that does not apply.
    Checkout and the cart's cost re-check it (SEGMENT_NOT_ELIGIBLE) in case they leave."""
    if not codes:
        return
    refused = await uow.carts.segment_codes_not_eligible(codes, customer_id)
    for i, code in enumerate(codes):
        if code in refused:
            raise DomainError(
                ErrorCode.DISCOUNT_NOT_ELIGIBLE,
                f"Code {code} is for members of a customer segment; this cart's customer "
                "is not one.",
                [*field, str(i)],
            )


async def update_discount_codes(
    uow: CartUnitOfWork,
    principal: Principal | None,
    policy: CartPolicy,
    cart_id: uuid.UUID,
    codes: Sequence[str],
) -> Cart:
    """Replace the codes. Codes that do not apply are kept, with their reason on the cart."""
    cart = await _open_cart(uow, principal, cart_id, policy)
    normalized = normalize_codes(codes, policy, ["discount_codes"])
    await check_segment_codes(uow, normalized, cart.customer_id, ["discount_codes"])
    cart = await _touch(uow, cart, policy, discount_codes=normalized)
    await _event(uow, cart, "DISCOUNT_CODES_UPDATED")
    return cart


async def update_buyer_identity(
    uow: CartUnitOfWork,
    principal: Principal | None,
    policy: CartPolicy,
    cart_id: uuid.UUID,
    buyer: BuyerIdentityInput,
) -> Cart:
    """Attaching a customer merges the customer's other active carts into this one."""
    check_buyer_identity(buyer, ["buyer_identity"])
    field = ["buyer_identity", "customer_id"]
    customer_id = None
    if buyer.customer_id is not None:
        customer_id = _customer_to_attach(principal, buyer.customer_id, field)
        # Customer row before cart rows, as in every path: two devices signing in at once
        # queue on the customer instead of deadlocking on each other's carts.
        if customer_id is not None and not await uow.carts.customer_exists(customer_id, lock=True):
            raise NotFound("Customer", field)
    cart = await _open_cart(uow, principal, cart_id, policy)
    merged: list[uuid.UUID] = []
    if customer_id is not None:
        cart, merged = await _attach_customer(uow, cart, customer_id, policy, field)
    cart = await _touch(uow, cart, policy, **_buyer_fields(buyer))
    await _event(uow, cart, "BUYER_IDENTITY_UPDATED", mergedCartIds=[str(m) for m in merged])
    return cart


async def update_note(
    uow: CartUnitOfWork,
    principal: Principal | None,
    policy: CartPolicy,
    cart_id: uuid.UUID,
    note: str,
) -> Cart:
    cart = await _open_cart(uow, principal, cart_id, policy)
    check_note(note, ["note"])
    cart = await _touch(uow, cart, policy, note=note)
    await _event(uow, cart, "NOTE_UPDATED")
    return cart


async def update_fulfillment_method(
    uow: CartUnitOfWork,
    principal: Principal | None,
    policy: CartPolicy,
    cart_id: uuid.UUID,
    method: FulfillmentMethod,
) -> Cart:
    cart = await _open_cart(uow, principal, cart_id, policy)
    cart = await _touch(uow, cart, policy, fulfillment_method=method.value)
    await _event(uow, cart, "FULFILLMENT_METHOD_UPDATED")
    return cart
