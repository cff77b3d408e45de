"""Catalog use-cases."""

from __future__ import annotations

import re

from domain.auth import Principal, Role, require_roles
from domain.errors import DomainError, ErrorCode
from domain.models import Channel, OutboxEvent
from domain.money import is_currency_code
from domain.ports import UnitOfWork

CATALOG_TOPIC = "ucg.catalog.v1"
_CHANNEL_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")


def validate_channel(code: str, name: str, currency_code: str) -> None:
    if not _CHANNEL_CODE.match(code):
        raise DomainError(
            ErrorCode.INVALID,
            "Channel code must be 1-32 upper-case letters, digits or _, starting with a letter.",
            ["input", "code"],
        )
    if not name.strip():
        raise DomainError(ErrorCode.INVALID, "Channel name must not be blank.", ["input", "name"])
    if not is_currency_code(currency_code):
        raise DomainError(
            ErrorCode.INVALID,
            "Currency code must be an ISO 4217 code such as EUR.",
            ["input", "currencyCode"],
        )


async def create_channel(
    uow: UnitOfWork, principal: Principal | None, code: str, name: str, currency_code: str
) -> Channel:
    require_roles(principal, Role.MERCHANDISER)
    validate_channel(code, name, currency_code)
    if await uow.catalog.channel_code_exists(code):
        raise DomainError(ErrorCode.TAKEN, f"Channel {code} already exists.", ["input", "code"])
    channel = await uow.catalog.add_channel(code, name.strip(), currency_code)
    await uow.add_event(
        OutboxEvent(
            topic=CATALOG_TOPIC,
            type="ucg.catalog.channel_created.v1",
            aggregate_type="Channel",
            aggregate_id=str(channel.id),
            data={"channelId": str(channel.id), "code": code, "currencyCode": currency_code},
        )
    )
    return channel
