"""The store's DataLoaders, kept on the request's Loaders (created per request)."""

from __future__ import annotations

from typing import Any

from datasources.postgres.store_repository import arrivals_by_ids
from resolvers.context import Info, Loader


def arrival_loader(info: Info) -> Loader[Any, Any]:
    """ArrivalByIdLoader of this request."""
    loaders = info.context.loaders
    loader: Loader[Any, Any] | None = getattr(loaders, "_ArrivalByIdLoader", None)
    if loader is None:
        loader = Loader(info.context.pool, arrivals_by_ids)
        loaders._ArrivalByIdLoader = loader  # type: ignore[attr-defined]
    return loader
