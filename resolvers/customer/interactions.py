"""Customer 360 over GraphQL: interactionsTrack, customer360 and the identity match rate."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

import strawberry

from datasources.postgres.customer_profiles import identity_match_rate
from datasources.postgres.interactions import PostgresInteractionStore
from datasources.postgres.uow import UnitOfWork
from datasources.redis.rate_limit import RateLimiter
from domain.authz import Scope, has_scope
from domain.customer.interactions import (
    MAX_BATCH,
    DropReason,
    Interaction,
    InteractionType,
    TrackResult,
    track_interactions,
)
from domain.errors import DomainError, ErrorCode
from domain.ids import from_global_id, to_global_id
from resolvers.common import described_enum
from resolvers.context import Info
from resolvers.customer.access import visible_customer
from resolvers.customer.profile_types import CustomerProfile, load_profile
from resolvers.customer.types import Customer
from resolvers.errors import UserError
from resolvers.mutation import optional_local_id, run_use_case
from resolvers.query_cost import client_key

InteractionTypeEnum = described_enum(
    InteractionType,
    "What a shopper did.",
    {
        "PRODUCT_VIEWED": "Looked at a product page (productId).",
        "SEARCHED": "Searched the catalog (searchTerm).",
        "ADDED_TO_CART": "Put a product in a cart (productId).",
        "REMOVED_FROM_CART": "Took a product out of a cart (productId).",
        "STORE_VISITED": "Walked into a store (locationId).",
        "WISHLISTED": "Saved a product for later (productId).",
    },
    name="InteractionType",
)
DropReasonEnum = described_enum(
    DropReason,
    "Why valid interactions were not stored.",
    {
        "NO_CONSENT": "The shopper has not consented to tracking: nothing was stored.",
        "EXPIRED": "Older than the retention period: nothing was stored.",
    },
    name="InteractionDropReason",
)


@strawberry.input(description="One interaction. Ids only: never a name, email or phone.")
class InteractionInput:
    type: InteractionTypeEnum = strawberry.field(description="What the shopper did.")  # type: ignore[valid-type]
    channel: str = strawberry.field(description="Channel code, e.g. WEB, APP or POS.")
    occurred_at: datetime = strawberry.field(
        description="When it happened (with offset); not in the future."
    )
    device_id: str | None = strawberry.field(
        default=None, description="The app or browser's pseudonymous device id."
    )
    session_id: str | None = strawberry.field(
        default=None, description="The storefront session id (anonymous shoppers)."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The customer (staff and POS); a signed-in customer may omit it or give "
        "their own id only.",
    )
    product_id: strawberry.ID | None = strawberry.field(
        default=None, description="The product (views, cart changes, wishlist)."
    )
    location_id: strawberry.ID | None = strawberry.field(
        default=None, description="The store (STORE_VISITED)."
    )
    search_term: str | None = strawberry.field(
        default=None, description="The words searched (SEARCHED); must not carry PII."
    )

    def record(self, index: int) -> Interaction:
        field = ["events", str(index)]

        def gid(value: strawberry.ID | None, type_name: str, name: str) -> uuid.UUID | None:
            return optional_local_id(value, type_name, [*field, name])

        return Interaction(
            id=uuid.uuid4(),
            type=InteractionType(self.type),
            channel=self.channel,
            occurred_at=self.occurred_at,
            customer_id=gid(self.customer_id, "Customer", "customerId"),
            device_id=self.device_id,
            session_id=self.session_id,
            product_id=gid(self.product_id, "Product", "productId"),
            location_id=gid(self.location_id, "Location", "locationId"),
            search_term=self.search_term,
        )


@strawberry.type(description="How many valid interactions were not stored, and why.")
class InteractionDrop:
    reason: DropReasonEnum = strawberry.field(description="Why they were not stored.")  # type: ignore[valid-type]
    count: int = strawberry.field(description="How many.")


@strawberry.type(description="Result of interactionsTrack.")
class InteractionsTrackPayload:
    accepted: int = strawberry.field(default=0, description="Interactions stored (and streamed).")
    interaction_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Global ids of the stored interactions, in the order sent.",
    )
    dropped: list[InteractionDrop] = strawberry.field(
        default_factory=list,
        description="Valid interactions not stored (no consent, past retention).",
    )
    user_errors: list[UserError] = strawberry.field(
        description="Problems; on any, nothing of the batch was stored."
    )


def _tracked(result: TrackResult) -> InteractionsTrackPayload:
    return InteractionsTrackPayload(
        accepted=len(result.accepted),
        interaction_ids=[strawberry.ID(to_global_id("Interaction", e.id)) for e in result.accepted],
        dropped=[InteractionDrop(reason=r, count=n) for r, n in sorted(result.dropped.items())],
        user_errors=[],
    )


async def _throttle(info: Info, events: list[InteractionInput]) -> None:
    """A bucket of interactions per shopper (principal, else device, else address), on top
    of the query-cost bucket: a chatty SDK cannot flood the stream."""
    settings = info.context.settings
    redis = info.context.redis
    if redis is None or settings is None or not settings.rate_limit_enabled:
        return
    key = client_key(info.context)
    if info.context.principal is None:
        device = next((e.device_id for e in events if e.device_id), None)
        key = f"device:{device[:128]}" if device else key
    limiter = RateLimiter(
        redis,
        f"{settings.cache_key_prefix}interactions:",
        settings.interaction_rate_capacity,
        settings.interaction_rate_per_second,
    )
    throttle = await limiter.take(key, len(events))
    if not throttle.allowed:
        raise DomainError(
            ErrorCode.THROTTLED,
            f"Too many interactions; retry in {throttle.retry_after_seconds:.1f} s.",
            ["events"],
        )


@strawberry.type
class InteractionsMutation:
    @strawberry.mutation(
        description=f"Record what shoppers did (at most {MAX_BATCH} per call), signed in or "
        "anonymous with a deviceId/sessionId. Kept only with consent: the customer's marketing "
        "consent, or `anonymousConsent` for a shopper nobody knows yet; the rest is counted in "
        "`dropped`. Stored interactions stream to ucg.interactions.v1 and update the profile."
    )
    async def interactions_track(
        self,
        info: Info,
        events: Annotated[
            list[InteractionInput],
            strawberry.argument(description="The interactions, oldest first."),
        ],
        anonymous_consent: Annotated[
            bool,
            strawberry.argument(
                description="The anonymous shopper accepted tracking (cookie banner / app prompt)."
            ),
        ] = False,
    ) -> InteractionsTrackPayload:
        settings = info.context.settings
        retention = timedelta(days=getattr(settings, "interaction_retention_days", 365))

        async def track() -> InteractionsTrackPayload:
            if len(events) > MAX_BATCH:
                raise DomainError(
                    ErrorCode.INVALID, f"At most {MAX_BATCH} interactions per call.", ["events"]
                )
            records = [e.record(i) for i, e in enumerate(events)]
            await _throttle(info, events)  # before a connection is taken
            async with UnitOfWork(info.context.pool) as uow:
                result = await track_interactions(
                    _TrackUnit(uow),
                    info.context.principal,
                    records,
                    anonymous_consent=anonymous_consent,
                    now=datetime.now(UTC),
                    retention=retention,
                )
            return _tracked(result)

        return await run_use_case(InteractionsTrackPayload, track)


class _TrackUnit:
    """The UnitOfWork seen through the interactions use-case's port."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self.add_events = uow.add_events

    @property
    def interactions(self) -> PostgresInteractionStore:
        return PostgresInteractionStore(self._uow.conn)  # type: ignore[arg-type]


@strawberry.type(description="A customer's orders on one channel.")
class ChannelOrderSummary:
    channel: str = strawberry.field(description="Channel code (UNKNOWN when none was recorded).")
    orders: int = strawberry.field(description="Orders placed there.")
    last_order_at: datetime | None = strawberry.field(description="When the latest was placed.")


@strawberry.type(
    description="Everything about one customer in one call (staff and POS): the customer "
    "(whose orders, returns, loyalty and carts are fields of it), the live profile, and "
    "orders per channel."
)
class Customer360:
    customer: Customer = strawberry.field(
        description="The customer: select orders { edges { node { returns } } }, loyalty, "
        "carts and activeCart here."
    )
    profile: CustomerProfile = strawberry.field(description="The live profile.")
    orders_by_channel: list[ChannelOrderSummary] = strawberry.field(
        description="Order counts per channel, most used first."
    )


@strawberry.type(
    description="How well anonymous shoppers are recognized as customers across channels."
)
class IdentityMatchRate:
    since: datetime = strawberry.field(description="Start of the window measured.")
    anonymous_keys: int = strawberry.field(
        description="Distinct devices (or device-less sessions) that sent interactions."
    )
    matched_keys: int = strawberry.field(description="Of those, stitched to a customer.")
    rate: float = strawberry.field(description="matchedKeys / anonymousKeys (0 when none).")
    interactions: int = strawberry.field(description="Interactions in the window.")
    attributed_interactions: int = strawberry.field(
        description="Interactions attributed to a customer (signed in or stitched)."
    )
    attributed_rate: float = strawberry.field(description="attributed / interactions.")
    cross_channel_customers: int = strawberry.field(
        description="Customers who interacted on two or more channels."
    )
    customers_seen: int = strawberry.field(description="Customers with any interaction.")


def _require_customers_scope(info: Info) -> None:
    principal = info.context.principal
    if principal is None:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "Sign in as staff or send an API key.")
    if not has_scope(principal, Scope.CUSTOMERS):
        raise DomainError(ErrorCode.FORBIDDEN, "This needs the CUSTOMERS scope.")


@strawberry.type
class InteractionsQuery:
    @strawberry.field(
        description="One customer's 360 view for staff and POS (CUSTOMERS scope); a merged "
        "customer resolves to its survivor; null when it does not exist."
    )
    async def customer360(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Customer global id.")],
    ) -> Customer360 | None:
        _require_customers_scope(info)
        _, local = from_global_id(id, "Customer")
        customer = await visible_customer(info, local)
        if customer is None:
            return None
        channels = await info.context.loaders.ChannelOrdersByCustomerIdLoader.load(customer.id)
        return Customer360(
            customer=customer,  # type: ignore[arg-type]  # a record
            profile=await load_profile(info, customer.id),
            orders_by_channel=[
                ChannelOrderSummary(
                    channel=c.channel, orders=c.orders, last_order_at=c.last_order_at
                )
                for c in channels
            ],
        )

    @strawberry.field(
        description="The identity match rate (staff, CUSTOMERS scope): the share of anonymous "
        "devices and sessions recognized as a customer, over the last `days` days."
    )
    async def identity_match_rate(
        self,
        info: Info,
        days: Annotated[int, strawberry.argument(description="Window in days (1-365).")] = 30,
    ) -> IdentityMatchRate:
        _require_customers_scope(info)
        if not 1 <= days <= 365:
            raise DomainError(ErrorCode.INVALID, "days is 1 to 365.", ["days"])
        since = datetime.now(UTC) - timedelta(days=days)
        m = await identity_match_rate(info.context.pool, since)
        return IdentityMatchRate(
            since=since,
            anonymous_keys=m.anonymous_keys,
            matched_keys=m.matched_keys,
            rate=round(m.matched_keys / m.anonymous_keys, 4) if m.anonymous_keys else 0.0,
            interactions=m.interactions,
            attributed_interactions=m.attributed_interactions,
            attributed_rate=(
                round(m.attributed_interactions / m.interactions, 4) if m.interactions else 0.0
            ),
            cross_channel_customers=m.cross_channel_customers,
            customers_seen=m.customers_seen,
        )
