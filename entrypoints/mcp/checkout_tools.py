"""Checkout tools: begin_checkout (a quote with a signed confirmation token) and
complete_checkout (buys only with that token and an idempotency key)."""

from __future__ import annotations

import time
from typing import Any

import jwt
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from entrypoints.mcp.cart_tools import CART_FIELDS
from entrypoints.mcp.order_tools import ORDER_FIELDS
from entrypoints.mcp.tools import UcgTools

QUOTE_TTL_SECONDS = 600


def issue_quote_token(
    settings: Any, cart_id: str, total: Any, ttl_seconds: int = QUOTE_TTL_SECONDS
) -> str:
    """A short-lived, signed proof that this cart's quote was shown (HS256, the API secret)."""
    now = int(time.time())
    claims = {"typ": "ucg-quote", "cart": cart_id, "total": total, "iat": now}
    claims["exp"] = now + ttl_seconds
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def check_quote_token(settings: Any, token: str, cart_id: str) -> None:
    try:
        claims = jwt.decode(
            token, settings.jwt_secret, algorithms=["HS256"], options={"require": ["exp"]}
        )
    except jwt.ExpiredSignatureError:
        raise ToolError("QUOTE_EXPIRED: the quote expired; call begin_checkout again") from None
    except jwt.PyJWTError:
        raise ToolError("QUOTE_REQUIRED: call begin_checkout and pass its token") from None
    if claims.get("typ") != "ucg-quote" or claims.get("cart") != cart_id:
        raise ToolError("QUOTE_REQUIRED: that token is not a quote for this cart")


def register(server: MCPServer, tools: UcgTools) -> None:
    @server.tool(
        description=(
            "Start checkout for a cart: holds its stock for a short time and returns a quote "
            "(subtotal, how long the stock is held) with a confirmation_token. Show the quote "
            "to the shopper; complete_checkout only accepts that token, before it expires."
        )
    )
    async def begin_checkout(
        ctx: Context, cart_id: str, cart_token: str | None = None
    ) -> dict[str, Any]:
        data = await tools.run(
            ctx,
            "mutation($id: ID!) { checkoutBegin(cartId: $id) { reservedUntil subtotalMinor "
            "options { method available price { amount currencyCode } promisedAt reason } "
            "userErrors { code field message } } }",
            {"id": cart_id},
            cart_token=cart_token,
        )
        result = data["checkoutBegin"]
        if result["userErrors"]:
            return {"quote": None, "userErrors": result["userErrors"]}
        cart = (
            await tools.run(
                ctx,
                "query($id: ID!) { cart(id: $id) { " + CART_FIELDS + " } }",
                {"id": cart_id},
                cart_token=cart_token,
            )
        )["cart"]
        token = issue_quote_token(tools.services.settings, cart_id, cart["cost"]["total"])
        quote = {
            "cartId": cart_id,
            "reservedUntil": result["reservedUntil"],
            "cost": cart["cost"],
            "lines": cart["lines"],
            "fulfillmentMethods": ["SHIP", "PICKUP", "SHIP_FROM_STORE", "SAME_DAY"],
            # What each method costs and promises for this cart (no address given here:
            # SAME_DAY and PICKUP need one, so they are absent).
            "fulfillmentOptions": result["options"],
            "confirmationToken": token,
            "expiresInSeconds": QUOTE_TTL_SECONDS,
        }
        return {"quote": quote, "userErrors": []}

    @server.tool(
        description=(
            "Buy the cart as quoted by begin_checkout. Needs that quote's confirmation_token "
            "(so nothing is bought without a quote the shopper saw) and an idempotency_key you "
            "choose: a retry with the same key returns the same order and never buys twice. "
            "method is SHIP, PICKUP (give location_id of a store), SHIP_FROM_STORE or SAME_DAY "
            "(give address {latitude, longitude, ...}); payment_token is the card token."
        )
    )
    async def complete_checkout(
        ctx: Context,
        cart_id: str,
        confirmation_token: str,
        idempotency_key: str,
        payment_token: str,
        method: str = "SHIP",
        location_id: str | None = None,
        address: dict[str, Any] | None = None,
        cart_token: str | None = None,
    ) -> dict[str, Any]:
        check_quote_token(tools.services.settings, confirmation_token, cart_id)
        fulfillment: dict[str, Any] = {"method": method}
        if location_id is not None:
            fulfillment["locationId"] = location_id
        if address is not None:
            fulfillment["address"] = address
        data = await tools.run(
            ctx,
            "mutation($id: ID!, $f: CheckoutFulfillmentInput!, $p: CheckoutPaymentInput!, "
            "$key: String!) { checkoutComplete(cartId: $id, fulfillment: $f, payment: $p, "
            "idempotencyKey: $key) { order { " + ORDER_FIELDS + " } "
            "userErrors { code field message } } }",
            {
                "id": cart_id,
                "f": fulfillment,
                "p": {"token": payment_token},
                "key": idempotency_key,
            },
            cart_token=cart_token,
        )
        result = data["checkoutComplete"]
        return {"order": result["order"], "userErrors": result["userErrors"]}
