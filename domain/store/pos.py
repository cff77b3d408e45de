"""POS sale (issue 17 item 1): a carry-out checkout at a store's till. Pure rules here;
the use-case is `domain/store/pos_service.py`.

Tenders: CASH (any amount; what is over the sale is change, given back from the cash)
and CARD (authorized and captured through the payment port, never more than the sale).
Split tender is several of them. The tenders must cover the sale (TENDER_SHORT).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from domain.errors import DomainError, ErrorCode

MAX_LINES = 100
MAX_TENDERS = 10


class TenderKind(StrEnum):
    CASH = "CASH"
    CARD = "CARD"


@dataclass(frozen=True)
class PosLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Tender:
    kind: TenderKind
    amount_minor: int
    card_token: str | None = None


@dataclass(frozen=True)
class PricedPosLine:
    variant_id: uuid.UUID
    sku: str
    quantity: int
    unit_price_minor: int
    discount_minor: int = 0  # this line's share of the discount codes

    @property
    def total_minor(self) -> int:
        return self.unit_price_minor * self.quantity - self.discount_minor


@dataclass(frozen=True)
class AppliedTender:
    kind: TenderKind
    tendered_minor: int  # what the customer handed over
    applied_minor: int  # what pays the sale (cash: tendered less the change)
    reference: str  # the card authorization id, or "cash"


@dataclass(frozen=True)
class PosSale:
    order_id: uuid.UUID
    order_number: int
    receipt_number: str
    location_id: uuid.UUID
    customer_id: uuid.UUID | None
    currency_code: str
    total_minor: int
    change_minor: int
    points_earned: int
    tenders: tuple[AppliedTender, ...]


def check_lines(lines: Sequence[PosLine]) -> None:
    if not lines:
        raise DomainError(ErrorCode.INVALID, "A sale needs at least one line.", ["lines"])
    if len(lines) > MAX_LINES:
        raise DomainError(ErrorCode.INVALID, f"At most {MAX_LINES} lines.", ["lines"])
    seen: set[str] = set()
    for index, line in enumerate(lines):
        if line.quantity < 1 or line.quantity > 10_000:
            raise DomainError(
                ErrorCode.INVALID_QUANTITY,
                "Quantity must be 1 to 10000.",
                ["lines", str(index), "quantity"],
            )
        if line.sku in seen:
            raise DomainError(
                ErrorCode.INVALID, "Each SKU once per sale.", ["lines", str(index), "sku"]
            )
        seen.add(line.sku)


def check_tenders(tenders: Sequence[Tender]) -> None:
    if not tenders:
        raise DomainError(ErrorCode.TENDER_SHORT, "A sale needs a tender.", ["tenders"])
    if len(tenders) > MAX_TENDERS:
        raise DomainError(ErrorCode.INVALID, f"At most {MAX_TENDERS} tenders.", ["tenders"])
    for index, tender in enumerate(tenders):
        field = ["tenders", str(index)]
        if tender.amount_minor <= 0:
            raise DomainError(ErrorCode.INVALID, "A tender amount is positive.", [*field, "amount"])
        if tender.kind is TenderKind.CARD and not tender.card_token:
            raise DomainError(
                ErrorCode.INVALID, "A CARD tender needs a cardToken.", [*field, "card_token"]
            )


def settle_tenders(total_minor: int, tenders: Sequence[Tender]) -> tuple[list[int], int]:
    """What each tender pays, and the change. Cards pay first in full; the change comes
    out of the cash. TENDER_SHORT when the tenders do not cover the total, when the cards
    alone are more than it, or when there is more change than cash."""
    check_tenders(tenders)
    card = sum(t.amount_minor for t in tenders if t.kind is TenderKind.CARD)
    cash = sum(t.amount_minor for t in tenders if t.kind is TenderKind.CASH)
    if card + cash < total_minor:
        raise DomainError(
            ErrorCode.TENDER_SHORT,
            f"The tenders cover {card + cash} of {total_minor}.",
            ["tenders"],
        )
    if card > total_minor:
        raise DomainError(
            ErrorCode.TENDER_SHORT, "The card tenders are more than the sale.", ["tenders"]
        )
    change = card + cash - total_minor
    applied: list[int] = []
    left = change
    for tender in tenders:
        if tender.kind is TenderKind.CASH and left > 0:
            back = min(left, tender.amount_minor)
            left -= back
            applied.append(tender.amount_minor - back)
        else:
            applied.append(tender.amount_minor)
    return applied, change


def receipt_number(location_code: str, order_number: int) -> str:
    return f"{location_code}-{order_number:08d}"


def pos_request_hash(
    location_id: uuid.UUID,
    lines: Sequence[PosLine],
    tenders: Sequence[Tender],
    customer_id: uuid.UUID | None,
    discount_codes: Sequence[str] = (),
) -> str:
    body = {
        "codes": list(discount_codes),
        "location": str(location_id),
        "lines": [[line.sku, line.quantity] for line in lines],
        "tenders": [[t.kind.value, t.amount_minor, t.card_token or ""] for t in tenders],
        "customer": None if customer_id is None else str(customer_id),
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
