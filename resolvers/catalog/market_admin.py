"""Markets as configuration: the `Market` type, `markets`, `market(handle)`, and the staff
mutations `marketCreate`, `marketUpdate` and `translationsRegister` (CATALOG scope)."""

from __future__ import annotations

import uuid
from enum import Enum
from typing import Annotated

import strawberry

from datasources.postgres import markets as markets_db
from datasources.postgres.markets import PostgresMarketRepository
from datasources.postgres.uow import UnitOfWork
from domain.catalog import markets
from domain.catalog.markets import Market as MarketModel
from domain.errors import DomainError, ErrorCode
from domain.ids import from_global_id
from resolvers.context import Info
from resolvers.errors import UserError
from resolvers.mutation import WITH_INPUT, entity_payload, run_mutation


@strawberry.type(
    description=(
        "Where and how a storefront sells: countries, currency, price list, tax display and "
        "languages. The buyer's @inContext(country:) picks the market."
    )
)
class Market:
    handle: str = strawberry.field(description='Stable handle, e.g. "eu".')
    name: str = strawberry.field(description="Display name.")
    countries: list[str] = strawberry.field(
        description="ISO 3166-1 alpha-2 countries it sells to (a country is in one market)."
    )
    currency_code: str = strawberry.field(description="ISO 4217 currency of its prices.")
    price_channel_code: str = strawberry.field(
        description="Channel whose prices in `currencyCode` are its price list."
    )
    tax_inclusive: bool = strawberry.field(
        description="Whether its prices include tax (EU VAT) or tax is added at checkout (US)."
    )
    languages: list[str] = strawberry.field(description="Languages it offers, e.g. de, en.")
    default_language: str = strawberry.field(
        description="Language texts fall back to when the requested one has no translation."
    )

    @classmethod
    def from_record(cls, market: MarketModel) -> Market:
        return cls(
            handle=market.handle,
            name=market.name,
            countries=list(market.countries),
            currency_code=market.currency_code,
            price_channel_code=market.price_channel_code,
            tax_inclusive=market.tax_inclusive,
            languages=list(market.languages),
            default_language=market.default_language,
        )


@strawberry.input(description="A market's settings (marketCreate: all but taxInclusive needed).")
class MarketInput:
    handle: str | None = strawberry.field(
        default=None, description="Lower-case letters, digits and dashes, unique."
    )
    name: str | None = strawberry.field(default=None, description="Display name.")
    countries: list[str] | None = strawberry.field(
        default=None, description="ISO 3166-1 alpha-2 countries (replaces the list)."
    )
    currency_code: str | None = strawberry.field(default=None, description="ISO 4217 currency.")
    price_channel: str | None = strawberry.field(
        default=None, description="Code of the channel whose prices in the currency it uses."
    )
    tax_inclusive: bool | None = strawberry.field(
        default=None, description="Prices include tax (default false on create)."
    )
    languages: list[str] | None = strawberry.field(
        default=None, description="Languages, e.g. [de, en] (replaces the list)."
    )
    default_language: str | None = strawberry.field(
        default=None, description="One of `languages`; the first of them if omitted."
    )


@entity_payload(
    "Result of marketCreate / marketUpdate.",
    errors=WITH_INPUT,
    market="The market; null on error.",
)
class MarketPayload:
    market: Market | None


@strawberry.enum(description="A translatable text of a product or collection.")
class TranslatableKey(Enum):
    TITLE = strawberry.enum_value("title", description="The title.")
    DESCRIPTION = strawberry.enum_value("description", description="The description.")


@strawberry.input(description="One text in one language.")
class TranslationInput:
    key: TranslatableKey = strawberry.field(description="Which text.")
    value: str = strawberry.field(description="The text; empty removes the translation.")


@strawberry.type(description="Result of translationsRegister.")
class TranslationsRegisterPayload:
    language: str | None = strawberry.field(description="The language set; null on error.")
    keys: list[str] = strawberry.field(
        default_factory=list, description="The keys set (title, description)."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Problems with the input; empty on success."
    )


def _draft(input: MarketInput) -> markets.MarketDraft:
    return markets.MarketDraft(
        handle=input.handle,
        name=input.name,
        countries=input.countries,
        currency_code=input.currency_code,
        price_channel_code=input.price_channel,
        tax_inclusive=input.tax_inclusive,
        languages=input.languages,
        default_language=input.default_language,
    )


async def _save(info: Info, handle: str | None, input: MarketInput) -> MarketPayload:
    async def use_case(uow: UnitOfWork) -> Market:
        saved = await markets.save_market(
            PostgresMarketRepository(uow.conn, uow.add_event),  # type: ignore[arg-type]  # conn proxies a Connection
            info.context.principal,
            handle,
            _draft(input),
        )
        return Market.from_record(saved)

    return await run_mutation(info, MarketPayload, use_case)


@strawberry.type
class MarketQuery:
    @strawberry.field(description="Every market, by handle.")
    async def markets(self, info: Info) -> list[Market]:
        return [Market.from_record(m) for m in await markets_db.all_markets(info.context.pool)]

    @strawberry.field(description="A market by handle; null if none has it.")
    async def market(
        self, info: Info, handle: Annotated[str, strawberry.argument(description="Its handle.")]
    ) -> Market | None:
        found = await markets_db.market_by_handle(info.context.pool, handle)
        return None if found is None else Market.from_record(found)


@strawberry.type
class MarketAdminMutation:
    @strawberry.mutation(
        description="Add a market (staff, CATALOG scope): configuration, not code."
    )
    async def market_create(
        self,
        info: Info,
        input: Annotated[
            MarketInput, strawberry.argument(description="The new market's settings.")
        ],
    ) -> MarketPayload:
        return await _save(info, None, input)

    @strawberry.mutation(
        description="Change a market (staff, CATALOG scope); omitted settings stay as they are."
    )
    async def market_update(
        self,
        info: Info,
        handle: Annotated[str, strawberry.argument(description="The market's current handle.")],
        input: Annotated[MarketInput, strawberry.argument(description="New settings.")],
    ) -> MarketPayload:
        return await _save(info, handle, input)

    @strawberry.mutation(
        description=(
            "Set a product's or collection's title/description in one language (staff, CATALOG "
            "scope); the language must be offered by a market."
        )
    )
    async def translations_register(
        self,
        info: Info,
        resource_id: Annotated[
            strawberry.ID, strawberry.argument(description="Global id of a Product or Collection.")
        ],
        language: Annotated[str, strawberry.argument(description="Language code, e.g. de.")],
        translations: Annotated[
            list[TranslationInput], strawberry.argument(description="Texts to set.")
        ],
    ) -> TranslationsRegisterPayload:

        async def use_case(uow: UnitOfWork) -> TranslationsRegisterPayload:
            kind_name, local = _resource(resource_id)
            done = await markets.set_translations(
                PostgresMarketRepository(uow.conn, uow.add_event),  # type: ignore[arg-type]  # conn proxies a Connection
                info.context.principal,
                kind_name,
                local,
                language,
                [markets.TranslationInput(t.key.name.lower(), t.value) for t in translations],
            )
            return TranslationsRegisterPayload(
                language=done.language, keys=sorted(done.values), user_errors=[]
            )

        return await run_mutation(info, TranslationsRegisterPayload, use_case)


def _resource(global_id: str) -> tuple[str, uuid.UUID]:
    for kind in ("Product", "Collection"):
        if global_id.startswith(f"gid://ucg/{kind}/"):
            _, local = from_global_id(global_id, kind)
            return kind.upper(), local
    raise DomainError(
        ErrorCode.INVALID_ID, "resourceId is a Product or Collection global id.", ["resourceId"]
    )
