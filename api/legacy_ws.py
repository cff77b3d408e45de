"""The legacy `graphql-ws` protocol (subscriptions-transport-ws) as its clients expect it.

That protocol carried queries and mutations over `start` too (one `data` message, then
`complete`); Strawberry's handler only subscribes and answers a query with
"queries are not allowed". `schema.stream` runs any operation type, as the
graphql-transport-ws handler already does.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from typing import Any

from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.types.execution import ExecutionResult, PreExecutionError

from api.ws_masking import MaskingSchema
from api.ws_messages import INVALID_MESSAGE, legacy_ws_problem
from resolvers.context import Context


class LegacyGraphQLWSHandler(BaseGraphQLWSHandler[Context, None]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = MaskingSchema(self.schema)  # type: ignore[assignment]

    async def handle_message(self, message: Any) -> None:
        problem = legacy_ws_problem(message)
        if problem is not None:
            await self.websocket.close(code=INVALID_MESSAGE, reason=problem)
            return
        await super().handle_message(message)

    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        try:
            result_source = await self.schema.stream(
                query,
                variable_values=variables,
                context_value=self.context,
                root_value=self.root_value,
                operation_name=operation_name,
            )
            async with aclosing(result_source):
                first = True
                async for result in result_source:
                    if first and isinstance(result, PreExecutionError):
                        assert result.errors
                        await self.send_message(
                            {"type": "error", "id": operation_id, "payload": _first(result)}
                        )
                        return
                    if isinstance(result, ExecutionResult):
                        await self.send_data_message(result, operation_id)
                    first = False
            await self.send_message({"type": "complete", "id": operation_id})
        except asyncio.CancelledError:
            await self.send_message({"type": "complete", "id": operation_id})
        finally:
            self.subscriptions.pop(operation_id, None)
            self.tasks.pop(operation_id, None)


def _first(result: PreExecutionError) -> Any:
    assert result.errors
    return result.errors[0].formatted
