"""Collection use-cases (staff holding the CATALOG scope): create, change, delete, list and
unlist products. Each writes `ucg.catalog.collection_changed.v1` in its transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from domain.auth import Principal, require_principal
from domain.authz import Scope, has_scope
from domain.catalog.collections import (
    Collection,
    CollectionDraft,
    check_parent,
    check_product_ids,
    clean_draft,
)
from domain.errors import DomainError, ErrorCode, NotFound
from domain.events import CATALOG_TOPIC
from domain.models import OutboxEvent
from domain.ports import CollectionUnitOfWork

COLLECTION_CHANGED = "ucg.catalog.collection_changed.v1"


def require_catalog_scope(principal: Principal | None) -> None:
    caller = require_principal(principal)
    if not has_scope(caller, Scope.CATALOG):
        raise DomainError(ErrorCode.FORBIDDEN, "You are not allowed to do this.")


async def _event(
    uow: CollectionUnitOfWork,
    change: str,
    collection: Collection,
    product_ids: Sequence[uuid.UUID] = (),
) -> None:
    await uow.add_event(
        OutboxEvent(
            topic=CATALOG_TOPIC,
            type=COLLECTION_CHANGED,
            aggregate_type="Collection",
            aggregate_id=str(collection.id),
            data={
                "collectionId": str(collection.id),
                "handle": collection.handle,
                "change": change,
                "productIds": [str(p) for p in product_ids],
            },
        )
    )


async def _apply_parent_and_channels(
    uow: CollectionUnitOfWork, collection_id: uuid.UUID | None, draft: CollectionDraft
) -> list[uuid.UUID] | None:
    """Checks the parent (exists, no cycle) and resolves the channel codes to ids."""
    if draft.parent_id is not None and not draft.clear_parent:
        if await uow.collections.get(draft.parent_id) is None:
            raise NotFound("Parent collection", ["parent_id"])
        chain = await uow.collections.ancestor_ids(draft.parent_id)
        check_parent(collection_id, draft.parent_id, chain, ["parent_id"])
    if draft.channel_codes is None:
        return None
    codes = list(dict.fromkeys(draft.channel_codes))
    ids = await uow.collections.channel_ids(codes)
    for i, code in enumerate(codes):
        if code not in ids:
            raise NotFound(f"Channel {code}", ["channels", str(i)])
    return [ids[c] for c in codes]


async def create_collection(
    uow: CollectionUnitOfWork, principal: Principal | None, draft: CollectionDraft
) -> Collection:
    require_catalog_scope(principal)
    if draft.handle is None or draft.title is None:
        raise DomainError(ErrorCode.INVALID, "handle and title are required.", [])
    changes = clean_draft(draft)
    if await uow.collections.handle_exists(draft.handle):
        raise DomainError(ErrorCode.TAKEN, f"Handle {draft.handle} is taken.", ["handle"])
    channel_ids = await _apply_parent_and_channels(uow, None, draft)
    new_id = await uow.collections.add(changes)
    if channel_ids:
        await uow.collections.set_channels(new_id, channel_ids)
    collection = await uow.collections.get(new_id)
    assert collection is not None
    await _event(uow, "CREATED", collection)
    return collection


async def update_collection(
    uow: CollectionUnitOfWork,
    principal: Principal | None,
    collection_id: uuid.UUID,
    draft: CollectionDraft,
) -> Collection:
    require_catalog_scope(principal)
    changes = clean_draft(draft)
    if await uow.collections.get(collection_id) is None:
        raise NotFound("Collection", ["id"])
    if draft.handle is not None and await uow.collections.handle_exists(
        draft.handle, collection_id
    ):
        raise DomainError(ErrorCode.TAKEN, f"Handle {draft.handle} is taken.", ["handle"])
    channel_ids = await _apply_parent_and_channels(uow, collection_id, draft)
    await uow.collections.update(collection_id, changes)
    if channel_ids is not None:
        await uow.collections.set_channels(collection_id, channel_ids)
    collection = await uow.collections.get(collection_id)
    assert collection is not None
    await _event(uow, "UPDATED", collection)
    return collection


async def delete_collection(
    uow: CollectionUnitOfWork, principal: Principal | None, collection_id: uuid.UUID
) -> Collection:
    require_catalog_scope(principal)
    collection = await uow.collections.get(collection_id)
    if collection is None:
        raise NotFound("Collection", ["id"])
    if await uow.collections.has_children(collection_id):
        raise DomainError(
            ErrorCode.INVALID,
            "The collection has child collections: move or delete them first.",
            ["id"],
        )
    await uow.collections.delete(collection_id)
    await _event(uow, "DELETED", collection)
    return collection


async def change_products(
    uow: CollectionUnitOfWork,
    principal: Principal | None,
    collection_id: uuid.UUID,
    product_ids: Sequence[uuid.UUID],
    *,
    add: bool,
) -> Collection:
    """List (append, in order) or unlist products of a manual collection."""
    require_catalog_scope(principal)
    wanted = check_product_ids(product_ids, ["product_ids"])
    collection = await uow.collections.get(collection_id)
    if collection is None:
        raise NotFound("Collection", ["id"])
    if collection.is_rule_based:
        raise DomainError(
            ErrorCode.INVALID,
            "A rule-based collection's products follow its rules; change the rules instead.",
            ["id"],
        )
    if add:
        found = await uow.collections.existing_product_ids(wanted)
        for i, product_id in enumerate(wanted):
            if product_id not in found:
                raise NotFound("Product", ["product_ids", str(i)])
        changed = await uow.collections.add_products(collection_id, wanted)
    else:
        changed = await uow.collections.remove_products(collection_id, wanted)
    if changed:
        await _event(uow, "PRODUCTS_ADDED" if add else "PRODUCTS_REMOVED", collection, changed)
    return collection
