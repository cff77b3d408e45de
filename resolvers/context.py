"""The per-request context: shared resources plus this request's DataLoaders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import asyncpg
import redis.asyncio as redis
from aiodataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from datasources.metrics import DATALOADER_BATCH_SIZE
from datasources.postgres import (
    cart,
    inventory,
    order_repository,
)
from datasources.postgres.uow import UnitOfWork
from datasources.redis.cache import ReadThroughCache
from domain.auth import Principal
from domain.authz import held_carts

if TYPE_CHECKING:
    from resolvers.catalog import loaders as catalog_loaders
    from resolvers.customer import loaders as customer_loaders
    from resolvers.order import loaders as order_loaders
    from resolvers.store.loaders import ArrivalByIdLoader

K = TypeVar("K")
V = TypeVar("V")


class Loader(DataLoader[K, V]):
    """A DataLoader over one batch function of `datasources.postgres`."""

    def __init__(
        self, pool: asyncpg.Pool[Any], fetch: Callable[[Any, Sequence[K]], Awaitable[list[V]]]
    ) -> None:
        super().__init__()
        self._pool = pool
        self._fetch = fetch

    async def batch_load_fn(self, keys: list[K]) -> list[V]:
        DATALOADER_BATCH_SIZE.labels(getattr(self._fetch, "__name__", "other")).observe(len(keys))
        return await self._fetch(self._pool, keys)


class Loaders:
    """Created per request, so nothing cached here outlives the request."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    def _make(
        self, fetch: Callable[[Any, Sequence[Any]], Awaitable[list[Any]]]
    ) -> Loader[Any, Any]:
        return Loader(self._pool, fetch)

    @cached_property
    def ProductByIdLoader(self) -> catalog_loaders.ProductByIdLoader:  # noqa: N802
        from resolvers.catalog import loaders as catalog_loaders  # the area imports this module

        return catalog_loaders.ProductByIdLoader(self._pool)

    @cached_property
    def ProductByHandleLoader(self) -> catalog_loaders.ProductByHandleLoader:  # noqa: N802
        from resolvers.catalog import loaders as catalog_loaders  # the area imports this module

        return catalog_loaders.ProductByHandleLoader(self._pool)

    @cached_property
    def VariantsByProductIdLoader(self) -> catalog_loaders.VariantsByProductIdLoader:  # noqa: N802
        from resolvers.catalog import loaders as catalog_loaders  # the area imports this module

        return catalog_loaders.VariantsByProductIdLoader(self._pool)

    @cached_property
    def VariantByIdLoader(self) -> catalog_loaders.VariantByIdLoader:  # noqa: N802
        from resolvers.catalog import loaders as catalog_loaders  # the area imports this module

        return catalog_loaders.VariantByIdLoader(self._pool)

    @cached_property
    def VariantBySkuLoader(self) -> catalog_loaders.VariantBySkuLoader:  # noqa: N802
        from resolvers.catalog import loaders as catalog_loaders  # the area imports this module

        return catalog_loaders.VariantBySkuLoader(self._pool)

    @cached_property
    def ChannelByIdLoader(self) -> catalog_loaders.ChannelByIdLoader:  # noqa: N802
        from resolvers.catalog import loaders as catalog_loaders  # the area imports this module

        return catalog_loaders.ChannelByIdLoader(self._pool)

    @cached_property
    def LocationByIdLoader(self) -> Loader[Any, Any]:  # noqa: N802
        return self._make(inventory.locations_by_ids)

    @cached_property
    def StockLevelsBySkuLoader(self) -> Loader[str, Any]:  # noqa: N802
        return self._make(inventory.stock_levels_by_skus)

    @cached_property
    def SellableStockBySkuLoader(self) -> Loader[str, Any]:  # noqa: N802
        return self._make(inventory.sellable_by_skus)

    @cached_property
    def PricesByVariantIdLoader(self) -> catalog_loaders.PricesByVariantIdLoader:  # noqa: N802
        from resolvers.catalog import loaders as catalog_loaders  # the area imports this module

        return catalog_loaders.PricesByVariantIdLoader(self._pool)

    @cached_property
    def CustomerByIdLoader(self) -> customer_loaders.CustomerByIdLoader:  # noqa: N802
        from resolvers.customer import loaders as customer_loaders  # the area imports this module

        return customer_loaders.CustomerByIdLoader(self._pool)

    @cached_property
    def IdentitiesByCustomerIdLoader(self) -> customer_loaders.IdentitiesByCustomerIdLoader:  # noqa: N802
        from resolvers.customer import loaders as customer_loaders  # the area imports this module

        return customer_loaders.IdentitiesByCustomerIdLoader(self._pool)

    @cached_property
    def AddressesByCustomerIdLoader(self) -> customer_loaders.AddressesByCustomerIdLoader:  # noqa: N802
        from resolvers.customer import loaders as customer_loaders  # the area imports this module

        return customer_loaders.AddressesByCustomerIdLoader(self._pool)

    @cached_property
    def LoyaltyLedgerByCustomerIdLoader(self) -> customer_loaders.LoyaltyLedgerByCustomerIdLoader:  # noqa: N802
        from resolvers.customer import loaders as customer_loaders  # the area imports this module

        return customer_loaders.LoyaltyLedgerByCustomerIdLoader(self._pool)

    @cached_property
    def CartByIdLoader(self) -> Loader[Any, Any]:  # noqa: N802
        return self._make(cart.carts_by_ids)

    @cached_property
    def CartsByCustomerIdLoader(self) -> Loader[Any, Any]:  # noqa: N802
        return self._make(cart.carts_by_customer_ids)

    @cached_property
    def CartLinesByCartIdLoader(self) -> Loader[Any, Any]:  # noqa: N802
        return self._make(cart.priced_lines_by_cart_ids)

    @cached_property
    def DiscountByCodeLoader(self) -> Loader[Any, Any]:  # noqa: N802
        return self._make(cart.discounts_by_code_and_customer)

    @cached_property
    def TranslationsByResourceLoader(self) -> catalog_loaders.TranslationsByResourceLoader:  # noqa: N802
        from resolvers.catalog import loaders as catalog_loaders  # the area imports this module

        return catalog_loaders.TranslationsByResourceLoader(self._pool)

    @cached_property
    def CartMarketByCartIdLoader(self) -> catalog_loaders.CartMarketByCartIdLoader:  # noqa: N802
        from resolvers.catalog import loaders as catalog_loaders  # the area imports this module

        return catalog_loaders.CartMarketByCartIdLoader(self._pool)

    @cached_property
    def cart_views(self) -> dict[Any, Any]:
        """Priced cart views of this request, by (cart id, updated_at): resolvers/cart/views.py."""
        return {}

    @cached_property
    def OrderByIdLoader(self) -> order_loaders.OrderByIdLoader:  # noqa: N802
        from resolvers.order import loaders as order_loaders  # the area imports this module

        return order_loaders.OrderByIdLoader(self._pool)

    @cached_property
    def FulfillmentsByOrderIdLoader(self) -> order_loaders.FulfillmentsByOrderIdLoader:  # noqa: N802
        from resolvers.order import loaders as order_loaders  # the area imports this module

        return order_loaders.FulfillmentsByOrderIdLoader(self._pool)

    @cached_property
    def OrderLinesByOrderIdLoader(self) -> Loader[Any, Any]:  # noqa: N802
        return self._make(order_repository.lines_by_order_ids)

    @cached_property
    def ReturnsByOrderIdLoader(self) -> order_loaders.ReturnsByOrderIdLoader:  # noqa: N802
        from resolvers.order import loaders as order_loaders  # the area imports this module

        return order_loaders.ReturnsByOrderIdLoader(self._pool)

    @cached_property
    def ReturnByIdLoader(self) -> order_loaders.ReturnByIdLoader:  # noqa: N802
        from resolvers.order import loaders as order_loaders  # the area imports this module

        return order_loaders.ReturnByIdLoader(self._pool)

    @cached_property
    def CustomerOrderPagesLoader(self) -> order_loaders.CustomerOrderPagesLoader:  # noqa: N802
        from resolvers.order import loaders as order_loaders  # the area imports this module

        return order_loaders.CustomerOrderPagesLoader(self._pool)

    @cached_property
    def LifetimeValueByCustomerIdLoader(self) -> order_loaders.LifetimeValueByCustomerIdLoader:  # noqa: N802
        from resolvers.order import loaders as order_loaders  # the area imports this module

        return order_loaders.LifetimeValueByCustomerIdLoader(self._pool)

    @cached_property
    def CollectionByIdLoader(self) -> catalog_loaders.CollectionByIdLoader:  # noqa: N802
        from resolvers.catalog import loaders as catalog_loaders  # the area imports this module

        return catalog_loaders.CollectionByIdLoader(self._pool)

    @cached_property
    def CollectionByHandleLoader(self) -> catalog_loaders.CollectionByHandleLoader:  # noqa: N802
        from resolvers.catalog import loaders as catalog_loaders  # the area imports this module

        return catalog_loaders.CollectionByHandleLoader(self._pool)

    @cached_property
    def CollectionsByParentIdLoader(self) -> catalog_loaders.CollectionsByParentIdLoader:  # noqa: N802
        from resolvers.catalog import loaders as catalog_loaders  # the area imports this module

        return catalog_loaders.CollectionsByParentIdLoader(self._pool)

    @cached_property
    def CollectionAncestorsByIdLoader(self) -> catalog_loaders.CollectionAncestorsByIdLoader:  # noqa: N802
        from resolvers.catalog import loaders as catalog_loaders  # the area imports this module

        return catalog_loaders.CollectionAncestorsByIdLoader(self._pool)

    @cached_property
    def ImagesByProductIdLoader(self) -> catalog_loaders.ImagesByProductIdLoader:  # noqa: N802
        from resolvers.catalog import loaders as catalog_loaders  # the area imports this module

        return catalog_loaders.ImagesByProductIdLoader(self._pool)

    @cached_property
    def ImageByIdLoader(self) -> catalog_loaders.ImageByIdLoader:  # noqa: N802
        from resolvers.catalog import loaders as catalog_loaders  # the area imports this module

        return catalog_loaders.ImageByIdLoader(self._pool)

    @cached_property
    def ProfileByCustomerIdLoader(self) -> customer_loaders.ProfileByCustomerIdLoader:  # noqa: N802
        from resolvers.customer import loaders as customer_loaders  # the area imports this module

        return customer_loaders.ProfileByCustomerIdLoader(self._pool)

    @cached_property
    def OrderHistoryByCustomerIdLoader(self) -> customer_loaders.OrderHistoryByCustomerIdLoader:  # noqa: N802
        from resolvers.customer import loaders as customer_loaders  # the area imports this module

        return customer_loaders.OrderHistoryByCustomerIdLoader(self._pool)

    @cached_property
    def ChannelOrdersByCustomerIdLoader(self) -> customer_loaders.ChannelOrdersByCustomerIdLoader:  # noqa: N802
        from resolvers.customer import loaders as customer_loaders  # the area imports this module

        return customer_loaders.ChannelOrdersByCustomerIdLoader(self._pool)

    @cached_property
    def SegmentByIdLoader(self) -> customer_loaders.SegmentByIdLoader:  # noqa: N802
        from resolvers.customer import loaders as customer_loaders  # the area imports this module

        return customer_loaders.SegmentByIdLoader(self._pool)

    @cached_property
    def SegmentIdsByCustomerIdLoader(self) -> customer_loaders.SegmentIdsByCustomerIdLoader:  # noqa: N802
        from resolvers.customer import loaders as customer_loaders  # the area imports this module

        return customer_loaders.SegmentIdsByCustomerIdLoader(self._pool)

    @cached_property
    def MemberCountBySegmentIdLoader(self) -> customer_loaders.MemberCountBySegmentIdLoader:  # noqa: N802
        from resolvers.customer import loaders as customer_loaders  # the area imports this module

        return customer_loaders.MemberCountBySegmentIdLoader(self._pool)

    @cached_property
    def ArrivalByIdLoader(self) -> ArrivalByIdLoader:  # noqa: N802
        from resolvers.store.loaders import ArrivalByIdLoader  # the area imports this module

        return ArrivalByIdLoader(self._pool)


@dataclass
class Context:
    """What every resolver gets as `info.context`."""

    pool: asyncpg.Pool[Any]
    redis: redis.Redis
    producer: Any
    request_id: str
    principal: Principal | None = None
    settings: Any = None
    request: Any = None
    response: Any = None
    loaders: Loaders = field(init=False)
    # The process's EventHub (live subscriptions); None where it is not running.
    events: Any = None
    # The graphql-ws / graphql-transport-ws connection_init payload (WebSocket only).
    connection_params: Any = None
    # The process's payment port (domain.order.payments.PaymentGateway), from settings.
    payments: Any = None
    # Cart tokens the caller presented: MCP's cart_token argument; over HTTP the
    # X-Cart-Token header (comma-separated), read on first use.
    cart_tokens: list[str] | None = None
    # True for operations the server itself runs from code (the MCP tools): trusted
    # documents mode does not check them.
    internal: bool = False
    # From the composition root (api/bootstrap.py Services): new units of work on the
    # shared pool, and the process's clock.
    unit_of_work: Callable[[], UnitOfWork] | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # The process's read-through cache (datasources.redis.cache.ReadThroughCache).
    cache: ReadThroughCache | None = None
    # The operation's @inContext buyer (domain.catalog.markets.BuyerContext); None without one.
    buyer: Any = None
    _held_carts: frozenset[Any] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.pool)

    @property
    def held_carts(self) -> frozenset[Any]:
        """The carts whose valid token this caller presented (domain.authz)."""
        if self._held_carts is None:
            tokens = list(self.cart_tokens or [])
            headers = getattr(self.request, "headers", None)
            if headers is not None:
                tokens += [t.strip() for t in headers.get("x-cart-token", "").split(",")]
            params = self.connection_params
            if isinstance(params, dict) and isinstance(params.get("cartToken"), str):
                tokens.append(params["cartToken"])
            secret = getattr(self.settings, "jwt_secret", None)
            self._held_carts = held_carts(secret, tokens[:20]) if secret else frozenset()
        return self._held_carts

    def new_unit_of_work(self) -> UnitOfWork:
        """A unit of work on this context's pool, from the composition root's factory."""
        return self.unit_of_work() if self.unit_of_work is not None else UnitOfWork(self.pool)

    def hold_cart(self, cart_id: Any) -> None:
        """A cart created in this request is held by its creator for the rest of it."""
        self._held_carts = self.held_carts | {cart_id}


Info = StrawberryInfo[Context, None]
