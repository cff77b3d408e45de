"""orderReturnCreate input checked before anything is read: an overlong note."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from domain.auth import Principal, PrincipalKind
from domain.errors import DomainError, ErrorCode
from domain.order.aftersale import LineQuantity, ReturnReason
from domain.order.returns import MAX_NOTE_LENGTH, create_return


class UntouchedUow:
    """Any attribute access fails the test: the note is refused before any I/O."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"uow.{name} was used")


async def test_an_overlong_note_is_refused_on_the_note_field() -> None:
    buyer = Principal(PrincipalKind.CUSTOMER, uuid.uuid4())
    with pytest.raises(DomainError) as caught:
        await create_return(
            UntouchedUow(),  # type: ignore[arg-type]
            buyer,
            uuid.uuid4(),
            [LineQuantity(uuid.uuid4(), 1)],
            ReturnReason.CHANGED_MIND,
            "n" * (MAX_NOTE_LENGTH + 1),
            "return-key-1",
            datetime.now(UTC),
        )
    assert (caught.value.code, caught.value.field) == (ErrorCode.INVALID, ["note"])
