"""Interaction validation, consent and the track use-case, without I/O."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.auth import Principal, PrincipalKind, Role
from domain.customer.interactions import (
    MAX_BATCH,
    DropReason,
    Interaction,
    InteractionType,
    anonymous_keys,
    check_anonymous_id,
    check_batch_size,
    check_subject,
    clean_search_term,
    drop_reason,
    interaction_event_data,
    track_interactions,
    tracked_event,
    validate_interaction,
)
from domain.errors import DomainError, ErrorCode
from domain.models import OutboxEvent

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PRODUCT = uuid.uuid4()
STORE = uuid.uuid4()


def view(**kw: object) -> Interaction:
    base = Interaction(
        uuid.uuid4(), InteractionType.PRODUCT_VIEWED, "WEB", NOW - timedelta(minutes=1),
        device_id="d-1", product_id=PRODUCT,
    )  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


def code_and_field(fn: object, *args: object) -> tuple[ErrorCode, list[str] | None]:
    with pytest.raises(DomainError) as info:
        fn(*args)  # type: ignore[operator]
    return info.value.code, info.value.field


def test_validation_names_the_field_at_fault() -> None:
    f = ["events", "0"]
    cases = [
        (view(channel="web"), "channel"),
        (view(occurred_at=datetime(2026, 12, 1, 12)), "occurred_at"),
        (view(occurred_at=NOW + timedelta(minutes=5)), "occurred_at"),
        (view(device_id=None), "device_id"),
        (view(device_id=" no spaces "), "device_id"),
        (view(session_id="x" * 200), "session_id"),
        (view(product_id=None), "product_id"),
        (view(type=InteractionType.STORE_VISITED), "location_id"),
        (view(type=InteractionType.SEARCHED), "search_term"),
        (view(type=InteractionType.SEARCHED, search_term="call 0044 20 7946 0958"), "search_term"),
        (view(type=InteractionType.SEARCHED, search_term="x" * 101), "search_term"),
        (view(type=InteractionType.SEARCHED, search_term="   "), "search_term"),
    ]
    for interaction, name in cases:
        assert code_and_field(validate_interaction, interaction, NOW, f) == (
            ErrorCode.INVALID, [*f, name]
        ), name  # fmt: skip


def test_validation_cleans_and_keeps_only_what_the_type_uses() -> None:
    ok = validate_interaction(view(occurred_at=NOW + timedelta(seconds=30)), NOW, [])
    assert ok.product_id == PRODUCT  # a little clock skew is fine
    search = validate_interaction(
        view(type=InteractionType.SEARCHED, search_term=" Red  Boots ", product_id=PRODUCT,
             location_id=STORE, session_id=" s-1 "),
        NOW, [],
    )  # fmt: skip
    assert (search.search_term, search.product_id, search.location_id) == ("red boots", None, None)
    assert search.session_id == "s-1"
    visit = validate_interaction(
        view(type=InteractionType.STORE_VISITED, location_id=STORE, product_id=None), NOW, []
    )
    assert visit.location_id == STORE
    signed_in = validate_interaction(view(device_id=None, customer_id=uuid.uuid4()), NOW, [])
    assert signed_in.anonymous_keys == []


def test_small_rules() -> None:
    assert anonymous_keys("d", "s") == ["device:d", "session:s"]
    assert anonymous_keys(None, None) == []
    assert check_anonymous_id(None, []) is None
    assert clean_search_term(None, []) is None
    check_batch_size(MAX_BATCH)
    for n in (0, MAX_BATCH + 1):
        assert code_and_field(check_batch_size, n)[0] is ErrorCode.INVALID
    week = timedelta(days=7)
    assert drop_reason(False, NOW, NOW, week) is DropReason.NO_CONSENT
    assert drop_reason(True, NOW - timedelta(days=8), NOW, week) is DropReason.EXPIRED
    assert drop_reason(True, NOW, NOW, week) is None


def test_events_carry_ids_only_and_are_keyed_by_shopper() -> None:
    customer = uuid.uuid4()
    search = view(type=InteractionType.SEARCHED, search_term="boots", product_id=None,
                  session_id="s-1")  # fmt: skip
    data = interaction_event_data(search)
    assert "boots" not in str(data) and data["sessionId"] == "s-1"
    assert tracked_event(search).aggregate_id == "device:d-1"
    signed_in = view(customer_id=customer, location_id=STORE)
    assert tracked_event(signed_in).aggregate_id == str(customer)
    assert interaction_event_data(signed_in)["locationId"] == str(STORE)
    assert tracked_event(view(device_id=None, session_id="s")).aggregate_id == "session:s"


def test_who_may_file_under_a_customer() -> None:
    me = uuid.uuid4()
    customer = Principal(PrincipalKind.CUSTOMER, me)
    pos = Principal(PrincipalKind.API_KEY, uuid.uuid4(), frozenset({Role.POS}))
    merch = Principal(PrincipalKind.STAFF, uuid.uuid4(), frozenset({Role.MERCHANDISER}))
    other = uuid.uuid4()
    assert check_subject(customer, None, []) == me
    assert check_subject(customer, me, []) == me
    assert code_and_field(check_subject, customer, other, ["x"]) == (ErrorCode.NOT_FOUND, ["x"])
    assert check_subject(None, None, []) is None
    assert code_and_field(check_subject, None, other, [])[0] is ErrorCode.UNAUTHENTICATED
    assert code_and_field(check_subject, merch, other, [])[0] is ErrorCode.FORBIDDEN
    assert check_subject(pos, other, []) == other
    assert check_subject(pos, None, []) is None


class FakeStore:
    """An in-memory stand-in for the port (this is a unit test of the rules, no database)."""

    def __init__(self, consent: dict[uuid.UUID, bool], owners: dict[str, uuid.UUID]) -> None:
        self.consent, self.owners = consent, owners
        self.rows: dict[uuid.UUID, Interaction] = {}
        self.products = {PRODUCT}
        self.locations = {STORE}

    async def consent_of(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, bool]:
        return {i: self.consent[i] for i in ids if i in self.consent}

    async def owner_of(self, keys: list[str]) -> dict[str, uuid.UUID]:
        return {k: self.owners[k] for k in keys if k in self.owners}

    async def existing(self, table: str, ids: list[uuid.UUID]) -> set[uuid.UUID]:
        return set(ids) & (self.products if table == "products" else self.locations)

    async def insert(self, interactions: list[Interaction]) -> list[uuid.UUID]:
        new = [i for i in interactions if i.id not in self.rows]
        self.rows.update({i.id: i for i in new})
        return [i.id for i in new]


class FakeUnit:
    def __init__(self, store: FakeStore) -> None:
        self.interactions = store
        self.events: list[OutboxEvent] = []

    async def add_events(self, events: list[OutboxEvent]) -> None:
        self.events.extend(events)


async def test_track_keeps_what_was_consented_and_refuses_bad_batches_whole() -> None:
    known, silent = uuid.uuid4(), uuid.uuid4()
    store = FakeStore(
        {known: True, silent: False}, {"device:known": known, "device:silent": silent}
    )
    unit = FakeUnit(store)
    batch = [
        view(device_id="known"),
        view(device_id="silent"),
        view(device_id="stranger"),
        view(device_id="old", occurred_at=NOW - timedelta(days=400)),
    ]
    result = await track_interactions(
        unit, None, batch, anonymous_consent=True, now=NOW, retention=timedelta(days=365)
    )
    assert [i.device_id for i in result.accepted] == ["known", "stranger"]
    assert result.dropped == {DropReason.NO_CONSENT: 1, DropReason.EXPIRED: 1}
    assert len(unit.events) == 2 and len(store.rows) == 2
    again = await track_interactions(
        unit, None, batch[:1], anonymous_consent=False, now=NOW, retention=timedelta(days=365)
    )
    assert again.accepted == []  # the same id twice is stored once

    bad = [view(device_id="known"), view(product_id=uuid.uuid4())]
    with pytest.raises(DomainError) as info:
        await track_interactions(
            unit, None, bad, anonymous_consent=True, now=NOW, retention=timedelta(days=1)
        )
    assert (info.value.code, info.value.field) == (
        ErrorCode.NOT_FOUND,
        ["events", "1", "product_id"],
    )
    visit = view(type=InteractionType.STORE_VISITED, location_id=uuid.uuid4(), product_id=None)
    with pytest.raises(DomainError) as info:
        await track_interactions(
            unit, None, [visit], anonymous_consent=True, now=NOW, retention=timedelta(days=1)
        )
    assert info.value.field == ["events", "0", "location_id"]
    assert len(store.rows) == 2
    me = Principal(PrincipalKind.CUSTOMER, silent)
    mine = await track_interactions(
        unit, me, [view(device_id=None)], anonymous_consent=True, now=NOW,
        retention=timedelta(days=1),
    )  # fmt: skip
    assert mine.dropped == {DropReason.NO_CONSENT: 1}
