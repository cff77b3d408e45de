"""Customer use-cases: register, authenticate, profile, identities, addresses, merge, erase,
loyalty. Every one that touches a customer's data checks who is asking (domain.auth)."""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.auth import (
    Principal,
    PrincipalKind,
    has_customer_data_role,
    may_access_customer,
    require_principal,
)
from domain.customer.identity import (
    IdentityKind,
    guess_login_kind,
    normalize_email,
    normalize_identity,
    normalize_phone,
)
from domain.customer.passwords import check_password_policy, hash_password, verify_password
from domain.customer.ports import CustomerUnitOfWork
from domain.customer.records import (
    AddressFields,
    CustomerAddress,
    CustomerIdentity,
)
from domain.errors import DomainError, ErrorCode
from domain.geography import check_country_code
from domain.models import Customer, OutboxEvent

CUSTOMERS_TOPIC = "ucg.customers.v1"
_NOT_FOUND = "Customer does not exist."
_BAD_LOGIN = "The login or password is wrong."


def customer_not_found(field: list[str] | None = None) -> DomainError:
    """The one answer to "not yours" and "not there", so neither leaks."""
    return DomainError(ErrorCode.NOT_FOUND, _NOT_FOUND, field)


def customer_event(type_: str, customer_id: uuid.UUID, **data: object) -> OutboxEvent:
    # Events carry ids only: never an email, phone, name or address.
    return OutboxEvent(
        topic=CUSTOMERS_TOPIC,
        type=type_,
        aggregate_type="Customer",
        aggregate_id=str(customer_id),
        data={"customerId": str(customer_id), **data},
    )


def resolve_target(principal: Principal | None, customer_id: uuid.UUID | None) -> uuid.UUID:
    """The customer a mutation acts on: the one named (if the caller may), else the caller."""
    caller = require_principal(principal)
    if customer_id is None:
        if caller.kind is not PrincipalKind.CUSTOMER:
            raise DomainError(ErrorCode.INVALID, "Name the customer.", ["customer_id"])
        return caller.id
    if not may_access_customer(caller, customer_id):
        raise customer_not_found(["customer_id"])
    return customer_id


async def live_customer(
    uow: CustomerUnitOfWork, customer_id: uuid.UUID, lock: bool = False
) -> Customer:
    customer = await uow.customers.get(customer_id, lock=lock)
    if customer is None or customer.merged_into is not None or customer.erased_at is not None:
        raise customer_not_found(["customer_id"])
    return customer


# --- accounts -------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    email: str | None
    phone: str | None
    password: str
    first_name: str | None = None
    last_name: str | None = None
    marketing_consent: bool = False
    channel: str | None = None


_CHANNEL_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")


def check_channel_code(code: str | None, field: list[str]) -> str | None:
    if code is not None and not _CHANNEL_CODE.match(code):
        raise DomainError(ErrorCode.INVALID, "A channel code looks like WEB or POS.", field)
    return code


def _display_name(first: str | None, last: str | None) -> str:
    return " ".join(p.strip() for p in (first, last) if p and p.strip())


async def register_customer(uow: CustomerUnitOfWork, reg: Registration) -> Customer:
    if not reg.email and not reg.phone:
        raise DomainError(ErrorCode.INVALID, "Give an email or a phone number.", ["email"])
    identities: list[tuple[IdentityKind, str, list[str]]] = []
    if reg.email:
        identities.append((IdentityKind.EMAIL, normalize_email(reg.email, ["email"]), ["email"]))
    if reg.phone:
        identities.append((IdentityKind.PHONE, normalize_phone(reg.phone, ["phone"]), ["phone"]))
    check_password_policy(reg.password, ["password"])
    check_channel_code(reg.channel, ["channel"])
    for kind, value, field in identities:
        if await uow.customers.identity_owner(kind.value, value) is not None:
            raise DomainError(
                ErrorCode.TAKEN, f"That {kind.value.lower()} is already registered.", field
            )
    password_hash = await asyncio.to_thread(hash_password, reg.password)
    customer = await uow.customers.create(
        display_name=_display_name(reg.first_name, reg.last_name),
        first_name=reg.first_name,
        last_name=reg.last_name,
        password_hash=password_hash,
        marketing_consent=reg.marketing_consent,
        consent_source="registration" if reg.marketing_consent else None,
        channel=reg.channel,
    )
    for kind, value, _ in identities:
        await uow.customers.add_identity(customer.id, kind.value, value, None)
    await uow.add_event(customer_event("ucg.customer.registered.v1", customer.id))
    return customer


async def authenticate_customer(uow: CustomerUnitOfWork, login: str, password: str) -> uuid.UUID:
    """The customer id for a good login; one generic error for every bad one."""
    kind = guess_login_kind(login)
    try:
        normalized = normalize_identity(kind, login)
    except DomainError:
        normalized = None
    owner = None
    if normalized is not None:
        owner = await uow.customers.identity_owner(kind.value, normalized)
    password_hash = await uow.customers.password_hash(owner) if owner else None
    if not await asyncio.to_thread(verify_password, password_hash, password):
        raise DomainError(ErrorCode.UNAUTHENTICATED, _BAD_LOGIN, ["login"])
    assert owner is not None
    return owner


def login_throttle_key(login: str) -> str:
    """The account part of the throttle key: the normalized login (never logged)."""
    kind = guess_login_kind(login)
    try:
        return f"{kind.value}:{normalize_identity(kind, login)}"
    except DomainError:
        return f"RAW:{login.strip().lower()}"


# --- profile --------------------------------------------------------------------------


async def update_profile(
    uow: CustomerUnitOfWork,
    principal: Principal | None,
    customer_id: uuid.UUID | None,
    first_name: str | None = None,
    last_name: str | None = None,
    display_name: str | None = None,
    marketing_consent: bool | None = None,
    consent_source: str | None = None,
    now: datetime | None = None,
) -> Customer:
    target = resolve_target(principal, customer_id)
    customer = await live_customer(uow, target, lock=True)
    fields: dict[str, Any] = {}
    for name, value in (("first_name", first_name), ("last_name", last_name)):
        if value is not None:
            if len(value) > 200:
                raise DomainError(ErrorCode.INVALID, "Names have at most 200 characters.", [name])
            fields[name] = value.strip() or None
    if display_name is not None:
        if not display_name.strip() or len(display_name) > 200:
            raise DomainError(
                ErrorCode.INVALID,
                "A display name has 1 to 200 characters.",
                ["display_name"],
            )
        fields["display_name"] = display_name.strip()
    elif fields and not customer.display_name:
        fields["display_name"] = _display_name(
            fields.get("first_name", customer.first_name),
            fields.get("last_name", customer.last_name),
        )
    if marketing_consent is not None and marketing_consent != customer.marketing_consent:
        source = (consent_source or "").strip()
        if not source:
            raise DomainError(
                ErrorCode.INVALID,
                "Say where the consent was given or withdrawn (e.g. web, pos, support).",
                ["marketing_consent", "source"],
            )
        fields["marketing_consent"] = marketing_consent
        fields["marketing_consent_at"] = now or datetime.now(UTC)
        fields["marketing_consent_source"] = source[:64]
    if not fields:
        return customer
    updated = await uow.customers.update(target, fields)
    await uow.add_event(customer_event("ucg.customer.updated.v1", target))
    return updated


# --- identities -----------------------------------------------------------------------

_SELF_LINKABLE = {IdentityKind.EMAIL, IdentityKind.PHONE, IdentityKind.DEVICE}


async def link_identity(
    uow: CustomerUnitOfWork,
    principal: Principal | None,
    customer_id: uuid.UUID | None,
    kind: IdentityKind,
    value: str,
    source_system: str | None = None,
) -> CustomerIdentity:
    target = resolve_target(principal, customer_id)
    caller = require_principal(principal)
    if caller.kind is PrincipalKind.CUSTOMER and kind not in _SELF_LINKABLE:
        raise DomainError(
            ErrorCode.FORBIDDEN, "Loyalty cards and external ids are linked by staff.", ["kind"]
        )
    normalized = normalize_identity(kind, value, source_system, ["value"])
    await live_customer(uow, target, lock=True)
    owner = await uow.customers.identity_owner(kind.value, normalized)
    if owner is not None:
        if owner == target:
            raise DomainError(ErrorCode.TAKEN, "This identity is already linked.", ["value"])
        raise DomainError(ErrorCode.TAKEN, "This identity belongs to another customer.", ["value"])
    identity = await uow.customers.add_identity(
        target, kind.value, normalized, source_system.strip().lower() if source_system else None
    )
    await uow.add_event(customer_event("ucg.customer.identity_linked.v1", target, kind=kind.value))
    return identity


async def lookup_customer(
    uow: CustomerUnitOfWork,
    principal: Principal | None,
    kind: IdentityKind,
    value: str,
    source_system: str | None = None,
) -> Customer | None:
    """Find a customer at the till by phone, loyalty card, email...: staff and POS only."""
    caller = require_principal(principal)
    if caller.kind is PrincipalKind.CUSTOMER or not has_customer_data_role(caller):
        raise DomainError(ErrorCode.FORBIDDEN, "Only staff and POS may look customers up.")
    try:
        normalized = normalize_identity(kind, value, source_system, ["value"])
    except DomainError:
        return None
    owner = await uow.customers.identity_owner(kind.value, normalized)
    if owner is None:
        return None
    customer = await uow.customers.get(owner)
    while customer is not None and customer.merged_into is not None:
        customer = await uow.customers.get(customer.merged_into)
    return customer


# --- addresses ------------------------------------------------------------------------


def validate_address(fields: AddressFields) -> AddressFields:
    def text(value: str, name: str, required: bool, limit: int = 200) -> str:
        value = value.strip()
        if (required and not value) or len(value) > limit:
            raise DomainError(
                ErrorCode.INVALID,
                f"{name.replace('_', ' ').capitalize()} is {'required and ' if required else ''}at most {limit} characters.",
                [name],
            )
        return value

    country = check_country_code(fields.country_code, ["country_code"])
    return AddressFields(
        name=text(fields.name, "name", False),
        line1=text(fields.line1, "line1", True),
        line2=text(fields.line2, "line2", False),
        city=text(fields.city, "city", True),
        postal_code=text(fields.postal_code, "postal_code", False, 32),
        region=text(fields.region, "region", False),
        country_code=country,
        phone=normalize_phone(fields.phone, ["phone"]) if fields.phone else None,
    )


async def _own_address(
    uow: CustomerUnitOfWork, principal: Principal | None, address_id: uuid.UUID
) -> CustomerAddress:
    address = await uow.customers.address(address_id)
    if address is None or not may_access_customer(principal, address.customer_id):
        require_principal(principal)
        raise DomainError(ErrorCode.NOT_FOUND, "Address does not exist.", ["id"])
    return address


async def add_address(
    uow: CustomerUnitOfWork,
    principal: Principal | None,
    customer_id: uuid.UUID | None,
    fields: AddressFields,
    default_shipping: bool = False,
    default_billing: bool = False,
) -> CustomerAddress:
    target = resolve_target(principal, customer_id)
    clean = validate_address(fields)
    await live_customer(uow, target, lock=True)
    address = await uow.customers.add_address(target, clean)
    if default_shipping or default_billing:
        await uow.customers.set_default_address(
            target, address.id, default_shipping, default_billing
        )
        address = await uow.customers.address(address.id) or address
    await uow.add_event(customer_event("ucg.customer.updated.v1", target))
    return address


async def update_address(
    uow: CustomerUnitOfWork,
    principal: Principal | None,
    address_id: uuid.UUID,
    fields: AddressFields,
    default_shipping: bool = False,
    default_billing: bool = False,
) -> CustomerAddress:
    current = await _own_address(uow, principal, address_id)
    clean = validate_address(fields)
    await live_customer(uow, current.customer_id, lock=True)
    address = await uow.customers.update_address(address_id, clean)
    if default_shipping or default_billing:
        await uow.customers.set_default_address(
            current.customer_id, address_id, default_shipping, default_billing
        )
        address = await uow.customers.address(address_id) or address
    await uow.add_event(customer_event("ucg.customer.updated.v1", current.customer_id))
    return address


async def remove_address(
    uow: CustomerUnitOfWork, principal: Principal | None, address_id: uuid.UUID
) -> uuid.UUID:
    current = await _own_address(uow, principal, address_id)
    await uow.customers.remove_address(address_id)
    await uow.add_event(customer_event("ucg.customer.updated.v1", current.customer_id))
    return current.customer_id
