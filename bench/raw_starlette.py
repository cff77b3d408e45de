"""The floor for `{ __typename }`: a bare Starlette + orjson endpoint on the same uvicorn
options as `ucg serve` (uvloop, httptools); it reads the JSON body and answers the same
bytes GraphQL does.  python bench/raw_starlette.py PORT"""

from __future__ import annotations

import sys

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ANSWER = orjson.dumps({"data": {"__typename": "Query"}})


async def graphql(request: Request) -> Response:
    body = orjson.loads(await request.body())
    assert body["query"]
    return Response(ANSWER, media_type="application/json")


app = Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])

if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        loop="uvloop",
        http="httptools",
        log_config=None,
    )
