"""POS sale rules (domain/store/pos.py): tenders, change, lines, the request hash."""

from __future__ import annotations

import uuid

import pytest

from domain.errors import DomainError, ErrorCode
from domain.store.pos import (
    PosLine,
    Tender,
    TenderKind,
    check_lines,
    pos_request_hash,
    receipt_number,
    settle_tenders,
)

CASH = TenderKind.CASH
CARD = TenderKind.CARD


def test_cash_pays_with_change() -> None:
    assert settle_tenders(2000, [Tender(CASH, 2500)]) == ([2000], 500)


def test_split_tender_takes_the_change_out_of_the_cash() -> None:
    tenders = [Tender(CARD, 1800, "tok"), Tender(CASH, 1500)]
    assert settle_tenders(3000, tenders) == ([1800, 1200], 300)


def test_exact_split_has_no_change() -> None:
    assert settle_tenders(1000, [Tender(CARD, 400, "t"), Tender(CARD, 600, "u")]) == (
        [400, 600],
        0,
    )


@pytest.mark.parametrize(
    "tenders",
    [
        [Tender(CASH, 999)],
        [Tender(CARD, 1001, "tok")],
        [Tender(CARD, 600, "tok"), Tender(CARD, 600, "tok")],
        [],
    ],
)
def test_tenders_that_do_not_fit_are_tender_short(tenders: list[Tender]) -> None:
    with pytest.raises(DomainError) as caught:
        settle_tenders(1000, tenders)
    assert caught.value.code is ErrorCode.TENDER_SHORT


def test_bad_tenders_and_lines_name_the_field() -> None:
    with pytest.raises(DomainError) as caught:
        settle_tenders(100, [Tender(CARD, 100)])
    assert caught.value.field == ["tenders", "0", "card_token"]
    with pytest.raises(DomainError) as caught:
        settle_tenders(100, [Tender(CASH, 0)])
    assert caught.value.field == ["tenders", "0", "amount"]
    with pytest.raises(DomainError) as caught:
        check_lines([PosLine("A", 1), PosLine("A", 2)])
    assert caught.value.field == ["lines", "1", "sku"]
    with pytest.raises(DomainError) as caught:
        check_lines([PosLine("A", 0)])
    assert caught.value.code is ErrorCode.INVALID_QUANTITY
    with pytest.raises(DomainError):
        check_lines([])


def test_receipt_number_and_request_hash() -> None:
    assert receipt_number("AMS-1", 42) == "AMS-1-00000042"
    store = uuid.uuid4()
    one = pos_request_hash(store, [PosLine("A", 1)], [Tender(CASH, 100)], None)
    assert one == pos_request_hash(store, [PosLine("A", 1)], [Tender(CASH, 100)], None)
    assert one != pos_request_hash(store, [PosLine("A", 2)], [Tender(CASH, 100)], None)
