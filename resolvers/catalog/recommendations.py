"""productRecommendations (RELATED, COMPLEMENTARY, FOR_YOU) and the staff override
productRecommendationsSet. Only products the caller may see on their channel."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import asyncpg
import strawberry

from datasources.postgres import recommendations as recs_db
from datasources.postgres.uow import UnitOfWork
from domain.catalog import recommendations as rec
from domain.catalog.collection_services import require_catalog_scope
from domain.catalog.services import product_event
from domain.errors import DomainError, ErrorCode
from domain.ids import local_id, to_global_id
from resolvers.catalog.collections import _channel as shopper_channel
from resolvers.catalog.cursors import sees_unpublished
from resolvers.catalog.shopper import ShopperInput, load_signals
from resolvers.catalog.types import Product
from resolvers.common import described_enum
from resolvers.context import Info
from resolvers.mutation import entity_payload, run_mutation

# The domain enums themselves are registered (described_enum): annotations name them.
RecommendationIntentEnum = rec.RecommendationIntent
described_enum(
    RecommendationIntentEnum,
    "What a list of recommendations is for.",
    {
        "RELATED": "Products like this one: same type, shared tags and option values.",
        "COMPLEMENTARY": "Products bought together with this one in real orders.",
        "FOR_YOU": (
            "For this shopper, from their live profile (affinities, recently viewed and what "
            "is bought with it); best sellers for a shopper nobody knows."
        ),
    },
    name="RecommendationIntent",
)
RecommendationReasonEnum = rec.RecommendationReason
described_enum(
    RecommendationReasonEnum,
    "Why a product is recommended.",
    {
        "STAFF_PICK": "A merchandiser put it here (productRecommendationsSet).",
        "SIMILAR": "Same product type, shared tags or option values.",
        "BOUGHT_TOGETHER": "Orders bought it together with the product.",
        "AFFINITY": "The shopper often looks at its category or brand.",
        "BOUGHT_WITH_VIEWED": "Orders often bought it with a product the shopper viewed.",
        "RECENTLY_VIEWED": "The shopper looked at it recently.",
        "BEST_SELLER": "Among the most sold (nothing personal known).",
    },
    name="RecommendationReason",
)


@strawberry.type(description="A recommended product and why.")
class ProductRecommendation:
    product: Product = strawberry.field(description="The product.")
    reason: RecommendationReasonEnum = strawberry.field(description="Why it is recommended.")
    reason_text: str = strawberry.field(
        description='The reason for a shopper to read, e.g. "Bought together in 12 orders".'
    )
    score: float | None = strawberry.field(
        description=(
            "How strongly it is recommended (higher first within a reason; orders for "
            "BOUGHT_TOGETHER, units sold for BEST_SELLER); null for a staff pick."
        )
    )


@entity_payload(
    "Result of productRecommendationsSet.",
    product_ids="The staff picks now in place, in order; null on error.",
)
class ProductRecommendationsSetPayload:
    product_ids: list[strawberry.ID] | None


def _item(product: object, r: rec.Recommendation) -> ProductRecommendation:
    return ProductRecommendation(
        product=product,  # type: ignore[arg-type]
        reason=r.reason,
        reason_text=r.text,
        score=r.score,
    )


@strawberry.type
class RecommendationsQuery:
    @strawberry.field(
        description=(
            "Products to show with a product (RELATED, COMPLEMENTARY: `productId` required) "
            "or for the shopper (FOR_YOU: the signed-in customer, else `shopper`'s device or "
            "session). Staff picks first, then the computed ones; each says why. Only "
            "products visible on `channel` (or the API key's channel). A constant number of "
            "SQL statements whatever `first` is."
        )
    )
    async def product_recommendations(
        self,
        info: Info,
        product_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The product on the page (global id)."),
        ] = None,
        intent: Annotated[
            RecommendationIntentEnum,
            strawberry.argument(description="What the list is for."),
        ] = rec.RecommendationIntent.RELATED,
        first: Annotated[
            int, strawberry.argument(description=f"How many, 1 to {rec.MAX_RECOMMENDATIONS}.")
        ] = 10,
        channel: Annotated[
            str | None,
            strawberry.argument(description="Only products priced on this channel."),
        ] = None,
        shopper: Annotated[
            ShopperInput | None,
            strawberry.argument(description="FOR_YOU: the anonymous shopper's device/session."),
        ] = None,
    ) -> list[ProductRecommendation]:
        rec.check_first(first)
        intent = rec.RecommendationIntent(intent)
        seen = recs_db.Visibility(
            active_only=not sees_unpublished(info.context.principal),
            channel_code=shopper_channel(info, channel),
        )
        local: uuid.UUID | None = None
        if product_id is not None:
            local = local_id(product_id, "Product", ["productId"])
        pool = info.context.pool
        if intent is rec.RecommendationIntent.FOR_YOU:
            signals = await load_signals(info, shopper)
            ranked = await recs_db.for_you(pool, signals, seen, first, exclude=local)
            return [_item(p, rec.for_you(p.id, facts)) for p, facts in ranked]
        if local is None:
            raise DomainError(
                ErrorCode.INVALID, f"{intent.value} needs `productId`.", ["productId"]
            )
        source = await recs_db.source_product(pool, local, intent)
        if source is None or (seen.active_only and source.status != "ACTIVE"):
            raise DomainError(ErrorCode.NOT_FOUND, "Product does not exist.", ["productId"])
        if intent is rec.RecommendationIntent.RELATED:
            picked, similar = await recs_db.related(pool, local, source.picks, seen, first)
            computed = [(p, rec.similar(p.id, s)) for p, s in similar]
        else:
            picked, bought = await recs_db.complementary(pool, local, source.picks, seen, first)
            computed = [(p, rec.bought_together(p.id, n)) for p, n in bought]
        merged = rec.with_staff_picks([p.id for p in picked], [r for _, r in computed], first)
        products = {p.id: p for p in picked} | {p.id: p for p, _ in computed}
        return [_item(products[r.product_id], r) for r in merged]


@strawberry.type
class RecommendationsMutation:
    @strawberry.mutation(
        description=(
            "Pin products to a product's RELATED or COMPLEMENTARY recommendations, shown in "
            "this order before the computed ones (staff with the CATALOG scope). Replaces the "
            "previous picks; an empty list removes them."
        )
    )
    async def product_recommendations_set(
        self,
        info: Info,
        product_id: Annotated[strawberry.ID, strawberry.argument(description="The product.")],
        intent: Annotated[
            RecommendationIntentEnum,
            strawberry.argument(description="RELATED or COMPLEMENTARY."),
        ],
        product_ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(description=f"The picks, at most {rec.MAX_STAFF_PICKS}."),
        ],
    ) -> ProductRecommendationsSetPayload:
        async def use_case(uow: UnitOfWork) -> list[strawberry.ID]:
            require_catalog_scope(info.context.principal)
            local = local_id(product_id, "Product", ["productId"])
            given = [
                local_id(p, "Product", ["productIds", str(i)]) for i, p in enumerate(product_ids)
            ]
            chosen = rec.RecommendationIntent(intent)
            picks = rec.check_staff_picks(local, chosen, given)
            conn: asyncpg.Connection[Any] = uow.conn  # type: ignore[assignment]
            product, missing = await recs_db.set_staff_picks(conn, local, chosen, picks)
            if product is None:
                raise DomainError(ErrorCode.NOT_FOUND, "Product does not exist.", ["productId"])
            if missing:
                at = given.index(missing[0])
                raise DomainError(
                    ErrorCode.NOT_FOUND, "Product does not exist.", ["productIds", str(at)]
                )
            await uow.add_event(product_event("updated", product))
            return [strawberry.ID(to_global_id("Product", p)) for p in picks]

        return await run_mutation(info, ProductRecommendationsSetPayload, use_case)
