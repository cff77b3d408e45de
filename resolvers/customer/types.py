"""The customer subgraph: Customer, its identities, addresses, consent and loyalty."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from domain import models
from domain.auth import may_access_customer
from domain.customer import loyalty as loyalty_rules
from domain.customer.records import CustomerAddress as AddressRecord
from domain.customer.records import CustomerIdentity as IdentityRecord
from domain.customer.records import LedgerEntry
from domain.ids import from_global_id, to_global_id
from resolvers.common import CUSTOMER_DESCRIPTION, Node, record_type_check
from resolvers.context import Info
from resolvers.customer.enums import IdentityKind, LedgerKind, LoyaltyTier
from resolvers.customer.profile_types import CustomerProfile, load_profile
from resolvers.customer.segment_types import Segment, segments_of


def _gid(kind: str, value: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(to_global_id(kind, value))


@strawberry.type(description="An identifier the customer is known by (email, phone, card...).")
class CustomerIdentity:
    kind: IdentityKind = strawberry.field(description="What kind of identifier this is.")
    value: str = strawberry.field(description="The normalized value.")
    source_system: str | None = strawberry.field(description="For EXTERNAL: the other system.")
    verified: bool = strawberry.field(description="True once the customer proved they own it.")
    created_at: datetime = strawberry.field(description="When it was linked.")
    id: strawberry.ID = strawberry.field(description="Opaque global id of the identity.")

    @classmethod
    def from_record(cls, identity: IdentityRecord) -> CustomerIdentity:
        return cls(
            id=_gid("CustomerIdentity", identity.id),
            kind=identity.kind,
            value=identity.value,
            source_system=identity.source_system,
            verified=identity.verified,
            created_at=identity.created_at,
        )


@strawberry.type(description="A postal address of a customer.")
class CustomerAddress:
    is_default_shipping: bool = strawberry.field(description="The default shipping address.")
    is_default_billing: bool = strawberry.field(description="The default billing address.")
    id: strawberry.ID = strawberry.field(description="Opaque global id of the address.")
    name: str = strawberry.field(description="Name of the recipient.")
    line1: str = strawberry.field(description="First address line.")
    line2: str = strawberry.field(description="Second address line; empty if none.")
    city: str = strawberry.field(description="City or town.")
    postal_code: str = strawberry.field(description="Postal code; empty where there is none.")
    region: str = strawberry.field(description="Region, state or province; may be empty.")
    country_code: str = strawberry.field(description="ISO 3166-1 alpha-2 country code.")
    phone: str | None = strawberry.field(description="Contact phone (E.164), if given.")

    @classmethod
    def from_record(cls, address: AddressRecord) -> CustomerAddress:
        fields = address.fields
        return cls(
            id=_gid("CustomerAddress", address.id),
            name=fields.name,
            line1=fields.line1,
            line2=fields.line2,
            city=fields.city,
            postal_code=fields.postal_code,
            region=fields.region,
            country_code=fields.country_code,
            phone=fields.phone,
            is_default_shipping=address.is_default_shipping,
            is_default_billing=address.is_default_billing,
        )


@strawberry.type(description="Whether the customer accepts marketing, and since when.")
class MarketingConsent:
    granted: bool = strawberry.field(description="True when marketing is allowed.")
    updated_at: datetime | None = strawberry.field(
        description="When consent was last given or withdrawn; null if never."
    )
    source: str | None = strawberry.field(
        description="Where it was given or withdrawn (web, pos, support, registration...)."
    )


@strawberry.type(description="One movement of loyalty points.")
class LoyaltyLedgerEntry:
    kind: LedgerKind = strawberry.field(description="Earn, redeem, expire or adjust.")
    points: int = strawberry.field(description="Signed change of the balance.")
    reason: str = strawberry.field(description="Why (e.g. order, goodwill).")
    created_at: datetime = strawberry.field(description="When it was booked.")
    order_id: strawberry.ID | None = strawberry.field(
        description="The order that earned the points, if any."
    )

    @classmethod
    def from_record(cls, entry: LedgerEntry) -> LoyaltyLedgerEntry:
        return cls(
            kind=entry.kind,
            points=entry.points,
            reason=entry.reason,
            created_at=entry.created_at,
            order_id=_gid("Order", entry.order_id) if entry.order_id else None,
        )


@strawberry.type(description="A customer's loyalty points: balance, tier and ledger.")
class LoyaltyAccount:
    balance: int = strawberry.field(description="Points available now.")
    lifetime_earned: int = strawberry.field(description="Points ever earned (sets the tier).")
    tier: LoyaltyTier = strawberry.field(description="Current tier.")
    entries: list[LoyaltyLedgerEntry] = strawberry.field(
        description="Ledger entries, newest first (at most 100)."
    )


@strawberry.federation.type(keys=["id"], description=CUSTOMER_DESCRIPTION)
class Customer(Node):
    is_type_of = record_type_check(models.Customer)

    @strawberry.field(description="Opaque global id of the customer.")  # type: ignore[misc]  # self is a record
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Customer", self.id))

    display_name: str = strawberry.field(description="Name to greet the customer with.")
    created_at: datetime = strawberry.field(description="When the customer first registered.")
    first_name: str | None = strawberry.field(description="Given name, if known.")
    last_name: str | None = strawberry.field(description="Family name, if known.")
    first_seen_channel: str | None = strawberry.field(
        description="Code of the channel the customer was first seen on."
    )
    last_seen_channel: str | None = strawberry.field(
        description="Code of the channel the customer was last seen on."
    )

    @strawberry.field(description="True once the customer's personal data was erased (GDPR).")
    def erased(self) -> bool:
        return self.erased_at is not None  # type: ignore[attr-defined]  # self is a record

    @strawberry.field(description="Marketing consent with its timestamp and source.")
    def marketing_consent(self) -> MarketingConsent:
        return MarketingConsent(
            granted=self.marketing_consent,
            updated_at=self.marketing_consent_at,  # type: ignore[attr-defined]  # self is a record
            source=self.marketing_consent_source,  # type: ignore[attr-defined]
        )

    @strawberry.field(description="Emails, phones, loyalty cards, devices and external ids.")
    async def identities(self, info: Info) -> list[CustomerIdentity]:
        identities = await info.context.loaders.IdentitiesByCustomerIdLoader.load(self.id)
        return [CustomerIdentity.from_record(i) for i in identities]

    @strawberry.field(description="Saved postal addresses, oldest first.")
    async def addresses(self, info: Info) -> list[CustomerAddress]:
        addresses = await info.context.loaders.AddressesByCustomerIdLoader.load(self.id)
        return [CustomerAddress.from_record(a) for a in addresses]

    @strawberry.field(description="The default shipping address, if one is set.")
    async def default_shipping_address(self, info: Info) -> CustomerAddress | None:
        addresses = await info.context.loaders.AddressesByCustomerIdLoader.load(self.id)
        found = next((a for a in addresses if a.is_default_shipping), None)
        return None if found is None else CustomerAddress.from_record(found)

    @strawberry.field(description="The default billing address, if one is set.")
    async def default_billing_address(self, info: Info) -> CustomerAddress | None:
        addresses = await info.context.loaders.AddressesByCustomerIdLoader.load(self.id)
        found = next((a for a in addresses if a.is_default_billing), None)
        return None if found is None else CustomerAddress.from_record(found)

    @strawberry.field(description="Loyalty points balance, tier and recent ledger entries.")
    async def loyalty(self, info: Info) -> LoyaltyAccount:
        entries = await info.context.loaders.LoyaltyLedgerByCustomerIdLoader.load(self.id)
        status = loyalty_rules.status_from_entries([(e.kind, e.points) for e in entries])
        return LoyaltyAccount(
            balance=status.balance,
            lifetime_earned=status.lifetime_earned,
            tier=status.tier,
            entries=[LoyaltyLedgerEntry.from_record(e) for e in entries[:100]],
        )

    @strawberry.field(
        description="The live Customer 360 profile (the customer themself and staff): "
        "recently viewed, affinities, RFM segment, churn risk, preferred store and channel."
    )
    async def profile(self, info: Info) -> CustomerProfile:
        return await load_profile(info, self.id)

    @strawberry.field(
        description="The segments the customer is in now (the customer themself and staff), "
        "by name; kept up to date by the profile consumer."
    )
    async def segments(self, info: Info) -> list[Segment]:
        return await segments_of(info, self.id)  # type: ignore[return-value]  # records

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> models.Customer | None:
        _, local = from_global_id(id, "Customer")
        if not may_access_customer(info.context.principal, local):
            return None
        return await info.context.loaders.CustomerByIdLoader.load(local)
