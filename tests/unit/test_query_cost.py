"""Static query cost over the published schema: plain lists are priced by a declared bound
(what their items select beyond scalars is multiplied by it); paged lists by `first`."""

from pathlib import Path

from graphql import (
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLObjectType,
    build_schema,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    parse,
)

from resolvers.query_cost import LIST_BOUNDS, document_cost, list_bound

SCHEMA = build_schema((Path(__file__).parents[2] / "schema.graphql").read_text())


def plain_list_fields() -> list[tuple[str, str]]:
    """Fields that return a list of objects with neither `first` nor a list argument."""
    found = []
    for type_name, type_ in SCHEMA.type_map.items():
        if type_name.startswith("__") or not isinstance(
            type_, GraphQLObjectType | GraphQLInterfaceType
        ):
            continue
        for field_name, field in type_.fields.items():
            if not isinstance(get_nullable_type(field.type), GraphQLList):
                continue
            if not is_composite_type(get_named_type(field.type)) or "first" in field.args:
                continue
            if any(isinstance(get_nullable_type(a.type), GraphQLList) for a in field.args.values()):
                continue
            found.append((type_name, field_name))
    return found


def cost(query: str, variables: dict[str, object] | None = None) -> int | None:
    return document_cost(SCHEMA, parse(query), None, variables or {})


def test_every_plain_list_in_the_schema_has_a_declared_bound() -> None:
    missing = [f"{t}.{f}" for t, f in plain_list_fields() if list_bound(t, f) is None]
    assert missing == [], f"add these to resolvers/query_cost.py LIST_BOUNDS: {missing}"


def test_the_bounds_table_names_only_fields_that_exist() -> None:
    listed = {f"{t}.{f}" for t, f in plain_list_fields()}
    assert sorted(set(LIST_BOUNDS) - listed) == []


def test_nested_plain_lists_multiply_by_their_bounds() -> None:
    # stockLevels: 1 + 10 x (location 1) = 11; variants: 1 + 10 x 11 = 111;
    # node 1 + 111; edges once: 1 + 112; products: 1 + 10 x 113.
    query = "{ products(first: 10) { edges { node { variants { stockLevels { location { id } } } } } } }"
    assert cost(query) == 1131


def test_a_plain_list_of_scalars_only_costs_once() -> None:
    # Items selecting only their own scalars add nothing: the list costs 1.
    assert cost('{ product(handle: "x") { variants { sku } } }') == 1 + (1 + 0)
    # What an item selects beyond its scalars is multiplied by the bound (10 variants).
    assert cost('{ product(handle: "x") { variants { product { id } } } }') == 1 + (1 + 10 * 1)


def test_a_paged_list_still_costs_each_item() -> None:
    assert cost("{ products(first: 10) { edges { cursor } } }") == 1 + 10 * 1


def test_connections_multiply_by_first_and_lists_by_their_argument() -> None:
    assert cost("{ products(first: 10) { edges { node { title } } } }") == 1 + 10 * 2
    skus = [f"S{i}" for i in range(30)]
    query = "query($s: [String!]!) { availability(skus: $s) { sku } }"
    assert cost(query, {"s": skus}) == 1 + 30


def test_a_deep_storefront_page_is_refused_by_the_default_limit() -> None:
    # A full page of 250 products with every variant's stock levels is 250 x 113 + 1.
    query = "{ products(first: 250) { edges { node { variants { stockLevels { location { id } } } } } } }"
    assert cost(query) == 1 + 250 * 113
    assert (cost(query) or 0) > 5000
