"""Entry points that are not the HTTP edge: the `ucg` command line, the MCP server, the
inbound consumers, the sweepers run inside `ucg serve`, and the standalone outbox relay.

Each builds one `api.bootstrap.Services` and hands it on; `api/` keeps the HTTP edge."""
