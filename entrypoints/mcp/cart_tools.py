"""Cart tools: create_cart, add_to_cart, update_cart, get_cart. A cart is reached by its
token (cart_token), never by its id alone."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from entrypoints.mcp.tools import READ_ONLY, UcgTools

MONEY = "{ amount currencyCode }"
CART_FIELDS = (
    "id accessToken currencyCode status totalQuantity expiresAt "
    "lines(first: 100) { edges { node { id sku quantity cost { unitPrice "
    + MONEY
    + " total "
    + MONEY
    + " } warnings { code message availableQuantity } } } } "
    "cost { subtotal "
    + MONEY
    + " discount "
    + MONEY
    + " shipping "
    + MONEY
    + " tax "
    + MONEY
    + " total "
    + MONEY
    + " taxesIncluded } "
    "warnings { code message availableQuantity lineId }"
)
CART_PAYLOAD = "{ cart { " + CART_FIELDS + " } userErrors { code field message } }"


def cart_result(data: dict[str, Any], name: str) -> dict[str, Any]:
    result = data[name]
    return {"cart": result["cart"], "userErrors": result["userErrors"]}


def _cart_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    try:
        return [
            {"merchandiseId": line["variantId"], "quantity": int(line["quantity"])}
            for line in lines
        ]
    except (KeyError, TypeError, ValueError):
        raise ToolError("INVALID: each line needs variantId and an integer quantity") from None


def register(server: MCPServer, tools: UcgTools) -> None:
    @server.tool(
        description=(
            "Create a cart on a sales channel (default AGENT) with optional first lines "
            "[{variantId, quantity}]. Variant ids come from search_products or get_product. "
            "Returns the priced cart (totals, per-line stock warnings) and userErrors with "
            "stable codes, and cartToken: keep it with the cart id and pass it as cart_token to "
            "every other cart tool. The token, not the id, is the key to the cart; a shopper "
            "can hand you the token of their own cart (Cart.accessToken) the same way."
        )
    )
    async def create_cart(
        ctx: Context, lines: list[dict[str, Any]] | None = None, channel: str = "AGENT"
    ) -> dict[str, Any]:
        channels = await tools.run(ctx, "{ channels { id code } }", {})
        channel_id = next((c["id"] for c in channels["channels"] if c["code"] == channel), None)
        if channel_id is None:
            raise ToolError(f"NOT_FOUND: no sales channel {channel}")
        data = await tools.run(
            ctx,
            "mutation($input: CartInput!) { cartCreate(input: $input) " + CART_PAYLOAD + " }",
            {"input": {"channel": channel_id, "lines": _cart_lines(lines or [])}},
        )
        result = cart_result(data, "cartCreate")
        result["cartToken"] = (result["cart"] or {}).get("accessToken")
        return result

    @server.tool(
        description=(
            "Add lines [{variantId, quantity}] to a cart. Adding never reserves stock; each "
            "line reports OUT_OF_STOCK / NOT_ENOUGH_STOCK warnings from live stock."
        )
    )
    async def add_to_cart(
        ctx: Context, cart_id: str, lines: list[dict[str, Any]], cart_token: str | None = None
    ) -> dict[str, Any]:
        data = await tools.run(
            ctx,
            "mutation($id: ID!, $lines: [CartLineInput!]!) { cartLinesAdd(cartId: $id, "
            "lines: $lines) " + CART_PAYLOAD + " }",
            {"id": cart_id, "lines": _cart_lines(lines)},
            cart_token=cart_token,
        )
        return cart_result(data, "cartLinesAdd")

    @server.tool(
        description=(
            "Change quantities of cart lines [{lineId, quantity}] (quantity >= 1), and/or "
            "remove lines by id (remove_line_ids). Line ids come from get_cart."
        )
    )
    async def update_cart(
        ctx: Context,
        cart_id: str,
        lines: list[dict[str, Any]] | None = None,
        remove_line_ids: list[str] | None = None,
        cart_token: str | None = None,
    ) -> dict[str, Any]:
        if not lines and not remove_line_ids:
            raise ToolError("INVALID: give lines to change or remove_line_ids")
        result: dict[str, Any] = {}
        if lines:
            changes = [{"id": line["lineId"], "quantity": line["quantity"]} for line in lines]
            data = await tools.run(
                ctx,
                "mutation($id: ID!, $lines: [CartLineUpdateInput!]!) { cartLinesUpdate("
                "cartId: $id, lines: $lines) " + CART_PAYLOAD + " }",
                {"id": cart_id, "lines": changes},
                cart_token=cart_token,
            )
            result = cart_result(data, "cartLinesUpdate")
            if result["userErrors"]:
                return result
        if remove_line_ids:
            data = await tools.run(
                ctx,
                "mutation($id: ID!, $ids: [ID!]!) { cartLinesRemove(cartId: $id, "
                "lineIds: $ids) " + CART_PAYLOAD + " }",
                {"id": cart_id, "ids": remove_line_ids},
                cart_token=cart_token,
            )
            result = cart_result(data, "cartLinesRemove")
        return result

    @server.tool(
        description="A cart with its lines, totals and live stock warnings.",
        annotations=READ_ONLY,
    )
    async def get_cart(ctx: Context, cart_id: str, cart_token: str | None = None) -> dict[str, Any]:
        data = await tools.run(
            ctx,
            "query($id: ID!) { cart(id: $id) { " + CART_FIELDS + " } }",
            {"id": cart_id},
            cart_token=cart_token,
        )
        return {"cart": data["cart"]}
