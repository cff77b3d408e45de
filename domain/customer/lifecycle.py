"""Merge of duplicates, GDPR export and erasure."""

from __future__ import annotations

import uuid
from typing import Any

from domain.auth import (
    CUSTOMER_ADMIN_ROLES,
    Principal,
    PrincipalKind,
    require_principal,
    require_roles,
)
from domain.customer.ports import CustomerUnitOfWork
from domain.customer.records import EraseResult, MergeResult
from domain.customer.services import customer_event, customer_not_found, resolve_target
from domain.errors import DomainError, ErrorCode


async def merge_customers(
    uow: CustomerUnitOfWork,
    principal: Principal | None,
    survivor_id: uuid.UUID,
    merged_id: uuid.UUID,
) -> MergeResult:
    """Move everything of `merged_id` to `survivor_id`. Repeating it changes nothing."""
    require_roles(principal, *CUSTOMER_ADMIN_ROLES)
    if survivor_id == merged_id:
        raise DomainError(
            ErrorCode.INVALID, "A customer cannot be merged into itself.", ["merged_id"]
        )
    # Lock in id order, so two merges of the same pair cannot deadlock.
    first, second = sorted((survivor_id, merged_id))
    rows = {first: await uow.customers.get(first, lock=True)}
    rows[second] = await uow.customers.get(second, lock=True)
    survivor, merged = rows[survivor_id], rows[merged_id]
    if survivor is None:
        raise customer_not_found(["survivor_id"])
    if merged is None:
        raise customer_not_found(["merged_id"])
    if merged.merged_into == survivor_id:
        return MergeResult(survivor_id, merged_id, changed=False, moved={})
    if merged.merged_into is not None:
        raise DomainError(
            ErrorCode.INVALID, "That customer was merged into another.", ["merged_id"]
        )
    if survivor.merged_into is not None or survivor.erased_at is not None:
        raise DomainError(ErrorCode.INVALID, "The survivor was merged or erased.", ["survivor_id"])
    if merged.erased_at is not None:
        raise DomainError(ErrorCode.INVALID, "An erased customer cannot be merged.", ["merged_id"])
    moved = await uow.customers.merge(survivor_id, merged_id)
    await uow.add_event(
        customer_event("ucg.customer.merged.v1", merged_id, survivorId=str(survivor_id))
    )
    return MergeResult(survivor_id, merged_id, changed=True, moved=moved)


async def erase_customer(
    uow: CustomerUnitOfWork, principal: Principal | None, customer_id: uuid.UUID | None
) -> EraseResult:
    """Anonymize everything personal; keep financial records. Repeating it changes nothing."""
    caller = require_principal(principal)
    target = resolve_target(caller, customer_id)
    if caller.kind is not PrincipalKind.CUSTOMER:
        require_roles(caller, *CUSTOMER_ADMIN_ROLES)
    customer = await uow.customers.get(target, lock=True)
    if customer is None:
        raise customer_not_found(["customer_id"])
    if customer.erased_at is not None:
        return EraseResult(target, changed=False, touched={})
    touched = await uow.customers.erase(target)
    await uow.add_event(customer_event("ucg.customer.erased.v1", target))
    return EraseResult(target, changed=True, touched=touched)


async def export_customer(
    uow: CustomerUnitOfWork, principal: Principal | None, customer_id: uuid.UUID | None
) -> dict[str, Any]:
    caller = require_principal(principal)
    target = resolve_target(caller, customer_id)
    if caller.kind is not PrincipalKind.CUSTOMER:
        require_roles(caller, *CUSTOMER_ADMIN_ROLES)
    customer = await uow.customers.get(target)
    if customer is None:
        raise customer_not_found(["customer_id"])
    return await uow.customers.export(target)
