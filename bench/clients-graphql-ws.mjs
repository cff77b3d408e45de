// N subscribers through the `graphql-ws` client library (what Apollo Client, urql and Relay
// use), for bench/propagation.py --client graphql-ws. Same interface as clients.mjs:
// Usage: node clients-graphql-ws.mjs URL N QUERY VARIABLES_JSON
// stdout: "connected" once every client has its subscription sent, "warm" once every client
// has received a change; on stdin "count": messages received so far; "dump": one JSON line
// {arrivals: [[seq, ms], ...]} and exit.
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { createInterface } from "node:readline";

const [url, count, query, variablesJson] = process.argv.slice(2);
const n = Number(count);
const variables = JSON.parse(variablesJson);
const arrivals = [];
let warm = 0;
const now = () => performance.timeOrigin + performance.now();

class NoDeflateWebSocket extends WebSocket {
  constructor(address, protocols) {
    super(address, protocols, { perMessageDeflate: false });
  }
}

function open() {
  return new Promise((resolve, reject) => {
    let first = true;
    const client = createClient({
      url,
      webSocketImpl: NoDeflateWebSocket,
      lazy: false,
      retryAttempts: 0,
      // one subscription per client; "1" also lets raw_broadcast.py (the baseline) address it
      generateID: () => "1",
      on: { connected: () => resolve(client), error: reject },
    });
    client.subscribe(
      { query, variables },
      {
        next: (result) => {
          const t = now();
          const change = result.data && Object.values(result.data)[0];
          if (!change) return;
          arrivals.push([change.sequence, t]);
          if (first) {
            first = false;
            warm += 1;
            if (warm === n) console.log("warm");
          }
        },
        error: (e) => console.error("subscription error", e),
        complete: () => {},
      },
    );
  });
}

const clients = [];
for (let i = 0; i < n; i += 100) {
  const batch = [];
  for (let j = i; j < Math.min(n, i + 100); j++) batch.push(open());
  clients.push(...(await Promise.all(batch)));
}
console.log("connected");

createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() === "count") {
    console.log(String(arrivals.length));
  } else if (line.trim() === "dump") {
    process.stdout.write(JSON.stringify({ arrivals }) + "\n", () => process.exit(0));
  }
});
