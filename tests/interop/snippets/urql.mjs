// urql: queries and mutations over fetch, subscriptions through subscriptionExchange + graphql-ws.
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws'; // Node only; browsers have WebSocket

export function makeClient(httpUrl, token) {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  const ws = createWsClient({
    url: httpUrl.replace(/^http/, 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: headers,
  });
  return new Client({
    url: `${httpUrl}/graphql`,
    fetchOptions: { headers },
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
}
