"""Arguments shared by the customer mutations."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from datasources.redis.auth import AuthStore
from domain.errors import DomainError
from domain.ids import from_global_id
from resolvers.context import Info


def customer_id_arg(value: strawberry.ID | None, field: str = "customerId") -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return from_global_id(value, "Customer")[1]
    except DomainError as error:
        error.field = [field]
        raise


CustomerIdArg = Annotated[
    strawberry.ID | None,
    strawberry.argument(description="The customer (staff); omit to act on yourself."),
]


async def revoke_sessions(info: Info, customer_id: uuid.UUID) -> None:
    settings = info.context.settings
    store = AuthStore(info.context.redis, settings.kafka_topic_prefix)
    await store.revoke_subject(str(customer_id), settings.access_token_ttl_seconds + 60)
