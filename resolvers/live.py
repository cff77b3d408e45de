"""What the subscription resolvers share: the event hub, and closing a too-slow socket."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from graphql import GraphQLError
from starlette.websockets import WebSocket, WebSocketState

from datasources.kafka.fanout import EventHub
from domain.errors import DomainError, ErrorCode
from resolvers.context import Info
from resolvers.field_paths import api_path

T = TypeVar("T")
log = logging.getLogger("ucg.subscriptions")
# Close code for a subscriber that could not keep up (4429 mirrors HTTP 429).
OVERFLOW_CLOSE_CODE = 4429
OVERFLOW_CLOSE_REASON = "Too slow: more events were pending than the server buffers"
_closing: set[asyncio.Task[Any]] = set()


def event_hub(info: Info) -> EventHub:
    hub = getattr(info.context, "events", None)
    if hub is None:
        raise DomainError(ErrorCode.INVALID, "Live updates are not enabled on this server.")
    return hub  # type: ignore[no-any-return]


def overflow_closer(info: Info) -> Callable[[], None]:
    """Called by the hub (synchronously) when this subscriber's queue overflows."""
    request = info.context.request

    def close() -> None:
        if not isinstance(request, WebSocket):
            return  # HTTP streaming: the stream simply ends
        if request.application_state != WebSocketState.CONNECTED:
            return
        task = asyncio.get_running_loop().create_task(
            request.close(code=OVERFLOW_CLOSE_CODE, reason=OVERFLOW_CLOSE_REASON)
        )
        _closing.add(task)
        task.add_done_callback(_closing.discard)
        log.warning("closed a subscriber that could not keep up")

    return close


async def with_error_codes(open_stream: Callable[[], AsyncIterator[T]]) -> AsyncIterator[T]:
    """Subscription errors reach the client with `extensions.code`, as over HTTP.

    Strawberry's WebSocket handlers send `error.formatted` as is, so a DomainError
    becomes a GraphQLError carrying its code here.
    """
    try:
        async for item in open_stream():
            yield item
    except DomainError as error:
        raise GraphQLError(
            error.message, extensions={"code": error.code.value, "field": api_path(error.field)}
        ) from None
