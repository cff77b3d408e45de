// graphql-ws (the graphql-transport-ws protocol) in Node; in a browser drop the
// `ws` import and `webSocketImpl`: the global WebSocket is used.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export function makeClient(httpUrl, token) {
  return createClient({
    url: httpUrl.replace(/^http/, 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    // Sent in connection_init; the server reads the same bearer token as over HTTP.
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  });
}

// One subscription as an async iterator of results ({ data } or { errors }).
export function subscribe(client, query, variables) {
  return client.iterate({ query, variables });
}
