"""One mutation pattern: decode, run one use-case in a unit of work, answer a typed payload.

A mutation resolver only translates. It builds a closure that decodes its global ids
(`local_id`, `optional_local_id`) and calls one use-case, and hands it to
`run_mutation`, which opens the unit of work (commit on success, rollback on any
exception), turns a `DomainError` raised anywhere in the closure into the payload's
`userErrors` (every other field null, or its declared default), and otherwise fills
the payload's one entity field with the use-case's result (a closure may also return
the whole payload, for one with several fields). Hooks cover what some
mutations do after the commit (cache invalidation, the cart-token header, priming a
loader with an idempotent replay's record): `after_commit`, `present` (a payload with
several fields) and `on_error` (e.g. a login throttle, stock given back).
Use-cases that open their own transactions go through `run_use_case`.

`entity_payload` declares the `{ <entity>, userErrors }` payloads.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

import strawberry

from datasources.postgres.uow import UnitOfWork
from domain.errors import DomainError
from domain.ids import local_id
from resolvers.context import Info
from resolvers.errors import UserError, user_errors

P = TypeVar("P")
R = TypeVar("R")
U = TypeVar("U", bound=UnitOfWork)
T = TypeVar("T")

CHANGED_NOTHING = "Problems with the input; empty on success, and then nothing changed."
WITH_INPUT = "Problems with the input; empty on success."
PROBLEMS = "Problems; empty on success."


def optional_local_id(
    global_id: str | None, expected_type: str, field: list[str]
) -> uuid.UUID | None:
    """`local_id` for an optional argument: None stays None."""
    return None if global_id is None else local_id(global_id, expected_type, field)


def entity_payload(
    description: str, *, errors: str = CHANGED_NOTHING, **entity: str
) -> Callable[[type[T]], type[T]]:
    """Make a class declaring one entity field a `{ <entity>, userErrors }` payload type.

        @entity_payload("Result of channelCreate.", channel="The new channel; null on error.")
        class ChannelCreatePayload:
            channel: Channel | None

    The keyword names the field and gives its description; `errors` describes userErrors.
    """
    if len(entity) != 1:
        raise TypeError("entity_payload describes exactly one entity field")
    ((name, entity_description),) = entity.items()

    def build(cls: type[T]) -> type[T]:
        if list(cls.__annotations__) != [name]:
            raise TypeError(f"{cls.__name__} must declare exactly the field {name!r}")
        cls.__annotations__["user_errors"] = list[UserError]
        setattr(cls, name, strawberry.field(description=entity_description))
        cls.user_errors = strawberry.field(description=errors)  # type: ignore[attr-defined]
        return strawberry.type(cls, description=description)

    return build


def failure(payload: type[P], error: DomainError) -> P:
    """The payload of a refused mutation: userErrors, and nothing else (null or default)."""
    values: dict[str, Any] = {
        f.name: None
        for f in dataclasses.fields(payload)  # type: ignore[arg-type]
        if f.name != "user_errors"
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    }
    make: Callable[..., P] = payload
    return make(**values, user_errors=user_errors(error))


def success(payload: type[P], result: object) -> P:
    """The payload of an entity mutation: its one entity field is the use-case's result.

    A use-case closure that builds the payload itself (several fields) returns it as is.
    """
    if isinstance(result, payload):
        return result
    names = [f.name for f in dataclasses.fields(payload) if f.name != "user_errors"]  # type: ignore[arg-type]
    if len(names) != 1:
        raise TypeError(f"{payload.__name__} has several fields: give run_mutation a `present`")
    make: Callable[..., P] = payload
    return make(**{names[0]: result}, user_errors=[])


async def run_use_case(
    payload: type[P],
    action: Callable[[], Awaitable[R]],
    *,
    after_commit: Callable[[R], Awaitable[None]] | None = None,
    present: Callable[[R], Awaitable[P]] | None = None,
    on_error: Callable[[DomainError], Awaitable[None]] | None = None,
) -> P:
    """Run `action` (which opens its own transactions) with the mutation error boundary."""
    try:
        result = await action()
    except DomainError as error:
        if on_error is not None:
            await on_error(error)
        return failure(payload, error)
    if after_commit is not None:
        await after_commit(result)
    if present is not None:
        return await present(result)
    return success(payload, result)


@overload
async def run_mutation(
    info: Info,
    payload: type[P],
    use_case: Callable[[UnitOfWork], Awaitable[R]],
    *,
    after_commit: Callable[[R], Awaitable[None]] | None = None,
    present: Callable[[R], Awaitable[P]] | None = None,
    on_error: Callable[[DomainError], Awaitable[None]] | None = None,
) -> P: ...


@overload
async def run_mutation(
    info: Info,
    payload: type[P],
    use_case: Callable[[U], Awaitable[R]],
    *,
    unit_of_work: type[U],
    after_commit: Callable[[R], Awaitable[None]] | None = None,
    present: Callable[[R], Awaitable[P]] | None = None,
    on_error: Callable[[DomainError], Awaitable[None]] | None = None,
) -> P: ...


async def run_mutation(
    info: Info,
    payload: type[P],
    use_case: Callable[[Any], Awaitable[R]],
    *,
    unit_of_work: type[UnitOfWork] = UnitOfWork,
    after_commit: Callable[[R], Awaitable[None]] | None = None,
    present: Callable[[R], Awaitable[P]] | None = None,
    on_error: Callable[[DomainError], Awaitable[None]] | None = None,
) -> P:
    """Run `use_case` in one unit of work of `unit_of_work`'s kind; see the module doc."""

    async def in_unit_of_work() -> R:
        uow = unit_of_work(info.context.pool)
        async with uow:
            return await use_case(uow)

    return await run_use_case(
        payload, in_unit_of_work, after_commit=after_commit, present=present, on_error=on_error
    )
