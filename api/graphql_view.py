"""GraphQL over HTTP and WebSocket: context, content negotiation, error masking."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncGenerator
from dataclasses import replace
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from api import persisted_queries
from api.auth import AuthenticationFailed, authenticate, authenticate_connection_params
from api.bootstrap import Services
from api.broadcast import SharedFanoutHandler
from api.graphiql import local_graphiql_html
from api.input_limits import BadInput, decode_json
from api.legacy_ws import LegacyGraphQLWSHandler
from api.logging import request_id_var
from domain.errors import DomainError
from resolvers.context import Context
from resolvers.field_paths import api_path
from resolvers.trusted_documents import NOT_IN_LIST, TrustedDocuments, trusted_documents

log = logging.getLogger("ucg.graphql")
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


def request_error_code(error: GraphQLError) -> str:
    """The code of an error GraphQL itself raised (no resolver ran), as Apollo names them."""
    message = error.message
    if message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if message.startswith(("Variable '$", "Argument '")):
        return "BAD_USER_INPUT"
    if error.path is None:
        return "GRAPHQL_VALIDATION_FAILED"
    # e.g. "Cannot return null for non-nullable field": a resolver broke its contract.
    return "INTERNAL_SERVER_ERROR"


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    """A DomainError shows its code; graphql's own errors pass with a code; anything else
    is masked and logged once."""
    original = error.original_error
    if isinstance(original, DomainError):
        formatted: dict[str, Any] = dict(error.formatted)
        formatted["message"] = original.message
        formatted["extensions"] = {"code": original.code.value, "field": api_path(original.field)}
        return formatted
    if original is None or isinstance(original, GraphQLError) or error.path is None:
        formatted = dict(error.formatted)
        if original is not None and not isinstance(original, GraphQLError):
            # A scalar refused a variable: say which, not what Python said.
            formatted["message"] = error.message.split(";")[0] + "; the value is not valid."
        extensions = dict(formatted.get("extensions") or {})
        extensions.setdefault("code", request_error_code(error))
        formatted["extensions"] = extensions
        return formatted
    log.error(
        "unexpected error in resolver",
        exc_info=(type(original), original, original.__traceback__),
        extra={"path": error.path},
    )
    masked = _internal_error(request_id)
    if error.path is not None:
        masked["path"] = error.path
    if error.locations is not None:
        masked["locations"] = [loc._asdict() for loc in error.locations]
    return masked


def _internal_error(request_id: str) -> dict[str, Any]:
    return {
        "message": f"Internal error. Quote request id {request_id} to support.",
        "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    }


def refusal(status: int, code: str, message: str) -> Response:
    """An HTTP-level refusal (nothing executed), as a GraphQL response with a code."""
    response = JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status
    )
    response.headers["x-request-id"] = request_id_var.get() or ""
    return response


_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "BAD_REQUEST",
}


DOCUMENT_ID = "ucgDocumentId"


def _registered(documents: TrustedDocuments, data: GraphQLRequestData) -> GraphQLRequestData:
    """Trusted documents mode: the request with its registered document filled in from its
    id; a request with only its text passes on (the schema extension checks the text)."""
    extensions = data.extensions or {}
    persisted = extensions.get("persistedQuery")
    document_id = extensions.get(DOCUMENT_ID)
    if isinstance(persisted, dict):
        document_id = persisted.get("sha256Hash")
    if document_id is None:
        return data
    document = documents.document(document_id) if isinstance(document_id, str) else None
    if document is None or (data.query is not None and data.query != document):
        raise BadInput(
            NOT_IN_LIST,
            "This server runs only registered operations (trusted documents); no "
            "registered document has this id.",
        )
    return replace(data, query=document)


def _is_subscription(data: Any) -> bool:
    """Whether an HTTP request would run a subscription (refused: nothing is executed)."""
    query = getattr(data, "query", None)
    if not isinstance(query, str) or "subscription" not in query:
        return False
    try:
        document = parse(query)
    except GraphQLError:
        return False  # execution reports GRAPHQL_PARSE_FAILED
    operation = get_operation_ast(document, getattr(data, "operation_name", None))
    return operation is not None and operation.operation == OperationType.SUBSCRIPTION


def _is_request_error(result: ExecutionResult) -> bool:
    """Parse/validation errors: nothing was executed, so there is no `data` at all."""
    return (
        result.data is None
        and bool(result.errors)
        and all(
            e.path is None
            for e in result.errors  # type: ignore[union-attr]
        )
    )


class TextFrameWebSocketAdapter(ASGIWebSocketAdapter):
    """Both WebSocket protocols speak JSON in *text* frames; clients (graphql-ws, gql)
    refuse binary ones. Strawberry sends bytes when `encode_json` returns bytes."""

    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        """Messages decoded within the body limits; a frame beyond them is not JSON here."""
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                text = await self.ws.receive_text()
                try:
                    yield decode_json(text)
                except BadInput as exc:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from exc
        except KeyError as exc:
            raise NonTextMessageReceived from exc
        except WebSocketDisconnect:
            pass

    async def send_json(self, message: Any) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class GraphQLView(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = SharedFanoutHandler
    graphql_ws_handler_class = LegacyGraphQLWSHandler
    websocket_adapter_class = TextFrameWebSocketAdapter

    def __init__(self, services: Services, schema: Any, **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self.services = services

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL with its assets served from the package (works offline)."""
        return HTMLResponse(local_graphiql_html())

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        request_id_var.set(request_id)
        settings = self.services.settings
        if isinstance(request, WebSocket):
            principal = None  # WebSocket clients authenticate in connection_init
        else:
            try:
                principal = await authenticate(
                    settings, request.headers, self.services.pool, self.services.redis
                )
            except AuthenticationFailed:
                # Strawberry turns this into a 401 before any resolver runs.
                raise HTTPException(401, "Invalid or expired credentials") from None
        return self.services.context(
            principal=principal, request_id=request_id, request=request, response=response
        )

    async def on_ws_connect(self, context: Context) -> Any:
        """WebSocket clients send `{"authorization": "Bearer <token>"}` (or an API key) in
        connection_init; the same checks as HTTP, revocation included."""
        if isinstance(context.connection_params, dict):
            try:
                context.principal = await authenticate_connection_params(
                    self.services.settings,
                    context.connection_params,
                    self.services.pool,
                    self.services.redis,
                )
            except AuthenticationFailed:
                raise ConnectionRejectionError(
                    {"message": "Invalid or expired credentials"}
                ) from None
        return UNSET

    async def process_result(
        self, request: Request | WebSocket, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        request_id = request_id_var.get() or uuid.uuid4().hex
        data: GraphQLHTTPResponse = {}
        if not _is_request_error(result):
            data["data"] = result.data
        if result.errors:
            data["errors"] = [format_error(e, request_id) for e in result.errors]
        if result.extensions:
            data["extensions"] = result.extensions
        if isinstance(request, Request) and _is_request_error(result):
            request.state.graphql_request_error = True
        return data

    async def parse_http_body(self, request_adapter: Any) -> Any:
        data = await super().parse_http_body(request_adapter)
        if isinstance(data, GraphQLRequestData):
            settings = self.services.settings
            documents = trusted_documents(settings)
            if documents is not None:
                return _registered(documents, data)
            return await persisted_queries.resolve(
                self.services.redis, settings.cache_key_prefix, data
            )
        return data

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        data = kwargs["request_data"]
        if persisted_queries.is_persisted_miss(data):
            # APQ: the client answers this by sending the query with its hash.
            return ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        persisted_queries.NOT_FOUND,
                        extensions={"code": "PERSISTED_QUERY_NOT_FOUND"},
                    )
                ],
            )
        if _is_subscription(data):
            return ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        "Subscriptions are served over WebSocket (graphql-transport-ws or "
                        "graphql-ws), not over HTTP GET/POST.",
                        extensions={"code": "SUBSCRIPTION_NOT_SUPPORTED"},
                    )
                ],
            )
        return await super().execute_single(*args, **kwargs)

    def decode_json(self, data: str | bytes) -> object:
        value = decode_json(data)
        if not isinstance(value, (dict, list)):
            raise BadInput("BAD_REQUEST", "The request body must be a JSON object.")
        if isinstance(value, dict) and trusted_documents(self.services.settings) is not None:
            # Relay and the GraphQL-over-HTTP persisted documents draft name a registered
            # document at the top level; Strawberry keeps only query/variables/extensions.
            document_id = value.get("documentId", value.get("doc_id"))
            if document_id is not None and isinstance(value.get("extensions", {}), dict):
                value["extensions"] = {**value.get("extensions", {}), DOCUMENT_ID: document_id}
        return value

    def encode_json(self, data: object) -> bytes:
        try:
            return orjson.dumps(data)
        except TypeError as exc:
            # A value JSON cannot carry (an int beyond 64 bits): a bug, never a 500.
            request_id = request_id_var.get() or uuid.uuid4().hex
            log.error("response not encodable", exc_info=exc)
            return orjson.dumps({"errors": [_internal_error(request_id)]})

    async def run(self, request: Any, context: Any = None, root_value: Any = None) -> Any:
        kwargs: dict[str, Any] = {}
        if context is not None:
            kwargs["context"] = context
        try:
            response = await super().run(request, **kwargs)
        except BadInput as exc:
            return refusal(exc.status, exc.code, exc.message)
        except HTTPException as exc:
            status = exc.status_code
            if status == 400 and "not allowed when using GET" in exc.reason:
                # GraphQL-over-HTTP: a mutation over GET is a method problem.
                status = 405
            if status == 404 or not isinstance(request, Request):
                raise
            return refusal(status, _HTTP_CODES.get(status, "BAD_REQUEST"), exc.reason)
        if isinstance(request, Request) and isinstance(response, Response):
            accept = request.headers.get("accept", "")
            if GRAPHQL_RESPONSE_JSON in accept and response.media_type == "application/json":
                # GraphQL-over-HTTP: the newer media type, and 4xx when nothing was executed.
                response.headers["content-type"] = GRAPHQL_RESPONSE_JSON
                if getattr(request.state, "graphql_request_error", False) and (
                    response.status_code == 200  # keep a 429 from the rate limit
                ):
                    response.status_code = 400
            response.headers["x-request-id"] = request_id_var.get() or ""
        return response
