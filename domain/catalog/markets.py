"""Markets and languages (issue 15 item 7): who a storefront is selling to, and in what words.

A market sells to some countries in one currency, from one price list (the prices of one
channel in that currency), with tax inside its prices or added at checkout, in some languages
of which one is the default. The buyer's context (country, language) names the market; a
text is shown in the requested language, else the market's default language, else as written.
Adding a market is configuration (`marketCreate`), not code.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from domain.auth import Principal
from domain.catalog.collection_services import require_catalog_scope
from domain.errors import DomainError, ErrorCode, NotFound
from domain.events import CATALOG_TOPIC
from domain.geography import COUNTRY_CODES
from domain.models import OutboxEvent
from domain.money import is_currency_code

_HANDLE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
# ISO 639 language, optionally with an ISO 3166 region: en, de, pt-BR.
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
TRANSLATABLE_KEYS = ("title", "description")
MARKET_CHANGED = "ucg.catalog.market_changed.v1"
TRANSLATIONS_CHANGED = "ucg.catalog.translations_changed.v1"
MAX_TRANSLATION_LENGTH = 20_000


@dataclass(frozen=True)
class Market:
    id: uuid.UUID
    handle: str
    name: str
    countries: tuple[str, ...]
    currency_code: str
    price_channel_code: str
    tax_inclusive: bool
    languages: tuple[str, ...]
    default_language: str


@dataclass
class MarketDraft:
    """A market's settings as given; None leaves a setting as it is (on update)."""

    handle: str | None = None
    name: str | None = None
    countries: list[str] | None = None
    currency_code: str | None = None
    price_channel_code: str | None = None
    tax_inclusive: bool | None = None
    languages: list[str] | None = None
    default_language: str | None = None


@dataclass(frozen=True)
class BuyerContext:
    """The operation's buyer: the market their country is in, and the language asked for."""

    market: Market | None = None
    country: str | None = None
    language: str | None = None

    def language_chain(self) -> tuple[str, ...]:
        """Languages to try for a text, best first (requested, then the market's default)."""
        chain = [self.language] if self.language else []
        if self.market is not None and self.market.default_language not in chain:
            chain.append(self.market.default_language)
        return tuple(chain)


NO_CONTEXT = BuyerContext()


def check_language(code: str, field: list[str]) -> str:
    value = code.strip()
    if not _LANGUAGE.match(value):
        raise DomainError(
            ErrorCode.INVALID, f"{code[:12]!r} is not a language code (e.g. en, de, pt-BR).", field
        )
    return value


def _required(value: object, name: str) -> None:
    if value is None:
        raise DomainError(ErrorCode.INVALID, f"`{name}` is required.", [name])


def clean_market(draft: MarketDraft, current: Market | None) -> MarketDraft:
    """The draft checked and normalized, each omitted setting taken from `current`.

    Raises INVALID on the field at fault."""
    if current is None:
        for name in ("handle", "name", "countries", "currency_code", "price_channel_code"):
            _required(getattr(draft, name), name)
        _required(draft.languages, "languages")
    handle = draft.handle if draft.handle is not None else _current(current).handle
    if not _HANDLE.match(handle):
        raise DomainError(
            ErrorCode.INVALID,
            "A handle is lower-case letters, digits and dashes (up to 63).",
            ["handle"],
        )
    name = (draft.name if draft.name is not None else _current(current).name).strip()
    if not 1 <= len(name) <= 120:
        raise DomainError(ErrorCode.INVALID, "A name is 1 to 120 characters.", ["name"])
    countries = _countries(draft.countries) if draft.countries is not None else None
    currency = draft.currency_code if draft.currency_code is not None else None
    if currency is not None and not is_currency_code(currency):
        raise DomainError(
            ErrorCode.INVALID,
            "A currency is an ISO 4217 code (e.g. EUR).",
            ["currency_code"],
        )
    languages = _languages(draft.languages) if draft.languages is not None else None
    all_languages = languages or (current.languages if current else ())
    default = draft.default_language
    if default is not None:
        default = check_language(default, ["default_language"])
    elif languages is not None:
        keep = current is not None and current.default_language in languages
        default = _current(current).default_language if keep else languages[0]
    if default is not None and default not in all_languages:
        raise DomainError(
            ErrorCode.INVALID,
            "The default language must be one of the market's languages.",
            ["default_language"],
        )
    return MarketDraft(
        handle=handle,
        name=name,
        countries=countries,
        currency_code=currency,
        price_channel_code=draft.price_channel_code,
        tax_inclusive=draft.tax_inclusive,
        languages=languages,
        default_language=default,
    )


def _current(current: Market | None) -> Market:
    """The market being updated (a create has every setting, so never reads it)."""
    assert current is not None
    return current


def _countries(codes: Sequence[str]) -> list[str]:
    seen: list[str] = []
    for index, code in enumerate(codes):
        value = code.strip().upper()
        if value not in COUNTRY_CODES:
            raise DomainError(
                ErrorCode.INVALID,
                f"{code[:8]!r} is not an ISO 3166-1 alpha-2 country code.",
                ["countries", str(index)],
            )
        if value not in seen:
            seen.append(value)
    if not seen:
        raise DomainError(ErrorCode.INVALID, "A market sells to a country at least.", ["countries"])
    return seen


def _languages(codes: Sequence[str]) -> list[str]:
    seen: list[str] = []
    for index, code in enumerate(codes):
        value = check_language(code, ["languages", str(index)])
        if value not in seen:
            seen.append(value)
    if not seen:
        raise DomainError(ErrorCode.INVALID, "A market has a language at least.", ["languages"])
    return seen


def buyer_context(
    country: str | None,
    language: str | None,
    market: Market | None,
    offered_languages: Sequence[str],
) -> BuyerContext:
    """The buyer's context from `@inContext`: `market` is the one selling to `country` (None
    when none does); `offered_languages` are every market's, for a context without a country.

    MARKET_NOT_FOUND for a country no market sells to; LANGUAGE_NOT_SUPPORTED for a language
    the market (or, without a country, every market) lacks."""
    normalized = country.strip().upper() if country is not None else None
    if normalized is not None and market is None:
        raise DomainError(
            ErrorCode.MARKET_NOT_FOUND,
            f"No market sells to {normalized[:8]!r}; see `markets` for the countries sold to.",
            ["in_context", "country"],
        )
    if language is not None:
        offered = market.languages if market is not None else tuple(offered_languages)
        if language not in offered:
            raise DomainError(
                ErrorCode.LANGUAGE_NOT_SUPPORTED,
                f"{language[:12]!r} is not offered here; languages: {', '.join(offered) or 'none'}.",
                ["in_context", "language"],
            )
    return BuyerContext(market=market, country=normalized, language=language)


def cart_currency(context: BuyerContext, requested: str | None) -> str | None:
    """The currency of a cart created in `context`: the market's (CURRENCY_NOT_SUPPORTED when
    another is asked for); outside a market, what was asked for."""
    market = context.market
    if market is None:
        return requested
    if requested is not None and requested != market.currency_code:
        raise DomainError(
            ErrorCode.CURRENCY_NOT_SUPPORTED,
            f"The {market.handle} market sells in {market.currency_code}.",
            ["currency"],
        )
    return market.currency_code


def translated(
    base: str, translations: Mapping[str, Mapping[str, str]], chain: Sequence[str], key: str
) -> str:
    """The text in the first language of `chain` that has it (translations: language -> key
    -> text), else `base` (the text as written)."""
    for language in chain:
        text = translations.get(language, {}).get(key)
        if text:
            return text
    return base


def included_tax_minor(gross_minor: int, rate_ppm: int) -> int:
    """The tax inside a tax-inclusive price at `rate_ppm` (parts per million), half up:
    gross - gross / (1 + rate)."""
    net_times = gross_minor * 1_000_000
    net = (2 * net_times + (1_000_000 + rate_ppm)) // (2 * (1_000_000 + rate_ppm))
    return gross_minor - net


@dataclass
class TranslationInput:
    key: str
    value: str


@dataclass
class TranslationSet:
    resource_kind: str
    resource_id: uuid.UUID
    language: str
    values: dict[str, str] = field(default_factory=dict)


def clean_translations(
    language: str, items: Sequence[TranslationInput], offered_languages: Sequence[str]
) -> tuple[str, dict[str, str]]:
    """The language and key -> text to set (an empty text removes the translation)."""
    code = check_language(language, ["language"])
    if code not in offered_languages:
        raise DomainError(
            ErrorCode.LANGUAGE_NOT_SUPPORTED,
            f"No market offers {code!r}; add it to a market's languages first.",
            ["language"],
        )
    values: dict[str, str] = {}
    for index, item in enumerate(items):
        if item.key not in TRANSLATABLE_KEYS:
            raise DomainError(
                ErrorCode.INVALID,
                f"`key` is one of {', '.join(TRANSLATABLE_KEYS)}.",
                ["translations", str(index), "key"],
            )
        if len(item.value) > MAX_TRANSLATION_LENGTH:
            raise DomainError(
                ErrorCode.INVALID,
                f"A translation is at most {MAX_TRANSLATION_LENGTH} characters.",
                ["translations", str(index), "value"],
            )
        values[item.key] = item.value.strip()
    if not values:
        raise DomainError(ErrorCode.INVALID, "Give a translation at least.", ["translations"])
    return code, values


class MarketRepository(Protocol):
    async def market_by_handle(self, handle: str) -> Market | None: ...
    async def channel_exists(self, code: str) -> bool: ...
    async def countries_taken(
        self, countries: Sequence[str], except_id: uuid.UUID | None
    ) -> list[str]: ...
    async def save_market(self, market_id: uuid.UUID | None, draft: MarketDraft) -> Market: ...
    async def offered_languages(self) -> list[str]: ...
    async def resource_exists(self, kind: str, resource_id: uuid.UUID) -> bool: ...
    async def set_translations(
        self, kind: str, resource_id: uuid.UUID, language: str, values: Mapping[str, str]
    ) -> None: ...
    async def add_event(self, event: OutboxEvent) -> int: ...


async def save_market(
    repo: MarketRepository, principal: Principal | None, handle: str | None, draft: MarketDraft
) -> Market:
    """marketCreate (handle None) or marketUpdate (the market `handle`)."""
    require_catalog_scope(principal)
    current = None
    if handle is not None:
        current = await repo.market_by_handle(handle)
        if current is None:
            raise DomainError(ErrorCode.MARKET_NOT_FOUND, f"No market {handle[:64]!r}.", ["handle"])
    clean = clean_market(draft, current)
    assert clean.handle is not None
    if (current is None or clean.handle != current.handle) and await repo.market_by_handle(
        clean.handle
    ):
        raise DomainError(ErrorCode.TAKEN, "That handle is taken.", ["handle"])
    if clean.price_channel_code is not None and not await repo.channel_exists(
        clean.price_channel_code
    ):
        raise NotFound(f"Channel {clean.price_channel_code[:32]!r}", ["price_channel_code"])
    if clean.countries is not None:
        taken = await repo.countries_taken(clean.countries, current.id if current else None)
        if taken:
            raise DomainError(
                ErrorCode.TAKEN,
                f"Already in another market: {', '.join(taken)} (a country is in one market).",
                ["countries"],
            )
    if current is None and clean.tax_inclusive is None:
        clean.tax_inclusive = False
    saved = await repo.save_market(current.id if current else None, clean)
    await repo.add_event(
        OutboxEvent(
            topic=CATALOG_TOPIC,
            type=MARKET_CHANGED,
            aggregate_type="Market",
            aggregate_id=str(saved.id),
            data={
                "marketId": str(saved.id),
                "handle": saved.handle,
                "change": "CREATED" if current is None else "UPDATED",
                "countries": list(saved.countries),
                "currencyCode": saved.currency_code,
                "languages": list(saved.languages),
            },
        )
    )
    return saved


async def set_translations(
    repo: MarketRepository,
    principal: Principal | None,
    kind: str,
    resource_id: uuid.UUID,
    language: str,
    items: Sequence[TranslationInput],
) -> TranslationSet:
    """translationsRegister: a product's or collection's texts in one language."""
    require_catalog_scope(principal)
    code, values = clean_translations(language, items, await repo.offered_languages())
    if not await repo.resource_exists(kind, resource_id):
        raise NotFound(kind.capitalize(), ["resource_id"])
    await repo.set_translations(kind, resource_id, code, values)
    await repo.add_event(
        OutboxEvent(
            topic=CATALOG_TOPIC,
            type=TRANSLATIONS_CHANGED,
            aggregate_type=kind.capitalize(),
            aggregate_id=str(resource_id),
            data={
                "resourceType": kind,
                "resourceId": str(resource_id),
                "language": code,
                "keys": sorted(values),
            },
        )
    )
    return TranslationSet(kind, resource_id, code, values)
