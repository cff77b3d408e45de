"""Markets and languages: settings checks, the buyer's context, text fallback, included tax
and the staff use-cases (over an in-memory repository)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace

import pytest

from domain.auth import Principal, PrincipalKind, Role
from domain.catalog import markets
from domain.catalog.markets import (
    BuyerContext,
    Market,
    MarketDraft,
    TranslationInput,
    buyer_context,
    clean_market,
    included_tax_minor,
    translated,
)
from domain.errors import DomainError, ErrorCode
from domain.models import OutboxEvent

EU = Market(uuid.uuid4(), "eu", "Europe", ("NL", "DE"), "EUR", "WEB", True, ("en", "de"), "en")
STAFF = Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset({Role.MERCHANDISER}))


def _error(call: object) -> tuple[ErrorCode, list[str] | None]:
    with pytest.raises(DomainError) as caught:
        call()  # type: ignore[operator]
    return caught.value.code, caught.value.field


def test_a_new_market_needs_its_settings_and_gets_them_normalized() -> None:
    draft = MarketDraft("uk", " UK ", ["gb", "GB", "im"], "GBP", "WEB", None, ["en", "cy", "en"])
    clean = clean_market(draft, None)
    assert (clean.name, clean.countries, clean.languages) == ("UK", ["GB", "IM"], ["en", "cy"])
    assert clean.default_language == "en"
    assert _error(lambda: clean_market(MarketDraft(handle="x"), None)) == (
        ErrorCode.INVALID,
        ["name"],
    )
    assert _error(lambda: clean_market(replace(draft, languages=None), None))[1] == ["languages"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"handle": "Not ok"}, ["handle"]),
        ({"name": "  "}, ["name"]),
        ({"countries": ["GB", "ZZ"]}, ["countries", "1"]),
        ({"countries": []}, ["countries"]),
        ({"currency_code": "eur"}, ["currency_code"]),
        ({"languages": ["en", "E N"]}, ["languages", "1"]),
        ({"languages": []}, ["languages"]),
        ({"default_language": "fr"}, ["default_language"]),
        ({"default_language": "??"}, ["default_language"]),
    ],
)
def test_bad_settings_are_invalid_on_their_field(
    change: dict[str, object], field: list[str]
) -> None:
    draft = replace(MarketDraft("uk", "UK", ["GB"], "GBP", "WEB", True, ["en"]), **change)
    assert _error(lambda: clean_market(draft, None)) == (ErrorCode.INVALID, field)


def test_an_update_keeps_what_it_omits_and_a_default_still_offered() -> None:
    clean = clean_market(MarketDraft(languages=["de", "en", "fr"]), EU)
    assert (clean.handle, clean.name, clean.default_language) == ("eu", "Europe", "en")
    assert clean.countries is None and clean.currency_code is None
    moved = clean_market(MarketDraft(languages=["fr", "de"]), EU)
    assert moved.default_language == "fr"  # en is no longer offered: the first language
    assert clean_market(MarketDraft(default_language="de"), EU).default_language == "de"
    assert clean_market(MarketDraft(), EU).default_language is None  # unchanged


def test_the_buyers_context_names_the_market_and_checks_the_language() -> None:
    context = buyer_context(" de ", "de", EU, ["de", "en"])
    assert context == BuyerContext(EU, "DE", "de")
    assert context.language_chain() == ("de", "en")
    assert buyer_context("NL", None, EU, []).language_chain() == ("en",)
    assert buyer_context(None, "de", None, ["de"]).language_chain() == ("de",)
    assert buyer_context(None, None, None, []).language_chain() == ()
    assert _error(lambda: buyer_context("JP", None, None, ["en"])) == (
        ErrorCode.MARKET_NOT_FOUND,
        ["in_context", "country"],
    )
    assert _error(lambda: buyer_context("NL", "fr", EU, ["fr"]))[0] is (
        ErrorCode.LANGUAGE_NOT_SUPPORTED
    )
    assert _error(lambda: buyer_context(None, "fr", None, []))[0] is (
        ErrorCode.LANGUAGE_NOT_SUPPORTED
    )


def test_a_text_falls_back_along_the_chain_then_to_the_text_as_written() -> None:
    texts = {"de": {"title": "Regenjacke"}, "en": {"title": "", "description": "Rain"}}
    assert translated("Rain jacket", texts, ("de", "en"), "title") == "Regenjacke"
    assert translated("Rain jacket", texts, ("fr", "en"), "title") == "Rain jacket"
    assert translated("x", texts, ("de", "en"), "description") == "Rain"
    assert translated("x", {}, (), "title") == "x"


@pytest.mark.parametrize(
    ("gross", "rate", "tax"),
    [(13495, 190_000, 2155), (13495, 210_000, 2342), (100, 0, 0), (1, 250_000, 0), (0, 190_000, 0)],
)
def test_included_tax_is_the_part_of_a_gross_price_above_its_net(
    gross: int, rate: int, tax: int
) -> None:
    assert included_tax_minor(gross, rate) == tax


def test_translations_are_checked() -> None:
    item = TranslationInput("title", " Regenjacke ")
    assert markets.clean_translations("de", [item], ["de"]) == ("de", {"title": "Regenjacke"})
    for language, items, offered, code in [
        ("d e", [item], ["de"], ErrorCode.INVALID),
        ("fr", [item], ["de"], ErrorCode.LANGUAGE_NOT_SUPPORTED),
        ("de", [TranslationInput("seo", "x")], ["de"], ErrorCode.INVALID),
        ("de", [TranslationInput("title", "x" * 20_001)], ["de"], ErrorCode.INVALID),
        ("de", [], ["de"], ErrorCode.INVALID),
    ]:
        assert (
            _error(lambda g=language, i=items, o=offered: markets.clean_translations(g, i, o))[0]
            is code
        )


class _Repo:
    """Markets kept in a dict, as PostgresMarketRepository keeps them in tables."""

    def __init__(self) -> None:
        self.markets: dict[str, Market] = {EU.handle: EU}
        self.texts: dict[tuple[uuid.UUID, str], dict[str, str]] = {}
        self.resources = {uuid.UUID(int=1)}
        self.events: list[OutboxEvent] = []

    async def add_event(self, event: OutboxEvent) -> int:
        self.events.append(event)
        return len(self.events)

    async def market_by_handle(self, handle: str) -> Market | None:
        return self.markets.get(handle)

    async def channel_exists(self, code: str) -> bool:
        return code == "WEB"

    async def countries_taken(
        self, countries: Sequence[str], except_id: uuid.UUID | None
    ) -> list[str]:
        return sorted(
            c
            for m in self.markets.values()
            if m.id != except_id
            for c in m.countries
            if c in countries
        )

    async def save_market(self, market_id: uuid.UUID | None, draft: MarketDraft) -> Market:
        current = next((m for m in self.markets.values() if m.id == market_id), None)
        saved = Market(
            market_id or uuid.uuid4(),
            draft.handle or "",
            draft.name or "",
            tuple(draft.countries or (current.countries if current else ())),
            draft.currency_code or (current.currency_code if current else ""),
            draft.price_channel_code or (current.price_channel_code if current else ""),
            bool(draft.tax_inclusive if draft.tax_inclusive is not None else current),
            tuple(draft.languages or (current.languages if current else ())),
            draft.default_language or (current.default_language if current else ""),
        )
        if current is not None:
            del self.markets[current.handle]
        self.markets[saved.handle] = saved
        return saved

    async def offered_languages(self) -> list[str]:
        return sorted({lang for m in self.markets.values() for lang in m.languages})

    async def resource_exists(self, kind: str, resource_id: uuid.UUID) -> bool:
        return resource_id in self.resources

    async def set_translations(
        self, kind: str, resource_id: uuid.UUID, language: str, values: Mapping[str, str]
    ) -> None:
        self.texts.setdefault((resource_id, language), {}).update(values)


async def test_staff_create_and_change_markets() -> None:
    repo = _Repo()
    us = MarketDraft("us", "United States", ["US"], "USD", "WEB", None, ["en"])
    made = await markets.save_market(repo, STAFF, None, us)
    assert (made.handle, made.tax_inclusive, made.countries) == ("us", False, ("US",))
    assert repo.events[0].type == markets.MARKET_CHANGED
    assert repo.events[0].data["change"] == "CREATED"
    renamed = await markets.save_market(repo, STAFF, "us", MarketDraft(handle="usa"))
    assert repo.events[-1].data == {
        "marketId": str(made.id),
        "handle": "usa",
        "change": "UPDATED",
        "countries": ["US"],
        "currencyCode": "USD",
        "languages": ["en"],
    }
    assert renamed.handle == "usa" and renamed.id == made.id and renamed.countries == ("US",)
    for handle, draft, code, field in [
        ("nope", MarketDraft(), ErrorCode.MARKET_NOT_FOUND, ["handle"]),
        (None, replace(us, handle="eu"), ErrorCode.TAKEN, ["handle"]),
        (None, replace(us, handle="ca", price_channel_code="X"), ErrorCode.NOT_FOUND, None),
        ("usa", MarketDraft(countries=["DE"]), ErrorCode.TAKEN, ["countries"]),
    ]:
        with pytest.raises(DomainError) as caught:
            await markets.save_market(repo, STAFF, handle, draft)
        assert caught.value.code is code
        if field is not None:
            assert caught.value.field == field
    with pytest.raises(DomainError) as refused:
        await markets.save_market(repo, None, None, us)
    assert refused.value.code is ErrorCode.UNAUTHENTICATED


async def test_staff_set_translations_of_existing_resources() -> None:
    repo = _Repo()
    resource = uuid.UUID(int=1)
    done = await markets.set_translations(
        repo, STAFF, "PRODUCT", resource, "de", [TranslationInput("title", "Regenjacke")]
    )
    assert done.values == {"title": "Regenjacke"}
    assert repo.texts[(resource, "de")] == {"title": "Regenjacke"}
    assert repo.events[0].type == markets.TRANSLATIONS_CHANGED
    assert repo.events[0].data["keys"] == ["title"]
    with pytest.raises(DomainError) as missing:
        await markets.set_translations(
            repo, STAFF, "PRODUCT", uuid.UUID(int=2), "de", [TranslationInput("title", "x")]
        )
    assert missing.value.code is ErrorCode.NOT_FOUND


def test_a_cart_made_in_a_market_is_in_its_currency() -> None:
    context = BuyerContext(EU, "DE", "de")
    assert markets.cart_currency(context, None) == "EUR"
    assert markets.cart_currency(context, "EUR") == "EUR"
    assert markets.cart_currency(BuyerContext(), "USD") == "USD"
    assert _error(lambda: markets.cart_currency(context, "USD")) == (
        ErrorCode.CURRENCY_NOT_SUPPORTED,
        ["currency"],
    )
