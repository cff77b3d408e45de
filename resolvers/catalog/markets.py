"""Markets and languages: the `@inContext` directive, `markets`, `market(handle)`, the staff
mutations, and the helpers catalog fields use to show prices and texts in the buyer's context.

`@inContext(country:, language:)` is an *operation* directive (as in Shopify's Storefront API):
one context for the whole query or mutation. It is declared on the graphql-core schema, not
through Strawberry's `directives=`, because Strawberry then adds an extension with a per-field
resolve hook to every operation (measured 2.9x slower elsewhere, docs/BENCHMARKS.md); here the
directive is read once per operation, before execution, by `InContext`, which looks the market
up (one statement) and refuses an unknown country or language before anything runs.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any

import strawberry
from graphql import (
    DirectiveLocation,
    GraphQLArgument,
    GraphQLDirective,
    GraphQLError,
    GraphQLString,
    StringValueNode,
    VariableNode,
    get_operation_ast,
)
from strawberry.extensions import SchemaExtension

from datasources.postgres import markets as markets_db
from datasources.postgres.markets import PostgresMarketRepository
from datasources.postgres.uow import UnitOfWork
from domain.cart.rates import tax_rule
from domain.catalog import markets
from domain.catalog.markets import NO_CONTEXT, BuyerContext
from domain.catalog.markets import Market as MarketModel
from domain.errors import DomainError, ErrorCode
from domain.ids import from_global_id
from resolvers.common import Money, money, record_type_check
from resolvers.context import Info
from resolvers.errors import UserError, user_errors

IN_CONTEXT = GraphQLDirective(
    name="inContext",
    locations=[DirectiveLocation.QUERY, DirectiveLocation.MUTATION],
    args={
        "country": GraphQLArgument(
            GraphQLString,
            description=(
                "The buyer's ISO 3166-1 alpha-2 country (e.g. DE): the market selling there "
                "sets prices (its currency and price list) and the default language. Unknown: "
                "MARKET_NOT_FOUND."
            ),
        ),
        "language": GraphQLArgument(
            GraphQLString,
            description=(
                "Language for titles and descriptions (e.g. de), falling back to the market's "
                "default language, then to the text as written. One the market (or, without "
                "a country, any market) does not offer: LANGUAGE_NOT_SUPPORTED."
            ),
        ),
    },
    description=(
        "The buyer's context for the whole operation (put it on `query` or `mutation`): "
        "country names the market (currency, price list, tax display), language the texts."
    ),
)


class InContext(SchemaExtension):
    """Resolves the operation's `@inContext` once, after validation and before execution
    (the validation cache and the cost check run first; an error here stops the operation)."""

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        try:
            values = _directive_values(context) if context.pre_execution_errors == [] else None
            if values is not None:
                context.context.buyer = await _resolve(context.context, values)
        except DomainError as error:
            context.pre_execution_errors = [
                GraphQLError(
                    error.message, extensions={"code": error.code.value, "field": error.field}
                )
            ]
        yield


def _directive_values(context: Any) -> dict[str, Any] | None:
    """The @inContext arguments of the operation (literals or variables), None without it."""
    if context.graphql_document is None:
        return None
    operation = get_operation_ast(context.graphql_document, context.operation_name)
    if operation is None:
        return None
    node = next((d for d in operation.directives or () if d.name.value == IN_CONTEXT.name), None)
    if node is None:
        return None
    variables = context.variables or {}
    values: dict[str, Any] = {}
    for argument in node.arguments or ():
        value = argument.value
        if isinstance(value, VariableNode):
            found = variables.get(value.name.value)
        elif isinstance(value, StringValueNode):
            found = value.value
        else:  # null (validation refuses any other literal)
            found = None
        if found is not None and not isinstance(found, str):
            raise DomainError(ErrorCode.INVALID, "@inContext arguments are strings.", ["inContext"])
        values[argument.name.value] = found
    return values


async def _resolve(request: Any, values: dict[str, Any]) -> BuyerContext:
    country, language = values.get("country"), values.get("language")
    normalized = country.strip().upper() if country is not None else None
    market, offered = await markets_db.context_lookup(request.pool, normalized)
    return markets.buyer_context(country, language, market, offered)


def buyer(info: Info) -> BuyerContext:
    found = getattr(info.context, "buyer", None)
    return found if found is not None else NO_CONTEXT


def translated_text(info: Info, resource_id: uuid.UUID, base: str, key: str) -> Any:
    """`base` in the operation's language, with fallback (one batched statement a page).

    Without a language it is `base` itself, not a coroutine: a page of titles outside any
    context costs what a plain attribute does."""
    chain = buyer(info).language_chain()
    if not chain:
        return base
    return _translated(info, resource_id, base, key, chain)


async def _translated(
    info: Info, resource_id: uuid.UUID, base: str, key: str, chain: tuple[str, ...]
) -> str:
    texts = await info.context.loaders.TranslationsByResourceLoader.load((resource_id, chain))
    return markets.translated(base, texts, chain, key)


@dataclass
class MarketCart:
    """A cart being created in the operation's context: its currency and the buyer's country
    (the market's), and how to record the market on it."""

    context: BuyerContext
    currency_code: str | None

    @property
    def country(self) -> str | None:
        return self.context.country

    async def record(self, uow: UnitOfWork, cart_id: uuid.UUID) -> None:
        market = self.context.market
        if market is not None:
            await markets_db.record_cart_market(uow.conn, cart_id, market.id, self.context.language)


def market_cart(info: Info, currency: str | None) -> MarketCart:
    """CURRENCY_NOT_SUPPORTED when `currency` is not the market's."""
    context = buyer(info)
    return MarketCart(context, markets.cart_currency(context, currency))


@strawberry.type(description="A price in the buyer's market, with how tax is shown in it.")
class MarketPrice:
    amount: Money = strawberry.field(
        description="What the buyer pays before any tax added at checkout, in the market's currency."
    )
    compare_at: Money | None = strawberry.field(
        description="The former or list price shown struck through; null if none."
    )
    tax_included: bool = strawberry.field(
        description="True in a tax-inclusive market: `amount` includes VAT/GST (show 'incl. VAT')."
    )
    included_tax: Money | None = strawberry.field(
        description=(
            "The tax inside `amount` at the buyer's country's rate (tax-inclusive markets); "
            "null where tax is added at checkout."
        )
    )


async def market_price(info: Info, variant_id: uuid.UUID) -> MarketPrice | None:
    """The variant's price on the operation's market's price list; None outside a market."""
    context = buyer(info)
    market = context.market
    if market is None:
        return None
    prices = await info.context.loaders.PricesByVariantIdLoader.load(variant_id)
    price = next(
        (
            p
            for p in prices
            if p.channel_code == market.price_channel_code
            and p.currency_code == market.currency_code
        ),
        None,
    )
    if price is None:
        return None
    inside = None
    if market.tax_inclusive:
        rule = tax_rule(context.country or market.countries[0], None)
        rate = rule.rate_ppm if rule is not None else 0
        inside = money(markets.included_tax_minor(price.amount_minor, rate), price.currency_code)
    compare = price.compare_at_minor
    return MarketPrice(
        amount=money(price.amount_minor, price.currency_code),
        compare_at=None if compare is None else money(compare, price.currency_code),
        tax_included=market.tax_inclusive,
        included_tax=inside,
    )


@strawberry.type(
    description=(
        "Where and how a storefront sells: countries, currency, price list, tax display and "
        "languages. The buyer's @inContext(country:) picks the market."
    )
)
class Market:
    is_type_of = record_type_check(MarketModel)

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


@strawberry.type(description="Result of marketCreate / marketUpdate.")
class MarketPayload:
    market: Market | None = strawberry.field(description="The market; null on error.")
    user_errors: list[UserError] = strawberry.field(
        description="Problems with the input; empty on success."
    )


@strawberry.enum(description="A translatable text of a product or collection.")
class TranslatableKey(Enum):
    TITLE = strawberry.enum_value("title", description="The title.")
    DESCRIPTION = strawberry.enum_value("description", description="The description.")


@strawberry.input(description="One text in one language.")
class TranslationInput:
    key: TranslatableKey = strawberry.field(description="Which text.")  # type: ignore[valid-type]
    value: str = strawberry.field(description="The text; empty removes the translation.")


@strawberry.type(description="Result of translationsRegister.")
class TranslationsRegisterPayload:
    language: str | None = strawberry.field(description="The language set; null on error.")
    keys: list[str] = strawberry.field(description="The keys set (title, description).")
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
    try:
        async with UnitOfWork(info.context.pool) as uow:
            found = await markets.save_market(
                PostgresMarketRepository(uow.conn, uow.add_event),
                info.context.principal,
                handle,
                _draft(input),
            )
    except DomainError as error:
        return MarketPayload(market=None, user_errors=user_errors(error))
    return MarketPayload(market=found, user_errors=[])  # type: ignore[arg-type]


@strawberry.type
class MarketQuery:
    @strawberry.field(description="Every market, by handle.")
    async def markets(self, info: Info) -> list[Market]:
        return await markets_db.all_markets(info.context.pool)  # type: ignore[return-value]

    @strawberry.field(description="A market by handle; null if none has it.")
    async def market(
        self, info: Info, handle: Annotated[str, strawberry.argument(description="Its handle.")]
    ) -> Market | None:
        return await markets_db.market_by_handle(info.context.pool, handle)  # type: ignore[return-value]


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
        try:
            kind_name, local = _resource(resource_id)
            async with UnitOfWork(info.context.pool) as uow:
                done = await markets.set_translations(
                    PostgresMarketRepository(uow.conn, uow.add_event),
                    info.context.principal,
                    kind_name,
                    local,
                    language,
                    [markets.TranslationInput(t.key.value, t.value) for t in translations],
                )
        except DomainError as error:
            return TranslationsRegisterPayload(
                language=None, keys=[], user_errors=user_errors(error)
            )
        return TranslationsRegisterPayload(
            language=done.language, keys=sorted(done.values), user_errors=[]
        )


def _resource(global_id: str) -> tuple[str, uuid.UUID]:
    for kind in ("Product", "Collection"):
        if global_id.startswith(f"gid://ucg/{kind}/"):
            _, local = from_global_id(global_id, kind)
            return kind.upper(), local
    raise DomainError(
        ErrorCode.INVALID_ID, "resourceId is a Product or Collection global id.", ["resourceId"]
    )
