"""The store's DataLoaders, built per request by resolvers/context.py's Loaders."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from datasources.postgres.store_repository import arrivals_by_ids
from domain.store.pickup import Arrival
from resolvers.context import Loader


class ArrivalByIdLoader(Loader[uuid.UUID, Arrival | None]):
    """Pickup arrivals ("I'm here") by id; None for an unknown id."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        super().__init__(pool, arrivals_by_ids)
