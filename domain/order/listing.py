"""Who may list which orders (Query.orders). Pure."""

from __future__ import annotations

import uuid

from domain.auth import Principal, PrincipalKind, has_customer_data_role, require_principal
from domain.errors import DomainError, ErrorCode


def listing_owner(principal: Principal | None) -> uuid.UUID | None:
    """The customer whose orders the caller may list, or None for every customer's.

    Customers list their own; staff and services with a customer-data role list
    everyone's; anonymous callers and other staff (e.g. merchandisers) none."""
    caller = require_principal(principal)
    if caller.kind is PrincipalKind.CUSTOMER:
        return caller.id
    if has_customer_data_role(caller):
        return None
    raise DomainError(ErrorCode.FORBIDDEN, "You are not allowed to list orders.")
