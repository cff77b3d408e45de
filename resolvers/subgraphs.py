"""The five Apollo Federation 2 subgraph schemas."""

from __future__ import annotations

import decimal
from functools import cache
from typing import Any

import strawberry
from graphql import (
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    ValidationContext,
    ValidationRule,
    Visitor,
    visit,
)
from strawberry.extensions import AddValidationRules, ParserCache
from strawberry.extensions.query_depth_limiter import create_validator
from strawberry.federation.schema import FederationAny
from strawberry.federation.schema_directives import Key
from strawberry.tools import merge_types
from strawberry.types import Info

from resolvers.bounded_decimal import BOUNDED_DECIMAL
from resolvers.cart import schema as cart
from resolvers.cart.types import Customer as CartCustomer
from resolvers.catalog import recommendations as catalog_recommendations
from resolvers.catalog import schema as catalog
from resolvers.catalog.markets import IN_CONTEXT, InContext
from resolvers.catalog.types import Channel, Product, ProductVariant
from resolvers.compiled.execution import CompiledExecutionContext
from resolvers.customer import interactions as customer_interactions
from resolvers.customer import schema as customer
from resolvers.customer import segments as customer_segments
from resolvers.customer.types import Customer
from resolvers.introspection import IntrospectionSwitch
from resolvers.inventory import schema as inventory
from resolvers.inventory import subscriptions as inventory_subscriptions
from resolvers.inventory.types import Location, StockLevel
from resolvers.inventory.types import ProductVariant as StockVariant
from resolvers.metrics import OperationMetrics
from resolvers.order import cancellation as order_cancellation
from resolvers.order import checkout as order_checkout
from resolvers.order import listing as order_listing
from resolvers.order import returns as order_returns
from resolvers.order import schema as order
from resolvers.order import subscriptions as order_subscriptions
from resolvers.order.types import Customer as OrderCustomer
from resolvers.query_cost import QueryCost
from resolvers.store import holds as store_holds
from resolvers.store import pos as store_pos
from resolvers.store import schema as store
from resolvers.store import subscriptions as store_subscriptions
from resolvers.string_guard import StringGuard
from resolvers.trusted_documents import TrustedDocumentsOnly
from resolvers.validation_cache import QueryTextValidationCache

MAX_QUERY_DEPTH = 12
SUBGRAPH_NAMES = ("catalog", "customer", "inventory", "cart", "order")
# The highest Federation 2 version that Apollo's composition, The Guild's (Hive) and
# Cosmo's all accept (The Guild's refuses 2.10+); the SDLs use only @key and @shareable.
FEDERATION_VERSION = "2.9"


class FederatedSchema(strawberry.federation.Schema):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Live events shared by many subscribers execute once per distinct selection;
        # known query operations run their compiled plan (resolvers/compiled).
        kwargs.setdefault("execution_context_class", CompiledExecutionContext)
        kwargs.setdefault("federation_version", FEDERATION_VERSION)
        kwargs.setdefault("scalar_overrides", {decimal.Decimal: BOUNDED_DECIMAL})
        super().__init__(*args, **kwargs)

    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        """Errors are logged once by the HTTP view, with the request id; not here too."""

    def entities_resolver(  # Strawberry reads these annotations to build `_entities`.
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        """Each representation is checked before Strawberry resolves it: a typename this
        subgraph resolves, the fields of one of its keys, each a string. A bad one is an
        INVALID_REPRESENTATION error at its index, the others still resolve."""
        checked = [self._check_representation(r) for r in representations]
        valid = [r for r in checked if not isinstance(r, GraphQLError)]
        resolved = iter(super().entities_resolver(info, valid) if valid else [])
        return [r if isinstance(r, GraphQLError) else next(resolved) for r in checked]  # type: ignore[misc]

    def _check_representation(self, representation: Any) -> Any:
        if not isinstance(representation, dict):
            return _invalid_representation("A representation must be an object.")
        type_name = representation.get("__typename")
        if not isinstance(type_name, str):
            return _invalid_representation("A representation needs a string __typename.")
        keys = _resolvable_keys(self, type_name)
        if not keys:
            return _invalid_representation(f"This subgraph does not resolve {type_name[:64]!r}.")
        for fields in keys:
            if all(isinstance(representation.get(f), str) for f in fields):
                return {"__typename": type_name, **{f: representation[f] for f in fields}}
        expected = " or ".join(repr(" ".join(k)) for k in keys)
        return _invalid_representation(
            f"A {type_name} representation needs string key fields {expected}."
        )


def _invalid_representation(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "INVALID_REPRESENTATION"})


def _resolvable_keys(schema: FederatedSchema, type_name: str) -> list[tuple[str, ...]]:
    """The key field sets of an entity this subgraph can resolve (none if it cannot)."""
    entity = schema._schema.get_type("_Entity")
    if entity is None or type_name not in {t.name for t in entity.types}:  # type: ignore[attr-defined]
        return []
    definition = schema.schema_converter.type_map[type_name].definition
    if not hasattr(definition.origin, "resolve_reference"):  # type: ignore[union-attr]
        return []
    return [
        tuple(d.fields.split())
        for d in definition.directives or []
        if isinstance(d, Key) and d.resolvable is not False
    ]


class DepthLimiter(AddValidationRules):
    """Strawberry's depth limit, skipped for a document that spreads an unknown fragment
    (it raises KeyError there); graphql's KnownFragmentNamesRule reports that one. The
    rule class is made once per depth, so validation results can be cached by it."""

    def __init__(self, max_depth: int) -> None:
        super().__init__([_known_fragments_depth_rule(max_depth)])


@cache
def _known_fragments_depth_rule(max_depth: int) -> type[ValidationRule]:
    depth_rule = create_validator(max_depth, None, None)

    class KnownFragmentsDepthRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            document = context.document
            defined = {
                d.name.value for d in document.definitions if isinstance(d, FragmentDefinitionNode)
            }
            spread: set[str] = set()
            visit(document, _SpreadNames(spread))
            if spread <= defined:
                depth_rule(context)

    return KnownFragmentsDepthRule


class _SpreadNames(Visitor):
    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = names

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        self.names.add(node.name.value)


def schema_extensions() -> list[Any]:
    # Factories: a fresh extension per request; their LRU caches live at module level.
    # Order matters: the depth rule joins validation, the cache validates, then the
    # cost check sees a valid document.
    return [
        lambda: DepthLimiter(max_depth=MAX_QUERY_DEPTH),
        lambda: ParserCache(maxsize=1000),
        lambda: QueryTextValidationCache(maxsize=1000),
        TrustedDocumentsOnly,
        IntrospectionSwitch,
        StringGuard,
        QueryCost,
        OperationMetrics,
        InContext,
    ]


_DEFINITIONS: dict[str, dict[str, Any]] = {
    "catalog": {
        "query": merge_types(
            "Query", (catalog.Query, catalog_recommendations.RecommendationsQuery)
        ),
        "mutation": merge_types(
            "Mutation", (catalog.Mutation, catalog_recommendations.RecommendationsMutation)
        ),
        "types": [Product, ProductVariant, Channel],
    },
    "customer": {
        "query": merge_types(
            "Query",
            (
                customer.Query,
                customer_interactions.InteractionsQuery,
                customer_segments.SegmentsQuery,
            ),
        ),
        "mutation": merge_types(
            "Mutation",
            (
                customer.Mutation,
                customer_interactions.InteractionsMutation,
                customer_segments.SegmentsMutation,
            ),
        ),
        "types": [Customer],
        "subscription": customer_segments.Subscription,
    },
    "inventory": {
        "query": inventory.Query,
        "mutation": inventory.Mutation,
        "types": [Location, StockLevel, StockVariant],
        "subscription": inventory_subscriptions.Subscription,
    },
    "cart": {"query": cart.Query, "mutation": cart.Mutation, "types": [CartCustomer]},
    "order": {
        "query": merge_types(
            "Query", (order.Query, order_listing.Query, store.Query, store_pos.Query)
        ),
        "mutation": merge_types(
            "Mutation",
            (
                order_checkout.Mutation,
                order_returns.Mutation,
                order_cancellation.Mutation,
                store.Mutation,
                store_holds.Mutation,
                store_pos.Mutation,
                store_pos.AisleMutation,
                store_pos.BorisMutation,
            ),
        ),
        "types": [OrderCustomer],
        "subscription": merge_types(
            "Subscription", (order_subscriptions.Subscription, store_subscriptions.Subscription)
        ),
    },
}


@cache
def subgraph_schema(name: str) -> FederatedSchema:
    definition = _DEFINITIONS[name]
    schema = FederatedSchema(
        query=definition["query"],
        mutation=definition.get("mutation"),
        subscription=definition.get("subscription"),
        types=definition["types"],
        extensions=schema_extensions(),
    )
    # An operation sent straight to a subgraph may carry @inContext too (resolvers/catalog/
    # markets.py); it is not in the subgraph SDL, which composes as before.
    schema._schema.directives = (*schema._schema.directives, IN_CONTEXT)
    return schema
