-- Customer 360: profile, identities, addresses, loyalty ledger; staff users, API keys, refresh tokens.

ALTER TABLE customers
    ADD COLUMN first_name               text,
    ADD COLUMN last_name                text,
    ADD COLUMN password_hash            text,
    ADD COLUMN marketing_consent        boolean NOT NULL DEFAULT false,
    ADD COLUMN marketing_consent_at     timestamptz,
    ADD COLUMN marketing_consent_source text,
    ADD COLUMN first_seen_channel       text,
    ADD COLUMN last_seen_channel        text,
    ADD COLUMN last_seen_at             timestamptz,
    ADD COLUMN merged_at                timestamptz,
    ADD COLUMN erased_at                timestamptz,
    ADD CONSTRAINT customers_not_merged_into_self CHECK (merged_into IS NULL OR merged_into <> id);
CREATE INDEX customers_merged_into ON customers (merged_into) WHERE merged_into IS NOT NULL;

CREATE TABLE customer_identities (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id   uuid NOT NULL REFERENCES customers(id),
    kind          text NOT NULL CHECK (kind IN ('EMAIL', 'PHONE', 'LOYALTY_CARD', 'DEVICE', 'EXTERNAL')),
    -- For EXTERNAL the normalized value is "<source system>:<id>", so ids of two systems never clash.
    normalized    text NOT NULL CHECK (length(normalized) > 0),
    source_system text,
    verified      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, normalized),
    CHECK ((kind = 'EXTERNAL') = (source_system IS NOT NULL))
);
CREATE INDEX customer_identities_customer ON customer_identities (customer_id);

CREATE TABLE customer_addresses (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    customer_id         uuid NOT NULL REFERENCES customers(id),
    name                text NOT NULL DEFAULT '',
    line1               text NOT NULL,
    line2               text NOT NULL DEFAULT '',
    city                text NOT NULL,
    postal_code         text NOT NULL DEFAULT '',
    region              text NOT NULL DEFAULT '',
    country_code        char(2) NOT NULL CHECK (country_code ~ '^[A-Z]{2}$'),
    phone               text,
    is_default_shipping boolean NOT NULL DEFAULT false,
    is_default_billing  boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_addresses_customer ON customer_addresses (customer_id, created_at);
CREATE UNIQUE INDEX customer_addresses_one_default_shipping
    ON customer_addresses (customer_id) WHERE is_default_shipping;
CREATE UNIQUE INDEX customer_addresses_one_default_billing
    ON customer_addresses (customer_id) WHERE is_default_billing;

-- Append-only points ledger; the balance is the sum, the tier follows lifetime earned points.
CREATE TABLE loyalty_ledger (
    id          bigserial PRIMARY KEY,
    customer_id uuid NOT NULL REFERENCES customers(id),
    kind        text NOT NULL CHECK (kind IN ('EARN', 'REDEEM', 'EXPIRE', 'ADJUST')),
    points      bigint NOT NULL,
    order_id    uuid,
    reason      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'EARN' OR points >= 0),
    CHECK (kind NOT IN ('REDEEM', 'EXPIRE') OR points <= 0)
);
CREATE INDEX loyalty_ledger_customer ON loyalty_ledger (customer_id, id);
-- An order earns once, whatever the retries.
CREATE UNIQUE INDEX loyalty_ledger_earn_once ON loyalty_ledger (order_id) WHERE kind = 'EARN';

CREATE TABLE staff_users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text NOT NULL UNIQUE,
    display_name  text NOT NULL DEFAULT '',
    password_hash text NOT NULL,
    roles         text[] NOT NULL DEFAULT '{}',
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Machine clients. The secret is shown once; only its SHA-256 is kept.
CREATE TABLE api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    prefix       text NOT NULL UNIQUE,
    secret_hash  text NOT NULL,
    name         text NOT NULL,
    channel_code text,
    roles        text[] NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);

-- Refresh tokens (opaque ids inside a signed JWT); rotation keeps a family, reuse kills it.
CREATE TABLE refresh_tokens (
    id           uuid PRIMARY KEY,
    family_id    uuid NOT NULL,
    subject_kind text NOT NULL CHECK (subject_kind IN ('CUSTOMER', 'STAFF')),
    subject_id   uuid NOT NULL,
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_subject ON refresh_tokens (subject_id);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
