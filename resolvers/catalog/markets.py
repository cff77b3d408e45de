"""The buyer's context: the `@inContext` directive, and the helpers catalog and cart fields use
to show prices and texts in it (market configuration: resolvers/catalog/market_admin.py).

`@inContext(country:, language:)` is an *operation* directive (as in Shopify's Storefront API):
one context for the whole query or mutation. It is declared on the graphql-core schema, not
through Strawberry's `directives=`, because Strawberry then adds an extension with a per-field
resolve hook to every operation (one such hook measured 2.9x slower elsewhere); here the
directive is read once per operation, before execution, by `InContext`, which looks the market
up (one statement) and refuses an unknown country or language before anything runs.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

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
from datasources.postgres.uow import UnitOfWork
from domain.cart.rates import tax_rule
from domain.catalog import markets
from domain.catalog.markets import NO_CONTEXT, BuyerContext
from domain.errors import DomainError, ErrorCode
from resolvers.common import Money, money
from resolvers.context import Info
from resolvers.field_paths import api_path

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
                    error.message,
                    extensions={"code": error.code.value, "field": api_path(error.field)},
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
            raise DomainError(
                ErrorCode.INVALID, "@inContext arguments are strings.", ["in_context"]
            )
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
            await markets_db.record_cart_market(
                uow.conn,  # type: ignore[arg-type]  # proxies a Connection
                cart_id,
                market.id,
                self.context.language,
            )


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
