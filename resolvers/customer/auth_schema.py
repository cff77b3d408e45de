"""Sign-in mutations: register, login (customers and staff), refresh, logout."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, cast

import asyncpg
import strawberry

from api.auth import (
    AuthenticationFailed,
    access_claims,
    issue_access_token,
    issue_refresh_token,
    refresh_claims,
)
from datasources.postgres import auth_store
from datasources.postgres.customer_repo import PostgresCustomerRepository
from datasources.postgres.uow import UnitOfWork
from datasources.redis.auth import AuthStore
from domain.auth import Principal, PrincipalKind, Role
from domain.customer import services
from domain.customer.identity import normalize_email
from domain.customer.passwords import verify_password
from domain.errors import DomainError, ErrorCode
from domain.models import Customer as CustomerRecord
from resolvers.context import Info
from resolvers.customer.types import Customer
from resolvers.errors import UserError, user_errors
from resolvers.mutation import failure, run_mutation, run_use_case

log = logging.getLogger("ucg.auth")
_BAD_REFRESH = "The refresh token is not valid; sign in again."


@strawberry.input(description="A new customer account. Give an email, a phone, or both.")
class CustomerRegisterInput:
    email: str | None = strawberry.field(default=None, description="Email address.")
    phone: str | None = strawberry.field(
        default=None, description="Phone number with country code, e.g. +44 20 7946 0958."
    )
    password: str = strawberry.field(description="10 to 256 characters.")
    first_name: str | None = strawberry.field(default=None, description="Given name.")
    last_name: str | None = strawberry.field(default=None, description="Family name.")
    marketing_consent: bool = strawberry.field(
        default=False, description="True if the customer opts in to marketing."
    )
    channel: str | None = strawberry.field(
        default=None, description="Code of the channel the customer registers on, e.g. WEB."
    )


@strawberry.input(description="Credentials of a customer.")
class CustomerLoginInput:
    login: str = strawberry.field(description="Email address or phone number.")
    password: str = strawberry.field(description="The password.")
    channel: str | None = strawberry.field(
        default=None, description="Code of the channel signed in on, e.g. APP."
    )


@strawberry.input(description="Credentials of a staff user.")
class StaffLoginInput:
    email: str = strawberry.field(description="Staff email address.")
    password: str = strawberry.field(description="The password.")


@strawberry.type(description="Result of a sign-in or token refresh.")
class AuthPayload:
    access_token: str | None = strawberry.field(
        description="Short-lived bearer token: send as `Authorization: Bearer <token>`."
    )
    access_token_expires_at: datetime | None = strawberry.field(
        description="When the access token expires."
    )
    refresh_token: str | None = strawberry.field(
        description="Long-lived token for tokenRefresh; single use (each refresh rotates it)."
    )
    customer: Customer | None = strawberry.field(description="The signed-in customer, if any.")
    user_errors: list[UserError] = strawberry.field(
        description="Problems with the input; empty on success."
    )


@strawberry.type(description="Result of logout.")
class LogoutPayload:
    revoked: bool = strawberry.field(description="True when some token was revoked.")
    user_errors: list[UserError] = strawberry.field(description="Problems; empty on success.")


def _failed(error: DomainError) -> AuthPayload:
    return failure(AuthPayload, error)


async def _session(
    info: Info,
    principal: Principal,
    family_id: uuid.UUID | None = None,
    customer: CustomerRecord | None = None,
    db: auth_store.Executor | None = None,
) -> AuthPayload:
    settings = info.context.settings
    access = issue_access_token(settings, principal)
    refresh, claims = issue_refresh_token(
        settings, principal.kind, principal.id, family_id or uuid.uuid4()
    )
    await auth_store.insert_refresh_token(
        db or info.context.pool,
        claims.token_id,
        claims.family_id,
        principal.kind.value,
        principal.id,
        datetime.fromtimestamp(claims.expires_at, UTC),
    )
    expires = datetime.fromtimestamp(
        datetime.now(UTC).timestamp() + settings.access_token_ttl_seconds, UTC
    )
    return AuthPayload(
        access_token=access,
        access_token_expires_at=expires,
        refresh_token=refresh,
        customer=customer,  # type: ignore[arg-type]
        user_errors=[],
    )


def _client_address(info: Info) -> str:
    request = info.context.request
    client = getattr(request, "client", None)
    return client.host if client else "unknown"


class LoginThrottle:
    """Failed logins counted per account and per client address, in a window."""

    def __init__(self, info: Info, account: str) -> None:
        self.settings = info.context.settings
        self.store = AuthStore(info.context.redis, self.settings.kafka_topic_prefix)
        self.account = account
        self.address = _client_address(info)

    async def check(self) -> None:
        s = self.settings
        for scope, value, limit in (
            ("account", self.account, s.login_failures_per_account),
            ("address", self.address, s.login_failures_per_address),
        ):
            if await self.store.failures(scope, value) >= limit:
                wait = await self.store.retry_after(scope, value)
                log.warning("login throttled", extra={"scope": scope})
                raise DomainError(
                    ErrorCode.THROTTLED,
                    f"Too many failed sign-ins; try again in {wait} seconds.",
                    ["input", "login"],
                )

    async def failed(self) -> None:
        window = self.settings.login_failure_window_seconds
        await self.store.record_failure("account", self.account, window)
        await self.store.record_failure("address", self.address, window)

    async def succeeded(self) -> None:
        await self.store.reset_failures("account", self.account)

    async def refused(self, error: DomainError) -> None:
        """The `on_error` of a sign-in: only a wrong login or password counts as a failure."""
        if error.code is ErrorCode.UNAUTHENTICATED:
            await self.failed()


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Create a customer account and sign it in.")
    async def customer_register(
        self,
        info: Info,
        input: Annotated[CustomerRegisterInput, strawberry.argument(description="The account.")],
    ) -> AuthPayload:
        registration = services.Registration(
            email=input.email,
            phone=input.phone,
            password=input.password,
            first_name=input.first_name,
            last_name=input.last_name,
            marketing_consent=input.marketing_consent,
            channel=input.channel,
        )

        async def registered(customer: CustomerRecord) -> AuthPayload:
            log.info("customer registered", extra={"customerId": str(customer.id)})
            principal = Principal(PrincipalKind.CUSTOMER, customer.id, channel=input.channel)
            return await _session(info, principal, customer=customer)

        return await run_mutation(
            info,
            AuthPayload,
            lambda uow: services.register_customer(uow, registration),
            present=registered,
        )

    @strawberry.mutation(description="Sign a customer in with email or phone and password.")
    async def customer_login(
        self,
        info: Info,
        input: Annotated[CustomerLoginInput, strawberry.argument(description="Credentials.")],
    ) -> AuthPayload:
        throttle = LoginThrottle(info, services.login_throttle_key(input.login))

        async def sign_in() -> tuple[uuid.UUID, CustomerRecord | None]:
            services.check_channel_code(input.channel, ["input", "channel"])
            await throttle.check()  # before a connection is taken: throttled costs no database
            async with UnitOfWork(info.context.pool) as uow:
                customer_id = await services.authenticate_customer(uow, input.login, input.password)
                customer: CustomerRecord | None
                if input.channel:
                    customer = await uow.customers.update(
                        customer_id, {"last_seen_channel": input.channel}
                    )
                else:
                    customer = await uow.customers.get(customer_id)
            return customer_id, customer

        async def refused(error: DomainError) -> None:
            await throttle.refused(error)
            if error.code is ErrorCode.UNAUTHENTICATED:
                log.info("customer login failed")

        async def signed_in(result: tuple[uuid.UUID, CustomerRecord | None]) -> AuthPayload:
            customer_id, customer = result
            await throttle.succeeded()
            log.info("customer signed in", extra={"customerId": str(customer_id)})
            principal = Principal(PrincipalKind.CUSTOMER, customer_id, channel=input.channel)
            return await _session(info, principal, customer=customer)

        return await run_use_case(AuthPayload, sign_in, present=signed_in, on_error=refused)

    @strawberry.mutation(description="Sign a staff user in; the token carries their roles.")
    async def staff_login(
        self,
        info: Info,
        input: Annotated[StaffLoginInput, strawberry.argument(description="Credentials.")],
    ) -> AuthPayload:
        try:
            email = normalize_email(input.email, ["input", "email"])
        except DomainError:
            email = input.email.strip().lower()
        throttle = LoginThrottle(info, f"STAFF:{email}")

        async def sign_in() -> auth_store.StaffUser:
            await throttle.check()
            staff = await auth_store.staff_user_by_email(info.context.pool, email)
            good = await asyncio.to_thread(
                verify_password, staff.password_hash if staff else None, input.password
            )
            if staff is None or not good or not staff.active:
                raise DomainError(
                    ErrorCode.UNAUTHENTICATED, "The login or password is wrong.", ["input", "email"]
                )
            return staff

        async def signed_in(staff: auth_store.StaffUser) -> AuthPayload:
            await throttle.succeeded()
            log.info("staff signed in", extra={"staffId": str(staff.id)})
            roles = frozenset(Role(r) for r in staff.roles)
            return await _session(info, Principal(PrincipalKind.STAFF, staff.id, roles))

        return await run_use_case(
            AuthPayload, sign_in, present=signed_in, on_error=throttle.refused
        )

    @strawberry.mutation(
        description=(
            "Trade a refresh token for a new access token and a new refresh token. "
            "A refresh token works once; using one twice signs the whole session out."
        )
    )
    async def token_refresh(
        self,
        info: Info,
        refresh_token: Annotated[str, strawberry.argument(description="The refresh token.")],
    ) -> AuthPayload:
        settings = info.context.settings
        error = DomainError(ErrorCode.UNAUTHENTICATED, _BAD_REFRESH, ["refreshToken"])
        try:
            claims = refresh_claims(settings, refresh_token)
        except AuthenticationFailed:
            return _failed(error)
        # Marking the old token used and storing its successor is one transaction: a failure
        # in between leaves the old token usable instead of signing the session out.
        async with info.context.pool.acquire() as proxy, proxy.transaction():
            conn = cast("asyncpg.Connection[Any]", proxy)  # the pool's proxy of one connection
            token, first_use = await auth_store.use_refresh_token(conn, claims.token_id)
            if token is None or not first_use:
                if token is not None and token.revoked_at is None:
                    # Reuse of a rotated token: someone else has it. End the whole session.
                    await auth_store.revoke_refresh_family(conn, token.family_id)
                    log.warning("refresh token reused", extra={"subjectId": str(token.subject_id)})
                return _failed(error)
            customer = None
            if token.subject_kind == PrincipalKind.CUSTOMER.value:
                customer = await PostgresCustomerRepository(conn).get(token.subject_id)
                if customer is None or customer.merged_into or customer.erased_at:
                    return _failed(error)
                principal = Principal(PrincipalKind.CUSTOMER, customer.id)
            else:
                staff = await auth_store.staff_user_by_id(conn, token.subject_id)
                if staff is None or not staff.active:
                    return _failed(error)
                roles = frozenset(Role(r) for r in staff.roles)
                principal = Principal(PrincipalKind.STAFF, staff.id, roles)
            return await _session(info, principal, token.family_id, customer, db=conn)

    @strawberry.mutation(
        description="Sign out: revoke the access token of this request and the refresh token."
    )
    async def logout(
        self,
        info: Info,
        refresh_token: Annotated[
            str | None,
            strawberry.argument(description="The session's refresh token, to end it too."),
        ] = None,
    ) -> LogoutPayload:
        settings = info.context.settings
        store = AuthStore(info.context.redis, settings.kafka_topic_prefix)
        revoked = False
        current = access_claims(settings, info.context.request.headers)
        if current is not None and current.jti:
            await store.revoke_token(current.jti, current.expires_at)
            revoked = True
        if refresh_token:
            try:
                claims = refresh_claims(settings, refresh_token)
            except AuthenticationFailed:
                return LogoutPayload(
                    revoked=revoked,
                    user_errors=user_errors(
                        DomainError(ErrorCode.INVALID, _BAD_REFRESH, ["refreshToken"])
                    ),
                )
            principal = info.context.principal
            if principal is None or principal.id == claims.subject_id:
                count = await auth_store.revoke_refresh_family(info.context.pool, claims.family_id)
                revoked = revoked or count > 0
        return LogoutPayload(revoked=revoked, user_errors=[])
