"""GraphiQL works offline: the page loads only assets the server itself serves, unchanged."""

from __future__ import annotations

import base64
import hashlib
import re

from tests.conftest import TestEnv
from tests.helpers import app_client


async def test_graphiql_loads_only_local_assets_with_their_integrity(env: TestEnv) -> None:
    async with app_client(env.settings()) as client:
        page = await client.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        assets = re.findall(r"(?:src|href)=\"([^\"]+)\"", page.text)
        external = [a for a in assets if a.startswith(("http:", "https:", "//"))]
        assert external == [], external
        local = [a for a in assets if a.startswith("/graphiql-assets/")]
        assert len(local) >= 5  # react, react-dom, graphiql js + css, the explorer plugin
        for tag in re.findall(r"<(?:script|link)[^>]+>", page.text):
            src = re.search(r"(?:src|href)=\"(/graphiql-assets/[^\"]+)\"", tag)
            if src is None:
                continue
            served = await client.get(src.group(1))
            assert served.status_code == 200, src.group(1)
            integrity = re.search(r"integrity=\"(\w+)-([^\"]+)\"", tag)
            if integrity is not None:  # the very bytes the page's hash names
                digest = hashlib.new(integrity.group(1), served.content).digest()
                assert base64.b64encode(digest).decode() == integrity.group(2), src.group(1)


async def test_no_graphiql_no_assets(env: TestEnv) -> None:
    async with app_client(env.settings(graphiql=False)) as client:
        missing = await client.get("/graphiql-assets/react@18.2.0/umd/react.production.min.js")
    assert missing.status_code == 404
