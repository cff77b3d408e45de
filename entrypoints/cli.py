"""The `ucg` command line (the console script `ucg = entrypoints.cli:main`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from api.settings import AUTO_WORKERS_MAX, Settings, SettingsError, auto_workers, load_settings

log = logging.getLogger("ucg.cli")
SERVE_SUBGRAPH_ENV = "UCG_SERVE_SUBGRAPH"


def _fail(message: str) -> int:
    print(f"ucg: {message}", file=sys.stderr)
    return 2


def _require_urls(settings: Settings) -> str | None:
    missing = [
        name
        for name, value in (
            ("UCG_DATABASE_URL", settings.database_url),
            ("UCG_REDIS_URL", settings.redis_url),
            ("UCG_KAFKA_BOOTSTRAP_SERVERS", settings.kafka_bootstrap_servers),
        )
        if not value
    ]
    if missing:
        return f"{', '.join(missing)} not set (or use `ucg dev`, which starts embedded servers)"
    return None


def _serve(settings: Settings, subgraph: str | None, workers: int = 1) -> None:
    import uvicorn

    from api.app import create_app

    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "loop": "uvloop",
        "http": "httptools",
        "ws": "websockets",
        "log_config": None,
        "lifespan": "on",
    }
    if workers <= 1:
        uvicorn.run(create_app(settings, subgraph=subgraph), **options)
        return
    # Several processes behind one port: uvicorn imports the app in each worker from the
    # environment (api.app:app_from_environment); metrics are summed over the workers
    # through a directory they share.
    if subgraph:
        os.environ[SERVE_SUBGRAPH_ENV] = subgraph
    metrics_dir = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = tempfile.mkdtemp(prefix="ucg-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        uvicorn.run("api.app:app_from_environment", factory=True, workers=workers, **options)
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    workers = settings.workers if args.workers is None else args.workers
    if workers < 0:
        return _fail("--workers must be 0 (one per core) or more")
    if problem := _require_urls(settings):
        return _fail(problem)
    _serve(settings, args.subgraph, workers or auto_workers())
    return 0


def cmd_migrate(settings: Settings, _: argparse.Namespace) -> int:
    from datasources.postgres.migrations import MigrationError, migrate

    if not settings.database_url:
        return _fail("UCG_DATABASE_URL not set")
    try:
        applied = asyncio.run(migrate(settings.database_url))
    except MigrationError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot reach Postgres: {exc}")
    for m in applied:
        print(f"applied {m.version:04d}_{m.name}")
    if not applied:
        print("database is up to date")
    return 0


def cmd_seed(settings: Settings, args: argparse.Namespace) -> int:
    from datasources.postgres.seed import seed_demo

    if not args.demo:
        return _fail("nothing to seed: pass --demo")
    if not settings.database_url:
        return _fail("UCG_DATABASE_URL not set")
    counts = asyncio.run(seed_demo(settings.database_url))
    print("seeded " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


def cmd_export_schema(_: Settings, args: argparse.Namespace) -> int:
    from resolvers.subgraphs import subgraph_schema
    from resolvers.supergraph import supergraph_sdl

    sdl = subgraph_schema(args.subgraph).as_str() + "\n" if args.subgraph else supergraph_sdl()
    if args.output:
        Path(args.output).write_text(sdl)
    else:
        sys.stdout.write(sdl)
    return 0


def cmd_trusted_documents(_: Settings, args: argparse.Namespace) -> int:
    """`build`: an Apollo manifest from .graphql files (one document per file); `check`:
    every document of a manifest parses and validates against the schema."""
    import orjson
    from graphql import GraphQLError, OperationDefinitionNode, parse, validate

    from resolvers.supergraph import supergraph_schema
    from resolvers.trusted_documents import APOLLO_FORMAT, ManifestError, load_manifest, sha256

    schema = supergraph_schema()._schema
    if args.action == "build":
        operations = []
        for name in args.files:
            try:
                body = Path(name).read_text()
                document = parse(body)
            except (OSError, UnicodeDecodeError) as exc:
                return _fail(f"cannot read {name}: {exc}")
            except GraphQLError as exc:
                return _fail(f"{name}: {exc.message}")
            ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(ops) != 1:
                return _fail(f"{name}: a file holds exactly one operation (it has {len(ops)})")
            operations.append(
                {
                    "id": sha256(body),
                    "name": ops[0].name.value if ops[0].name else None,
                    "type": ops[0].operation.value,
                    "body": body,
                }
            )
        manifest = {"format": APOLLO_FORMAT, "version": 1, "operations": operations}
        Path(args.output).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
        print(f"wrote {len(operations)} operations to {args.output}")
        return 0
    try:
        documents = load_manifest(args.manifest)
    except ManifestError as exc:
        return _fail(str(exc))
    problems = []
    for document_id, body in documents.by_id.items():
        try:
            errors = validate(schema, parse(body))
        except GraphQLError as exc:
            errors = [exc]
        problems += [f"{document_id[:16]}: {e.message}" for e in errors]
    if problems:
        return _fail("documents that do not validate:\n" + "\n".join(sorted(set(problems))))
    print(f"{len(documents.hashes)} documents, all valid against the schema")
    return 0


def cmd_mcp(settings: Settings, _: argparse.Namespace) -> int:
    """MCP over stdio, acting as UCG_MCP_TOKEN: a bearer token or an API key (anonymous if unset)."""
    from api.auth import AuthenticationFailed, authenticate
    from api.bootstrap import Services
    from domain.auth import Principal
    from entrypoints.mcp import UcgTools, build_mcp_server

    if problem := _require_urls(settings):
        return _fail(problem)

    async def run() -> int:
        services = Services(settings)
        await services.start()
        try:
            principal: Principal | None = None
            if settings.mcp_token:
                scheme = "Bearer" if settings.mcp_token.count(".") == 2 else "ApiKey"
                headers = {"authorization": f"{scheme} {settings.mcp_token}"}
                try:
                    principal = await authenticate(settings, headers, services.pool, services.redis)
                except AuthenticationFailed as exc:
                    return _fail(f"UCG_MCP_TOKEN is not valid: {exc}")

            async def as_principal(_ctx: object) -> Principal | None:
                return principal

            server = build_mcp_server(UcgTools(services, as_principal))
            await server.run_stdio_async()
            return 0
        finally:
            await services.close()

    return asyncio.run(run())


def cmd_consume(settings: Settings, args: argparse.Namespace) -> int:
    """The inbound Kafka consumers (inventory adjustments, fulfillment updates), until SIGTERM."""
    from entrypoints.consumers import CONSUMER_TOPICS, consume_forever

    only = None
    if args.topics:
        only = {name.strip() for name in args.topics.split(",") if name.strip()}
        if unknown := sorted(only - set(CONSUMER_TOPICS)):
            return _fail(f"unknown --topics {', '.join(unknown)}; use {', '.join(CONSUMER_TOPICS)}")
    if problem := _require_urls(settings):
        return _fail(problem)
    from api.metrics import start_metrics_server
    from api.tracing import configure_tracing

    configure_tracing(settings, "consume")

    async def run() -> None:
        server = await start_metrics_server(settings, settings.consume_metrics_port)
        try:
            await consume_forever(settings, only)
        finally:
            if server is not None:
                server.close()

    asyncio.run(run())
    return 0


def cmd_dev(settings: Settings, args: argparse.Namespace) -> int:
    from datasources.embedded import EmbeddedServers
    from datasources.postgres.migrations import migrate
    from datasources.postgres.seed import seed_demo

    servers = EmbeddedServers(
        Path(settings.data_dir).resolve(),
        database_url=settings.database_url,
        redis_url=settings.redis_url,
        kafka_bootstrap_servers=settings.kafka_bootstrap_servers,
        durable=settings.dev_postgres_fsync,
    )
    with servers:
        urls = servers.start()
        settings = settings.model_copy(
            update={
                "database_url": urls.database_url,
                "redis_url": urls.redis_url,
                "kafka_bootstrap_servers": urls.kafka_bootstrap_servers,
            }
        )
        asyncio.run(migrate(urls.database_url))
        if not args.no_seed:
            asyncio.run(seed_demo(urls.database_url))
        print(f"ucg dev: GraphiQL at http://{settings.host}:{settings.port}/graphql", flush=True)
        _serve(settings, None)
    return 0


def cmd_relay(settings: Settings, _: argparse.Namespace) -> int:
    if problem := _require_urls(settings):
        return _fail(problem)
    print("ucg relay: publishing the outbox (one publisher per database)", flush=True)
    from api.tracing import configure_tracing
    from entrypoints.relay import relay_forever

    configure_tracing(settings, "relay")
    asyncio.run(relay_forever(settings))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from resolvers.subgraphs import SUBGRAPH_NAMES

    parser = argparse.ArgumentParser(prog="ucg", description="Unified Commerce Graph")
    sub = parser.add_subparsers(dest="command", required=True)
    dev = sub.add_parser("dev", help="start missing servers, migrate, seed, serve GraphiQL")
    dev.add_argument("--no-seed", action="store_true", help="skip the demo data")
    serve = sub.add_parser("serve", help="serve the API (the supergraph and every subgraph)")
    serve.add_argument("--subgraph", choices=SUBGRAPH_NAMES, help="serve only this subgraph")
    for listener in (dev, serve):
        listener.add_argument("--host", help="address to listen on (default UCG_HOST, 127.0.0.1)")
        listener.add_argument(
            "--port", type=_port, help="port to listen on (default UCG_PORT, 8000)"
        )
    serve.add_argument(
        "--workers",
        type=int,
        help="worker processes behind the one port; 0: one per CPU core, at most "
        f"{AUTO_WORKERS_MAX} (default UCG_WORKERS, 0)",
    )
    sub.add_parser("migrate", help="apply pending database migrations")
    sub.add_parser("mcp", help="serve the MCP tools for AI agents over stdio")
    seed = sub.add_parser("seed", help="load data")
    seed.add_argument("--demo", action="store_true", help="a believable demo store")
    export = sub.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument("--subgraph", choices=SUBGRAPH_NAMES, help="one subgraph's SDL")
    export.add_argument("-o", "--output", help="write to this file instead of stdout")
    sub.add_parser("relay", help="publish the outbox to Kafka (also runs inside `ucg serve`)")
    consume = sub.add_parser(
        "consume",
        help="run the inbound Kafka consumers (inventory adjustments, fulfillment updates)",
    )
    consume.add_argument(
        "--topics",
        help="comma-separated subset: inventory (ucg.inventory.adjustments.v1), "
        "fulfillment (ucg.fulfillment.updates.v1), interactions (ucg.interactions.v1, the "
        "customer profile group); default all",
    )
    trusted = sub.add_parser(
        "trusted-documents", help="build or check a manifest of registered operations"
    )
    trusted_sub = trusted.add_subparsers(dest="action", required=True)
    build = trusted_sub.add_parser("build", help="an Apollo manifest from .graphql files")
    build.add_argument("files", nargs="+", help="one operation (and its fragments) per file")
    build.add_argument("-o", "--output", required=True, help="the manifest to write")
    check = trusted_sub.add_parser("check", help="validate a manifest against the schema")
    check.add_argument("manifest", help="Apollo or Relay manifest (JSON)")
    from entrypoints import cli_auth

    cli_auth.add_parsers(sub)
    from entrypoints import doctor

    doctor.add_parser(sub)
    return parser


COMMANDS = {
    "dev": cmd_dev,
    "serve": cmd_serve,
    "migrate": cmd_migrate,
    "seed": cmd_seed,
    "export-schema": cmd_export_schema,
    "relay": cmd_relay,
    "mcp": cmd_mcp,
    "consume": cmd_consume,
    "trusted-documents": cmd_trusted_documents,
}


def _auth_commands() -> None:
    from entrypoints import cli_auth

    COMMANDS["apikey"] = cli_auth.cmd_apikey
    COMMANDS["staff"] = cli_auth.cmd_staff
    from entrypoints import doctor

    COMMANDS["doctor"] = doctor.cmd_doctor


_auth_commands()


def _port(text: str) -> int:
    """A TCP port for argparse: a clear message (exit 2) instead of a traceback."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not between 1 and 65535")
    return port


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        return _fail(str(exc))
    from api.logging import configure_logging

    configure_logging(settings.log_level)
    # Options win over the environment (`ucg serve --port 9000` as well as UCG_PORT=9000).
    listen = {k: v for k in ("host", "port") if (v := getattr(args, k, None)) is not None}
    if listen:
        settings = settings.model_copy(update=listen)
    try:
        return COMMANDS[args.command](settings, args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
