"""The Python `gql` client: HTTP (httpx) for queries and mutations, WebSocket for all three."""

from gql import Client, GraphQLRequest
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport

# graphql-transport-ws (graphql-ws library) or the legacy graphql-ws protocol (Apollo's).
TRANSPORT_WS = WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL
LEGACY_WS = WebsocketsTransport.APOLLO_SUBPROTOCOL


def http_client(url: str, token: str | None = None) -> Client:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return Client(transport=HTTPXAsyncTransport(url=f"{url}/graphql", headers=headers))


def ws_client(url: str, token: str | None = None, protocol: str = TRANSPORT_WS) -> Client:
    transport = WebsocketsTransport(
        url=url.replace("http", "ws", 1) + "/graphql",
        subprotocols=[protocol],
        # connection_init payload: the same bearer token as over HTTP
        init_payload={"authorization": f"Bearer {token}"} if token else {},
    )
    return Client(transport=transport)


# Usage:
#   async with ws_client("http://127.0.0.1:8000", token) as session:
#       request = GraphQLRequest("subscription { stockChanged { sku available } }")
#       async for result in session.subscribe(request):
#           print(result["stockChanged"])
__all__ = ["LEGACY_WS", "TRANSPORT_WS", "GraphQLRequest", "http_client", "ws_client"]
