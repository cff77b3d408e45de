"""resolvers/field_paths.py: domain error paths -> the API paths in `userErrors.field`."""

from __future__ import annotations

import strawberry

from domain.errors import DomainError, ErrorCode
from resolvers.errors import UserError, user_errors
from resolvers.field_paths import api_path, api_segments, camel


def test_segments_take_their_api_names() -> None:
    assert camel("pickup_location_id") == "pickupLocationId"
    assert [camel(s) for s in ("lines", "0", "productId", "SKU_RED_M", "id")] == [
        "lines",
        "0",
        "productId",
        "SKU_RED_M",
        "id",
    ]
    # A domain term the API spells otherwise inside one container, and only there.
    assert api_segments(["input", "lines", "2", "variant_id"]) == [
        "input",
        "lines",
        "2",
        "merchandiseId",
    ]
    assert api_segments(["variant_id"]) == ["variantId"]
    assert api_path(None) is None


def test_a_path_goes_under_input_only_when_it_names_an_input_field() -> None:
    arguments, fields = frozenset({"input", "productId"}), frozenset({"handle", "weightGrams"})
    assert api_path(["weight_grams"], arguments, fields) == ["input", "weightGrams"]
    assert api_path(["product_id"], arguments, fields) == ["productId"]
    assert api_path(["input", "handle"], arguments, fields) == ["input", "handle"]
    assert api_path([], arguments, fields) == ["input"]
    assert api_path(["cart", "lines", "0"], arguments, fields) == ["cart", "lines", "0"]
    assert api_path(["weight_grams"], frozenset({"sku"}), fields) == ["weightGrams"]


@strawberry.input(description="A thing.")
class ThingInput:
    handle: str = strawberry.field(description="Handle.")
    points: int = strawberry.field(default=0, description="Points.")


@strawberry.type(description="Result.")
class ThingPayload:
    user_errors: list[UserError] = strawberry.field(description="Problems.")


def _refuse(field: list[str]) -> ThingPayload:
    return ThingPayload(user_errors=user_errors(DomainError(ErrorCode.INVALID, "No.", field)))


@strawberry.type(description="Mutations.")
class Mutation:
    @strawberry.mutation(description="Refuses with the domain path given.")
    def thing_create(
        self, input: ThingInput, thing_id: strawberry.ID, path: list[str]
    ) -> ThingPayload:
        return _refuse(path)

    @strawberry.mutation(description="customerLoyaltyAdjust's paths were never under input.")
    def customer_loyalty_adjust(self, input: ThingInput, path: list[str]) -> ThingPayload:
        return _refuse(path)


@strawberry.type(description="Queries.")
class Query:
    ok: bool = strawberry.field(default=True, description="Always true.")


SCHEMA = strawberry.federation.Schema(query=Query, mutation=Mutation)


def _fields(document: str) -> list[list[str] | None]:
    result = SCHEMA.execute_sync(document)
    assert result.errors is None, result.errors
    assert result.data is not None
    return [e["field"] for payload in result.data.values() for e in payload["userErrors"]]


def test_user_errors_name_the_mutation_s_own_arguments_and_input_fields() -> None:
    head = 'input: {handle: "h"}, thingId: "1"'
    document = f"""mutation {{
      a: thingCreate({head}, path: ["handle"]) {{ userErrors {{ field }} }}
      b: thingCreate({head}, path: ["thing_id"]) {{ userErrors {{ field }} }}
      ... on Mutation {{
        c: thingCreate({head}, path: []) {{ userErrors {{ field }} }}
      }}
      d: customerLoyaltyAdjust(input: {{handle: "h"}}, path: ["points"]) {{ userErrors {{ field }} }}
      e: customerLoyaltyAdjust(input: {{handle: "h"}}, path: ["handle"]) {{ userErrors {{ field }} }}
      ...Named
    }}
    fragment Named on Mutation {{
      f: thingCreate({head}, path: ["points"]) {{ userErrors {{ field }} }}
    }}"""
    assert _fields(document) == [
        ["input", "handle"],
        ["thingId"],
        ["input"],
        ["points"],  # kept as clients have always seen it (field_paths.UNPREFIXED)
        ["input", "handle"],
        ["input", "points"],
    ]
