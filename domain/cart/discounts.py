"""Discount code eligibility: which entered codes apply, and why not the others."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.cart.pricing import AppliedDiscount, DiscountKind


class DiscountRejection(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    NOT_STARTED = "NOT_STARTED"
    EXPIRED = "EXPIRED"
    CHANNEL_NOT_ELIGIBLE = "CHANNEL_NOT_ELIGIBLE"
    CURRENCY_NOT_ELIGIBLE = "CURRENCY_NOT_ELIGIBLE"
    MINIMUM_SUBTOTAL_NOT_MET = "MINIMUM_SUBTOTAL_NOT_MET"
    USAGE_LIMIT_REACHED = "USAGE_LIMIT_REACHED"
    CUSTOMER_USAGE_LIMIT_REACHED = "CUSTOMER_USAGE_LIMIT_REACHED"
    NOT_COMBINABLE = "NOT_COMBINABLE"
    SEGMENT_NOT_ELIGIBLE = "SEGMENT_NOT_ELIGIBLE"


@dataclass(frozen=True)
class DiscountDefinition:
    code: str
    kind: DiscountKind
    value: int
    currency_code: str | None = None
    min_subtotal_minor: int = 0
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    usage_limit: int | None = None
    usage_limit_per_customer: int | None = None
    channel_ids: frozenset[uuid.UUID] = frozenset()
    combinable: bool = False
    times_used: int = 0
    times_used_by_customer: int = 0
    # A code limited to segments: only their members may use it. `customer_segment_ids` are
    # the ones of those the cart's customer is in now (read with the definition).
    segment_ids: frozenset[uuid.UUID] = frozenset()
    customer_segment_ids: frozenset[uuid.UUID] = frozenset()

    @property
    def segment_eligible(self) -> bool:
        return not self.segment_ids or bool(self.segment_ids & self.customer_segment_ids)


@dataclass(frozen=True)
class CodeEvaluation:
    code: str
    applied: AppliedDiscount | None
    rejection: DiscountRejection | None


def normalize_code(code: str) -> str:
    return code.strip().upper()


def _rejection(
    d: DiscountDefinition,
    *,
    now: datetime,
    channel_id: uuid.UUID,
    currency_code: str,
    subtotal_minor: int,
) -> DiscountRejection | None:
    if d.starts_at is not None and now < d.starts_at:
        return DiscountRejection.NOT_STARTED
    if d.ends_at is not None and now >= d.ends_at:
        return DiscountRejection.EXPIRED
    if d.channel_ids and channel_id not in d.channel_ids:
        return DiscountRejection.CHANNEL_NOT_ELIGIBLE
    if not d.segment_eligible:
        return DiscountRejection.SEGMENT_NOT_ELIGIBLE
    if d.currency_code is not None and d.currency_code != currency_code:
        return DiscountRejection.CURRENCY_NOT_ELIGIBLE
    if subtotal_minor < d.min_subtotal_minor:
        return DiscountRejection.MINIMUM_SUBTOTAL_NOT_MET
    if d.usage_limit is not None and d.times_used >= d.usage_limit:
        return DiscountRejection.USAGE_LIMIT_REACHED
    if (
        d.usage_limit_per_customer is not None
        and d.times_used_by_customer >= d.usage_limit_per_customer
    ):
        return DiscountRejection.CUSTOMER_USAGE_LIMIT_REACHED
    return None


def evaluate_codes(
    codes: Sequence[str],
    definitions: Mapping[str, DiscountDefinition],
    *,
    now: datetime,
    channel_id: uuid.UUID,
    currency_code: str,
    subtotal_minor: int,
) -> list[CodeEvaluation]:
    """Evaluate codes in the order entered.

    A code that is not combinable applies only alone: it is rejected when an
    earlier code applies, and it makes every later code NOT_COMBINABLE.
    """
    results: list[CodeEvaluation] = []
    applied: list[DiscountDefinition] = []
    for code in codes:
        d = definitions.get(code)
        if d is None:
            results.append(CodeEvaluation(code, None, DiscountRejection.NOT_FOUND))
            continue
        reason = _rejection(
            d,
            now=now,
            channel_id=channel_id,
            currency_code=currency_code,
            subtotal_minor=subtotal_minor,
        )
        if reason is None and applied and not (d.combinable and all(a.combinable for a in applied)):
            reason = DiscountRejection.NOT_COMBINABLE
        if reason is not None:
            results.append(CodeEvaluation(code, None, reason))
            continue
        applied.append(d)
        results.append(CodeEvaluation(code, AppliedDiscount(d.code, d.kind, d.value), None))
    return results
