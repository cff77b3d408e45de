"""Customer queries and mutations: profile, identities, addresses, merge, GDPR, loyalty."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from datasources.postgres.uow import UnitOfWork
from datasources.redis.auth import AuthStore
from domain.auth import PrincipalKind
from domain.customer import loyalty, services
from domain.customer.identity import IdentityKind as DomainIdentityKind
from domain.customer.records import AddressFields
from domain.errors import DomainError
from domain.ids import from_global_id
from resolvers.context import Info
from resolvers.customer.access import visible_customer
from resolvers.customer.auth_schema import AuthMutation
from resolvers.customer.enums import IdentityKind, LedgerKind
from resolvers.customer.types import Customer, CustomerAddress, CustomerIdentity, LoyaltyAccount
from resolvers.errors import UserError, user_errors

ErrorList = list[UserError]


def _customer_id(value: strawberry.ID | None, field: str = "customerId") -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return from_global_id(value, "Customer")[1]
    except DomainError as error:
        error.field = [field]
        raise


@strawberry.type(description="Result of a mutation that returns a customer.")
class CustomerPayload:
    customer: Customer | None = strawberry.field(description="The customer; null on error.")
    user_errors: ErrorList = strawberry.field(description="Problems; empty on success.")


@strawberry.type(description="Result of an address mutation.")
class CustomerAddressPayload:
    address: CustomerAddress | None = strawberry.field(description="The address; null on error.")
    customer: Customer | None = strawberry.field(description="Its customer; null on error.")
    user_errors: ErrorList = strawberry.field(description="Problems; empty on success.")


@strawberry.type(description="Result of customerIdentityLink.")
class CustomerIdentityPayload:
    identity: CustomerIdentity | None = strawberry.field(description="The new identity.")
    user_errors: ErrorList = strawberry.field(description="Problems; empty on success.")


@strawberry.type(description="Result of customerMerge.")
class CustomerMergePayload:
    survivor: Customer | None = strawberry.field(description="The surviving customer.")
    merged: bool = strawberry.field(
        description="True if this call merged; false if it was already done (no-op)."
    )
    user_errors: ErrorList = strawberry.field(description="Problems; empty on success.")


@strawberry.type(description="Result of customerDataExport.")
class CustomerDataExportPayload:
    data: JSON | None = strawberry.field(
        description="Every personal datum held about the customer, as one JSON document."
    )
    user_errors: ErrorList = strawberry.field(description="Problems; empty on success.")


@strawberry.type(description="Result of customerErase.")
class CustomerErasePayload:
    customer_id: strawberry.ID | None = strawberry.field(description="The erased customer.")
    erased: bool = strawberry.field(
        description="True if this call erased; false if it was already erased (no-op)."
    )
    user_errors: ErrorList = strawberry.field(description="Problems; empty on success.")


@strawberry.type(description="Result of customerLoyaltyAdjust.")
class LoyaltyPayload:
    loyalty: LoyaltyAccount | None = strawberry.field(description="The account after the change.")
    user_errors: ErrorList = strawberry.field(description="Problems; empty on success.")


@strawberry.input(description="Consent to marketing, given or withdrawn.")
class MarketingConsentInput:
    granted: bool = strawberry.field(description="True to opt in, false to opt out.")
    source: str = strawberry.field(description="Where: web, app, pos, support, ...")


@strawberry.input(description="Profile changes; omitted fields stay as they are.")
class CustomerUpdateInput:
    first_name: str | None = strawberry.field(default=None, description="Given name.")
    last_name: str | None = strawberry.field(default=None, description="Family name.")
    display_name: str | None = strawberry.field(default=None, description="Name to greet with.")
    marketing_consent: MarketingConsentInput | None = strawberry.field(
        default=None, description="A change of marketing consent."
    )


@strawberry.input(description="A postal address.")
class CustomerAddressInput:
    name: str = strawberry.field(default="", description="Recipient name.")
    line1: str = strawberry.field(description="First address line.")
    line2: str = strawberry.field(default="", description="Second address line.")
    city: str = strawberry.field(description="City or town.")
    postal_code: str = strawberry.field(default="", description="Postal code.")
    region: str = strawberry.field(default="", description="Region, state or province.")
    country_code: str = strawberry.field(description="ISO 3166-1 alpha-2 code, e.g. DE.")
    phone: str | None = strawberry.field(default=None, description="Contact phone.")
    default_shipping: bool = strawberry.field(
        default=False, description="Make it the default shipping address."
    )
    default_billing: bool = strawberry.field(
        default=False, description="Make it the default billing address."
    )

    def fields(self) -> AddressFields:
        return AddressFields(
            self.name,
            self.line1,
            self.line2,
            self.city,
            self.postal_code,
            self.region,
            self.country_code,
            self.phone,
        )


@strawberry.input(description="An identifier to link to a customer.")
class CustomerIdentityInput:
    kind: IdentityKind = strawberry.field(description="Kind of identifier.")  # type: ignore[valid-type]
    value: str = strawberry.field(description="The identifier as entered.")
    source_system: str | None = strawberry.field(
        default=None, description="For EXTERNAL: the other system, e.g. shopify."
    )


@strawberry.input(description="A staff change to loyalty points.")
class LoyaltyAdjustInput:
    kind: LedgerKind = strawberry.field(  # type: ignore[valid-type]
        description="ADJUST (signed points), REDEEM or EXPIRE (points taken off, positive)."
    )
    points: int = strawberry.field(description="Number of points.")
    reason: str = strawberry.field(description="Why, for the ledger.")


CustomerIdArg = Annotated[
    strawberry.ID | None,
    strawberry.argument(description="The customer (staff); omit to act on yourself."),
]


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in customer; null when not signed in as one.")
    async def me(self, info: Info) -> Customer | None:
        principal = info.context.principal
        if principal is None or principal.kind is not PrincipalKind.CUSTOMER:
            return None
        return await visible_customer(info, principal.id)

    @strawberry.field(
        description=(
            "A customer by global id: staff, or the customer themself. "
            "A merged customer resolves to its survivor (staff)."
        )
    )
    async def customer(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global id.")],
    ) -> Customer | None:
        _, local = from_global_id(id, "Customer")
        return await visible_customer(info, local)

    @strawberry.field(
        description="Find a customer by phone, email, loyalty card... (staff and POS only)."
    )
    async def customer_lookup(
        self,
        info: Info,
        kind: Annotated[IdentityKind, strawberry.argument(description="Kind of identifier.")],  # type: ignore[valid-type]
        value: Annotated[str, strawberry.argument(description="The identifier as entered.")],
        source_system: Annotated[
            str | None, strawberry.argument(description="For EXTERNAL: the other system.")
        ] = None,
    ) -> Customer | None:
        async with UnitOfWork(info.context.pool) as uow:
            return await services.lookup_customer(  # type: ignore[return-value]
                uow,
                info.context.principal,
                DomainIdentityKind(kind.value),
                value,
                source_system,
            )


async def _revoke_sessions(info: Info, customer_id: uuid.UUID) -> None:
    settings = info.context.settings
    store = AuthStore(info.context.redis, settings.kafka_topic_prefix)
    await store.revoke_subject(str(customer_id), settings.access_token_ttl_seconds + 60)


@strawberry.type
class ProfileMutation:
    @strawberry.mutation(description="Change a customer's profile and marketing consent.")
    async def customer_update(
        self,
        info: Info,
        input: Annotated[CustomerUpdateInput, strawberry.argument(description="Changes.")],
        customer_id: CustomerIdArg = None,
    ) -> CustomerPayload:
        consent = input.marketing_consent
        try:
            async with UnitOfWork(info.context.pool) as uow:
                customer = await services.update_profile(
                    uow,
                    info.context.principal,
                    _customer_id(customer_id),
                    first_name=input.first_name,
                    last_name=input.last_name,
                    display_name=input.display_name,
                    marketing_consent=consent.granted if consent else None,
                    consent_source=consent.source if consent else None,
                )
        except DomainError as error:
            return CustomerPayload(customer=None, user_errors=user_errors(error))
        return CustomerPayload(customer=customer, user_errors=[])  # type: ignore[arg-type]

    @strawberry.mutation(description="Add a postal address to a customer.")
    async def customer_address_add(
        self,
        info: Info,
        input: Annotated[CustomerAddressInput, strawberry.argument(description="Address.")],
        customer_id: CustomerIdArg = None,
    ) -> CustomerAddressPayload:
        try:
            async with UnitOfWork(info.context.pool) as uow:
                address = await services.add_address(
                    uow,
                    info.context.principal,
                    _customer_id(customer_id),
                    input.fields(),
                    input.default_shipping,
                    input.default_billing,
                )
                customer = await uow.customers.get(address.customer_id)
        except DomainError as error:
            return CustomerAddressPayload(
                address=None, customer=None, user_errors=user_errors(error)
            )
        return CustomerAddressPayload(address=address, customer=customer, user_errors=[])  # type: ignore[arg-type]

    @strawberry.mutation(description="Replace a saved address.")
    async def customer_address_update(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Address global id.")],
        input: Annotated[CustomerAddressInput, strawberry.argument(description="Address.")],
    ) -> CustomerAddressPayload:
        try:
            _, local = from_global_id(id, "CustomerAddress")
            async with UnitOfWork(info.context.pool) as uow:
                address = await services.update_address(
                    uow,
                    info.context.principal,
                    local,
                    input.fields(),
                    input.default_shipping,
                    input.default_billing,
                )
                customer = await uow.customers.get(address.customer_id)
        except DomainError as error:
            return CustomerAddressPayload(
                address=None, customer=None, user_errors=user_errors(error)
            )
        return CustomerAddressPayload(address=address, customer=customer, user_errors=[])  # type: ignore[arg-type]

    @strawberry.mutation(description="Delete a saved address.")
    async def customer_address_remove(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Address global id.")],
    ) -> CustomerPayload:
        try:
            _, local = from_global_id(id, "CustomerAddress")
            async with UnitOfWork(info.context.pool) as uow:
                owner = await services.remove_address(uow, info.context.principal, local)
                customer = await uow.customers.get(owner)
        except DomainError as error:
            return CustomerPayload(customer=None, user_errors=user_errors(error))
        return CustomerPayload(customer=customer, user_errors=[])  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Link an email, phone, device (self or staff), loyalty card or external id "
        "(staff) to a customer."
    )
    async def customer_identity_link(
        self,
        info: Info,
        input: Annotated[CustomerIdentityInput, strawberry.argument(description="Identity.")],
        customer_id: CustomerIdArg = None,
    ) -> CustomerIdentityPayload:
        try:
            async with UnitOfWork(info.context.pool) as uow:
                identity = await services.link_identity(
                    uow,
                    info.context.principal,
                    _customer_id(customer_id),
                    DomainIdentityKind(input.kind.value),
                    input.value,
                    input.source_system,
                )
        except DomainError as error:
            return CustomerIdentityPayload(identity=None, user_errors=user_errors(error))
        return CustomerIdentityPayload(identity=identity, user_errors=[])  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Merge a duplicate customer into a survivor (staff: ADMIN, SUPPORT). "
        "Moves identities, addresses, carts, orders and points; repeating it is a no-op."
    )
    async def customer_merge(
        self,
        info: Info,
        survivor_id: Annotated[strawberry.ID, strawberry.argument(description="Who stays.")],
        merged_id: Annotated[strawberry.ID, strawberry.argument(description="Who goes.")],
    ) -> CustomerMergePayload:
        try:
            survivor = _customer_id(survivor_id, "survivorId")
            merged = _customer_id(merged_id, "mergedId")
            assert survivor is not None and merged is not None
            async with UnitOfWork(info.context.pool) as uow:
                result = await services.merge_customers(
                    uow, info.context.principal, survivor, merged
                )
                if result.changed:
                    await _revoke_sessions(info, merged)
                customer = await uow.customers.get(survivor)
        except DomainError as error:
            return CustomerMergePayload(survivor=None, merged=False, user_errors=user_errors(error))
        return CustomerMergePayload(survivor=customer, merged=result.changed, user_errors=[])  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Every personal datum held about a customer as one JSON document "
        "(the customer themself, or staff with SUPPORT)."
    )
    async def customer_data_export(
        self, info: Info, customer_id: CustomerIdArg = None
    ) -> CustomerDataExportPayload:
        try:
            async with UnitOfWork(info.context.pool) as uow:
                document = await services.export_customer(
                    uow, info.context.principal, _customer_id(customer_id)
                )
        except DomainError as error:
            return CustomerDataExportPayload(data=None, user_errors=user_errors(error))
        return CustomerDataExportPayload(data=document, user_errors=[])

    @strawberry.mutation(
        description="Erase a customer's personal data everywhere (GDPR), keeping order "
        "financials; signs them out. The customer themself, or staff with SUPPORT."
    )
    async def customer_erase(
        self, info: Info, customer_id: CustomerIdArg = None
    ) -> CustomerErasePayload:
        try:
            async with UnitOfWork(info.context.pool) as uow:
                result = await services.erase_customer(
                    uow, info.context.principal, _customer_id(customer_id)
                )
                if result.changed:
                    await _revoke_sessions(info, result.customer_id)
        except DomainError as error:
            return CustomerErasePayload(
                customer_id=None, erased=False, user_errors=user_errors(error)
            )
        gid = strawberry.ID(f"gid://ucg/Customer/{result.customer_id}")
        return CustomerErasePayload(customer_id=gid, erased=result.changed, user_errors=[])

    @strawberry.mutation(
        description="Adjust, redeem or expire a customer's points (staff and POS)."
    )
    async def customer_loyalty_adjust(
        self,
        info: Info,
        customer_id: Annotated[strawberry.ID, strawberry.argument(description="The customer.")],
        input: Annotated[LoyaltyAdjustInput, strawberry.argument(description="The change.")],
    ) -> LoyaltyPayload:
        try:
            local = _customer_id(customer_id)
            assert local is not None
            async with UnitOfWork(info.context.pool) as uow:
                status = await services.adjust_points(
                    uow,
                    info.context.principal,
                    local,
                    loyalty.LedgerKind(input.kind.value),
                    input.points,
                    input.reason,
                )
                entries = await uow.customers.ledger(local)
        except DomainError as error:
            return LoyaltyPayload(loyalty=None, user_errors=user_errors(error))
        account = LoyaltyAccount(
            balance=status.balance,
            lifetime_earned=status.lifetime_earned,
            tier=status.tier,
            entries=list(reversed(entries))[:100],
        )
        return LoyaltyPayload(loyalty=account, user_errors=[])


@strawberry.type
class Mutation(AuthMutation, ProfileMutation):
    """Every customer-subgraph mutation."""
