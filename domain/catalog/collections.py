"""Collections: manual or rule-based groups of products, nested into a tree. Pure: no I/O.

A rule-based collection holds every product meeting *all* of its conditions ("tag = summer
AND price < 50"); a manual one holds the products a merchandiser listed, in their order.
Collections nest (a category tree); a collection's breadcrumbs are its ancestors, root first.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from domain.catalog import rules as input_rules
from domain.catalog.models import ProductSortKey
from domain.errors import DomainError, ErrorCode

MAX_RULES = 20
MAX_DEPTH = 6
MAX_PRODUCTS_PER_CHANGE = 250


class RuleField(StrEnum):
    TAG = "TAG"
    VENDOR = "VENDOR"
    PRODUCT_TYPE = "PRODUCT_TYPE"
    PRICE = "PRICE"


class RuleRelation(StrEnum):
    EQUALS = "EQUALS"
    NOT_EQUALS = "NOT_EQUALS"
    LESS_THAN = "LESS_THAN"
    GREATER_THAN = "GREATER_THAN"


_TEXT_RELATIONS = frozenset({RuleRelation.EQUALS, RuleRelation.NOT_EQUALS})


@dataclass(frozen=True)
class CollectionRule:
    """One condition. Text values compare case-insensitively (tags are stored lower-case);
    a PRICE value is a decimal in the price's currency and matches the product's lowest
    variant price."""

    field: RuleField
    relation: RuleRelation
    value: str


@dataclass
class Collection:
    id: uuid.UUID
    handle: str
    title: str
    description: str
    parent_id: uuid.UUID | None
    rules: list[CollectionRule]
    sort_key: ProductSortKey
    sort_reverse: bool
    position: int
    image_url: str | None
    image_alt_text: str | None
    seo_title: str | None
    seo_description: str | None
    created_at: datetime
    channel_codes: list[str] = field(default_factory=list)

    @property
    def is_rule_based(self) -> bool:
        return bool(self.rules)


def validate_rules(raw: Sequence[CollectionRule], path: list[str]) -> list[CollectionRule]:
    """Cleaned rules, or INVALID naming the offending rule."""
    if len(raw) > MAX_RULES:
        raise DomainError(ErrorCode.INVALID, f"At most {MAX_RULES} rules.", path)
    cleaned: list[CollectionRule] = []
    for i, rule in enumerate(raw):
        where = [*path, str(i)]
        value = rule.value.strip()
        if rule.field is RuleField.PRICE:
            try:
                amount = Decimal(value)
            except InvalidOperation:
                amount = Decimal("NaN")
            if not amount.is_finite() or amount < 0 or amount > 10**10:
                raise DomainError(
                    ErrorCode.INVALID, "A PRICE rule's value is a decimal amount.", where
                )
            value = str(amount)
        else:
            if rule.relation not in _TEXT_RELATIONS:
                raise DomainError(
                    ErrorCode.INVALID,
                    f"{rule.field.value} rules compare with EQUALS or NOT_EQUALS only.",
                    where,
                )
            if not value or len(value) > 255:
                raise DomainError(ErrorCode.INVALID, "A rule's value is 1-255 characters.", where)
            if rule.field is RuleField.TAG:
                value = value.lower()
        cleaned.append(CollectionRule(rule.field, rule.relation, value))
    return cleaned


def check_parent(
    collection_id: uuid.UUID | None,
    parent_id: uuid.UUID | None,
    parent_chain: Sequence[uuid.UUID],
    path: list[str],
) -> None:
    """A parent must not be the collection itself nor one of its descendants (`parent_chain`
    is the proposed parent's ancestors, the parent first), and the tree stays shallow."""
    if parent_id is None:
        return
    if collection_id is not None and (parent_id == collection_id or collection_id in parent_chain):
        raise DomainError(ErrorCode.INVALID, "A collection cannot be nested inside itself.", path)
    if len(parent_chain) >= MAX_DEPTH:
        raise DomainError(
            ErrorCode.INVALID, f"Collections nest at most {MAX_DEPTH} levels deep.", path
        )


def breadcrumbs(collection: Collection, by_id: Mapping[uuid.UUID, Collection]) -> list[Collection]:
    """The collection's ancestors, root first, ending with the collection itself. An
    ancestor that is missing (or hidden from the caller) ends the trail."""
    trail = [collection]
    seen = {collection.id}
    parent = collection.parent_id
    while parent is not None and parent in by_id and parent not in seen:
        seen.add(parent)
        trail.append(by_id[parent])
        parent = by_id[parent].parent_id
    return trail[::-1]


@dataclass(frozen=True)
class CollectionDraft:
    """Fields of a collection to create, or (None = unchanged) to update."""

    handle: str | None = None
    title: str | None = None
    description: str | None = None
    parent_id: uuid.UUID | None = None
    clear_parent: bool = False
    rules: list[CollectionRule] | None = None
    sort_key: ProductSortKey | None = None
    sort_reverse: bool | None = None
    position: int | None = None
    image_url: str | None = None
    image_alt_text: str | None = None
    seo_title: str | None = None
    seo_description: str | None = None
    channel_codes: list[str] | None = None


def clean_draft(draft: CollectionDraft) -> dict[str, object]:
    """The column changes of a draft (channels and parent are checked by the use-case)."""
    changes: dict[str, object] = {}
    if draft.handle is not None:
        input_rules.validate_handle(draft.handle, ["handle"])
        changes["handle"] = draft.handle
    if draft.title is not None:
        changes["title"] = input_rules.validate_title(draft.title, ["title"])
    if draft.rules is not None:
        changes["rules"] = validate_rules(draft.rules, ["rules"])
    if draft.sort_key is not None:
        if draft.sort_key is ProductSortKey.RELEVANCE:
            raise DomainError(ErrorCode.INVALID, "RELEVANCE needs a search query.", ["sort_key"])
        changes["sort_key"] = draft.sort_key.value
    if draft.sort_reverse is not None:
        changes["sort_reverse"] = draft.sort_reverse
    if draft.position is not None:
        if not 0 <= draft.position <= 10**6:
            raise DomainError(ErrorCode.INVALID, "Position must be 0-1,000,000.", ["position"])
        changes["position"] = draft.position
    if draft.image_url is not None:
        input_rules.validate_urls([draft.image_url], ["image_url"])
        changes["image_url"] = draft.image_url
    for name in ("description", "image_alt_text", "seo_title", "seo_description"):
        value = getattr(draft, name)
        if value is not None:
            if len(value) > 5000:
                raise DomainError(ErrorCode.INVALID, "At most 5,000 characters.", [name])
            changes[name] = value.strip()
    if draft.clear_parent:
        changes["parent_id"] = None
    elif draft.parent_id is not None:
        changes["parent_id"] = draft.parent_id
    return changes


def check_product_ids(product_ids: Sequence[uuid.UUID], path: list[str]) -> list[uuid.UUID]:
    unique = list(dict.fromkeys(product_ids))
    if not unique or len(unique) > MAX_PRODUCTS_PER_CHANGE:
        raise DomainError(ErrorCode.INVALID, f"Give 1 to {MAX_PRODUCTS_PER_CHANGE} products.", path)
    return unique
