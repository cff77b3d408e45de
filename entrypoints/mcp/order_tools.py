"""Order tools: order_status (read-only) and cancel_order (idempotent, destructive)."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from entrypoints.mcp.tools import READ_ONLY, UcgTools

# Cancelling cannot be undone, and a retry with the same key repeats nothing.
CANCELS = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
)
ORDER_FIELDS = (
    "id number status currencyCode createdAt total { amount currencyCode } "
    "cancelledAt cancelReason "
    "lines { id sku quantity cancelledQuantity unitPrice { amount currencyCode } "
    "total { amount currencyCode } } "
    "fulfillments { id status pickupDeadline }"
)


def _cancel_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    try:
        return [{"lineId": line["lineId"], "quantity": int(line["quantity"])} for line in lines]
    except (KeyError, TypeError, ValueError):
        raise ToolError("INVALID: each line needs lineId and an integer quantity") from None


def register(server: MCPServer, tools: UcgTools) -> None:
    @server.tool(
        description=(
            "An order's status and totals (your own orders only, unless staff). For an order "
            "placed from a guest cart, pass that cart's cart_token."
        ),
        annotations=READ_ONLY,
    )
    async def order_status(
        ctx: Context, order_id: str, cart_token: str | None = None
    ) -> dict[str, Any]:
        data = await tools.run(
            ctx,
            "query($id: ID!) { order(id: $id) { " + ORDER_FIELDS + " } }",
            {"id": order_id},
            cart_token=cart_token,
        )
        return {"order": data["order"]}

    @server.tool(
        description=(
            "Cancel an order the shopper asked to cancel, or some units of its lines "
            "(lines: [{lineId, quantity}], line ids from order_status; omit to cancel "
            "everything not yet shipped or picked up). The units go back in stock and the "
            "payment is released or refunded. reason is CUSTOMER_REQUEST (default) or OTHER. "
            "Needs an idempotency_key you choose: a retry with the same key returns the first "
            "result and never refunds twice. NOT_CANCELLABLE: already handed over."
        ),
        annotations=CANCELS,
    )
    async def cancel_order(
        ctx: Context,
        order_id: str,
        idempotency_key: str,
        reason: str = "CUSTOMER_REQUEST",
        lines: list[dict[str, Any]] | None = None,
        cart_token: str | None = None,
    ) -> dict[str, Any]:
        data = await tools.run(
            ctx,
            "mutation($id: ID!, $reason: OrderCancelReason!, $lines: [OrderCancelLineInput!], "
            "$key: String!) { orderCancel(orderId: $id, reason: $reason, lines: $lines, "
            "idempotencyKey: $key) { order { " + ORDER_FIELDS + " } "
            "amountGivenBack { amount currencyCode } refunded { amount currencyCode } "
            "userErrors { code field message } } }",
            {
                "id": order_id,
                "reason": reason,
                "lines": None if lines is None else _cancel_lines(lines),
                "key": idempotency_key,
            },
            cart_token=cart_token,
        )
        result = data["orderCancel"]
        return {
            "order": result["order"],
            "amountGivenBack": result["amountGivenBack"],
            "refunded": result["refunded"],
            "userErrors": result["userErrors"],
        }
