"""The store a store operation names, decoded once at the edge: a key bound to a store
(domain.authz.check_at_own_store) is refused FORBIDDEN anywhere else."""

from __future__ import annotations

import uuid

from domain.authz import check_at_own_store
from domain.ids import local_id
from resolvers.context import Info


def store_location(info: Info, location_gid: str) -> uuid.UUID:
    location = local_id(location_gid, "Location", ["locationId"])
    check_at_own_store(info.context.principal, location)
    return location
