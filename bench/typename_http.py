"""`{ __typename }` over HTTP: `ucg serve` (compiled execution off and on) against a bare
Starlette + orjson endpoint, all driven by bench/http_load.mjs (Node) in the same run.

    python bench/typename_http.py [--connections 16] [--seconds 5]

Needs UCG_DATABASE_URL / UCG_REDIS_URL / UCG_KAFKA_BOOTSTRAP_SERVERS like `ucg serve`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from datasources.embedded import free_port

HERE = Path(__file__).parent
BODY = json.dumps({"query": "{ __typename }"})


def wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode})")
        try:
            httpx.post(url, content=BODY, headers={"content-type": "application/json"})
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise TimeoutError(url)


def measure(cmd: list[str], env: dict[str, str], port: int, args: argparse.Namespace) -> float:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        wait(url, proc)
        subprocess.run(  # warm up
            ["node", str(HERE / "http_load.mjs"), url, BODY, "4", "1"],
            check=True,
            capture_output=True,
        )
        out = subprocess.run(
            [
                "node",
                str(HERE / "http_load.mjs"),
                url,
                BODY,
                str(args.connections),
                str(args.seconds),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(out.stdout)
        assert result["errors"] == 0, result
        return float(result["rps"])
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    rows: dict[str, float] = {}
    for name, compiled in (("graphql", "false"), ("compiled", "true")):
        port = free_port()
        env = {
            **os.environ,
            "UCG_PORT": str(port),
            "UCG_WORKERS": "1",  # one process, as measured
            "UCG_LOG_LEVEL": "WARNING",
            "UCG_COMPILED_EXECUTION": compiled,
            "UCG_RATE_LIMIT_ENABLED": "false",
            "UCG_RELAY_ENABLED": "false",
            "UCG_CONSUMERS_ENABLED": "false",
        }
        rows[name] = measure([sys.executable, "-m", "entrypoints.cli", "serve"], env, port, args)
    port = free_port()
    rows["raw"] = measure(
        [sys.executable, str(HERE / "raw_starlette.py"), str(port)], dict(os.environ), port, args
    )
    print(f"{{ __typename }} over HTTP, {args.connections} connections, {args.seconds:g} s each")
    for name, rps in rows.items():
        print(f"  {name:8s} {rps:9.0f} req/s   {rps / rows['raw']:.2f}x raw")
    print(f"  load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
