"""The built-in test payment provider with its state in Postgres.

The same rules and magic card tokens as the in-memory `test_provider` (its
docstring has the table), but every authorization and every remembered reply
is a row (tables `test_provider_*`, migration 0011), so an authorization made
by `ucg serve` can be captured by `ucg consume` in another process, or after a
restart. It stands in for an external service: each call is its own short
transaction on its own connection, never part of the caller's transaction.

`latency_seconds` makes every call wait that long first (a PSP round trip, for
benchmarks and timeout tests).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias

import asyncpg

from datasources.payments.test_provider import (
    APPROVING_TOKENS,
    AUTHORIZATION_TTL,
    DECLINING_TOKENS,
    LIMIT_PREFIX,
)
from domain.money import is_currency_code
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


def _invalid_amount(amount: PaymentAmount) -> PaymentFailure | None:
    if amount.amount_minor <= 0 or not is_currency_code(amount.currency_code):
        return PaymentFailure(
            F.INVALID_AMOUNT, "Amounts must be positive, in an ISO 4217 currency."
        )
    return None


def _decline(amount: PaymentAmount, card_token: str) -> PaymentFailure | None:
    invalid = _invalid_amount(amount)
    if invalid is not None:
        return invalid
    if card_token in DECLINING_TOKENS:
        return PaymentFailure(*DECLINING_TOKENS[card_token])
    if card_token.startswith(LIMIT_PREFIX):
        limit = card_token[len(LIMIT_PREFIX) :]
        if not limit.isdigit():
            return PaymentFailure(F.INVALID_CARD_TOKEN, "Unknown card token.")
        if amount.amount_minor > int(limit):
            return PaymentFailure(F.INSUFFICIENT_FUNDS, "The card has insufficient funds.")
        return None
    if card_token not in APPROVING_TOKENS:
        return PaymentFailure(F.INVALID_CARD_TOKEN, "Unknown card token.")
    return None


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
                    return PaymentFailure(
                        F.IDEMPOTENCY_CONFLICT, "The key was used with another request."
                    )
                return decode(seen["reply"])
            result = await compute(conn)
            # A transient error is not remembered: the retry must be able to succeed.
            if not (isinstance(result, PaymentFailure) and result.retryable):
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
            failure = _decline(amount, card_token)
            if failure is not None:
                return failure
            authorization_id = f"auth_{uuid.uuid4().hex}"
            await conn.execute(
                "INSERT INTO test_provider_authorizations (id, currency_code, amount_minor, "
                "created_at) VALUES ($1, $2, $3, $4)",
                authorization_id,
                amount.currency_code,
                amount.amount_minor,
                self._clock(),
            )
            return Authorized(authorization_id, amount)

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

    async def _open(
        self, conn: Conn, authorization_id: str, amount: PaymentAmount | None
    ) -> asyncpg.Record | PaymentFailure:
        row: asyncpg.Record | None = await conn.fetchrow(
            "SELECT * FROM test_provider_authorizations WHERE id = $1 FOR UPDATE",
            authorization_id,
        )
        if row is None:
            return PaymentFailure(F.UNKNOWN_AUTHORIZATION, "No such authorization.")
        if amount is not None:
            invalid = _invalid_amount(amount)
            if invalid is not None:
                return invalid
            if amount.currency_code != row["currency_code"]:
                return PaymentFailure(
                    F.CURRENCY_MISMATCH, "The currency differs from the authorization's."
                )
        return row

    async def capture(
        self, authorization_id: str, amount: PaymentAmount, idempotency_key: str
    ) -> Captured | PaymentFailure:
        async def compute(conn: Conn) -> Result:
            auth = await self._open(conn, authorization_id, amount)
            if isinstance(auth, PaymentFailure):
                return auth
            if auth["voided"]:
                return PaymentFailure(F.ALREADY_VOIDED, "The authorization was voided.")
            if self._clock() - auth["created_at"] > self._ttl:
                return PaymentFailure(F.AUTHORIZATION_EXPIRED, "The authorization has expired.")
            total = auth["captured_minor"] + amount.amount_minor
            if total > auth["amount_minor"]:
                return PaymentFailure(
                    F.AMOUNT_EXCEEDS_AUTHORIZED, "Capture exceeds the authorized amount."
                )
            await conn.execute(
                "UPDATE test_provider_authorizations SET captured_minor = $2 WHERE id = $1",
                authorization_id,
                total,
            )
            return Captured(f"cap_{uuid.uuid4().hex}", authorization_id, amount, total)

        request = _fingerprint(authorization_id, amount.amount_minor, amount.currency_code)
        result = await self._idempotent("capture", idempotency_key, request, compute)
        assert isinstance(result, Captured | PaymentFailure)
        return result

    async def void(self, authorization_id: str, idempotency_key: str) -> Voided | PaymentFailure:
        async def compute(conn: Conn) -> Result:
            auth = await self._open(conn, authorization_id, None)
            if isinstance(auth, PaymentFailure):
                return auth
            if auth["voided"]:
                return PaymentFailure(F.ALREADY_VOIDED, "The authorization was already voided.")
            if auth["captured_minor"] >= auth["amount_minor"]:
                return PaymentFailure(F.FULLY_CAPTURED, "Nothing is left to void; refund instead.")
            await conn.execute(
                "UPDATE test_provider_authorizations SET voided = true WHERE id = $1",
                authorization_id,
            )
            return Voided(authorization_id, auth["amount_minor"] - auth["captured_minor"])

        result = await self._idempotent("void", idempotency_key, authorization_id, compute)
        assert isinstance(result, Voided | PaymentFailure)
        return result

    async def refund(
        self, authorization_id: str, amount: PaymentAmount, idempotency_key: str
    ) -> Refunded | PaymentFailure:
        async def compute(conn: Conn) -> Result:
            auth = await self._open(conn, authorization_id, amount)
            if isinstance(auth, PaymentFailure):
                return auth
            total = auth["refunded_minor"] + amount.amount_minor
            if total > auth["captured_minor"]:
                return PaymentFailure(
                    F.AMOUNT_EXCEEDS_CAPTURED, "Refund exceeds the captured amount."
                )
            await conn.execute(
                "UPDATE test_provider_authorizations SET refunded_minor = $2 WHERE id = $1",
                authorization_id,
                total,
            )
            return Refunded(f"ref_{uuid.uuid4().hex}", authorization_id, amount, total)

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
