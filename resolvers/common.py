"""Value types shared by every subgraph: Node, Money, connections."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from enum import Enum
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.types.enum import has_enum_definition

from domain.errors import DomainError, ErrorCode
from domain.money import to_decimal

T = TypeVar("T")
MAX_PAGE = 250


@strawberry.interface(description="An object with a global id: gid://ucg/<Type>/<uuid>.")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global id of the object.")


# Shareable: several subgraphs return Money and PageInfo (Apollo composition needs @shareable).
@strawberry.federation.type(shareable=True, description="An amount of money in one currency.")
class Money:
    amount: Decimal = strawberry.field(description='Amount as a decimal string, e.g. "19.99".')
    currency_code: str = strawberry.field(description="ISO 4217 currency code, e.g. EUR.")


def money(amount_minor: int, currency_code: str) -> Money:
    return Money(amount=to_decimal(amount_minor, currency_code), currency_code=currency_code)


@strawberry.federation.type(
    shareable=True, description="Where a page of a connection sits in the whole list."
)
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when more items follow this page.")
    has_previous_page: bool = strawberry.field(description="True when items precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge, if any.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last edge; pass it as `after` to get the next page."
    )


@strawberry.type(description="One item of a connection with its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque position of this item in the list.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list (Relay connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Paging information.")


def encode_cursor(*parts: str) -> str:
    return base64.urlsafe_b64encode("\x1f".join(parts).encode()).decode()


def decode_cursor(cursor: str, n_parts: int) -> list[str]:
    try:
        parts = base64.urlsafe_b64decode(cursor.encode()).decode().split("\x1f")
    except (ValueError, UnicodeDecodeError):
        parts = []
    if len(parts) != n_parts:
        raise DomainError(ErrorCode.INVALID, "The cursor is not valid for this list.", ["after"])
    return parts


def check_page_size(first: int) -> None:
    if not 0 <= first <= MAX_PAGE:
        raise DomainError(
            ErrorCode.INVALID, f"`first` must be between 0 and {MAX_PAGE}.", ["first"]
        )


def connection(
    items: Sequence[Any], first: int, cursor_of: Callable[[Any], str]
) -> Connection[Any]:
    """Build a page from up to first+1 fetched items (the extra one tells hasNextPage)."""
    page = items[:first]
    edges = [Edge(cursor=cursor_of(item), node=item) for item in page]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(items) > first,
            has_previous_page=False,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


def record_type_check(record_class: type) -> Any:
    """An `is_type_of` that accepts the domain record a resolver returns for this type."""

    def is_type_of(cls: type, obj: object, _info: object) -> bool:
        return isinstance(obj, (cls, record_class))

    return classmethod(is_type_of)


def parse_uuid(value: str, field: list[str]) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise DomainError(ErrorCode.INVALID_ID, f"{value!r} is not a valid id.", field) from None


# Descriptions of entities that several subgraphs define: composition wants them equal.
VARIANT_DESCRIPTION = "A sellable version of a product, identified by its SKU."
CUSTOMER_DESCRIPTION = "A person who buys, on any channel."


def described_enum(
    domain_enum: type[Enum], description: str, values: dict[str, str], name: str | None = None
) -> Any:
    """Expose a domain enum to GraphQL with a description on every value.

    The domain enum itself is registered (as `strawberry.enum` does), so resolvers
    return its members and arguments arrive as its members: no twin to convert.
    """
    missing = {m.name for m in domain_enum} - set(values)
    if missing:
        raise ValueError(f"{domain_enum.__name__}: no description for {sorted(missing)}")
    registered = strawberry.enum(domain_enum, name=name, description=description)
    assert has_enum_definition(registered)
    for value in registered.__strawberry_definition__.values:
        value.description = values[value.name]
    return registered
