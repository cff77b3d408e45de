"""The composed supergraph, served in process with no gateway hop.

Each subgraph is written once (resolvers/<name>/). The supergraph is their
union at the graphql-core level: every object type takes the fields of the
same-named type in every subgraph, with the very resolver functions the
subgraphs use, so the two ways of serving can never disagree. Federation's
own machinery (_entities, _service, @key and friends) is left out.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

import strawberry
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLType,
    GraphQLUnionType,
    print_schema,
    specified_directives,
)

from domain.ids import from_global_id
from resolvers.catalog.collections import visible as visible_collection
from resolvers.catalog.markets import IN_CONTEXT
from resolvers.catalog.visibility import published_product, published_variant
from resolvers.common import Node
from resolvers.context import Info
from resolvers.customer.access import visible_cart, visible_customer, visible_owned
from resolvers.subgraphs import SUBGRAPH_NAMES, FederatedSchema, schema_extensions, subgraph_schema

_NODE_LOADERS = {
    "Product": "ProductByIdLoader",
    "ProductVariant": "VariantByIdLoader",
    "Channel": "ChannelByIdLoader",
    "Customer": "CustomerByIdLoader",
    "Location": "LocationByIdLoader",
    "Cart": "CartByIdLoader",
    "Order": "OrderByIdLoader",
    "Return": "ReturnByIdLoader",
    "Collection": "CollectionByIdLoader",
}
_FEDERATION_FIELDS = {"_entities", "_service"}
_FEDERATION_TYPES = {"_Any", "_Entity", "_Service", "_FieldSet", "FieldSet"}


@strawberry.type(name="Query")
class NodeQuery:
    # strawberry.field(...) without a resolver is typed as returning Any.
    @strawberry.field(description="Any object by its global id (Relay Node).")
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global id.")],
    ) -> Node | None:
        type_name, local = from_global_id(id)
        loader_name = _NODE_LOADERS.get(type_name)
        if loader_name is None:
            return None
        # Customer-owned objects answer only their owner or staff (null looks like absent).
        if type_name == "Customer":
            return await visible_customer(info, local)  # type: ignore[return-value]  # a record
        record = await getattr(info.context.loaders, loader_name).load(local)
        if type_name == "Product":
            return await published_product(info, record)  # type: ignore[return-value]  # a record
        if type_name == "ProductVariant":
            return await published_variant(info, record)  # type: ignore[return-value]  # a record
        if type_name == "Cart":
            return visible_cart(info, record)  # type: ignore[no-any-return]
        if type_name == "Collection":
            return record if visible_collection(info, record) else None
        if type_name in ("Order", "Return"):
            return visible_owned(info, record)  # type: ignore[no-any-return]
        return record  # type: ignore[no-any-return]


class SupergraphConflict(Exception):
    """Two subgraphs define the same type, field, argument, enum or union differently."""


def _signature(field: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    return str(field.type), tuple(sorted((n, str(a.type)) for n, a in field.args.items()))


def _check_same(name: str, sources: list[GraphQLNamedType]) -> None:
    """Fail loudly on any definition two subgraphs disagree on (the merge is not first-wins)."""
    kinds = {type(s).__name__ for s in sources}
    if len(kinds) > 1:
        raise SupergraphConflict(f"{name} is defined as {' and '.join(sorted(kinds))}")
    descriptions = {s.description for s in sources if s.description}
    if len(descriptions) > 1:
        raise SupergraphConflict(f"{name} has different descriptions in the subgraphs")
    first = sources[0]
    if isinstance(first, GraphQLEnumType):
        values = {tuple(sorted(s.values)) for s in sources}  # type: ignore[attr-defined]
        if len(values) > 1:
            raise SupergraphConflict(f"enum {name} has different values: {sorted(values)}")
    if isinstance(first, GraphQLUnionType):
        members = {tuple(sorted(t.name for t in s.types)) for s in sources}  # type: ignore[attr-defined]
        if len(members) > 1:
            raise SupergraphConflict(f"union {name} has different members: {sorted(members)}")
    if isinstance(first, GraphQLInputObjectType):
        shapes = {
            tuple(sorted((n, str(f.type)) for n, f in s.fields.items()))  # type: ignore[attr-defined]
            for s in sources
        }
        if len(shapes) > 1:
            raise SupergraphConflict(f"input {name} has different fields in the subgraphs")
    if isinstance(first, (GraphQLObjectType, GraphQLInterfaceType)):
        seen: dict[str, Any] = {}
        for source in sources:
            for field_name, field in source.fields.items():  # type: ignore[attr-defined]
                if field_name in _FEDERATION_FIELDS:
                    continue
                earlier = seen.setdefault(field_name, field)
                if _signature(earlier) != _signature(field):
                    raise SupergraphConflict(
                        f"{name}.{field_name} differs between subgraphs: "
                        f"{_signature(earlier)} vs {_signature(field)}"
                    )
                if (
                    earlier.description
                    and field.description
                    and (earlier.description != field.description)
                ):
                    raise SupergraphConflict(f"{name}.{field_name} has different descriptions")


class _Merger:
    def __init__(self, schemas: list[GraphQLSchema]) -> None:
        self.sources: dict[str, list[GraphQLNamedType]] = {}
        for schema in schemas:
            for name, type_ in schema.type_map.items():
                if name.startswith("__") or name in _FEDERATION_TYPES:
                    continue
                if name.startswith(("federation__", "link__")):
                    continue
                self.sources.setdefault(name, []).append(type_)
        self.built: dict[str, GraphQLNamedType] = {}

    def named(self, name: str) -> GraphQLNamedType:
        if name not in self.built:
            self.built[name] = self._build(name, self.sources[name])
        return self.built[name]

    def _interface(self, name: str) -> GraphQLInterfaceType:
        built = self.named(name)
        assert isinstance(built, GraphQLInterfaceType)
        return built

    def wrap(self, type_: GraphQLType) -> Any:
        if isinstance(type_, GraphQLNonNull):
            return GraphQLNonNull(self.wrap(type_.of_type))
        if isinstance(type_, GraphQLList):
            return GraphQLList(self.wrap(type_.of_type))
        assert isinstance(type_, GraphQLNamedType)
        return self.named(type_.name)

    def _fields(self, sources: list[Any]) -> dict[str, GraphQLField]:
        fields: dict[str, GraphQLField] = {}
        for source in sources:
            for name, f in source.fields.items():
                if name in fields or name in _FEDERATION_FIELDS:
                    continue
                fields[name] = GraphQLField(
                    self.wrap(f.type),
                    args={
                        a_name: GraphQLArgument(
                            self.wrap(a.type),
                            default_value=a.default_value,
                            description=a.description,
                            deprecation_reason=a.deprecation_reason,
                            out_name=a.out_name,
                            extensions=a.extensions,
                        )
                        for a_name, a in f.args.items()
                    },
                    resolve=f.resolve,
                    subscribe=f.subscribe,
                    description=f.description,
                    deprecation_reason=f.deprecation_reason,
                    extensions=f.extensions,
                )
        return fields

    def _build(self, name: str, sources: list[GraphQLNamedType]) -> GraphQLNamedType:
        _check_same(name, sources)
        first = sources[0]
        if isinstance(first, (GraphQLScalarType, GraphQLEnumType)):
            return first
        if isinstance(first, GraphQLObjectType):
            return GraphQLObjectType(
                name,
                fields=lambda: self._fields(sources),
                interfaces=lambda: [
                    self._interface(interface)
                    for interface in dict.fromkeys(
                        i.name
                        for s in sources
                        if isinstance(s, GraphQLObjectType)
                        for i in s.interfaces
                    )
                ],
                is_type_of=next((s.is_type_of for s in sources if s.is_type_of), None),  # type: ignore[attr-defined]
                description=next((s.description for s in sources if s.description), None),
                extensions=first.extensions,
            )
        if isinstance(first, GraphQLInterfaceType):
            return GraphQLInterfaceType(
                name,
                fields=lambda: self._fields(sources),
                resolve_type=first.resolve_type,
                description=first.description,
                extensions=first.extensions,
            )
        if isinstance(first, GraphQLUnionType):
            return GraphQLUnionType(
                name,
                types=lambda: [self.named(t.name) for t in first.types],  # type: ignore[misc]
                resolve_type=first.resolve_type,
                description=first.description,
                extensions=first.extensions,
            )
        assert isinstance(first, GraphQLInputObjectType)
        return GraphQLInputObjectType(
            name,
            fields=lambda: {
                f_name: GraphQLInputField(
                    self.wrap(f.type),
                    default_value=f.default_value,
                    description=f.description,
                    deprecation_reason=f.deprecation_reason,
                    out_name=f.out_name,
                    extensions=f.extensions,
                )
                for f_name, f in first.fields.items()
            },
            out_type=first.out_type,
            description=first.description,
            extensions=first.extensions,
            is_one_of=first.is_one_of,
        )

    def schema(self) -> GraphQLSchema:
        root = {
            kind: self.named(kind) if kind in self.sources else None
            for kind in ("Query", "Mutation", "Subscription")
        }
        return GraphQLSchema(
            query=root["Query"],  # type: ignore[arg-type]
            mutation=root["Mutation"],  # type: ignore[arg-type]
            subscription=root["Subscription"],  # type: ignore[arg-type]
            types=[self.named(n) for n in sorted(self.sources)],
            directives=[*specified_directives, IN_CONTEXT],
        )


class Supergraph(FederatedSchema):
    """A Strawberry schema whose executable GraphQLSchema is the union of the subgraphs."""


@cache
def supergraph_schema() -> Supergraph:
    node_schema = strawberry.Schema(query=NodeQuery)
    sources = [node_schema._schema] + [subgraph_schema(n)._schema for n in SUBGRAPH_NAMES]
    merged = _Merger(sources).schema()
    # Strawberry drives parsing, validation, extensions and execution; the
    # schema it executes against is the merged one.
    schema = Supergraph(query=NodeQuery, extensions=schema_extensions())
    merged._strawberry_schema = schema  # type: ignore[attr-defined]
    schema._schema = merged
    return schema


def supergraph_sdl() -> str:
    return print_schema(supergraph_schema()._schema) + "\n"
