"""The built-in test payment provider with its state in Postgres.

The same rules and magic card tokens as the in-memory `test_provider` (its
docstring has the table; both apply `provider_rules`), but every authorization and every remembered reply
is a row (tables `test_provider_*`, migration 0011), so an authorization made
by `ucg serve` can be captured by `ucg consume` in another process, or after a
restart. It stands in for an external service: each call is its own short
transaction on its own connection, never part of the caller's transaction.

`latency_seconds` makes every call wait that long first (a PSP round trip, for
benchmarks and timeout tests).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias

import asyncpg

from datasources.payments import provider_rules as rules
from datasources.payments.provider_rules import AUTHORIZATION_TTL, TestAuthorization
from domain.order.payments import (
    Authorized,
    Captured,
    PaymentAmount,
    PaymentFailure,
    PaymentFailureCode,
    Refunded,
    Voided,
)

F = PaymentFailureCode
Result = Authorized | Captured | Voided | Refunded | PaymentFailure
Conn: TypeAlias = "asyncpg.pool.PoolConnectionProxy[Any]"


def encode(result: Result) -> dict[str, Any]:
    match result:
        case PaymentFailure(code, message):
            return {"type": "failure", "code": code.value, "message": message}
        case Authorized(authorization_id, amount):
            return {"type": "authorized", "id": authorization_id, **_amount(amount)}
        case Captured(capture_id, authorization_id, amount, total):
            return {
                "type": "captured",
                "id": capture_id,
                "authorization": authorization_id,
                "total": total,
                **_amount(amount),
            }
        case Voided(authorization_id, released):
            return {"type": "voided", "authorization": authorization_id, "released": released}
        case Refunded(refund_id, authorization_id, amount, total):
            return {
                "type": "refunded",
                "id": refund_id,
                "authorization": authorization_id,
                "total": total,
                **_amount(amount),
            }
    raise TypeError(result)  # pragma: no cover - every Result is matched above


def decode(data: dict[str, Any]) -> Result:
    kind = data["type"]
    if kind == "failure":
        return PaymentFailure(F(data["code"]), data["message"])
    if kind == "voided":
        return Voided(data["authorization"], data["released"])
    amount = PaymentAmount(data["minor"], data["currency"])
    if kind == "authorized":
        return Authorized(data["id"], amount)
    if kind == "captured":
        return Captured(data["id"], data["authorization"], amount, data["total"])
    return Refunded(data["id"], data["authorization"], amount, data["total"])


def _amount(amount: PaymentAmount) -> dict[str, Any]:
    return {"minor": amount.amount_minor, "currency": amount.currency_code}


def _fingerprint(*parts: object) -> str:
    return "|".join(str(p) for p in parts)


class PostgresTestProvider:
    """`PaymentGateway` whose authorizations live in Postgres (any process, any restart)."""

    __test__ = False  # not a pytest test class
    name = "test"

    def __init__(
        self,
        pool: asyncpg.Pool[Any],
        *,
        latency_seconds: float = 0.0,
        clock: Callable[[], datetime] | None = None,
        authorization_ttl: timedelta = AUTHORIZATION_TTL,
    ) -> None:
        self._pool = pool
        self._latency = latency_seconds
        self._clock = clock or (lambda: datetime.now(UTC))
        self._ttl = authorization_ttl

    async def _idempotent(
        self,
        operation: str,
        key: str,
        request: str,
        compute: Callable[[Conn], Awaitable[Result]],
    ) -> Result:
        if self._latency > 0:
            await asyncio.sleep(self._latency)
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext($1))", f"psp:{operation}:{key}"
            )
            seen = await conn.fetchrow(
                "SELECT request, reply FROM test_provider_replies "
                "WHERE operation = $1 AND idempotency_key = $2",
                operation,
                key,
            )
            if seen is not None:
                if seen["request"] != request:
                    return rules.IDEMPOTENCY_CONFLICT
                return decode(seen["reply"])
            result = await compute(conn)
            if rules.remembered(result):
                await conn.execute(
                    "INSERT INTO test_provider_replies (operation, idempotency_key, request, "
                    "reply) VALUES ($1, $2, $3, $4)",
                    operation,
                    key,
                    request,
                    encode(result),
                )
            return result

    async def authorize(
        self, amount: PaymentAmount, card_token: str, idempotency_key: str
    ) -> Authorized | PaymentFailure:
        async def compute(conn: Conn) -> Result:
            auth = rules.authorize(amount, card_token, self._clock())
            if isinstance(auth, PaymentFailure):
                return auth
            await conn.execute(
                "INSERT INTO test_provider_authorizations (id, currency_code, amount_minor, "
                "created_at) VALUES ($1, $2, $3, $4)",
                auth.id,
                amount.currency_code,
                amount.amount_minor,
                auth.created_at,
            )
            return rules.authorized(auth)

        request = _fingerprint(amount.amount_minor, amount.currency_code, card_token)
        result = await self._idempotent("authorize", idempotency_key, request, compute)
        assert isinstance(result, Authorized | PaymentFailure)
        return result

    async def authorization_for(self, idempotency_key: str) -> Authorized | None:
        reply = await self._pool.fetchval(
            "SELECT reply FROM test_provider_replies "
            "WHERE operation = 'authorize' AND idempotency_key = $1",
            idempotency_key,
        )
        result = None if reply is None else decode(reply)
        return result if isinstance(result, Authorized) else None

    @staticmethod
    async def _load(conn: Conn, authorization_id: str) -> TestAuthorization | None:
        row = await conn.fetchrow(
            "SELECT * FROM test_provider_authorizations WHERE id = $1 FOR UPDATE",
            authorization_id,
        )
        if row is None:
            return None
        return TestAuthorization(
            row["id"],
            PaymentAmount(row["amount_minor"], row["currency_code"]),
            row["created_at"],
            row["captured_minor"],
            row["refunded_minor"],
            row["voided"],
        )

    @staticmethod
    async def _store(conn: Conn, auth: TestAuthorization) -> None:
        await conn.execute(
            "UPDATE test_provider_authorizations SET captured_minor = $2, refunded_minor = $3, "
            "voided = $4 WHERE id = $1",
            auth.id,
            auth.captured_minor,
            auth.refunded_minor,
            auth.voided,
        )

    async def _apply(
        self, conn: Conn, authorization_id: str, rule: Callable[[TestAuthorization | None], Result]
    ) -> Result:
        auth = await self._load(conn, authorization_id)
        result = rule(auth)
        if auth is not None and not isinstance(result, PaymentFailure):
            await self._store(conn, auth)
        return result

    async def capture(
        self, authorization_id: str, amount: PaymentAmount, idempotency_key: str
    ) -> Captured | PaymentFailure:
        async def compute(conn: Conn) -> Result:
            return await self._apply(
                conn,
                authorization_id,
                lambda auth: rules.capture(auth, amount, self._clock(), self._ttl),
            )

        request = _fingerprint(authorization_id, amount.amount_minor, amount.currency_code)
        result = await self._idempotent("capture", idempotency_key, request, compute)
        assert isinstance(result, Captured | PaymentFailure)
        return result

    async def void(self, authorization_id: str, idempotency_key: str) -> Voided | PaymentFailure:
        async def compute(conn: Conn) -> Result:
            return await self._apply(conn, authorization_id, rules.void)

        result = await self._idempotent("void", idempotency_key, authorization_id, compute)
        assert isinstance(result, Voided | PaymentFailure)
        return result

    async def refund(
        self, authorization_id: str, amount: PaymentAmount, idempotency_key: str
    ) -> Refunded | PaymentFailure:
        async def compute(conn: Conn) -> Result:
            return await self._apply(
                conn, authorization_id, lambda auth: rules.refund(auth, amount)
            )

        request = _fingerprint(authorization_id, amount.amount_minor, amount.currency_code)
        result = await self._idempotent("refund", idempotency_key, request, compute)
        assert isinstance(result, Refunded | PaymentFailure)
        return result

    async def is_open(self, authorization_id: str) -> bool:
        """An authorization with an uncaptured, unvoided rest (tests: nothing left open)."""
        return bool(
            await self._pool.fetchval(
                "SELECT NOT voided AND captured_minor < amount_minor "
                "FROM test_provider_authorizations WHERE id = $1",
                authorization_id,
            )
        )
