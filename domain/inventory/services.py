"""Inventory use-cases. Each takes a unit of work; the caller owns the transaction.

Checkout uses the reservation API:

    async with UnitOfWork(pool) as uow:
        reservation = await reserve(uow, [ReservationLine("SKU-1", 2)], location_id=None,
                                    ttl_seconds=900, reference=f"cart:{cart_id}")
    ...
    async with UnitOfWork(pool) as uow:
        await commit_reservation(uow, reservation.id)   # reserved -> sold (on_hand drops)
    # or release_reservation(uow, reservation.id) when the checkout is abandoned.

`reserve` raises DomainError(OUT_OF_STOCK, field=["lines", "<i>"]) naming the first line
that cannot be served; the caller's transaction then rolls back, so no line stays held.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import replace

from domain.auth import Principal, Role, require_roles
from domain.errors import DomainError, ErrorCode, NotFound
from domain.inventory.models import Reservation, ReservationStatus, ReservedLine
from domain.inventory.rules import (
    MovementReason,
    ReservationLine,
    new_on_hand,
    rank_locations,
    validate_lines,
    validate_ttl,
)
from domain.models import OutboxEvent, StockLevel
from domain.ports import UnitOfWork

INVENTORY_TOPIC = "ucg.inventory.v1"
STOCK_CHANGED = "ucg.inventory.stock_changed.v1"
STOCK_ROLES = (Role.STORE_ASSOCIATE, Role.POS, Role.SERVICE)
IDEMPOTENCY_SCOPE = "inventory"
MAX_KEY_LENGTH = 200


def stock_aggregate_id(sku: str, location_id: uuid.UUID) -> str:
    return f"{sku}@{location_id}"


STOCK_DISCREPANCY = "ucg.inventory.discrepancy_detected.v1"


def stock_discrepancy(
    sku: str, location_id: uuid.UUID, *, on_hand: int, ledger: int, reserved: int, held: int
) -> OutboxEvent:
    """`ucg.inventory.discrepancy_detected.v1`: the reconciliation found a stock row whose
    on_hand is not its ledger's sum, or whose reserved is not its active reservations'."""
    return OutboxEvent(
        topic=INVENTORY_TOPIC,
        type=STOCK_DISCREPANCY,
        aggregate_type="StockLevel",
        aggregate_id=stock_aggregate_id(sku, location_id),
        data={
            "sku": sku,
            "locationId": str(location_id),
            "onHand": on_hand,
            "ledgerOnHand": ledger,
            "reserved": reserved,
            "reservationsHeld": held,
        },
    )


async def record_stock_change(
    uow: UnitOfWork, level: StockLevel, *, cause: str, delta_on_hand: int, delta_reserved: int
) -> None:
    """`ucg.inventory.stock_changed.v1`, numbered per (sku, location) by the outbox."""
    await uow.add_event(
        OutboxEvent(
            topic=INVENTORY_TOPIC,
            type=STOCK_CHANGED,
            aggregate_type="StockLevel",
            aggregate_id=stock_aggregate_id(level.sku, level.location_id),
            data={
                "sku": level.sku,
                "locationId": str(level.location_id),  # events carry bare uuids (docs/EVENTS.md)
                "onHand": level.on_hand,
                "reserved": level.reserved,
                "safetyStock": level.safety_stock,
                "available": level.available,
                "cause": cause,
                "deltaOnHand": delta_on_hand,
                "deltaReserved": delta_reserved,
            },
        )
    )


async def apply_adjustment(
    uow: UnitOfWork,
    sku: str,
    location_id: uuid.UUID,
    *,
    delta: int | None,
    set_to: int | None,
    reason: MovementReason,
    source: str,
    source_event_id: str | None,
) -> StockLevel:
    """Change on-hand by `delta` or to `set_to`, with its ledger movement and event."""
    if not await uow.inventory.location_exists(location_id):
        raise NotFound("Location", ["location_id"])
    level = await uow.inventory.lock_stock_level(sku, location_id)
    if level is None:
        raise NotFound(f"SKU {sku}", ["sku"])
    target = new_on_hand(level.on_hand, level.reserved, delta=delta, set_to=set_to)
    change = target - level.on_hand
    if change == 0:
        return level
    level = await uow.inventory.set_on_hand(sku, location_id, target)
    await uow.inventory.add_movement(sku, location_id, change, reason, source, source_event_id)
    await record_stock_change(
        uow, level, cause=reason.value, delta_on_hand=change, delta_reserved=0
    )
    return level


def _request_hash(**fields: object) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


async def adjust_stock(
    uow: UnitOfWork,
    principal: Principal | None,
    sku: str,
    location_id: uuid.UUID,
    *,
    delta: int | None,
    set_to: int | None,
    reason: MovementReason,
    idempotency_key: str,
) -> StockLevel:
    """inventoryAdjust / inventorySet: staff and POS only; a retried key replays its result."""
    caller = require_roles(principal, *STOCK_ROLES)
    if not 0 < len(idempotency_key) <= MAX_KEY_LENGTH:
        raise DomainError(
            ErrorCode.INVALID,
            f"idempotencyKey must be 1-{MAX_KEY_LENGTH} characters.",
            ["idempotency_key"],
        )
    request_hash = _request_hash(
        sku=sku, location=location_id, delta=delta, set_to=set_to, reason=reason.value
    )
    earlier = await uow.inventory.claim_idempotency_key(
        IDEMPOTENCY_SCOPE, idempotency_key, request_hash
    )
    if earlier is not None:
        if earlier[0] != request_hash:
            raise DomainError(
                ErrorCode.IDEMPOTENCY_CONFLICT,
                "This idempotencyKey was used with different input.",
                ["idempotency_key"],
            )
        stored = earlier[1]
        return StockLevel(
            str(stored["sku"]),
            uuid.UUID(str(stored["locationId"])),
            int(str(stored["onHand"])),
            int(str(stored["reserved"])),
            int(str(stored["safetyStock"])),
        )
    level = await apply_adjustment(
        uow,
        sku,
        location_id,
        delta=delta,
        set_to=set_to,
        reason=reason,
        source=f"{caller.kind.value.lower()}:{caller.id}",
        source_event_id=f"idempotency:{IDEMPOTENCY_SCOPE}:{idempotency_key}",
    )
    await uow.inventory.save_idempotent_response(
        IDEMPOTENCY_SCOPE,
        idempotency_key,
        {
            "sku": level.sku,
            "locationId": str(level.location_id),
            "onHand": level.on_hand,
            "reserved": level.reserved,
            "safetyStock": level.safety_stock,
        },
    )
    return level


async def reserve(
    uow: UnitOfWork,
    lines: Sequence[ReservationLine],
    *,
    location_id: uuid.UUID | None,
    ttl_seconds: float,
    reference: str | None = None,
) -> Reservation:
    """Hold stock for every line at `location_id`, or at the best locations when None.

    Each line is taken by one conditional UPDATE; a line that no location can serve
    raises OUT_OF_STOCK (the transaction rolls back, so no other line stays held).
    """
    validate_lines(lines)
    validate_ttl(ttl_seconds)
    skus = [line.sku for line in lines]
    if location_id is None:
        snapshot = await uow.inventory.available_by_location(skus)
        candidates = rank_locations(lines, snapshot)
    else:
        if not await uow.inventory.location_exists(location_id):
            raise NotFound("Location", ["location_id"])
        candidates = [location_id]
    reservation = await uow.inventory.create_reservation(ttl_seconds, reference)
    # Lock rows in SKU order so two multi-line reservations can never deadlock.
    for index, line in sorted(enumerate(lines), key=lambda pair: pair[1].sku):
        for candidate in candidates:
            level = await uow.inventory.take_stock(line.sku, candidate, line.quantity)
            if level is not None:
                await uow.inventory.add_reservation_line(
                    reservation.id, index, level, line.quantity
                )
                reservation.lines.append(ReservedLine(line.sku, candidate, line.quantity))
                await record_stock_change(
                    uow, level, cause="RESERVED", delta_on_hand=0, delta_reserved=line.quantity
                )
                break
        else:
            raise DomainError(
                ErrorCode.OUT_OF_STOCK,
                f"Not enough stock of {line.sku} for {line.quantity} units.",
                ["lines", str(index)],
            )
    return reservation


async def reserve_allocations(
    uow: UnitOfWork,
    allocations: Sequence[ReservedLine],
    *,
    ttl_seconds: float,
    reference: str | None = None,
) -> Reservation:
    """Hold exactly `allocations` (sku, location, quantity), e.g. a routing plan's shipments.

    Unlike `reserve`, nothing is chosen here: each allocation is one conditional UPDATE
    at its location. One that cannot be taken raises OUT_OF_STOCK with field
    ["lines", "<index in allocations>"]; the caller's transaction rolls back.
    """
    if not allocations or any(a.quantity <= 0 for a in allocations):
        raise DomainError(ErrorCode.INVALID, "Allocate at least one unit per line.", ["lines"])
    validate_ttl(ttl_seconds)
    reservation = await uow.inventory.create_reservation(ttl_seconds, reference)
    # Rows locked in (sku, location) order, as `reserve` does by sku: no deadlocks.
    ordered = sorted(enumerate(allocations), key=lambda p: (p[1].sku, str(p[1].location_id)))
    for index, line in ordered:
        level = await uow.inventory.take_stock(line.sku, line.location_id, line.quantity)
        if level is None:
            raise DomainError(
                ErrorCode.OUT_OF_STOCK,
                f"Not enough stock of {line.sku} for {line.quantity} units.",
                ["lines", str(index)],
            )
        await uow.inventory.add_reservation_line(reservation.id, index, level, line.quantity)
        reservation.lines.append(line)
        await record_stock_change(
            uow, level, cause="RESERVED", delta_on_hand=0, delta_reserved=line.quantity
        )
    return reservation


async def release_reservation(
    uow: UnitOfWork,
    reservation_id: uuid.UUID,
    *,
    status: ReservationStatus = ReservationStatus.RELEASED,
) -> Reservation:
    """Give the held units back. Releasing a released or expired reservation changes nothing."""
    reservation = await uow.inventory.lock_reservation(reservation_id)
    if reservation is None:
        raise NotFound("Reservation", ["reservation_id"])
    if reservation.status in (ReservationStatus.RELEASED, ReservationStatus.EXPIRED):
        return reservation
    if reservation.status is ReservationStatus.COMMITTED:
        raise DomainError(
            ErrorCode.INVALID, "The reservation is already committed.", ["reservation_id"]
        )
    for line in reservation.lines:
        level = await uow.inventory.return_reserved(line.sku, line.location_id, line.quantity)
        await record_stock_change(
            uow, level, cause=status.value, delta_on_hand=0, delta_reserved=-line.quantity
        )
    reservation.status = status
    await uow.inventory.set_reservation_status(reservation_id, status)
    return reservation


async def commit_reservation(
    uow: UnitOfWork,
    reservation_id: uuid.UUID,
    *,
    source: str = "checkout",
    locked: Reservation | None = None,
) -> Reservation:
    """Turn held units into sold ones: on-hand and reserved both drop, with a SOLD movement.
    `locked`: the reservation as this transaction already locked or made it (not read again)."""
    if locked is not None and locked.id == reservation_id:
        # The order lock_reservation reads lines in: by sku, then line number.
        reservation: Reservation | None = replace(
            locked, lines=sorted(locked.lines, key=lambda line: line.sku)
        )
    else:
        reservation = await uow.inventory.lock_reservation(reservation_id)
    if reservation is None:
        raise NotFound("Reservation", ["reservation_id"])
    if reservation.status is ReservationStatus.COMMITTED:
        return reservation
    if reservation.status is not ReservationStatus.ACTIVE or reservation.expired:
        raise DomainError(
            ErrorCode.INVALID, "The reservation has expired or was released.", ["reservation_id"]
        )
    for index, line in enumerate(reservation.lines):
        level = await uow.inventory.sell_reserved(line.sku, line.location_id, line.quantity)
        await uow.inventory.add_movement(
            line.sku,
            line.location_id,
            -line.quantity,
            MovementReason.SOLD,
            source,
            f"reservation:{reservation_id}:{index}",
        )
        await record_stock_change(
            uow, level, cause="SOLD", delta_on_hand=-line.quantity, delta_reserved=-line.quantity
        )
    reservation.status = ReservationStatus.COMMITTED
    await uow.inventory.set_reservation_status(reservation_id, ReservationStatus.COMMITTED)
    return reservation


SWEEPER_LOCK_KEY = 0x0C6_0402


async def release_expired_reservations(uow: UnitOfWork, *, limit: int = 200) -> int:
    """Expire what is past its TTL; only the instance holding the sweeper lock does it."""
    if not await uow.inventory.try_transaction_lock(SWEEPER_LOCK_KEY):
        return 0
    expired = await uow.inventory.expired_reservation_ids(limit)
    for reservation_id in expired:
        await release_reservation(uow, reservation_id, status=ReservationStatus.EXPIRED)
    return len(expired)
