"""GraphiQL served from the package: its scripts and styles are vendored in api/static/graphiql/.

Strawberry's page loads React, GraphiQL and the explorer plugin from a public CDN, so it is a
blank page offline or behind a strict firewall. `local_graphiql_html` rewrites each asset
address `https://<cdn>/<package>@<version>/<path>` to `/graphiql-assets/<package>@<version>/<path>`;
the files are the npm packages' own (fetched by `scripts/vendor-graphiql`) and keep the
page's subresource-integrity hashes, which a test checks.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from strawberry.http.ides import get_graphql_ide_html

ASSETS_DIR = Path(__file__).parent / "static" / "graphiql"
ASSETS_PATH = "/graphiql-assets"
# An asset address of the page: scheme, CDN host, then an npm package spec and a file path.
ASSET_URL = re.compile(r"https://[^/\"']+/((?:@[\w.-]+/)?[\w.-]+@[\w.-]+/[^\"'\s]+)")


def asset_specs(html: str) -> list[str]:
    """`package@version/path` of every external asset the page loads."""
    return list(dict.fromkeys(ASSET_URL.findall(html)))


@cache
def local_graphiql_html() -> str:
    html = get_graphql_ide_html(graphql_ide="graphiql")
    return ASSET_URL.sub(lambda m: f"{ASSETS_PATH}/{m.group(1)}", html)
