"""Who is calling, and the role checks every use-case applies. Pure: no tokens here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from domain.errors import DomainError, ErrorCode


class PrincipalKind(StrEnum):
    CUSTOMER = "CUSTOMER"
    STAFF = "STAFF"
    API_KEY = "API_KEY"


class Role(StrEnum):
    ADMIN = "ADMIN"
    MERCHANDISER = "MERCHANDISER"
    STORE_ASSOCIATE = "STORE_ASSOCIATE"
    SUPPORT = "SUPPORT"
    POS = "POS"
    SERVICE = "SERVICE"
    AGENT = "AGENT"


@dataclass(frozen=True)
class Principal:
    """The one authenticated caller of a request."""

    kind: PrincipalKind
    id: uuid.UUID
    roles: frozenset[Role] = field(default_factory=frozenset)
    channel: str | None = None
    # An API key bound to one store works only there for the store operations.
    location_id: uuid.UUID | None = None

    @property
    def is_staff_like(self) -> bool:
        return self.kind is not PrincipalKind.CUSTOMER


def require_principal(principal: Principal | None) -> Principal:
    if principal is None:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "Sign in or send an API key.")
    return principal


def require_roles(principal: Principal | None, *roles: Role) -> Principal:
    """The caller must hold one of `roles` (ADMIN may do everything)."""
    caller = require_principal(principal)
    if Role.ADMIN in caller.roles or caller.roles.intersection(roles):
        return caller
    raise DomainError(ErrorCode.FORBIDDEN, "You are not allowed to do this.")


def require_customer_or_staff(principal: Principal | None, owner_id: uuid.UUID | None) -> Principal:
    """Customers may touch only their own objects; staff and services any."""
    caller = require_principal(principal)
    if caller.kind is PrincipalKind.CUSTOMER and caller.id != owner_id:
        raise DomainError(ErrorCode.FORBIDDEN, "This object belongs to someone else.")
    return caller


# Staff-like roles that may read and change any customer's data (MERCHANDISER may not).
CUSTOMER_DATA_ROLES = (Role.SUPPORT, Role.STORE_ASSOCIATE, Role.POS, Role.SERVICE)
# Roles that may merge, erase or export someone else's record.
CUSTOMER_ADMIN_ROLES = (Role.SUPPORT,)


def may_access_customer(principal: Principal | None, customer_id: uuid.UUID | None) -> bool:
    """Self, or a staff/machine caller holding a customer-data role. No error: callers
    answer "not found" so that nobody learns whether someone else's object exists."""
    if principal is None or customer_id is None:
        return False
    if principal.kind is PrincipalKind.CUSTOMER:
        return principal.id == customer_id
    return has_customer_data_role(principal)


def has_customer_data_role(principal: Principal) -> bool:
    return Role.ADMIN in principal.roles or bool(principal.roles.intersection(CUSTOMER_DATA_ROLES))


def may_see_owned(principal: Principal | None, owner_id: uuid.UUID | None) -> bool:
    """A customer-owned object (cart, order). Ownerless (guest) objects are reached by
    their unguessable id, which is their bearer."""
    if owner_id is None:
        return True
    return may_access_customer(principal, owner_id)
