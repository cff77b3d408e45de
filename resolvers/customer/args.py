"""Arguments shared by the customer mutations."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from datasources.redis.auth import AuthStore
from domain.ids import local_id
from resolvers.context import Info


def customer_id_arg(value: strawberry.ID | None, field: str = "customerId") -> uuid.UUID | None:
    if value is None:
        return None
    return local_id(value, "Customer", [field])


CustomerIdArg = Annotated[
    strawberry.ID | None,
    strawberry.argument(description="The customer (staff); omit to act on yourself."),
]


async def revoke_sessions(info: Info, customer_id: uuid.UUID) -> None:
    settings = info.context.settings
    store = AuthStore(info.context.redis, settings.kafka_topic_prefix)
    await store.revoke_subject(str(customer_id), settings.access_token_ttl_seconds + 60)
