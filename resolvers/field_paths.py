"""The one table from the domain's error paths to the API paths clients see.

The domain names the input at fault in its own terms, snake_case (`["product_id"]`,
`["lines", "0", "quantity"]`, `["buyer_identity", "customer_id"]`); it does not know
how a mutation spells or nests its arguments. Here, at the edge, each segment becomes
its API name (snake_case -> camelCase unless `RENAMES` says otherwise), and a path is
put under the mutation's `input` argument when its first segment is a field of that
input rather than an argument of its own: `["handle"]` of `productCreate(input:)` is
`["input", "handle"]`, `["buyer_identity"]` of `cartBuyerIdentityUpdate(buyerIdentity:)`
stays `["buyerIdentity"]`. An empty domain path names the whole input.

Paths that already are API paths (resolvers build some from their own arguments)
pass unchanged: camelCase segments, indexes and values are left as they are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    get_named_type,
)

# Domain terms the API spells differently, wherever they appear in a path.
RENAMES: dict[str, str] = {
    "price_channel_code": "priceChannel",  # MarketInput.priceChannel: a channel code
}

# Domain terms the API spells differently inside one container: (container, term),
# where the container is the nearest segment before the term that is not an index.
RENAMES_IN: dict[tuple[str, str], str] = {
    ("lines", "variant_id"): "merchandiseId",  # a cart line's variant, Shopify's name
}

# The argument a mutation nests its fields under (`productCreate(input: ProductInput)`).
INPUT_ARGUMENT = "input"

# Fields of a mutation's input that its userErrors have always named without the
# `input` prefix. Clients match on these paths, so they stay until a major version.
UNPREFIXED: dict[str, frozenset[str]] = {
    "customerIdentityLink": frozenset({"kind", "value", "sourceSystem"}),
    "customerLoyaltyAdjust": frozenset({"kind", "points", "reason"}),
}

_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")


def camel(name: str) -> str:
    """`pickup_location_id` -> `pickupLocationId`; anything not snake_case unchanged."""
    if not _SNAKE.fullmatch(name):
        return name
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


def api_segments(field: Sequence[str]) -> list[str]:
    """Each segment of a domain path under its API name (no input prefix)."""
    out: list[str] = []
    container: str | None = None
    for segment in field:
        name = RENAMES_IN.get((container, segment)) if container is not None else None
        if name is None:
            name = RENAMES.get(segment) or camel(segment)
        out.append(name)
        if not segment.isdigit():
            container = segment
    return out


def api_path(
    field: Sequence[str] | None,
    arguments: frozenset[str] = frozenset(),
    input_fields: frozenset[str] = frozenset(),
) -> list[str] | None:
    """The API path of a domain path, for an operation with these argument names and
    (when it has an `input` argument) these fields of its input type."""
    if field is None:
        return None
    path = api_segments(field)
    if INPUT_ARGUMENT not in arguments:
        return path
    if not path:
        return [INPUT_ARGUMENT]
    if path[0] not in arguments and path[0] in input_fields:
        return [INPUT_ARGUMENT, *path]
    return path


def operation_shape(info: Any) -> tuple[frozenset[str], frozenset[str]]:
    """(argument names, input field names) of the root mutation field `info` is under;
    empty for queries and subscriptions (their errors keep the domain path's names)."""
    # The executing graphql-core schema: the supergraph's is merged from the subgraphs'
    # and Strawberry's own type map does not hold its Mutation type.
    schema: GraphQLSchema = info._raw_info.schema
    path = info.path
    while path.prev is not None:
        path = path.prev
    mutation = schema.mutation_type
    if mutation is None or path.typename != mutation.name:
        return frozenset(), frozenset()
    field_name = _field_name(info.operation.selection_set, path.key, info._raw_info.fragments)
    field = mutation.fields.get(field_name) if field_name is not None else None
    if field is None:
        return frozenset(), frozenset()
    return _shape(field_name or "", field)


def _field_name(selection_set: Any, key: str, fragments: dict[str, Any]) -> str | None:
    """The schema name of the root field answered under response key `key` (an alias
    or the field's name), looking into fragments."""
    for selection in selection_set.selections:
        inner = None
        if isinstance(selection, InlineFragmentNode):
            inner = selection.selection_set
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            inner = fragments[selection.name.value].selection_set
        if inner is not None:
            found = _field_name(inner, key, fragments)
            if found is not None:
                return found
        elif isinstance(selection, FieldNode) and (selection.alias or selection.name).value == key:
            return selection.name.value
    return None


_Shape = tuple[frozenset[str], frozenset[str]]
_SHAPES: dict[int, tuple[GraphQLField, _Shape]] = {}  # the field is kept: its id stays its own


def _shape(field_name: str, field: GraphQLField) -> _Shape:
    cached = _SHAPES.get(id(field))
    if cached is not None and cached[0] is field:
        return cached[1]
    input_fields: frozenset[str] = frozenset()
    argument = field.args.get(INPUT_ARGUMENT)
    if argument is not None:
        kind = get_named_type(argument.type)
        if isinstance(kind, GraphQLInputObjectType):
            input_fields = frozenset(kind.fields) - UNPREFIXED.get(field_name, frozenset())
    shape = (frozenset(field.args), input_fields)
    _SHAPES[id(field)] = (field, shape)
    return shape
