#!/usr/bin/env node
// Drive one standard client against a running `ucg serve`, for tests/interop.
//
// Usage: node run_client.mjs graphql-ws|apollo|urql
// Environment: UCG_URL (http://host:port), UCG_TOKEN (a staff bearer token),
// UCG_SKU and UCG_LOCATION (global id) to count stock of, UCG_ORDER (global id)
// of an order to cancel (graphql-ws only).
// Prints one JSON object on stdout: what the query, the mutation and the
// subscription(s) returned. Exits 1 on any error.
import { randomUUID } from 'node:crypto';

const QUERY = 'query($sku: String!) { variant(sku: $sku) { sku } }';
const SET = `mutation($sku: String!, $location: ID!, $onHand: Int!, $key: String!) {
  inventorySet(sku: $sku, locationId: $location, onHand: $onHand, reason: CYCLE_COUNT, idempotencyKey: $key) {
    stockLevel { onHand available } userErrors { code message } } }`;
const CANCEL = `mutation($id: ID!) {
  orderCancel(orderId: $id, reason: CUSTOMER_REQUEST) { order { status } userErrors { code message } } }`;
const STOCK_SUB = `subscription($skus: [String!]) {
  stockChanged(skus: $skus) { sku onHand available } }`;
const ORDER_SUB = `subscription($id: ID!) {
  orderStatusChanged(orderId: $id, afterSequence: 0) { status previousStatus sequence } }`;

const { UCG_URL: url, UCG_TOKEN: token, UCG_SKU: sku, UCG_LOCATION: location, UCG_ORDER: order } =
  process.env;
const which = process.argv[2];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const setVars = (onHand) => ({ sku, location, onHand, key: randomUUID() });

function check(result, what) {
  if (result.errors && result.errors.length) throw new Error(`${what}: ${JSON.stringify(result.errors)}`);
  if (result.error) throw new Error(`${what}: ${result.error}`);
  return result.data;
}

async function post(query, variables) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return check(await response.json(), 'HTTP');
}

// A subscription is live some time after it is sent (no protocol ack), so repeat
// the change until the first event arrives.
async function untilFirst(first, mutate, within = 15000) {
  let got;
  first.then((v) => (got = { v }), (e) => (got = { e }));
  const deadline = Date.now() + within;
  const mutations = [];
  for (let n = 1; got === undefined; n++) {
    if (Date.now() > deadline) throw new Error('no subscription event');
    mutations.push(await mutate(n));
    for (let i = 0; i < 10 && got === undefined; i++) await sleep(30);
  }
  if (got.e) throw got.e;
  return { event: got.v, mutation: mutations[0] };
}

function firstOf(subscribeFn) {
  return new Promise((resolve, reject) => {
    const stop = subscribeFn({
      next: (value) => {
        resolve(value);
        stop();
      },
      error: reject,
    });
  });
}

async function runGraphqlWs() {
  const { makeClient, subscribe } = await import('./snippets/graphql-ws.mjs');
  const client = makeClient(url, token);
  try {
    // afterSequence: 0 replays the order's earlier changes, so none is missed.
    const orderEvents = subscribe(client, ORDER_SUB, { id: order });
    const orderChanges = (async () => {
      const changes = [];
      for await (const result of orderEvents) {
        changes.push(check(result, 'orderStatusChanged').orderStatusChanged);
        if (changes.at(-1).status === 'CANCELLED') return changes;
      }
      return changes;
    })();
    const stockEvents = subscribe(client, STOCK_SUB, { skus: [sku] });
    const stock = await untilFirst(
      stockEvents.next().then((r) => check(r.value, 'stockChanged')),
      (n) => post(SET, setVars(n)),
    );
    await stockEvents.return();
    const cancel = await post(CANCEL, { id: order });
    return { stock: stock.event, mutation: stock.mutation, cancel, order: await orderChanges };
  } finally {
    await client.dispose();
  }
}

async function runApollo() {
  const { gql } = await import('@apollo/client');
  const { makeClient } = await import('./snippets/apollo-client.mjs');
  const client = makeClient(url, token);
  try {
    const query = check(await client.query({ query: gql(QUERY), variables: { sku } }), 'query');
    const first = firstOf((sink) => {
      const sub = client.subscribe({ query: gql(STOCK_SUB), variables: { skus: [sku] } }).subscribe({
        next: (r) => {
          try {
            sink.next(check(r, 'subscription'));
          } catch (e) {
            sink.error(e);
          }
        },
        error: sink.error,
      });
      return () => sub.unsubscribe();
    });
    const stock = await untilFirst(first, async (n) =>
      check(await client.mutate({ mutation: gql(SET), variables: setVars(n) }), 'mutation'),
    );
    return { query, mutation: stock.mutation, stock: stock.event };
  } finally {
    client.stop();
    client.link.right?.client?.dispose?.();
  }
}

async function runUrql() {
  const { gql } = await import('@urql/core');
  const { makeClient } = await import('./snippets/urql.mjs');
  const client = makeClient(url, token);
  const query = check(await client.query(gql(QUERY), { sku }).toPromise(), 'query');
  const first = firstOf((sink) => {
    const sub = client.subscription(gql(STOCK_SUB), { skus: [sku] }).subscribe((r) => {
      try {
        sink.next(check(r, 'subscription'));
      } catch (e) {
        sink.error(e);
      }
    });
    return () => sub.unsubscribe();
  });
  const stock = await untilFirst(first, async (n) =>
    check(await client.mutation(gql(SET), setVars(n)).toPromise(), 'mutation'),
  );
  return { query, mutation: stock.mutation, stock: stock.event };
}

const runners = { 'graphql-ws': runGraphqlWs, apollo: runApollo, urql: runUrql };
if (!runners[which]) {
  process.stderr.write(`usage: node run_client.mjs ${Object.keys(runners).join('|')}\n`);
  process.exit(2);
}
try {
  process.stdout.write(JSON.stringify(await runners[which]()) + '\n');
  process.exit(0);
} catch (e) {
  process.stderr.write(`${which}: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
}
