"""The MCP server for AI shopping agents: `ucg mcp` (stdio) and `/mcp` (streamable HTTP).

Every tool runs a fixed GraphQL operation against the in-process supergraph,
with the caller's principal in the context. So a tool is the very resolver and
use-case a GraphQL client gets — same validation, ownership checks and typed
errors — with no second implementation and no HTTP call to ourselves.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import jwt
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import ValidationError

from api.auth import AuthenticationFailed, authenticate
from api.resources import Resources
from domain.auth import Principal
from resolvers.context import Context as GraphQLContext
from resolvers.supergraph import supergraph_schema, supergraph_sdl

ERRORS_DOC = Path(__file__).resolve().parents[1] / "docs" / "ERRORS.md"
READ_ONLY = ToolAnnotations(readOnlyHint=True, idempotentHint=True, openWorldHint=False)
# Cancelling cannot be undone, and a retry with the same key repeats nothing.
CANCELS = ToolAnnotations(
    readOnlyHint=False, destructiveHint=True, idempotentHint=True, openWorldHint=False
)

INSTRUCTIONS = """\
Tools of a retail store's commerce API. Search the catalog, check stock near a
place, build a cart, get a checkout quote, buy with that quote and an
idempotency key (a retry with the same key never buys twice), and cancel what
was not yet handed over. Prices are
decimal strings with an ISO 4217 currency. Errors carry a stable code (see the
resource ucg://docs/errors)."""


class UcgTools:
    """Runs tool operations as the given principal."""

    def __init__(
        self,
        resources: Resources,
        principal_for: Callable[[Context | None], Awaitable[Principal | None]],
    ) -> None:
        self.resources = resources
        self.principal_for = principal_for

    async def run(
        self,
        ctx: Context | None,
        document: str,
        variables: dict[str, Any],
        cart_token: str | None = None,
    ) -> dict[str, Any]:
        context = GraphQLContext(
            pool=self.resources.pool,
            redis=self.resources.redis,
            producer=self.resources.producer,
            request_id=uuid.uuid4().hex,
            principal=await self.principal_for(ctx),
            settings=self.resources.settings,
            payments=self.resources.payments,
            # The HTTP request: anonymous callers are rate-limited by client address,
            # as over GraphQL, rather than sharing one bucket.
            request=_http_request(ctx),
            cart_tokens=[cart_token] if cart_token else None,
            internal=True,
        )
        result = await supergraph_schema().execute(
            document, variable_values=variables, context_value=context
        )
        if result.errors:
            error = result.errors[0]
            original = getattr(error, "original_error", None)
            code = getattr(getattr(original, "code", None), "value", None)
            code = code or (error.extensions or {}).get("code")  # e.g. THROTTLED
            if code is None and original is not None:
                raise ToolError(f"INTERNAL_SERVER_ERROR: request id {context.request_id}")
            raise ToolError(f"{code or 'INVALID'}: {getattr(original, 'message', error.message)}")
        assert result.data is not None
        return result.data


def _http_request(ctx: Context | None) -> Any:
    """The Starlette request of a streamable-HTTP tool call; None on stdio."""
    if ctx is None:
        return None
    try:
        return getattr(ctx.request_context, "request", None)
    except ValueError:  # outside a request
        return None


def principal_from_http(
    resources: Resources,
) -> Callable[[Context | None], Awaitable[Principal | None]]:
    """The caller of an HTTP tool call: its bearer token or API key, checked as for GraphQL."""

    async def principal_for(ctx: Context | None) -> Principal | None:
        headers = ctx.headers if ctx is not None else None
        if not headers:
            return None
        try:
            return await authenticate(resources.settings, headers, resources.pool, resources.redis)
        except AuthenticationFailed as exc:
            raise ToolError("UNAUTHENTICATED: invalid or expired credentials") from exc

    return principal_for


ORDER_FIELDS = (
    "id number status currencyCode createdAt total { amount currencyCode } "
    "cancelledAt cancelReason "
    "lines { id sku quantity cancelledQuantity unitPrice { amount currencyCode } "
    "total { amount currencyCode } } "
    "fulfillments { id status pickupDeadline }"
)
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


PRODUCT_FIELDS = """
  id handle title description status
  variants { id sku title availability }
"""


class UcgMCPServer(MCPServer):
    """Bad tool arguments answer one short, typed line per field, not a pydantic dump."""

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            if not isinstance(cause, ValidationError):
                raise
            raise ToolError(bad_arguments_text(name, cause)) from None


def bad_arguments_text(tool: str, error: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}"
        for e in error.errors(include_url=False, include_input=False)[:5]
    ]
    return f"BAD_USER_INPUT: invalid arguments for {tool}: " + "; ".join(problems)


def build_mcp_server(tools: UcgTools) -> MCPServer:
    server = UcgMCPServer(name="ucg", instructions=INSTRUCTIONS, version="0.1.0")

    @server.tool(
        description=(
            "Search the catalog. Returns up to `first` products (1-50) ordered by title, each "
            "with its variants (sku, title, units available now). Pass `after` (the endCursor "
            "of a previous call) for the next page."
        ),
        annotations=READ_ONLY,
    )
    async def search_products(
        ctx: Context, first: int = 10, after: str | None = None
    ) -> dict[str, Any]:
        if not 1 <= first <= 50:
            raise ToolError("INVALID: first must be between 1 and 50")
        data = await tools.run(
            ctx,
            "query($first: Int!, $after: String) { products(first: $first, after: $after) "
            "{ edges { node {" + PRODUCT_FIELDS + "} } pageInfo { hasNextPage endCursor } } }",
            {"first": first, "after": after},
        )
        connection = data["products"]
        return {
            "products": [edge["node"] for edge in connection["edges"]],
            "hasNextPage": connection["pageInfo"]["hasNextPage"],
            "endCursor": connection["pageInfo"]["endCursor"],
        }

    @server.tool(
        description=(
            "One product by its handle (e.g. 'linen-navy-shirt') or global id "
            "('gid://ucg/Product/…'), with its variants and units available now. "
            "Returns {product: null} when there is no such product."
        ),
        annotations=READ_ONLY,
    )
    async def get_product(
        ctx: Context, handle: str | None = None, id: str | None = None
    ) -> dict[str, Any]:
        if (handle is None) == (id is None):
            raise ToolError("INVALID: give exactly one of handle or id")
        data = await tools.run(
            ctx,
            "query($handle: String, $id: ID) { product(handle: $handle, id: $id) {"
            + PRODUCT_FIELDS
            + "} }",
            {"handle": handle, "id": id},
        )
        return {"product": data["product"]}

    @server.tool(
        description=(
            "Units of each SKU available now at every location (warehouses, stores, dark "
            "stores), with the location's kind and coordinates, so you can pick a store "
            "for pickup. Unknown SKUs come back with variant: null."
        ),
        annotations=READ_ONLY,
    )
    async def check_availability(ctx: Context, skus: list[str]) -> dict[str, Any]:
        if not 1 <= len(skus) <= 50:
            raise ToolError("INVALID: give 1 to 50 skus")
        # One operation for all the skus (the variant field is batched by a DataLoader).
        fields = "sku title availability stockLevels { available location { id code name kind latitude longitude } }"
        aliases = " ".join(f"v{i}: variant(sku: $s{i}) {{ {fields} }}" for i in range(len(skus)))
        params = ", ".join(f"$s{i}: String!" for i in range(len(skus)))
        data = await tools.run(
            ctx, f"query({params}) {{ {aliases} }}", {f"s{i}": sku for i, sku in enumerate(skus)}
        )
        results = [{"sku": sku, "variant": data[f"v{i}"]} for i, sku in enumerate(skus)]
        return {"availability": results}

    @server.resource(
        "ucg://schema",
        name="schema",
        description="The public GraphQL schema (SDL) of the store's API.",
        mime_type="text/plain",
    )
    def schema_sdl() -> str:
        return supergraph_sdl()

    @server.resource(
        "ucg://policies",
        name="policies",
        description="The store's shipping and returns policies.",
        mime_type="text/markdown",
    )
    def policies() -> str:
        s = tools.resources.settings
        return f"# Shipping\n\n{s.shipping_policy}\n\n# Returns\n\n{s.returns_policy}\n"

    @server.resource(
        "ucg://docs/errors",
        name="errors",
        description="Every error code the API returns, when it happens, and what to do.",
        mime_type="text/markdown",
    )
    def error_docs() -> str:
        return ERRORS_DOC.read_text()

    M = "{ amount currencyCode }"
    cart_fields = (
        "id accessToken currencyCode status totalQuantity expiresAt "
        "lines(first: 100) { edges { node { id sku quantity cost { unitPrice "
        + M
        + " total "
        + M
        + " } warnings { code message availableQuantity } } } } "
        "cost { subtotal "
        + M
        + " discount "
        + M
        + " shipping "
        + M
        + " tax "
        + M
        + " total "
        + M
        + " taxesIncluded } "
        "warnings { code message availableQuantity lineId }"
    )
    payload = "{ cart { " + cart_fields + " } userErrors { code field message } }"

    def cart_result(data: dict[str, Any], name: str) -> dict[str, Any]:
        result = data[name]
        return {"cart": result["cart"], "userErrors": result["userErrors"]}

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
            "mutation($input: CartInput!) { cartCreate(input: $input) " + payload + " }",
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
            "lines: $lines) " + payload + " }",
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
                "cartId: $id, lines: $lines) " + payload + " }",
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
                "lineIds: $ids) " + payload + " }",
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
            "query($id: ID!) { cart(id: $id) { " + cart_fields + " } }",
            {"id": cart_id},
            cart_token=cart_token,
        )
        return {"cart": data["cart"]}

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
                "query($id: ID!) { cart(id: $id) { " + cart_fields + " } }",
                {"id": cart_id},
                cart_token=cart_token,
            )
        )["cart"]
        token = issue_quote_token(tools.resources.settings, cart_id, cart["cost"]["total"])
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
        check_quote_token(tools.resources.settings, confirmation_token, cart_id)
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

    return server


def _cancel_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    try:
        return [{"lineId": line["lineId"], "quantity": int(line["quantity"])} for line in lines]
    except (KeyError, TypeError, ValueError):
        raise ToolError("INVALID: each line needs lineId and an integer quantity") from None


def _cart_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    try:
        return [
            {"merchandiseId": line["variantId"], "quantity": int(line["quantity"])}
            for line in lines
        ]
    except (KeyError, TypeError, ValueError):
        raise ToolError("INVALID: each line needs variantId and an integer quantity") from None
