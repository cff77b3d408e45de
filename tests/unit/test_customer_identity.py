"""Identity normalization: case for emails, E.164 for phones, source-scoped external ids."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.auth import Principal, PrincipalKind, Role, may_access_customer, may_see_owned
from domain.customer.identity import (
    IdentityKind,
    guess_login_kind,
    normalize_email,
    normalize_identity,
    normalize_phone,
)
from domain.errors import DomainError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+44 20 7946 0958", "+442079460958"),
        ("+44 (0)20 7946 0958", "+442079460958"),
        ("0044-20-7946-0958", "+442079460958"),
        ("+1 (415) 555-0132", "+14155550132"),
        ("+49.30.1234567", "+49301234567"),
        (" +33 1 23 45 67 89 ", "+33123456789"),
    ],
)
def test_phones_become_e164(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw", ["020 7946 0958", "+0 123 4567", "+44 abc", "+1234", "", "+1" + "2" * 15]
)
def test_phones_without_country_code_or_malformed_are_refused(raw: str) -> None:
    with pytest.raises(DomainError) as error:
        normalize_phone(raw, ["phone"])
    assert error.value.field == ["phone"]


@given(st.from_regex(r"\+[1-9][0-9]{7,14}", fullmatch=True))
def test_normalizing_a_normalized_phone_is_identity(phone: str) -> None:
    assert normalize_phone(phone) == phone
    spaced = " ".join(phone[i : i + 3] for i in range(0, len(phone), 3))
    assert normalize_phone(spaced) == phone


def test_emails_are_trimmed_and_lower_cased() -> None:
    assert normalize_email("  Ada.Lovelace@Example.COM ") == "ada.lovelace@example.com"
    for bad in (
        "no-at-sign",
        "a@b",
        "two@@example.com",
        "sp ace@example.com",
        "x" * 65 + "@example.com",
    ):
        with pytest.raises(DomainError):
            normalize_email(bad)


def test_other_identities() -> None:
    assert normalize_identity(IdentityKind.LOYALTY_CARD, " lc-0001 ") == "LC-0001"
    assert normalize_identity(IdentityKind.DEVICE, "dev:AbC") == "dev:AbC"
    assert normalize_identity(IdentityKind.EXTERNAL, "123", "Shopify") == "shopify:123"
    with pytest.raises(DomainError) as error:
        normalize_identity(IdentityKind.EXTERNAL, "123")
    assert error.value.field == ["source_system"]
    with pytest.raises(DomainError):
        normalize_identity(IdentityKind.LOYALTY_CARD, "bad value with spaces")
    assert guess_login_kind("a@b.co") is IdentityKind.EMAIL
    assert guess_login_kind("+4930123") is IdentityKind.PHONE


def test_who_may_access_a_customer() -> None:
    me, other = uuid.uuid4(), uuid.uuid4()
    customer = Principal(PrincipalKind.CUSTOMER, me)
    assert may_access_customer(customer, me) and not may_access_customer(customer, other)
    assert not may_access_customer(None, me) and not may_access_customer(customer, None)
    merch = Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset({Role.MERCHANDISER}))
    assert not may_access_customer(merch, me)
    for role in (Role.ADMIN, Role.SUPPORT, Role.STORE_ASSOCIATE, Role.POS):
        assert may_access_customer(
            Principal(PrincipalKind.API_KEY, uuid.uuid4(), frozenset({role})), me
        )
    assert (
        may_see_owned(None, None)
        and may_see_owned(customer, me)
        and not may_see_owned(customer, other)
    )
