#!/usr/bin/env node
// Run Hive Gateway (@graphql-hive/gateway-runtime) in front of running subgraphs.
//
// Usage: node hive_gateway.mjs PORT name1=url1 name2=url2 ...
// Fetches each subgraph's SDL (`{ _service { sdl } }`), composes it with The
// Guild's composition and serves the supergraph on http://127.0.0.1:PORT/graphql.
// PORT 0 picks a free port; stdout carries only `READY <port>` once listening.
// Exits 1 when a subgraph cannot be read or composition fails, 2 on a usage error.
import { createServer } from 'node:http';
import { parse } from 'graphql';
import { composeServices } from '@theguild/federation-composition';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';

const [portArg, ...serviceArgs] = process.argv.slice(2);
const port = Number(portArg);
if (!Number.isInteger(port) || serviceArgs.length === 0 || serviceArgs.some((a) => a.indexOf('=') <= 0)) {
  process.stderr.write('usage: node hive_gateway.mjs PORT name1=url1 ...\n');
  process.exit(2);
}

async function sdlOf(url) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ _service { sdl } }' }),
  });
  const body = await response.json();
  if (!body.data) throw new Error(`${url}: ${JSON.stringify(body)}`);
  return body.data._service.sdl;
}

try {
  const services = await Promise.all(
    serviceArgs.map(async (arg) => {
      const [name, url] = [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)];
      return { name, url, typeDefs: parse(await sdlOf(url)) };
    }),
  );
  const composed = composeServices(services);
  if (composed.errors && composed.errors.length) {
    throw new Error(composed.errors.map((e) => e.message).join('\n'));
  }
  const gateway = createGatewayRuntime({ supergraph: composed.supergraphSdl, logging: false });
  const server = createServer(gateway);
  server.listen(port, '127.0.0.1', () => {
    process.stdout.write(`READY ${server.address().port}\n`);
  });
  const stop = () => server.close(() => gateway.dispose().finally(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} catch (e) {
  process.stderr.write(`hive_gateway.mjs: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
}
