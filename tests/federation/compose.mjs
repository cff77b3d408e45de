#!/usr/bin/env node
// Compose Apollo Federation 2 subgraph SDL files into a supergraph.
//
// Usage: node compose.mjs name1=path1.graphql name2=path2.graphql ...
//
// Prints exactly one JSON object on stdout:
//   {"errors": [{"code", "message"}...], "hints": [{"code", "message"}...],
//    "supergraphSdl": "<sdl>" | null, "apiSchemaSdl": "<sdl>" | null}
// apiSchemaSdl is the API schema clients of a gateway see (Apollo's toAPISchema).
// Exit status: 0 when composition succeeded (no errors), 1 when it failed,
// 2 on a usage error (bad arguments or unreadable file; message on stderr).
import { readFileSync } from 'node:fs';
import { parse, printSchema } from 'graphql';
import { composeServices } from '@apollo/composition';

function usage(message) {
  process.stderr.write(
    `${message}\nusage: node compose.mjs name1=path1.graphql name2=path2.graphql ...\n`,
  );
  process.exit(2);
}

const args = process.argv.slice(2);
if (args.length === 0) usage('compose.mjs: no subgraphs given');

const errors = [];
const services = [];
const seen = new Set();
for (const arg of args) {
  const eq = arg.indexOf('=');
  if (eq <= 0 || eq === arg.length - 1) usage(`compose.mjs: expected name=path, got ${JSON.stringify(arg)}`);
  const name = arg.slice(0, eq);
  const path = arg.slice(eq + 1);
  if (seen.has(name)) usage(`compose.mjs: subgraph name ${JSON.stringify(name)} given twice`);
  seen.add(name);
  let sdl;
  try {
    sdl = readFileSync(path, 'utf8');
  } catch (e) {
    usage(`compose.mjs: cannot read ${path}: ${e.message}`);
  }
  try {
    services.push({ name, typeDefs: parse(sdl), url: `http://localhost/${name}` });
  } catch (e) {
    // A syntax error is a composition failure, reported in the same JSON shape.
    errors.push({ code: 'INVALID_GRAPHQL', message: `[${name}] ${e.message}` });
  }
}

function codeOf(err) {
  return (err && err.extensions && err.extensions.code) || 'UNKNOWN';
}

let result = { errors, hints: [], supergraphSdl: null, apiSchemaSdl: null };
if (errors.length === 0) {
  let composed;
  try {
    composed = composeServices(services);
  } catch (e) {
    composed = { errors: [e] };
  }
  if (composed.errors && composed.errors.length > 0) {
    result.errors = composed.errors.map((e) => ({ code: codeOf(e), message: String(e.message ?? e) }));
  } else {
    result.hints = (composed.hints ?? []).map((h) => ({ code: h.definition.code, message: h.message }));
    result.supergraphSdl = composed.supergraphSdl;
    result.apiSchemaSdl = printSchema(composed.schema.toAPISchema().toGraphQLJSSchema());
  }
}

process.stdout.write(JSON.stringify(result) + '\n');
process.exitCode = result.errors.length === 0 ? 0 : 1;
