"""Catalog tools: search_products, get_product, check_availability (read-only)."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from entrypoints.mcp.tools import READ_ONLY, UcgTools

PRODUCT_FIELDS = """
  id handle title description status
  variants { id sku title availability }
"""


def register(server: MCPServer, tools: UcgTools) -> None:
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
