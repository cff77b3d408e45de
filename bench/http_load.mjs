// A tiny closed-loop HTTP load generator (Node's own http, keep-alive), cheaper than the
// Python servers it drives:  node bench/http_load.mjs URL BODY_JSON CONNECTIONS SECONDS
// Prints {"requests": n, "rps": x, "errors": e} as JSON.
import http from "node:http";

const [url, body, connections = "16", seconds = "5"] = process.argv.slice(2);
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(connections) });
const payload = Buffer.from(body);
const deadline = Date.now() + Number(seconds) * 1000;
let requests = 0;
let errors = 0;

function one() {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: target.hostname, port: target.port, path: target.pathname, method: "POST", agent,
        headers: { "content-type": "application/json", "content-length": payload.length },
      },
      (res) => {
        res.on("data", () => {});
        res.on("end", () => { if (res.statusCode === 200) requests++; else errors++; resolve(); });
      },
    );
    req.on("error", () => { errors++; resolve(); });
    req.end(payload);
  });
}

async function loop() { while (Date.now() < deadline) await one(); }
const start = Date.now();
await Promise.all(Array.from({ length: Number(connections) }, loop));
const elapsed = (Date.now() - start) / 1000;
console.log(JSON.stringify({ requests, rps: requests / elapsed, errors }));
agent.destroy();
