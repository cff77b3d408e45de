#!/usr/bin/env node
// Compose subgraph SDL files with The Guild's composition (what Hive Gateway and
// the Hive schema registry use); the counterpart of tests/federation/compose.mjs.
//
// Usage: node compose_guild.mjs name1=path1.graphql name2=path2.graphql ...
// Prints one JSON object: {"errors": [{"code", "message"}...], "supergraphSdl": "<sdl>" | null}.
// Exit status 0 when composition succeeded, 1 when it failed, 2 on a usage error.
import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { composeServices } from '@theguild/federation-composition';

const args = process.argv.slice(2);
if (args.length === 0 || args.some((a) => a.indexOf('=') <= 0)) {
  process.stderr.write('usage: node compose_guild.mjs name1=path1.graphql ...\n');
  process.exit(2);
}
const services = args.map((arg) => {
  const [name, path] = [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)];
  return { name, typeDefs: parse(readFileSync(path, 'utf8')), url: `http://localhost/${name}` };
});
const composed = composeServices(services);
const errors = (composed.errors ?? []).map((e) => ({
  code: (e.extensions && e.extensions.code) || 'UNKNOWN',
  message: String(e.message),
}));
const result = { errors, supergraphSdl: errors.length ? null : composed.supergraphSdl };
process.stdout.write(JSON.stringify(result) + '\n');
process.exitCode = errors.length ? 1 : 0;
