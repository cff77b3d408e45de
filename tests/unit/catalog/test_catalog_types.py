"""The catalog's value types are built from their records (`from_record`): what a client
reads is what the record holds, ids as global ids; checked through a tiny schema, no I/O.
And resolvers/context.py builds every typed loader of resolvers/catalog/loaders.py."""

from __future__ import annotations

import inspect
import uuid
from typing import Any

import strawberry

from domain.catalog.markets import Market as MarketRecord
from domain.catalog.models import Price
from domain.catalog.models import ProductImage as ProductImageRecord
from domain.ids import to_global_id
from resolvers.catalog import loaders as catalog_loaders
from resolvers.catalog.market_admin import Market
from resolvers.catalog.types import ProductImage, VariantPrice
from resolvers.context import Loader, Loaders


def _run(value: object, selection: str, type_: Any) -> dict[str, Any]:
    @strawberry.type
    class Query:
        it: Any = strawberry.field(resolver=lambda: value, graphql_type=type_)

    result = strawberry.federation.Schema(query=Query).execute_sync("{ it { " + selection + " } }")
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data["it"]  # type: ignore[no-any-return]


def test_a_price_reads_as_money_in_its_currency_and_no_compare_at_as_null() -> None:
    selection = "channelCode amount { amount currencyCode } compareAt { amount currencyCode }"
    sale = Price(uuid.uuid4(), "WEB", "EUR", 2995, 3990)
    assert _run(VariantPrice.from_record(sale), selection, VariantPrice) == {
        "channelCode": "WEB",
        "amount": {"amount": "29.95", "currencyCode": "EUR"},
        "compareAt": {"amount": "39.90", "currencyCode": "EUR"},
    }
    plain = Price(uuid.uuid4(), "POS", "JPY", 1200, None)
    data = _run(VariantPrice.from_record(plain), selection, VariantPrice)
    assert data["amount"] == {"amount": "1200", "currencyCode": "JPY"}
    assert data["compareAt"] is None


def test_an_image_shows_its_global_id_and_size() -> None:
    image_id = uuid.uuid4()
    record = ProductImageRecord(
        image_id, uuid.uuid4(), "https://img/1.jpg", "A shirt", 800, None, 2
    )
    data = _run(
        ProductImage.from_record(record), "id url altText width height position", ProductImage
    )
    assert data == {
        "id": to_global_id("ProductImage", image_id),
        "url": "https://img/1.jpg",
        "altText": "A shirt",
        "width": 800,
        "height": None,
        "position": 2,
    }


def test_a_market_lists_its_countries_and_languages_in_order() -> None:
    record = MarketRecord(
        uuid.uuid4(), "eu", "Europe", ("DE", "AT"), "EUR", "WEB", True, ("de", "en"), "de"
    )
    selection = (
        "handle name countries currencyCode priceChannelCode taxInclusive languages defaultLanguage"
    )
    assert _run(Market.from_record(record), selection, Market) == {
        "handle": "eu",
        "name": "Europe",
        "countries": ["DE", "AT"],
        "currencyCode": "EUR",
        "priceChannelCode": "WEB",
        "taxInclusive": True,
        "languages": ["de", "en"],
        "defaultLanguage": "de",
    }


async def test_the_request_context_builds_each_typed_catalog_loader_once() -> None:
    # async: aiodataloader takes the running loop (a sync test would depend on whether an
    # earlier test in the same process left a current event loop set)
    classes = [
        cls
        for name, cls in inspect.getmembers(catalog_loaders, inspect.isclass)
        if issubclass(cls, Loader) and cls.__module__ == catalog_loaders.__name__
    ]
    assert len(classes) == 15
    loaders = Loaders(None)  # type: ignore[arg-type]  # built lazily; nothing is fetched
    for cls in classes:
        built = getattr(loaders, cls.__name__)
        assert type(built) is cls
        assert getattr(loaders, cls.__name__) is built
