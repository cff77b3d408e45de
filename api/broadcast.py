"""Shared fan-out for `stockChanged` over graphql-transport-ws: one execution, many sockets.

The ordinary path gives every subscription its own task and chain of async
generators, and executes, formats and encodes each event once per socket
(~150-300 us a socket here, docs/BENCHMARKS.md). Stock changes are public and
the same for everyone who asked the same question, so a `stockChanged`
subscription joins a *group* instead: subscribers with the same document,
operation name, variables and viewer class (staff or not: the only thing the
fields read from the context). Per event the group executes the selection once,
encodes the `next` payload once, splices each operation id into the frame and
queues the bytes on each connection's writer. Each connection has one writer
task and a bounded queue; a connection that falls that far behind is closed
with 4429, as on the ordinary path.

Anything else (other fields, several root fields, invalid documents or
arguments, the legacy graphql-ws protocol) takes Strawberry's ordinary path,
which also reports the errors. Before a subscribe joins a group it passes the
checks the schema's extensions make on the ordinary path (`admitted`: depth
limit, introspection switch, cost limit, and the cost taken from the client's
rate-limit bucket); one that fails is handed to the ordinary path, whose
extensions refuse it with their usual coded error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    OperationType,
    execute,
    parse,
    validate,
)
from graphql.error import GraphQLError
from graphql.execution.values import get_argument_values, get_variable_values
from starlette.websockets import WebSocket
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.extensions.query_depth_limiter import create_validator
from strawberry.schema import BaseSchema, Schema
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)

from api.ws_masking import MaskingSchema, masked_errors
from api.ws_messages import INVALID_MESSAGE, transport_ws_problem
from datasources.events.live import MAX_LOCATIONS, MAX_SKUS, STOCK_CHANGED, stock_change, stock_keys
from datasources.kafka.fanout import EventHub, Subscriber
from domain.errors import InvalidId
from domain.ids import from_global_id
from resolvers.context import Context
from resolvers.live import OVERFLOW_CLOSE_CODE, OVERFLOW_CLOSE_REASON
from resolvers.query_cost import DEFAULT_MAX_COST, client_key, document_cost, rate_limiter
from resolvers.shared_events import frozen, viewer_class
from resolvers.subgraphs import MAX_QUERY_DEPTH
from resolvers.trusted_documents import trusted_documents

log = logging.getLogger("ucg.broadcast")
SHARED_FIELD = "stockChanged"
GROUP_QUEUE = 10_000  # events a group may lag behind the hub; it never waits on sockets


@lru_cache(maxsize=512)
def _document(schema: GraphQLSchema, query: str) -> DocumentNode | None:
    """The parsed document when it is a valid one-field `stockChanged` subscription."""
    try:
        document = parse(query)
    except GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation is not OperationType.SUBSCRIPTION:
        return None
    selections = operations[0].selection_set.selections
    if len(selections) != 1 or not isinstance(selections[0], FieldNode):
        return None
    if selections[0].name.value != SHARED_FIELD or selections[0].directives:
        return None
    return None if validate(schema, document) else document


@dataclass(frozen=True)
class Plan:
    document: DocumentNode
    variables: dict[str, Any]
    operation_name: str | None
    skus: tuple[str, ...] | None
    locations: frozenset[str] | None
    group_key: Hashable


def plan(schema: GraphQLSchema, payload: dict[str, Any], context: Any) -> Plan | None:
    """How to serve this subscribe message from a shared group, or None for the ordinary path."""
    query = payload.get("query")
    if not isinstance(query, str) or getattr(context, "events", None) is None:
        return None
    documents = trusted_documents(getattr(context, "settings", None))
    if documents is not None and not documents.trusts(query):
        return None  # the ordinary path refuses it with PERSISTED_QUERY_NOT_IN_LIST
    document = _document(schema, query)
    if document is None:
        return None
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    raw = payload.get("variables") or {}
    if not isinstance(raw, dict):
        return None
    variables = get_variable_values(schema, operation.variable_definitions or (), raw)
    if isinstance(variables, list):  # coercion errors: let the ordinary path report them
        return None
    node = operation.selection_set.selections[0]
    assert isinstance(node, FieldNode) and schema.subscription_type is not None
    arguments = get_argument_values(schema.subscription_type.fields[SHARED_FIELD], node, variables)
    skus, location_ids = arguments.get("skus"), arguments.get("locationIds")
    if skus is not None and not 1 <= len(skus) <= MAX_SKUS:
        return None
    if location_ids is not None and not 1 <= len(location_ids) <= MAX_LOCATIONS:
        return None
    try:
        locations = (
            frozenset(str(from_global_id(i, "Location")[1]) for i in location_ids)
            if location_ids is not None
            else None
        )
    except InvalidId:
        return None
    name = payload.get("operationName")
    coerced = getattr(variables, "coerced", variables)  # graphql-core 3.3: VariableValues
    key = (id(schema), query, name, frozen(coerced), viewer_class(context))
    return Plan(document, raw, name, None if skus is None else tuple(skus), locations, key)


async def admitted(schema: GraphQLSchema, plan: Plan, context: Any) -> bool:
    """Whether the ordinary path's extensions would let this subscription run; takes its cost
    from the client's bucket when they would."""
    settings = getattr(context, "settings", None)
    rules = [create_validator(MAX_QUERY_DEPTH, None)]
    if settings is not None and not settings.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    if validate(schema, plan.document, rules):
        return False
    cost = document_cost(schema, plan.document, plan.operation_name, plan.variables)
    if cost is None or cost > getattr(settings, "max_query_cost", DEFAULT_MAX_COST):
        return False
    limiter = rate_limiter(context)
    return limiter is None or (await limiter.take(client_key(context), cost)).allowed


class ConnectionWriter:
    """One task per connection sending queued frames in order; never blocks a group."""

    def __init__(self, websocket: WebSocket, capacity: int) -> None:
        self.websocket = websocket
        self.queue: asyncio.Queue[str] = asyncio.Queue(capacity)
        self.task = asyncio.get_running_loop().create_task(self._run())

    def push(self, frame: str) -> None:
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            log.warning("closed a subscriber that could not keep up")
            self.task.cancel()
            asyncio.get_running_loop().create_task(self._close())

    async def _close(self) -> None:
        with contextlib.suppress(Exception):
            await self.websocket.close(code=OVERFLOW_CLOSE_CODE, reason=OVERFLOW_CLOSE_REASON)

    async def _run(self) -> None:
        try:
            while True:
                frame = await self.queue.get()
                await self.websocket.send_text(frame)
        except (OSError, RuntimeError):
            return  # the socket went away; the handler cleans up


@dataclass(eq=False)
class Member:
    operation_id: str
    writer: ConnectionWriter
    prefix: str = field(init=False)

    def __post_init__(self) -> None:
        self.prefix = '{"id":' + orjson.dumps(self.operation_id).decode() + ',"type":"next",'


class Group:
    """Subscribers of one question; one hub subscription and one task for all of them."""

    def __init__(self, registry: Registry, plan: Plan, schema: GraphQLSchema, context: Any) -> None:
        self.registry = registry
        self.plan = plan
        self.schema = schema
        self.context = context  # only its viewer class is read, and it is part of the key
        self.members: dict[Member, None] = {}
        self.subscriber: Subscriber = registry.hub.subscribe(
            stock_keys(plan.skus), capacity=GROUP_QUEUE
        )
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            while True:
                event = await self.subscriber.get()
                if event.type != STOCK_CHANGED:
                    continue
                if self.plan.locations is not None and (
                    str(event.data["locationId"]) not in self.plan.locations
                ):
                    continue
                body = await self._payload(stock_change(event))
                for member in tuple(self.members):
                    member.writer.push(member.prefix + body)
        finally:
            self.registry.hub.unsubscribe(self.subscriber)

    async def _payload(self, record: Any) -> str:
        result = execute(
            self.schema,
            self.plan.document,
            root_value=record,
            context_value=self.context,
            variable_values=self.plan.variables,
            operation_name=self.plan.operation_name,
        )
        if not isinstance(result, ExecutionResult):
            result = await result
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [e.formatted for e in masked_errors(list(result.errors))]
        return '"payload":' + orjson.dumps(payload).decode() + "}"

    def leave(self, member: Member) -> None:
        self.members.pop(member, None)
        if not self.members:
            self.registry.groups.pop(self.plan.group_key, None)
            self.task.cancel()


class Registry:
    """The process's groups, by key (one registry per event hub)."""

    def __init__(self, hub: EventHub) -> None:
        self.hub = hub
        self.groups: dict[Hashable, Group] = {}

    def join(self, plan: Plan, schema: GraphQLSchema, context: Any, member: Member) -> Group:
        group = self.groups.get(plan.group_key)
        if group is None:
            group = self.groups[plan.group_key] = Group(self, plan, schema, context)
        group.members[member] = None
        return group


_REGISTRIES: dict[int, Registry] = {}


def registry_for(hub: EventHub) -> Registry:
    registry = _REGISTRIES.get(id(hub))
    if registry is None or registry.hub is not hub:
        registry = _REGISTRIES[id(hub)] = Registry(hub)
    return registry


def core_schema(schema: BaseSchema) -> GraphQLSchema:
    """The graphql-core schema a Strawberry schema executes."""
    assert isinstance(schema, Schema)
    return schema._schema


class SharedFanoutHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws with `stockChanged` served from shared groups."""

    _writer: ConnectionWriter | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.core_schema = core_schema(self.schema)
        self.schema = MaskingSchema(self.schema)  # type: ignore[assignment]

    async def handle_message(self, message: Any) -> None:
        problem = transport_ws_problem(message)
        if problem is not None:
            await self.websocket.close(code=INVALID_MESSAGE, reason=problem)
            return
        await super().handle_message(message)

    async def handle_subscribe(self, message: Any) -> None:
        payload = message.get("payload") or {}
        shared = (
            plan(self.core_schema, payload, self.context)
            if self.connection_acknowledged
            and message["id"] not in self.operations
            and (
                self.max_subscriptions_per_connection is None
                or len(self.operations) < self.max_subscriptions_per_connection
            )
            else None
        )
        if shared is None or not await admitted(self.core_schema, shared, self.context):
            await super().handle_subscribe(message)
            return
        if self._writer is None:
            settings = getattr(self.context, "settings", None)
            capacity = getattr(settings, "subscription_queue_size", 256)
            assert isinstance(self.websocket, ASGIWebSocketAdapter)
            self._writer = ConnectionWriter(self.websocket.ws, capacity)
        member = Member(message["id"], self._writer)
        group = registry_for(self.context.events).join(
            shared, self.core_schema, self.context, member
        )
        operation = Operation(
            self, message["id"], payload["query"], payload.get("variables"), shared.operation_name
        )
        # An idle task per subscription keeps Strawberry's bookkeeping (ids, limits,
        # complete, shutdown) unchanged; cancelling it leaves the group.
        operation.task = asyncio.create_task(self._hold(group, member))
        operation.task.add_done_callback(self._task_done)
        self.operations[message["id"]] = operation

    async def _hold(self, group: Group, member: Member) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            group.leave(member)

    async def shutdown(self) -> None:
        await super().shutdown()
        if self._writer is not None:
            self._writer.task.cancel()


__all__ = ["SharedFanoutHandler", "plan"]
