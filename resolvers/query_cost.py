"""Static query cost, computed once per operation before execution (no per-field hook).

Shopify-style: every field that returns an object costs 1, scalars and enums 0,
a mutation's root field 10; a field that returns many items multiplies the cost of
what it selects (at least 1 per item) by `first`, else by the size of its largest
list argument (`availability(skus:)`); a plain list without either costs 1 plus what its
items select beyond their scalars multiplied by its declared bound in `LIST_BOUNDS` (every such field has one: tests/unit/test_query_cost.py
walks schema.graphql).
`__schema` costs 100 and `__type` 10, flat; every alias is counted. The cost is reported to every client in
`extensions.cost`; an operation over the limit is refused before it runs.

The same cost is taken from the client's leaky bucket (datasources/redis/
rate_limit.py): a client that spends faster than the bucket restores gets a
THROTTLED error, HTTP 429 and a Retry-After header, and nothing runs. Every
response reports the bucket in `extensions.cost.throttleStatus`.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterable
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    value_from_ast,
)
from strawberry.extensions import SchemaExtension

from datasources.redis.rate_limit import RateLimiter, Throttle

MUTATION_COST = 10
# Costs are reported in JSON: keep them far inside 64 bits whatever the arguments say.
MAX_REPORTED_COST = 10**15
MAX_MULTIPLIER = 2**31 - 1
# Introspection is priced flat, whatever it selects: one full introspection query fits
# well within the default limit; a flood of `__schema` aliases does not.
INTROSPECTION_COSTS = {"__schema": 100, "__type": 10}

# How many items a plain list field (no `first`, no list argument) is priced at: its real
# limit where the domain enforces one, else a declared pricing length (the items a
# storefront realistically gets; the actual cost refunds what was not returned).
# `edges` of a connection and payload `userErrors` count once: the connection's `first`
# already multiplies its edges, and user errors are a handful of scalars.
_ONCE = 1
LIST_BOUNDS: dict[str, int] = {
    # Enforced limits.
    "Cart.discountCodes": 5,  # CartPolicy.max_discount_codes
    "CartLine.attributes": 20,  # domain/cart/validation.py MAX_ATTRIBUTES
    "LoyaltyAccount.entries": 100,  # the resolver returns at most 100
    "PredictiveSearchResult.products": 10,  # predictiveSearch(limit) is at most 10
    "PredictiveSearchResult.queries": 10,
    "ProductOption.values": 100,
    "PredictiveSearchResult.collections": 10,
    "InteractionsTrackPayload.dropped": 100,  # interactionsTrack takes at most 100 events
    "Query.segments": 100,  # domain/customer/segments.py MAX_SEGMENTS
    "Customer.segments": 100,
    "SegmentRule.conditions": 20,  # MAX_CONDITIONS in the whole rule
    "SegmentRule.groups": 20,
    "SegmentRuleGroup.conditions": 20,
    # Declared pricing lengths.
    "Collection.breadcrumbs": 5,
    "Collection.children": 20,
    "Collection.rules": 5,
    "Customer360.ordersByChannel": 5,  # one per sales channel
    "CustomerProfile.channels": 5,
    "Filter.values": 20,
    "Product.images": 10,
    "ProductConnection.filters": 10,
    "Cart.shippingEstimates": 5,  # one per fulfillment method
    "Cart.warnings": 10,
    "CartLine.warnings": 3,
    "CheckoutBeginPayload.options": 10,
    "Customer.addresses": 10,
    "Customer.carts": 10,
    "Customer.identities": 10,
    "FulfillmentOption.shipments": 5,
    "FulfillmentOption.unservedLines": 10,
    "Order.fulfillments": 5,
    "Order.lines": 20,
    "Order.returns": 5,
    "OrderRisk.reasons": 5,
    "PlannedShipment.lines": 10,
    "Product.options": 3,
    "Product.variants": 10,
    "ProductVariant.options": 3,
    "ProductVariant.prices": 5,
    "ProductVariant.stockLevels": 10,
    "Query.channels": 10,
    "Query.markets": 20,
    "Query.locations": 50,
    "PosSale.tenders": 10,  # at most domain/store/pos.py MAX_TENDERS
    "Return.lines": 10,
    "StoreHold.lines": 10,
    "StoreReadiness.recent": 100,  # storeReadiness(first) is at most MAX_READINESS_PAGE
    "StoreWorkItem.lines": 10,
}


def list_bound(type_name: str, field_name: str) -> int | None:
    """The pricing length of a plain list field; None when it is not in the table."""
    if field_name in ("edges", "userErrors"):
        return _ONCE
    return LIST_BOUNDS.get(f"{type_name}.{field_name}")


class _Coster:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selection_cost(
        self, parent: GraphQLNamedType, selection_set: SelectionSetNode | None, seen: frozenset[str]
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field_cost(parent, selection, seen)
            elif isinstance(selection, InlineFragmentNode):
                target = (
                    self.schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition
                    else parent
                )
                total += self.selection_cost(target or parent, selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue
                target = self.schema.get_type(fragment.type_condition.name.value) or parent
                total += self.selection_cost(target, fragment.selection_set, seen | {name})
        return total

    def argument_value(self, definition: Any, node: FieldNode, name: str) -> Any:
        value = definition.args[name].default_value
        for argument in node.arguments or ():
            if argument.name.value == name:
                value = value_from_ast(argument.value, definition.args[name].type, self.variables)
        return value

    @staticmethod
    def is_paged(definition: Any) -> bool:
        """A field whose length the caller sets: `first` or a list argument."""
        return "first" in definition.args or any(
            isinstance(get_nullable_type(a.type), GraphQLList) for a in definition.args.values()
        )

    def multiplier(self, parent: GraphQLNamedType, definition: Any, node: FieldNode) -> int | None:
        """How many items a field may return: `first`, else the size of its largest list
        argument, else a plain list's declared bound; None for a single object."""
        if "first" in definition.args:
            value = self.argument_value(definition, node, "first")
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return min(value, MAX_MULTIPLIER)
            return 1
        if not isinstance(get_nullable_type(definition.type), GraphQLList):
            return None  # e.g. a mutation taking a list of lines returns one payload
        sizes = [
            len(value)
            for name, argument in definition.args.items()
            if isinstance(get_nullable_type(argument.type), GraphQLList)
            and isinstance(value := self.argument_value(definition, node, name), list)
        ]
        if sizes:
            return max(max(sizes), 1)
        # A plain list: its declared bound; one missing from the table counts once
        # (the unit test keeps the table complete for the schema).
        return list_bound(parent.name, node.name.value) or _ONCE

    def field_cost(self, parent: GraphQLNamedType, node: FieldNode, seen: frozenset[str]) -> int:
        name = node.name.value
        if name in INTROSPECTION_COSTS:
            return INTROSPECTION_COSTS[name]
        fields = getattr(parent, "fields", {})
        definition = fields.get(name)
        if definition is None:  # __typename
            return 0
        returns = get_named_type(definition.type)
        if not is_composite_type(returns):
            return 0
        selected = self.selection_cost(returns, node.selection_set, seen)
        multiplier = self.multiplier(parent, definition, node)
        if multiplier is None:
            return 1 + selected
        if self.is_paged(definition):
            # Each returned item costs at least 1, even when only its __typename is asked.
            return 1 + multiplier * max(selected, 1)
        # A plain list (bounded by the domain or by its pricing length): the list costs 1,
        # and what each item selects beyond its own scalars is multiplied by the bound.
        return 1 + multiplier * selected


def operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
) -> int:
    root: GraphQLObjectType | None = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]
    if root is None:
        return 0
    coster = _Coster(schema, fragments, variables)
    cost = coster.selection_cost(root, operation.selection_set, frozenset())
    if operation.operation is OperationType.MUTATION:
        cost += MUTATION_COST * sum(
            1 for s in operation.selection_set.selections if isinstance(s, FieldNode)
        )
    return min(cost, MAX_REPORTED_COST)


def document_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any],
) -> int | None:
    """The static cost of the document's chosen operation; None when no operation matches."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    chosen = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (operation_name is None or (d.name is not None and d.name.value == operation_name))
    ]
    return operation_cost(schema, chosen[0], fragments, variables) if chosen else None


DEFAULT_MAX_COST = 5000


def returned_objects(value: Any) -> int:
    """Objects in a result, each costing 1 as in the static cost: the actual cost of a query.

    A list of objects costs its objects (the static cost multiplies by `first`)."""
    if isinstance(value, dict):
        children: Iterable[Any] = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return 0
    return sum((1 if isinstance(v, dict) else 0) + returned_objects(v) for v in children)


def client_key(context: Any) -> str:
    """Whose bucket: the authenticated principal, else the client address."""
    principal = getattr(context, "principal", None)
    if principal is not None:
        return f"{principal.kind.value}:{principal.id}"
    request = getattr(context, "request", None)
    client = getattr(request, "client", None)
    host = getattr(client, "host", None)
    return f"ip:{host}" if host else "anonymous"


def rate_limiter(context: Any) -> RateLimiter | None:
    """The client buckets of this request's settings, or None when rate limiting is off."""
    settings = getattr(context, "settings", None)
    redis = getattr(context, "redis", None)
    if redis is None or settings is None or not settings.rate_limit_enabled:
        return None
    return RateLimiter(
        redis,
        settings.cache_key_prefix,
        settings.rate_limit_capacity,
        settings.rate_limit_restore_rate,
    )


class QueryCost(SchemaExtension):
    """Computes the operation's cost once, refuses it above the limit or when the client's
    bucket is full, reports both."""

    cost: int | None = None
    actual_cost: int | None = None
    max_cost: int = DEFAULT_MAX_COST
    throttle: Throttle | None = None
    limiter: RateLimiter | None = None

    async def on_validate(self) -> AsyncIterator[None]:
        # Runs after the validation cache has validated the document; a costly
        # operation is refused here, before it executes.
        context = self.execution_context
        settings = getattr(context.context, "settings", None)
        self.max_cost = getattr(settings, "max_query_cost", DEFAULT_MAX_COST)
        max_cost = self.max_cost
        if context.pre_execution_errors == [] and context.graphql_document is not None:
            self.cost = document_cost(
                context.schema._schema,
                context.graphql_document,
                context.operation_name,
                context.variables or {},
            )
            if self.cost is not None:
                if self.cost > max_cost:
                    context.pre_execution_errors = [
                        GraphQLError(
                            f"Query cost {self.cost} exceeds the limit of {max_cost}; "
                            "ask for fewer items per page or fewer fields.",
                            extensions={"code": "MAX_COST_EXCEEDED"},
                        )
                    ]
                else:
                    await self._take_from_bucket(settings)
        yield

    async def _take_from_bucket(self, settings: Any) -> None:
        context = self.execution_context
        self.limiter = rate_limiter(context.context)
        if self.limiter is None:
            return
        assert self.cost is not None
        self.throttle = await self.limiter.take(client_key(context.context), self.cost)
        if self.throttle.allowed:
            return
        self.limiter = None  # refused: nothing to give back
        wait = self.throttle.retry_after_seconds
        context.pre_execution_errors = [
            GraphQLError(
                f"Throttled: this operation costs {self.cost} points and "
                f"{self.throttle.currently_available} are available; retry in {wait:.1f} s.",
                extensions={"code": "THROTTLED", "retryAfterSeconds": wait},
            )
        ]
        response = getattr(context.context, "response", None)
        # Over HTTP the response's headers are writable; over a WebSocket the "response" is
        # the socket itself, whose headers are the request's and read-only.
        if response is not None and hasattr(getattr(response, "headers", None), "__setitem__"):
            response.status_code = 429
            response.headers["retry-after"] = str(max(1, math.ceil(wait)))

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        # Charged the requested (upper-bound) cost up front; give back what was not used.
        result = self.execution_context.result
        if self.cost is None or result is None or isinstance(result, list):
            return
        operation = self.execution_context.operation_type
        self.actual_cost = min(
            self.cost,
            returned_objects(result.data)
            + (MUTATION_COST * len(result.data or {}) if operation.value == "mutation" else 0),
        )
        if self.limiter is not None and self.actual_cost < self.cost:
            self.throttle = await self.limiter.refund(
                client_key(self.execution_context.context), self.cost - self.actual_cost
            )

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        cost: dict[str, Any] = {"requestedQueryCost": self.cost, "maxCost": self.max_cost}
        if self.actual_cost is not None:
            cost["actualQueryCost"] = self.actual_cost
        if self.throttle is not None:
            cost["throttleStatus"] = {
                "maximumAvailable": self.throttle.capacity,
                "currentlyAvailable": self.throttle.currently_available,
                "restoreRate": self.throttle.restore_rate,
            }
        return {"cost": cost}
