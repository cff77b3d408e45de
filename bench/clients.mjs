// N WebSocket subscribers (graphql-transport-ws) for bench/propagation.py.
// Usage: node clients.mjs URL N QUERY VARIABLES_JSON
// stdout: "connected" once every socket has its subscription sent, "warm" once every socket
// has received a message; on stdin "count": the number of messages received so far;
// on stdin "dump": one JSON line {arrivals: [[seq, ms], ...]} and exit.
import WebSocket from "ws";
import { createInterface } from "node:readline";

const [url, count, query, variablesJson] = process.argv.slice(2);
const n = Number(count);
const variables = JSON.parse(variablesJson);
const arrivals = [];
let subscribed = 0;
let warm = 0;
const now = () => performance.timeOrigin + performance.now();

function open(i) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, "graphql-transport-ws", { perMessageDeflate: false });
    let first = true;
    ws.on("open", () => ws.send(JSON.stringify({ type: "connection_init", payload: {} })));
    ws.on("error", reject);
    ws.on("message", (data) => {
      const t = now();
      const message = JSON.parse(data);
      if (message.type === "connection_ack") {
        ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query, variables } }));
        subscribed += 1;
        resolve(ws);
        return;
      }
      if (message.type !== "next") return;
      const change = message.payload.data && Object.values(message.payload.data)[0];
      if (!change) return;
      arrivals.push([change.sequence, t]);
      if (first) {
        first = false;
        warm += 1;
        if (warm === n) console.log("warm");
      }
    });
  });
}

const sockets = [];
for (let i = 0; i < n; i += 100) {
  const batch = [];
  for (let j = i; j < Math.min(n, i + 100); j++) batch.push(open(j));
  sockets.push(...(await Promise.all(batch)));
}
console.log("connected");

createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() === "count") {
    console.log(String(arrivals.length));
  } else if (line.trim() === "dump") {
    process.stdout.write(JSON.stringify({ arrivals }) + "\n", () => {
      for (const ws of sockets) ws.terminate();
      process.exit(0);
    });
  }
});
