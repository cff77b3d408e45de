"""Staff mutations of collections (CATALOG scope): create, change, delete, list products."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

import strawberry

from datasources.postgres.uow import UnitOfWork
from domain.catalog import collection_services as services
from domain.catalog import collections as domain
from domain.catalog.models import ProductSortKey as ProductSortKey_
from domain.ids import local_id, to_global_id
from resolvers.catalog.collections import Collection, CollectionRuleInput
from resolvers.catalog.types import ProductSortKey
from resolvers.context import Info
from resolvers.mutation import PROBLEMS, entity_payload, optional_local_id, run_mutation

# Mutations ------------------------------------------------------------------------------


@strawberry.input(description="A new collection.")
class CollectionCreateInput:
    handle: str = strawberry.field(description="URL-safe unique handle.")
    title: str = strawberry.field(description="Title, 1-255 characters.")
    description: str = strawberry.field(default="", description="Plain-text description.")
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of the collection to nest it in."
    )
    rules: list[CollectionRuleInput] = strawberry.field(
        default_factory=list, description="Conditions (all must hold); empty for manual."
    )
    sort_key: ProductSortKey = strawberry.field(
        default=ProductSortKey_.MANUAL, description="Default order of its products."
    )
    sort_reverse: bool = strawberry.field(default=False, description="Reverse that order.")
    position: int = strawberry.field(default=0, description="Order among its siblings.")
    image_url: str | None = strawberry.field(default=None, description="http(s) image URL.")
    image_alt_text: str | None = strawberry.field(
        default=None, description="What the image shows, for screen readers."
    )
    seo_title: str | None = strawberry.field(default=None, description="Title for search engines.")
    seo_description: str | None = strawberry.field(
        default=None, description="Meta description for search engines."
    )
    channels: list[str] = strawberry.field(
        default_factory=list, description="Channel codes to publish it on (none: unpublished)."
    )


@strawberry.input(description="Changes to a collection; omitted fields stay as they are.")
class CollectionUpdateInput:
    handle: str | None = strawberry.field(default=None, description="New handle.")
    title: str | None = strawberry.field(default=None, description="New title.")
    description: str | None = strawberry.field(default=None, description="New description.")
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="New parent collection."
    )
    top_level: bool = strawberry.field(
        default=False, description="Move it to the top (no parent); wins over parentId."
    )
    rules: list[CollectionRuleInput] | None = strawberry.field(
        default=None, description="Replaces the rules ([] makes it manual)."
    )
    sort_key: ProductSortKey | None = strawberry.field(
        default=None, description="New default order."
    )
    sort_reverse: bool | None = strawberry.field(default=None, description="Reverse it or not.")
    position: int | None = strawberry.field(default=None, description="Order among siblings.")
    image_url: str | None = strawberry.field(default=None, description="New image URL.")
    image_alt_text: str | None = strawberry.field(default=None, description="New alt text.")
    seo_title: str | None = strawberry.field(default=None, description="New SEO title.")
    seo_description: str | None = strawberry.field(default=None, description="New SEO text.")
    channels: list[str] | None = strawberry.field(
        default=None, description="Replaces the channels it is published on."
    )


@entity_payload(
    "Result of a collection mutation.", errors=PROBLEMS, collection="The collection; null on error."
)
class CollectionPayload:
    collection: Collection | None


@entity_payload(
    "Result of collectionDelete.",
    errors=PROBLEMS,
    deleted_collection_id="Global id of the deleted collection; null on error.",
)
class CollectionDeletePayload:
    deleted_collection_id: strawberry.ID | None


def _rules(rules: Sequence[CollectionRuleInput] | None) -> list[domain.CollectionRule] | None:
    if rules is None:
        return None
    return [
        domain.CollectionRule(
            domain.RuleField(r.field.value), domain.RuleRelation(r.relation.value), r.value
        )
        for r in rules
    ]


def _local(id: strawberry.ID | None, field: list[str]) -> uuid.UUID | None:
    return optional_local_id(id, "Collection", field)


def _draft(input: Any, create: bool) -> domain.CollectionDraft:
    sort_key = input.sort_key
    return domain.CollectionDraft(
        handle=input.handle,
        title=input.title,
        description=input.description,
        parent_id=_local(input.parent_id, ["input", "parentId"]),
        clear_parent=False if create else input.top_level,
        rules=_rules(input.rules),
        sort_key=None if sort_key is None else ProductSortKey_(sort_key.value),
        sort_reverse=input.sort_reverse,
        position=input.position,
        image_url=input.image_url,
        image_alt_text=input.image_alt_text,
        seo_title=input.seo_title,
        seo_description=input.seo_description,
        channel_codes=input.channels,
    )


def _product_ids(ids: Sequence[strawberry.ID]) -> list[uuid.UUID]:
    return [local_id(gid, "Product", ["productIds", str(i)]) for i, gid in enumerate(ids)]


@strawberry.type
class CollectionAdminMutation:
    @strawberry.mutation(description="Create a collection (staff with the CATALOG scope).")
    async def collection_create(
        self,
        info: Info,
        input: Annotated[CollectionCreateInput, strawberry.argument(description="Collection.")],
    ) -> CollectionPayload:

        async def use_case(uow: UnitOfWork) -> domain.Collection:
            draft = _draft(input, create=True)
            return await services.create_collection(uow, info.context.principal, draft)

        return await run_mutation(info, CollectionPayload, use_case)

    @strawberry.mutation(description="Change a collection (staff with the CATALOG scope).")
    async def collection_update(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global id.")],
        input: Annotated[CollectionUpdateInput, strawberry.argument(description="Changes.")],
    ) -> CollectionPayload:

        async def use_case(uow: UnitOfWork) -> domain.Collection:
            local = local_id(id, "Collection", ["id"])
            draft = _draft(input, create=False)
            return await services.update_collection(uow, info.context.principal, local, draft)

        return await run_mutation(info, CollectionPayload, use_case)

    @strawberry.mutation(
        description="Delete a collection without children (staff with the CATALOG scope)."
    )
    async def collection_delete(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global id.")],
    ) -> CollectionDeletePayload:

        async def use_case(uow: UnitOfWork) -> strawberry.ID:
            local = local_id(id, "Collection", ["id"])
            await services.delete_collection(uow, info.context.principal, local)
            return strawberry.ID(to_global_id("Collection", local))

        return await run_mutation(info, CollectionDeletePayload, use_case)

    @strawberry.mutation(
        description=(
            "List products in a manual collection, appended in the given order; ones already "
            "listed stay where they are (staff with the CATALOG scope)."
        )
    )
    async def collection_add_products(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global id.")],
        product_ids: Annotated[
            list[strawberry.ID], strawberry.argument(description="Products, 1 to 250.")
        ],
    ) -> CollectionPayload:
        return await _change_products(info, id, product_ids, add=True)

    @strawberry.mutation(
        description="Remove products from a manual collection (staff with the CATALOG scope)."
    )
    async def collection_remove_products(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global id.")],
        product_ids: Annotated[
            list[strawberry.ID], strawberry.argument(description="Products, 1 to 250.")
        ],
    ) -> CollectionPayload:
        return await _change_products(info, id, product_ids, add=False)


async def _change_products(
    info: Info, id: strawberry.ID, product_ids: list[strawberry.ID], *, add: bool
) -> CollectionPayload:

    async def use_case(uow: UnitOfWork) -> domain.Collection:
        local = local_id(id, "Collection", ["id"])
        wanted = _product_ids(product_ids)
        return await services.change_products(uow, info.context.principal, local, wanted, add=add)

    return await run_mutation(info, CollectionPayload, use_case)
