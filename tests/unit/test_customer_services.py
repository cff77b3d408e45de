"""Customer use-cases over an in-memory store: whom a mutation acts on, profile and
identity refusals, logins that are not even well-formed, and default addresses."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import pytest

from domain.auth import Principal, PrincipalKind
from domain.customer import services
from domain.customer.identity import IdentityKind
from domain.customer.records import AddressFields, CustomerAddress, CustomerIdentity
from domain.errors import DomainError, ErrorCode
from domain.models import Customer
from tests.unit.customer_fakes import NOW, SUPPORT, FakeCustomerStore, refused
from tests.unit.customer_fakes import FakeUow as BaseFakeUow

HOME = AddressFields("Ann", "Damrak 1", "", "Amsterdam", "1012", "", "nl", None)


class FakeCustomers(FakeCustomerStore):
    def __init__(self) -> None:
        super().__init__()
        self.identities: dict[tuple[str, str], uuid.UUID] = {}
        self.addresses: dict[uuid.UUID, CustomerAddress] = {}
        self.updates: list[dict[str, Any]] = []

    def add(self, **fields: Any) -> Customer:
        customer = Customer(id=uuid.uuid4(), display_name="", created_at=NOW, **fields)
        self.rows[customer.id] = customer
        return customer

    async def update(self, customer_id: uuid.UUID, fields: dict[str, Any]) -> Customer:
        self.updates.append(fields)
        self.rows[customer_id] = replace(self.rows[customer_id], **fields)
        return self.rows[customer_id]

    async def identity_owner(self, kind: str, normalized: str) -> uuid.UUID | None:
        return self.identities.get((kind, normalized))

    async def add_identity(
        self, customer_id: uuid.UUID, kind: str, normalized: str, source_system: str | None
    ) -> CustomerIdentity:
        self.identities[(kind, normalized)] = customer_id
        return CustomerIdentity(
            uuid.uuid4(), customer_id, IdentityKind(kind), normalized, source_system, False, NOW
        )

    async def password_hash(self, customer_id: uuid.UUID) -> str | None:
        return None

    async def address(self, address_id: uuid.UUID) -> CustomerAddress | None:
        return self.addresses.get(address_id)

    async def update_address(self, address_id: uuid.UUID, fields: AddressFields) -> CustomerAddress:
        self.addresses[address_id] = replace(self.addresses[address_id], fields=fields)
        return self.addresses[address_id]

    async def set_default_address(
        self, customer_id: uuid.UUID, address_id: uuid.UUID, shipping: bool, billing: bool
    ) -> None:
        address = self.addresses[address_id]
        self.addresses[address_id] = replace(
            address,
            is_default_shipping=address.is_default_shipping or shipping,
            is_default_billing=address.is_default_billing or billing,
        )


class FakeUow(BaseFakeUow):
    customers_class = FakeCustomers


def test_staff_must_name_the_customer_they_act_on() -> None:
    with pytest.raises(DomainError) as caught:
        services.resolve_target(SUPPORT, None)
    assert (caught.value.code, caught.value.field) == (ErrorCode.INVALID, ["customer_id"])
    me = Principal(PrincipalKind.CUSTOMER, uuid.uuid4())
    assert services.resolve_target(me, None) == me.id


async def test_a_merged_customer_is_not_live() -> None:
    uow = FakeUow()
    merged = uow.customers.add(merged_into=uuid.uuid4())
    assert await refused(services.live_customer(uow, merged.id)) == (
        ErrorCode.NOT_FOUND,
        ["customer_id"],
    )


async def test_registration_needs_an_email_or_a_phone() -> None:
    uow = FakeUow()
    reg = services.Registration(email=None, phone="", password="long enough secret")
    assert await refused(services.register_customer(uow, reg)) == (
        ErrorCode.INVALID,
        ["email"],
    )
    assert uow.customers.rows == {}


async def test_a_malformed_login_gets_the_generic_answer() -> None:
    code, field = await refused(services.authenticate_customer(FakeUow(), "not a phone", "pw"))
    assert (code, field) == (ErrorCode.UNAUTHENTICATED, ["login"])


def test_a_malformed_login_still_gets_a_throttle_key() -> None:
    assert services.login_throttle_key("  Not A Phone ") == "RAW:not a phone"
    assert services.login_throttle_key("Ann@Example.com").startswith("EMAIL:")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"first_name": "x" * 201}, ["first_name"]),
        ({"display_name": "   "}, ["display_name"]),
        ({"display_name": "x" * 201}, ["display_name"]),
        (
            {"marketing_consent": True, "consent_source": "  "},
            ["marketing_consent", "source"],
        ),
    ],
)
async def test_profile_refusals_name_the_field_and_save_nothing(
    changes: dict[str, Any], field: list[str]
) -> None:
    uow = FakeUow()
    customer = uow.customers.add()
    assert await refused(services.update_profile(uow, SUPPORT, customer.id, **changes)) == (
        ErrorCode.INVALID,
        field,
    )
    assert uow.customers.updates == [] and uow.events == []


async def test_a_nameless_profile_gets_a_display_name_from_the_names() -> None:
    uow = FakeUow()
    customer = uow.customers.add()
    updated = await services.update_profile(
        uow, SUPPORT, customer.id, first_name=" Ann ", last_name="Lee"
    )
    assert (updated.first_name, updated.display_name) == ("Ann", "Ann Lee")
    consent = await services.update_profile(
        uow, SUPPORT, customer.id, marketing_consent=True, consent_source=" pos ", now=NOW
    )
    assert (consent.marketing_consent, consent.marketing_consent_source) == (True, "pos")
    assert consent.marketing_consent_at == NOW
    unchanged = await services.update_profile(uow, SUPPORT, customer.id)
    assert unchanged == consent and len(uow.events) == 2


async def test_linking_an_identity_already_on_the_same_customer_is_taken() -> None:
    uow = FakeUow()
    customer = uow.customers.add()
    await services.link_identity(uow, SUPPORT, customer.id, IdentityKind.LOYALTY_CARD, "ab12")
    assert await refused(
        services.link_identity(uow, SUPPORT, customer.id, IdentityKind.LOYALTY_CARD, "AB12")
    ) == (ErrorCode.TAKEN, ["value"])
    assert len(uow.events) == 1


async def test_a_lookup_with_a_malformed_value_finds_nobody() -> None:
    uow = FakeUow()
    customer = uow.customers.add()
    uow.customers.identities[("LOYALTY_CARD", "AB12")] = customer.id
    assert await services.lookup_customer(uow, SUPPORT, IdentityKind.LOYALTY_CARD, "a b") is None
    assert await services.lookup_customer(uow, SUPPORT, IdentityKind.LOYALTY_CARD, "ab12") == (
        customer
    )


def test_an_address_field_over_its_limit_is_named() -> None:
    with pytest.raises(DomainError) as caught:
        services.validate_address(replace(HOME, postal_code="9" * 33))
    assert (caught.value.code, caught.value.field) == (ErrorCode.INVALID, ["postal_code"])
    assert services.validate_address(HOME).country_code == "NL"


async def test_updating_an_address_can_make_it_the_default() -> None:
    uow = FakeUow()
    customer = uow.customers.add()
    address = CustomerAddress(uuid.uuid4(), customer.id, HOME, False, False, NOW)
    uow.customers.addresses[address.id] = address
    moved = replace(HOME, city="Utrecht")
    updated = await services.update_address(uow, SUPPORT, address.id, moved, default_shipping=True)
    assert updated.fields.city == "Utrecht"
    assert (updated.is_default_shipping, updated.is_default_billing) == (True, False)
    assert [e.type for e in uow.events] == ["ucg.customer.updated.v1"]


async def test_a_display_name_is_trimmed() -> None:
    uow = FakeUow()
    customer = uow.customers.add()
    updated = await services.update_profile(uow, SUPPORT, customer.id, display_name="  Annie ")
    assert updated.display_name == "Annie"


async def test_an_identity_of_another_customer_is_taken_and_a_lookup_follows_merges() -> None:
    uow = FakeUow()
    survivor = uow.customers.add()
    merged = uow.customers.add(merged_into=survivor.id)
    uow.customers.identities[("LOYALTY_CARD", "AB12")] = merged.id
    assert await refused(
        services.link_identity(uow, SUPPORT, survivor.id, IdentityKind.LOYALTY_CARD, "ab12")
    ) == (ErrorCode.TAKEN, ["value"])
    assert uow.events == []
    found = await services.lookup_customer(uow, SUPPORT, IdentityKind.LOYALTY_CARD, "ab12")
    assert found == survivor
