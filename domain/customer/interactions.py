"""Shopper interactions (views, searches, cart changes, store visits, wishlists). Pure.

An interaction belongs to a signed-in customer or to an anonymous device/session id; it
carries ids only (product, location), never a name, email or phone. It is kept only with
consent: the customer's marketing consent flag, or for a shopper nobody knows yet the
consent the storefront collected (its cookie banner).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from domain.auth import Principal, PrincipalKind
from domain.authz import Scope, has_scope
from domain.errors import DomainError, ErrorCode
from domain.models import OutboxEvent

INTERACTIONS_TOPIC = "ucg.interactions.v1"
TRACKED_EVENT = "ucg.interaction.tracked.v1"
INBOUND_EVENT = "ucg.interaction.v1"
MAX_BATCH = 100
# Clocks of phones and tills drift; a little future is tolerated, not more.
MAX_CLOCK_SKEW = timedelta(minutes=2)
_ANONYMOUS_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$")
_CHANNEL = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")
# An email address or a run of 7+ digits (a phone or card number) is PII: never stored.
_LOOKS_PERSONAL = re.compile(r"@|\d[\d\s\-().]{6,}\d")
MAX_SEARCH_TERM = 100


class InteractionType(StrEnum):
    PRODUCT_VIEWED = "PRODUCT_VIEWED"
    SEARCHED = "SEARCHED"
    ADDED_TO_CART = "ADDED_TO_CART"
    REMOVED_FROM_CART = "REMOVED_FROM_CART"
    STORE_VISITED = "STORE_VISITED"
    WISHLISTED = "WISHLISTED"


_NEEDS_PRODUCT = {
    InteractionType.PRODUCT_VIEWED,
    InteractionType.ADDED_TO_CART,
    InteractionType.REMOVED_FROM_CART,
    InteractionType.WISHLISTED,
}


class DropReason(StrEnum):
    NO_CONSENT = "NO_CONSENT"
    EXPIRED = "EXPIRED"


@dataclass(frozen=True)
class Interaction:
    id: uuid.UUID
    type: InteractionType
    channel: str
    occurred_at: datetime
    customer_id: uuid.UUID | None = None
    device_id: str | None = None
    session_id: str | None = None
    product_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None
    search_term: str | None = None
    source: str = "graphql"

    @property
    def anonymous_keys(self) -> list[str]:
        return anonymous_keys(self.device_id, self.session_id)


def anonymous_keys(device_id: str | None, session_id: str | None) -> list[str]:
    """The keys an anonymous shopper is known by, device first (it outlives a session)."""
    keys = []
    if device_id:
        keys.append(f"device:{device_id}")
    if session_id:
        keys.append(f"session:{session_id}")
    return keys


def check_batch_size(count: int) -> None:
    if count == 0:
        raise DomainError(ErrorCode.INVALID, "Send at least one interaction.", ["events"])
    if count > MAX_BATCH:
        raise DomainError(
            ErrorCode.INVALID, f"At most {MAX_BATCH} interactions per call.", ["events"]
        )


def check_anonymous_id(value: str | None, field: list[str]) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not _ANONYMOUS_ID.match(value):
        raise DomainError(
            ErrorCode.INVALID, "A device or session id is 1-128 letters, digits or _.:-", field
        )
    return value


def clean_search_term(value: str | None, field: list[str]) -> str | None:
    if value is None:
        return None
    term = " ".join(value.split()).lower()
    if not term or len(term) > MAX_SEARCH_TERM:
        raise DomainError(
            ErrorCode.INVALID, f"A search term has 1 to {MAX_SEARCH_TERM} characters.", field
        )
    if _LOOKS_PERSONAL.search(term):
        raise DomainError(
            ErrorCode.INVALID,
            "A search term must not carry personal data (an email, phone or card number).",
            field,
        )
    return term


def validate_interaction(interaction: Interaction, now: datetime, field: list[str]) -> Interaction:
    """The interaction, cleaned, or a DomainError naming the field at fault."""
    if not _CHANNEL.match(interaction.channel):
        raise DomainError(
            ErrorCode.INVALID, "A channel code looks like WEB or POS.", field + ["channel"]
        )
    if interaction.occurred_at.tzinfo is None:
        raise DomainError(
            ErrorCode.INVALID, "Give the time with its UTC offset.", field + ["occurred_at"]
        )
    if interaction.occurred_at > now + MAX_CLOCK_SKEW:
        raise DomainError(
            ErrorCode.INVALID,
            "An interaction cannot happen in the future.",
            field + ["occurred_at"],
        )
    device = check_anonymous_id(interaction.device_id, field + ["device_id"])
    session = check_anonymous_id(interaction.session_id, field + ["session_id"])
    if interaction.customer_id is None and device is None and session is None:
        raise DomainError(
            ErrorCode.INVALID,
            "An anonymous interaction needs a deviceId or a sessionId.",
            field + ["device_id"],
        )
    kind = interaction.type
    if kind in _NEEDS_PRODUCT and interaction.product_id is None:
        raise DomainError(
            ErrorCode.INVALID, f"{kind.value} needs a productId.", field + ["product_id"]
        )
    if kind is InteractionType.STORE_VISITED and interaction.location_id is None:
        raise DomainError(
            ErrorCode.INVALID, "STORE_VISITED needs a locationId.", field + ["location_id"]
        )
    term = None
    if kind is InteractionType.SEARCHED:
        term = clean_search_term(interaction.search_term, field + ["search_term"])
        if term is None:
            raise DomainError(
                ErrorCode.INVALID, "SEARCHED needs a searchTerm.", field + ["search_term"]
            )
    return Interaction(
        id=interaction.id,
        type=kind,
        channel=interaction.channel,
        occurred_at=interaction.occurred_at,
        customer_id=interaction.customer_id,
        device_id=device,
        session_id=session,
        product_id=interaction.product_id if kind in _NEEDS_PRODUCT else None,
        location_id=interaction.location_id if kind is InteractionType.STORE_VISITED else None,
        search_term=term,
        source=interaction.source,
    )


def drop_reason(
    consent: bool, occurred_at: datetime, now: datetime, retention: timedelta
) -> DropReason | None:
    """Why a valid interaction is not kept, or None to keep it."""
    if not consent:
        return DropReason.NO_CONSENT
    if occurred_at < now - retention:
        return DropReason.EXPIRED
    return None


def interaction_event_data(interaction: Interaction) -> dict[str, object]:
    """The outbound event's data: ids, type, channel and time; never the search term."""
    data: dict[str, object] = {
        "interactionId": str(interaction.id),
        "type": interaction.type.value,
        "channel": interaction.channel,
        "occurredAt": interaction.occurred_at.isoformat(),
    }
    for name, value in (
        ("customerId", interaction.customer_id),
        ("deviceId", interaction.device_id),
        ("sessionId", interaction.session_id),
        ("productId", interaction.product_id),
        ("locationId", interaction.location_id),
    ):
        if value is not None:
            data[name] = str(value)
    return data


# --- the use-case ---------------------------------------------------------------------


class InteractionStore(Protocol):
    async def consent_of(self, customer_ids: list[uuid.UUID]) -> dict[uuid.UUID, bool]: ...
    async def owner_of(self, keys: list[str]) -> dict[str, uuid.UUID]: ...
    async def existing(self, table: str, ids: list[uuid.UUID]) -> set[uuid.UUID]: ...
    async def insert(self, interactions: list[Interaction]) -> list[uuid.UUID]: ...


class InteractionUnitOfWork(Protocol):
    @property
    def interactions(self) -> InteractionStore: ...

    # All the batch's events in one go; the adapter takes their aggregates' sequences in a
    # fixed order, whatever the batch's order (two mixed batches cannot deadlock).
    async def add_events(self, events: list[OutboxEvent]) -> None: ...


@dataclass(frozen=True)
class TrackResult:
    accepted: list[Interaction]
    dropped: dict[DropReason, int]


def tracked_event(interaction: Interaction) -> OutboxEvent:
    # Keyed by the shopper (customer, else device, else session): one shopper's
    # interactions stay in order on one partition, so one consumer owns their profile.
    key = str(interaction.customer_id) if interaction.customer_id else interaction.anonymous_keys[0]
    return OutboxEvent(
        topic=INTERACTIONS_TOPIC,
        type=TRACKED_EVENT,
        aggregate_type="Shopper",
        aggregate_id=key,
        data=interaction_event_data(interaction),
    )


def check_subject(
    principal: Principal | None, customer_id: uuid.UUID | None, field: list[str]
) -> uuid.UUID | None:
    """The customer an interaction may be filed under: a customer only under themself
    (another's id is NOT_FOUND, as for any object not theirs); staff and POS under anyone
    with the CUSTOMERS scope; anonymous callers under nobody."""
    if principal is not None and principal.kind is PrincipalKind.CUSTOMER:
        if customer_id is not None and customer_id != principal.id:
            raise DomainError(ErrorCode.NOT_FOUND, "Customer does not exist.", field)
        return principal.id
    if customer_id is None:
        return None
    if principal is None:
        raise DomainError(ErrorCode.UNAUTHENTICATED, "Sign in to track as a customer.", field)
    if not has_scope(principal, Scope.CUSTOMERS):
        raise DomainError(ErrorCode.FORBIDDEN, "You may not track for customers.", field)
    return customer_id


async def track_interactions(
    uow: InteractionUnitOfWork,
    principal: Principal | None,
    events: list[Interaction],
    *,
    anonymous_consent: bool,
    now: datetime,
    retention: timedelta,
) -> TrackResult:
    """Validate the whole batch (one bad event refuses it all: nothing half-applied), keep
    the interactions the shopper consented to, each with its event to the outbox."""
    check_batch_size(len(events))
    clean: list[Interaction] = []
    for i, event in enumerate(events):
        field = ["events", str(i)]
        customer_id = check_subject(principal, event.customer_id, field + ["customer_id"])
        checked = validate_interaction(replace(event, customer_id=customer_id), now, field)
        clean.append(checked)
    store = uow.interactions
    for table, attr in (("products", "product_id"), ("locations", "location_id")):
        wanted = {getattr(e, attr) for e in clean if getattr(e, attr) is not None}
        if wanted:
            found = await store.existing(table, sorted(wanted))
            for i, e in enumerate(clean):
                if getattr(e, attr) is not None and getattr(e, attr) not in found:
                    raise DomainError(
                        ErrorCode.NOT_FOUND,
                        f"{table[:-1].capitalize()} does not exist.",
                        ["events", str(i), attr],
                    )
    anonymous = sorted({k for e in clean if e.customer_id is None for k in e.anonymous_keys})
    owners = await store.owner_of(anonymous) if anonymous else {}
    subjects = {
        e.customer_id or next((owners[k] for k in e.anonymous_keys if k in owners), None)
        for e in clean
    }
    known = sorted(s for s in subjects if s is not None)
    consent = await store.consent_of(known) if known else {}
    kept: list[Interaction] = []
    dropped: dict[DropReason, int] = {}
    for e in clean:
        owner = e.customer_id or next((owners[k] for k in e.anonymous_keys if k in owners), None)
        allowed = consent.get(owner, False) if owner is not None else anonymous_consent
        reason = drop_reason(allowed, e.occurred_at, now, retention)
        if reason is not None:
            dropped[reason] = dropped.get(reason, 0) + 1
            continue
        kept.append(e)
    inserted = set(await store.insert(kept)) if kept else set()
    accepted = [e for e in kept if e.id in inserted]
    if accepted:
        await uow.add_events([tracked_event(e) for e in accepted])
    return TrackResult(accepted, dropped)
