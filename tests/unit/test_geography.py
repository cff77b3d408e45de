"""Country codes: only assigned ISO 3166-1 alpha-2 codes pass, on every input that takes one."""

from dataclasses import replace

import pytest

from domain.cart.models import BuyerIdentityInput
from domain.cart.validation import check_buyer_identity
from domain.customer.records import AddressFields
from domain.customer.services import validate_address
from domain.errors import DomainError, ErrorCode
from domain.geography import COUNTRY_CODES, check_address_country, check_country_code

HOME = AddressFields("Ann", "Damrak 1", "", "Amsterdam", "1012", "", "nl", None)


def test_the_list_holds_the_assigned_codes_only() -> None:
    assert len(COUNTRY_CODES) == 249
    assert {"DE", "US", "NL", "GB", "JP", "AQ"} <= COUNTRY_CODES
    assert not {"XX", "ZZ", "UK", "EU", "AA"} & COUNTRY_CODES


def test_a_code_is_normalized_or_refused_on_its_field() -> None:
    assert check_country_code(" de ", ["country"]) == "DE"
    with pytest.raises(DomainError) as refused:
        check_country_code("XX", ["shipping", "country_code"])
    assert refused.value.code is ErrorCode.INVALID
    assert refused.value.field == ["shipping", "country_code"]
    assert "'XX'" in refused.value.message


@pytest.mark.parametrize("code", ["XX", "ZZ", "U1", "nl"])
def test_a_cart_buyer_in_an_unknown_country_is_refused(code: str) -> None:
    with pytest.raises(DomainError) as refused:
        check_buyer_identity(BuyerIdentityInput(country_code=code), ["buyer_identity"])
    assert refused.value.field == ["buyer_identity", "country_code"]


def test_a_customer_address_in_an_unknown_country_is_refused() -> None:
    assert validate_address(HOME).country_code == "NL"
    with pytest.raises(DomainError) as refused:
        validate_address(replace(HOME, country_code="QQ"))
    assert refused.value.code is ErrorCode.INVALID
    assert refused.value.field == ["country_code"]


def test_an_address_country_is_checked_only_when_named() -> None:
    check_address_country({"line1": "Damrak 1"}, ["address"])
    check_address_country({"countryCode": "nl"}, ["address"])
    for bad in ("XX", 31, ""):
        with pytest.raises(DomainError) as refused:
            check_address_country({"countryCode": bad}, ["payment", "billing_address"])
        assert refused.value.field == ["payment", "billing_address", "country_code"]
