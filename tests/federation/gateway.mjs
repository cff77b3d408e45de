#!/usr/bin/env node
// Run an Apollo Gateway (Federation 2) in front of running subgraphs.
//
// Usage: node gateway.mjs PORT name1=url1 name2=url2 ...
//
// The gateway introspects each subgraph (`{ _service { sdl } }`), composes
// the supergraph in-process, and serves it on http://127.0.0.1:PORT/graphql.
// Requests: POST, JSON body {"query", "variables"?, "operationName"?};
// response: the GraphQL execution result as JSON ({"data", "errors"?}).
// PORT 0 picks a free port; the chosen port is printed as `READY <port>`.
//
// stdout carries only the `READY <port>` line (once listening); every log line
// goes to stderr. Exits 0 on SIGTERM/SIGINT, 1 if the supergraph cannot be
// loaded (subgraph unreachable for GATEWAY_LOAD_TIMEOUT_MS, default 15000,
// or composition errors), 2 on a usage error.
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { ApolloGateway, IntrospectAndCompose } from '@apollo/gateway';
import { GraphQLError, parse, validate, specifiedRules } from 'graphql';

function usage(message) {
  process.stderr.write(`${message}\nusage: node gateway.mjs PORT name1=url1 name2=url2 ...\n`);
  process.exit(2);
}

const [portArg, ...serviceArgs] = process.argv.slice(2);
const port = Number(portArg);
if (portArg === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
  usage(`gateway.mjs: bad PORT ${JSON.stringify(portArg)}`);
}
if (serviceArgs.length === 0) usage('gateway.mjs: no subgraphs given');
const subgraphs = serviceArgs.map((arg) => {
  const eq = arg.indexOf('=');
  if (eq <= 0 || eq === arg.length - 1) usage(`gateway.mjs: expected name=url, got ${JSON.stringify(arg)}`);
  return { name: arg.slice(0, eq), url: arg.slice(eq + 1) };
});

const log = (level) => (...args) =>
  process.stderr.write(`[gateway ${level}] ${args.map((a) => (a instanceof Error ? a.stack : String(a))).join(' ')}\n`);
const logger = { debug: () => {}, info: log('info'), warn: log('warn'), error: log('error') };

const loadTimeoutMs = Number(process.env.GATEWAY_LOAD_TIMEOUT_MS ?? 15000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// IntrospectAndCompose fails at once when a subgraph is not listening yet, so
// retry while the failure is a fetch failure; a composition error is final.
async function loadGateway() {
  const deadline = Date.now() + loadTimeoutMs;
  for (let attempt = 1; ; attempt++) {
    const gateway = new ApolloGateway({
      supergraphSdl: new IntrospectAndCompose({ subgraphs }),
      logger,
    });
    try {
      const { schema, executor } = await gateway.load();
      return { gateway, schema, executor };
    } catch (e) {
      await gateway.stop().catch(() => {});
      const message = String(e && e.message);
      const unreachable = /Couldn't load service definitions|ECONNREFUSED|fetch failed|socket hang up/i.test(message);
      if (!unreachable || Date.now() >= deadline) throw e;
      await sleep(Math.min(100 * attempt, 500));
    }
  }
}

function errorBody(message, code) {
  return { errors: [{ message, extensions: code ? { code } : undefined }] };
}

function formatResult(result) {
  const out = {};
  if (result.errors && result.errors.length > 0) {
    out.errors = result.errors.map((e) => (typeof e.toJSON === 'function' ? e.toJSON() : e));
  }
  if ('data' in result) out.data = result.data;
  if (result.extensions) out.extensions = result.extensions;
  return out;
}

async function execute(gw, body) {
  if (!body || typeof body !== 'object' || typeof body.query !== 'string') {
    return { status: 400, result: errorBody('POST body must be JSON with a string "query"', 'BAD_REQUEST') };
  }
  const { query } = body;
  const variables = body.variables ?? {};
  const operationName = body.operationName ?? undefined;
  if (typeof variables !== 'object' || Array.isArray(variables)) {
    return { status: 400, result: errorBody('"variables" must be an object', 'BAD_REQUEST') };
  }
  let document;
  try {
    document = parse(query);
  } catch (e) {
    return { status: 400, result: formatResult({ errors: [withCode(e, 'GRAPHQL_PARSE_FAILED')] }) };
  }
  // The gateway executor does not validate the operation (Apollo Server does
  // that before calling it), so validate against the API schema here.
  const validationErrors = validate(gw.schema, document, specifiedRules);
  if (validationErrors.length > 0) {
    return {
      status: 400,
      result: formatResult({ errors: validationErrors.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED')) }),
    };
  }
  // A GraphQLRequestContext-like object with what the executor reads.
  const requestContext = {
    logger,
    schema: gw.schema,
    request: { query, variables, operationName },
    response: { http: { headers: new Map(), status: undefined } },
    document,
    source: query,
    queryHash: createHash('sha256').update(query).digest('hex'),
    operationName: operationName ?? null,
    operation: undefined,
    context: {},
    cache: undefined,
    metrics: {},
    overallCachePolicy: undefined,
    errors: undefined,
  };
  try {
    const result = await gw.executor(requestContext);
    if (!('data' in result) && result.errors && result.errors.length > 0) {
      // Variable coercion failed before execution (as Apollo Server: 400).
      return { status: 400, result: formatResult({ errors: result.errors.map((e) => withCode(e, 'BAD_USER_INPUT')) }) };
    }
    return { status: 200, result: formatResult(result) };
  } catch (e) {
    // e.g. "Must provide operation name if query contains multiple operations."
    if (e instanceof GraphQLError) {
      return { status: 400, result: formatResult({ errors: [e] }) };
    }
    logger.error(e);
    return { status: 500, result: errorBody(String(e && e.message), 'INTERNAL_SERVER_ERROR') };
  }
}

function withCode(e, code) {
  return new GraphQLError(e.message, {
    nodes: e.nodes,
    source: e.source,
    positions: e.positions,
    path: e.path,
    originalError: e.originalError,
    extensions: { ...e.extensions, code },
  });
}

let gw;
try {
  gw = await loadGateway();
} catch (e) {
  process.stderr.write(`gateway.mjs: could not load the supergraph: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
}

const server = createServer((req, res) => {
  const send = (status, obj) => {
    const data = Buffer.from(JSON.stringify(obj));
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': data.length });
    res.end(data);
  };
  const path = (req.url || '').split('?')[0];
  if (path !== '/graphql') return send(404, errorBody('not found; use POST /graphql', 'NOT_FOUND'));
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    return send(405, errorBody('use POST with a JSON body', 'METHOD_NOT_ALLOWED'));
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('error', () => res.destroy());
  req.on('end', async () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(400, errorBody('POST body is not valid JSON', 'BAD_REQUEST'));
    }
    const { status, result } = await execute(gw, body);
    send(status, result);
  });
});

let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  logger.info(`${signal} received, shutting down`);
  server.close();
  server.closeAllConnections();
  await gw.gateway.stop().catch((e) => logger.warn(e));
  process.exit(0);
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

server.on('error', (e) => {
  process.stderr.write(`gateway.mjs: cannot listen on 127.0.0.1:${port}: ${e.message}\n`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`READY ${server.address().port}\n`);
});
