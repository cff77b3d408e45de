"""Customer queries and mutations: profile, identities, addresses, merge, GDPR, loyalty."""

from __future__ import annotations

from typing import Annotated

import strawberry

from datasources.postgres.uow import UnitOfWork
from domain.auth import PrincipalKind
from domain.customer import services
from domain.customer.identity import IdentityKind as DomainIdentityKind
from domain.customer.records import AddressFields
from domain.customer.records import CustomerAddress as AddressRecord
from domain.ids import from_global_id
from domain.models import Customer as CustomerRecord
from resolvers.context import Info
from resolvers.customer.access import visible_customer
from resolvers.customer.args import CustomerIdArg, customer_id_arg
from resolvers.customer.auth_schema import AuthMutation
from resolvers.customer.enums import IdentityKind
from resolvers.customer.lifecycle_schema import LifecycleMutation
from resolvers.customer.types import Customer, CustomerAddress, CustomerIdentity
from resolvers.errors import UserError
from resolvers.mutation import PROBLEMS, entity_payload, run_mutation

ErrorList = list[UserError]


@entity_payload(
    "Result of a mutation that returns a customer.",
    errors=PROBLEMS,
    customer="The customer; null on error.",
)
class CustomerPayload:
    customer: Customer | None


@strawberry.type(description="Result of an address mutation.")
class CustomerAddressPayload:
    address: CustomerAddress | None = strawberry.field(description="The address; null on error.")
    customer: Customer | None = strawberry.field(description="Its customer; null on error.")
    user_errors: ErrorList = strawberry.field(description="Problems; empty on success.")


@entity_payload("Result of customerIdentityLink.", errors=PROBLEMS, identity="The new identity.")
class CustomerIdentityPayload:
    identity: CustomerIdentity | None


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
    postal_code: str = strawberry.field(default="", description="Postal or ZIP code, as written.")
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
    kind: IdentityKind = strawberry.field(description="Kind of identifier.")
    value: str = strawberry.field(description="The identifier as entered.")
    source_system: str | None = strawberry.field(
        default=None, description="For EXTERNAL: the other system, e.g. shopify."
    )


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in customer; null when not signed in as one.")
    async def me(self, info: Info) -> Customer | None:
        principal = info.context.principal
        if principal is None or principal.kind is not PrincipalKind.CUSTOMER:
            return None
        return await visible_customer(info, principal.id)  # type: ignore[return-value]  # a record

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
        return await visible_customer(info, local)  # type: ignore[return-value]  # a record

    @strawberry.field(
        description="Find a customer by phone, email, loyalty card... (staff and POS only)."
    )
    async def customer_lookup(
        self,
        info: Info,
        kind: Annotated[IdentityKind, strawberry.argument(description="Kind of identifier.")],
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


async def _address_payload(uow: UnitOfWork, address: AddressRecord) -> CustomerAddressPayload:
    customer = await uow.customers.get(address.customer_id)
    return CustomerAddressPayload(
        address=CustomerAddress.from_record(address),
        customer=customer,  # type: ignore[arg-type]  # a record
        user_errors=[],
    )


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
        return await run_mutation(
            info,
            CustomerPayload,
            lambda uow: services.update_profile(
                uow,
                info.context.principal,
                customer_id_arg(customer_id),
                first_name=input.first_name,
                last_name=input.last_name,
                display_name=input.display_name,
                marketing_consent=consent.granted if consent else None,
                consent_source=consent.source if consent else None,
            ),
        )

    @strawberry.mutation(description="Add a postal address to a customer.")
    async def customer_address_add(
        self,
        info: Info,
        input: Annotated[CustomerAddressInput, strawberry.argument(description="Address.")],
        customer_id: CustomerIdArg = None,
    ) -> CustomerAddressPayload:

        async def use_case(uow: UnitOfWork) -> CustomerAddressPayload:
            address = await services.add_address(
                uow,
                info.context.principal,
                customer_id_arg(customer_id),
                input.fields(),
                input.default_shipping,
                input.default_billing,
            )
            return await _address_payload(uow, address)

        return await run_mutation(info, CustomerAddressPayload, use_case)

    @strawberry.mutation(description="Replace a saved address.")
    async def customer_address_update(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Address global id.")],
        input: Annotated[CustomerAddressInput, strawberry.argument(description="Address.")],
    ) -> CustomerAddressPayload:

        async def use_case(uow: UnitOfWork) -> CustomerAddressPayload:
            _, local = from_global_id(id, "CustomerAddress")
            address = await services.update_address(
                uow,
                info.context.principal,
                local,
                input.fields(),
                input.default_shipping,
                input.default_billing,
            )
            return await _address_payload(uow, address)

        return await run_mutation(info, CustomerAddressPayload, use_case)

    @strawberry.mutation(description="Delete a saved address.")
    async def customer_address_remove(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Address global id.")],
    ) -> CustomerPayload:

        async def use_case(uow: UnitOfWork) -> CustomerRecord | None:
            _, local = from_global_id(id, "CustomerAddress")
            owner = await services.remove_address(uow, info.context.principal, local)
            return await uow.customers.get(owner)

        return await run_mutation(info, CustomerPayload, use_case)

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

        async def use_case(uow: UnitOfWork) -> CustomerIdentity:
            identity = await services.link_identity(
                uow,
                info.context.principal,
                customer_id_arg(customer_id),
                DomainIdentityKind(input.kind.value),
                input.value,
                input.source_system,
            )
            return CustomerIdentity.from_record(identity)

        return await run_mutation(info, CustomerIdentityPayload, use_case)


@strawberry.type
class Mutation(AuthMutation, ProfileMutation, LifecycleMutation):
    """Every customer-subgraph mutation."""
