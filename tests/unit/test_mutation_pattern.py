"""The one mutation pattern (resolvers/mutation.py): payload types and the error boundary."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
import strawberry

from domain.errors import DomainError, ErrorCode
from resolvers import mutation
from resolvers.errors import UserError
from resolvers.mutation import entity_payload, failure, optional_local_id, run_use_case, success


@strawberry.type(description="A thing.")
class Thing:
    name: str = strawberry.field(description="Its name.")


ThingPayload = entity_payload(
    "Result of thingMake.", errors=mutation.PROBLEMS, thing="The thing; null on error."
)(type("ThingPayload", (), {"__annotations__": {"thing": Thing | None}}))


@strawberry.type(description="Two fields.")
class PairPayload:
    left: str | None = strawberry.field(description="Left.")
    done: bool = strawberry.field(default=False, description="Done.")
    user_errors: list[UserError] = strawberry.field(description="Problems.")


@strawberry.type
class Query:
    @strawberry.field(description="One thing.")
    def thing(self) -> ThingPayload:
        return success(ThingPayload, Thing(name="a"))


def test_entity_payload_declares_the_entity_then_user_errors_with_descriptions() -> None:
    sdl = strawberry.federation.Schema(query=Query).as_str()
    assert '"""Result of thingMake."""\ntype ThingPayload {' in sdl
    assert '"""The thing; null on error."""\n  thing: Thing\n' in sdl
    assert '"""Problems; empty on success."""\n  userErrors: [UserError!]!\n}' in sdl


def test_entity_payload_refuses_a_class_that_is_not_one_entity_field() -> None:
    with pytest.raises(TypeError):
        entity_payload("x", a="A.", b="B.")
    with pytest.raises(TypeError):

        @entity_payload("x", thing="T.")
        class Wrong:
            other: Thing | None


def test_failure_nulls_every_field_but_keeps_declared_defaults() -> None:
    error = DomainError(ErrorCode.NOT_FOUND, "No such thing.", ["id"])
    refused = failure(PairPayload, error)
    assert refused.left is None and refused.done is False
    assert [(e.code.name, e.field, e.message) for e in refused.user_errors] == [
        ("NOT_FOUND", ["id"], "No such thing.")
    ]
    assert failure(ThingPayload, error).thing is None


def test_success_fills_the_one_field_or_takes_a_whole_payload() -> None:
    whole = PairPayload(left="x", done=True, user_errors=[])
    assert success(PairPayload, whole) is whole
    with pytest.raises(TypeError):
        success(PairPayload, "x")


async def test_run_use_case_maps_a_domain_error_and_calls_on_error_only_then() -> None:
    seen: list[ErrorCode] = []

    async def refuse() -> Thing:
        raise DomainError(ErrorCode.FORBIDDEN, "No.", None)

    async def record(error: DomainError) -> None:
        seen.append(error.code)

    answer = await run_use_case(ThingPayload, refuse, on_error=record)
    assert answer.thing is None and answer.user_errors[0].code.name == "FORBIDDEN"
    assert seen == [ErrorCode.FORBIDDEN]


async def test_run_use_case_runs_after_commit_then_present() -> None:
    calls: list[str] = []

    async def make() -> Thing:
        return Thing(name="made")

    async def after(thing: Thing) -> None:
        calls.append(f"after {thing.name}")

    async def present(thing: Thing) -> PairPayload:
        calls.append("present")
        return PairPayload(left=thing.name, done=True, user_errors=[])

    plain = await run_use_case(ThingPayload, make, after_commit=after)
    assert plain.thing is not None and plain.thing.name == "made" and plain.user_errors == []
    shown = await run_use_case(PairPayload, make, after_commit=after, present=present)
    assert (shown.left, shown.done) == ("made", True)
    assert calls == ["after made", "after made", "present"]


async def test_other_exceptions_pass_through_the_boundary() -> None:
    async def crash() -> Thing:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await run_use_case(ThingPayload, crash)


def test_optional_local_id_decodes_or_names_the_field() -> None:
    local = uuid.uuid4()
    assert optional_local_id(None, "Order", ["orderId"]) is None
    assert optional_local_id(f"gid://ucg/Order/{local}", "Order", ["orderId"]) == local
    with pytest.raises(DomainError) as raised:
        optional_local_id(f"gid://ucg/Cart/{local}", "Order", ["input", "orderId"])
    assert raised.value.code is ErrorCode.INVALID_ID
    assert raised.value.field == ["input", "orderId"]


def test_no_resolver_hand_rolls_the_mutation_skeleton() -> None:
    """New mutations go through run_mutation: no `except DomainError` building a payload."""
    skeleton = re.compile(r"except DomainError as (\w+):(?:\n[^\n]*){0,4}?\n\s*return \w*Payload\(")
    root = Path(__file__).resolve().parents[2]
    found = [
        str(path.relative_to(root))
        for folder in ("resolvers", "api")
        for path in sorted((root / folder).rglob("*.py"))
        if path.name != "mutation.py" and skeleton.search(path.read_text())
    ]
    assert found == []
    # The pattern itself is what the check looks for.
    assert skeleton.search(
        "except DomainError as error:\n    return XPayload(x=None, user_errors=user_errors(error))"
    )
