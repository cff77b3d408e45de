"""The five Apollo Federation 2 subgraph schemas."""

from __future__ import annotations

from functools import cache
from typing import Any

import strawberry
from strawberry.extensions import ParserCache, ValidationCache

from resolvers.cart import schema as cart
from resolvers.cart.types import Customer as CartCustomer
from resolvers.catalog import schema as catalog
from resolvers.catalog.types import Channel, Product, ProductVariant
from resolvers.customer import schema as customer
from resolvers.customer.types import Customer
from resolvers.inventory import schema as inventory
from resolvers.inventory.types import Location, StockLevel
from resolvers.inventory.types import ProductVariant as StockVariant
from resolvers.order import schema as order
from resolvers.order.types import Customer as OrderCustomer

SUBGRAPH_NAMES = ("catalog", "customer", "inventory", "cart", "order")


class FederatedSchema(strawberry.federation.Schema):
    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        """Errors are logged once by the HTTP view, with the request id; not here too."""


def schema_extensions() -> list[Any]:
    # Factories: a fresh extension per request; their LRU caches live at module level.
    return [lambda: ParserCache(maxsize=1000), lambda: ValidationCache(maxsize=1000)]


_DEFINITIONS: dict[str, dict[str, Any]] = {
    "catalog": {
        "query": catalog.Query,
        "mutation": catalog.Mutation,
        "types": [Product, ProductVariant, Channel],
    },
    "customer": {"query": customer.Query, "mutation": customer.Mutation, "types": [Customer]},
    "inventory": {"query": inventory.Query, "types": [Location, StockLevel, StockVariant]},
    "cart": {"query": cart.Query, "types": [CartCustomer]},
    "order": {"query": order.Query, "types": [OrderCustomer]},
}


@cache
def subgraph_schema(name: str) -> FederatedSchema:
    definition = _DEFINITIONS[name]
    return FederatedSchema(
        query=definition["query"],
        mutation=definition.get("mutation"),
        types=definition["types"],
        extensions=schema_extensions(),
    )
