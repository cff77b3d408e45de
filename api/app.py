"""The ASGI application: routes, lifespan, health."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from api.bootstrap import Services
from api.graphiql import ASSETS_DIR, ASSETS_PATH
from api.graphql_view import GraphQLView
from api.live import LiveServices
from api.mcp_envelope import JsonRpcEnvelopeGuard
from api.metrics import InventoryReconciler, WebSocketMetrics, metrics_routes
from api.settings import Settings
from api.tracing import TracingMiddleware, configure_tracing
from api.web_security import edge_middleware
from datasources.business_slis import BusinessSliRefresher
from entrypoints.background import BackgroundTasks
from entrypoints.mcp import UcgTools, build_mcp_server, principal_from_http
from entrypoints.relay import EmbeddedRelay
from resolvers.metrics import set_recording
from resolvers.subgraphs import SUBGRAPH_NAMES, subgraph_schema
from resolvers.supergraph import supergraph_schema


def app_from_environment() -> Starlette:
    """The app of one `ucg serve --workers N` worker: settings from the environment."""
    from api.logging import configure_logging
    from api.settings import load_settings

    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings, subgraph=os.environ.get("UCG_SERVE_SUBGRAPH") or None)


def create_app(settings: Settings, subgraph: str | None = None) -> Starlette:
    """The whole API; with `subgraph`, `/graphql` serves that one subgraph alone."""
    services = Services(settings, with_cart_cleanup=True)
    set_recording(settings.metrics_enabled)
    configure_tracing(settings, "serve")
    view_options = {"graphql_ide": "graphiql" if settings.graphiql else None}

    def graphql_routes(path: str, view: GraphQLView) -> list[BaseRoute]:
        return [Route(path, view, methods=["GET", "POST"]), WebSocketRoute(path, view)]

    main_schema = subgraph_schema(subgraph) if subgraph else supergraph_schema()
    routes: list[BaseRoute] = graphql_routes(
        "/graphql", GraphQLView(services, main_schema, **view_options)
    )
    for name in SUBGRAPH_NAMES if subgraph is None else ():
        routes += graphql_routes(
            f"/subgraphs/{name}/graphql",
            GraphQLView(services, subgraph_schema(name), **view_options),
        )

    async def healthz(_: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> Response:
        checks = await services.readiness()
        down = [name for name, ok in checks.items() if not ok]
        body = {"status": "ready" if not down else "unavailable", "checks": checks, "down": down}
        return JSONResponse(body, status_code=503 if down else 200)

    routes += [Route("/healthz", healthz), Route("/readyz", readyz)]
    if settings.graphiql:
        routes.append(Mount(ASSETS_PATH, app=StaticFiles(directory=ASSETS_DIR), name="graphiql"))
    routes += metrics_routes(settings, services)
    mcp = build_mcp_server(UcgTools(services, principal_from_http(services)))
    mcp_app = mcp.streamable_http_app(streamable_http_path="/", host=settings.host)
    routes.append(Mount("/mcp", app=JsonRpcEnvelopeGuard(mcp_app)))

    background = BackgroundTasks()

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await services.start()
        live = LiveServices(services)
        await background.start(services)
        reconciler = InventoryReconciler(settings, services.pool)
        slis = BusinessSliRefresher(
            settings.business_sli_interval_seconds if settings.metrics_enabled else 0,
            services.pool,
        )
        relay = EmbeddedRelay(settings)
        try:
            await live.start()
            relay.start()
            async with mcp.session_manager.run():
                yield
        finally:
            await relay.stop()
            await live.stop()
            await reconciler.stop()
            await slis.stop()
            await background.stop()
            await services.close()

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(TracingMiddleware),
            *edge_middleware(settings),
            Middleware(WebSocketMetrics),
        ],
    )
    app.state.services = services
    app.state.background = background
    return app
