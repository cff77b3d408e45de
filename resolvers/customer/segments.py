"""Segments over GraphQL: segmentCreate/Update/Delete, segments, customerSegmentChanged."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry

from datasources.kafka.fanout import EventHub, Key
from datasources.postgres import segments as store
from datasources.postgres.uow import UnitOfWork
from domain.customer import segments as rules
from domain.customer.segments import SEGMENT_CHANGED, SegmentChange
from domain.errors import DomainError, ErrorCode, InvalidId
from domain.ids import from_global_id, local_id, to_global_id
from resolvers.context import Info
from resolvers.customer.access import visible_customer
from resolvers.customer.segment_types import Segment, SegmentRuleInput
from resolvers.customer.types import Customer
from resolvers.errors import UserError, user_errors_field
from resolvers.live import event_hub, overflow_closer, with_error_codes
from resolvers.mutation import entity_payload, run_mutation, run_use_case

MAX_WATCHED = 50


@strawberry.input(description="A new segment.")
class SegmentCreateInput:
    name: str = strawberry.field(description="Unique name, 1-80 characters (e.g. VIP).")
    description: str = strawberry.field(default="", description="What it is for (500 at most).")
    rule: SegmentRuleInput = strawberry.field(description="The rule customers must match.")


@strawberry.input(description="Changes to a segment; omitted fields stay as they are.")
class SegmentUpdateInput:
    name: str | None = strawberry.field(default=None, description="A new unique name.")
    description: str | None = strawberry.field(default=None, description="A new description.")
    rule: SegmentRuleInput | None = strawberry.field(
        default=None, description="A new rule: every customer is evaluated against it again."
    )


@strawberry.type(description="Result of segmentCreate and segmentUpdate.")
class SegmentPayload:
    segment: Segment | None = strawberry.field(description="The segment; null on error.")
    evaluated_customers: int = strawberry.field(
        default=0,
        description="Customers evaluated against a new rule (0 when the rule did not change).",
    )
    membership_changes: int = strawberry.field(
        default=0, description="Entries and exits that evaluation made (each also an event)."
    )
    user_errors: list[UserError] = user_errors_field()


@entity_payload(
    "Result of segmentDelete.",
    deleted_segment_id="Global id of the deleted segment; null on error.",
)
class SegmentDeletePayload:
    deleted_segment_id: strawberry.ID | None


def _segment_id(raw: strawberry.ID, field: list[str]) -> uuid.UUID:
    return local_id(raw, "Segment", field)


async def _evaluated(info: Info, segment: rules.Segment) -> SegmentPayload:
    """The payload of a segment whose rule is new: every customer evaluated against it
    (a chunk per transaction, after the definition committed)."""
    evaluated, changed = await store.evaluate_segment(info.context.pool, segment, datetime.now(UTC))
    return SegmentPayload(
        segment=segment,  # type: ignore[arg-type]
        evaluated_customers=evaluated,
        membership_changes=changed,
        user_errors=[],
    )


@strawberry.type
class SegmentsMutation:
    @strawberry.mutation(
        description="Define a segment (staff: ADMIN or SUPPORT). Every customer is evaluated "
        "against it before this returns (a chunk per transaction); each entry is an event."
    )
    async def segment_create(
        self,
        info: Info,
        input: Annotated[SegmentCreateInput, strawberry.argument(description="The segment.")],
    ) -> SegmentPayload:
        async def create() -> SegmentPayload:
            rules.check_may_define_segments(info.context.principal)
            name, description = rules.check_name(input.name, input.description)
            rule = rules.parse_rule(input.rule.to_json(), ["input", "rule"])
            async with UnitOfWork(info.context.pool) as uow:
                segment = await store.insert_segment(uow.conn, name, description, rule)  # type: ignore[arg-type]
            return await _evaluated(info, segment)

        return await run_use_case(SegmentPayload, create)

    @strawberry.mutation(
        description="Change a segment's name, description or rule (staff: ADMIN or SUPPORT). "
        "A new rule is evaluated against every customer before this returns."
    )
    async def segment_update(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Segment global id.")],
        input: Annotated[SegmentUpdateInput, strawberry.argument(description="The changes.")],
    ) -> SegmentPayload:
        async def update() -> SegmentPayload:
            rules.check_may_define_segments(info.context.principal)
            segment_id = _segment_id(id, ["id"])
            name, description = rules.check_name(
                input.name if input.name is not None else "-", input.description or ""
            )
            rule = (
                rules.parse_rule(input.rule.to_json(), ["input", "rule"])
                if input.rule is not None
                else None
            )
            async with UnitOfWork(info.context.pool) as uow:
                segment = await store.update_segment(
                    uow.conn,  # type: ignore[arg-type]
                    segment_id,
                    name if input.name is not None else None,
                    description if input.description is not None else None,
                    rule,
                )
            if segment is None:
                raise DomainError(ErrorCode.NOT_FOUND, "Segment does not exist.", ["id"])
            if rule is None:
                return SegmentPayload(segment=segment, user_errors=[])  # type: ignore[arg-type]
            return await _evaluated(info, segment)

        return await run_use_case(SegmentPayload, update)

    @strawberry.mutation(
        description="Delete a segment and its memberships (staff: ADMIN or SUPPORT); refused "
        "while it limits discount codes."
    )
    async def segment_delete(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Segment global id.")],
    ) -> SegmentDeletePayload:
        async def delete(uow: UnitOfWork) -> strawberry.ID:
            rules.check_may_define_segments(info.context.principal)
            segment_id = _segment_id(id, ["id"])
            if not await store.delete_segment(uow.conn, segment_id):  # type: ignore[arg-type]
                raise DomainError(ErrorCode.NOT_FOUND, "Segment does not exist.", ["id"])
            return id

        return await run_mutation(info, SegmentDeletePayload, delete)


@strawberry.type
class SegmentsQuery:
    @strawberry.field(
        description="Every segment, by name (staff with the CUSTOMERS or CATALOG scope)."
    )
    async def segments(self, info: Info) -> list[Segment]:
        rules.check_may_read_segments(info.context.principal)
        return await store.all_segments(info.context.pool)  # type: ignore[return-value]


@strawberry.type(description="A customer entered or left a segment, or a member visited a store.")
class CustomerSegmentChange:
    change: rules.Change = strawberry.field(description="What happened.")
    channel: str | None = strawberry.field(
        description="Channel of the interaction that caused it; null for a rule evaluation."
    )
    occurred_at: datetime = strawberry.field(description="When it happened.")
    record: strawberry.Private[SegmentChange]

    @classmethod
    def from_record(cls, change: SegmentChange) -> CustomerSegmentChange:
        return cls(
            change=change.change,
            channel=change.channel,
            occurred_at=change.occurred_at,
            record=change,
        )

    @strawberry.field(description="Unique id of the event (the CloudEvents id).")
    def event_id(self) -> strawberry.ID:
        return strawberry.ID(str(self.record.event_id))

    @strawberry.field(description="Global id of the customer.")
    def customer_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Customer", self.record.customer_id))

    @strawberry.field(description="The customer, read now (e.g. to greet them by name).")
    async def customer(self, info: Info) -> Customer | None:
        # A subscription's loaders live as long as the socket: read the customer as they are now.
        info.context.loaders.CustomerByIdLoader.clear(self.record.customer_id)
        return await visible_customer(info, self.record.customer_id)  # type: ignore[return-value]  # a record

    @strawberry.field(description="Global id of the segment.")
    def segment_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Segment", self.record.segment_id))

    @strawberry.field(description="The segment; null if it was deleted since.")
    async def segment(self, info: Info) -> Segment | None:
        return await info.context.loaders.SegmentByIdLoader.load(self.record.segment_id)  # type: ignore[return-value]  # a record

    @strawberry.field(description="The store (Location global id) of the visit that caused it.")
    def store_id(self) -> strawberry.ID | None:
        store_id = self.record.store_id
        return strawberry.ID(to_global_id("Location", store_id)) if store_id else None


@dataclass(frozen=True)
class _Watch:
    segment_ids: frozenset[uuid.UUID] | None
    store_id: uuid.UUID | None

    def keys(self) -> list[Key]:
        if self.segment_ids is None:
            return [(SEGMENT_CHANGED, "*")]
        return [("segment", str(s)) for s in sorted(self.segment_ids)]


def _watch(info: Info, segment_ids: list[strawberry.ID] | None, store: strawberry.ID | None) -> Any:
    if segment_ids is not None and not 1 <= len(segment_ids) <= MAX_WATCHED:
        raise DomainError(ErrorCode.INVALID, f"1 to {MAX_WATCHED} segmentIds.", ["segmentIds"])
    rules.check_may_watch_segments(info.context.principal, None)  # who, before what
    store_id = None
    if store is not None:
        try:
            store_id = from_global_id(store, "Location")[1]
        except InvalidId:
            raise InvalidId(store, ["storeId"]) from None
    store_id = rules.check_may_watch_segments(info.context.principal, store_id)
    ids = (
        None
        if segment_ids is None
        else frozenset(_segment_id(s, ["segmentIds", str(i)]) for i, s in enumerate(segment_ids))
    )
    return _Watch(ids, store_id)


async def segment_changes(
    hub: EventHub, watch: _Watch, on_overflow: Callable[[], None]
) -> AsyncIterator[SegmentChange]:
    subscriber = hub.subscribe(watch.keys(), on_overflow=on_overflow)
    try:
        while True:
            event = await subscriber.get()
            if subscriber.closed:
                return
            if event.type != SEGMENT_CHANGED:
                continue
            change = rules.change_from_event(uuid.UUID(str(event.id)), event.data, event.time)
            if rules.change_visible(change, watch.segment_ids, watch.store_id):
                yield change
    finally:
        hub.unsubscribe(subscriber)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Segment entries, exits and store visits of members, live (staff and POS "
        "with the CUSTOMERS scope): with `storeId`, only those caused by a visit to that store, "
        "so a till is told a VIP just walked in. A store-bound key follows its own store."
    )
    async def customer_segment_changed(
        self,
        info: Info,
        segment_ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(description="Only these segments (1-50); all when omitted."),
        ] = None,
        store_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only changes caused by a visit to this store."),
        ] = None,
    ) -> AsyncGenerator[CustomerSegmentChange, None]:
        def stream() -> AsyncIterator[SegmentChange]:
            watch = _watch(info, segment_ids, store_id)
            return segment_changes(event_hub(info), watch, overflow_closer(info))

        async for change in with_error_codes(stream):
            yield CustomerSegmentChange.from_record(change)
