-- Foundation: the core records of every subgraph, the outbox and inbound dedupe.
-- Later migrations extend these tables; this one stays as applied (the runner checks its checksum).

CREATE TABLE channels (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code          text NOT NULL UNIQUE CHECK (code ~ '^[A-Z][A-Z0-9_]*$'),
    name          text NOT NULL,
    currency_code char(3) NOT NULL CHECK (currency_code ~ '^[A-Z]{3}$'),
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    handle      text NOT NULL UNIQUE CHECK (handle ~ '^[a-z0-9][a-z0-9-]*$'),
    title       text NOT NULL CHECK (length(title) > 0),
    description text NOT NULL DEFAULT '',
    status      text NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT', 'ACTIVE', 'ARCHIVED')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE variants (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    product_id uuid NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    sku        text NOT NULL UNIQUE CHECK (length(sku) > 0),
    title      text NOT NULL,
    position   integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX variants_product_id ON variants (product_id, position);

CREATE TABLE prices (
    variant_id         uuid NOT NULL REFERENCES variants(id) ON DELETE CASCADE,
    channel_id         uuid NOT NULL REFERENCES channels(id),
    currency_code      char(3) NOT NULL,
    amount_minor       bigint NOT NULL CHECK (amount_minor >= 0),
    compare_at_minor   bigint CHECK (compare_at_minor >= 0),
    PRIMARY KEY (variant_id, channel_id, currency_code)
);

CREATE TABLE customers (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    display_name text NOT NULL DEFAULT '',
    merged_into  uuid REFERENCES customers(id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE locations (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code       text NOT NULL UNIQUE,
    name       text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('WAREHOUSE', 'STORE', 'DARK_STORE')),
    latitude   double precision CHECK (latitude BETWEEN -90 AND 90),
    longitude  double precision CHECK (longitude BETWEEN -180 AND 180),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE stock_levels (
    sku          text NOT NULL REFERENCES variants(sku) ON UPDATE CASCADE,
    location_id  uuid NOT NULL REFERENCES locations(id),
    on_hand      integer NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved     integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    safety_stock integer NOT NULL DEFAULT 0 CHECK (safety_stock >= 0),
    version      bigint NOT NULL DEFAULT 0,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sku, location_id),
    CONSTRAINT reserved_within_on_hand CHECK (reserved <= on_hand)
);
CREATE INDEX stock_levels_location ON stock_levels (location_id);

CREATE TABLE carts (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    channel_id    uuid NOT NULL REFERENCES channels(id),
    currency_code char(3) NOT NULL,
    customer_id   uuid REFERENCES customers(id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX carts_customer ON carts (customer_id) WHERE customer_id IS NOT NULL;

CREATE SEQUENCE order_numbers START 1001;
CREATE TABLE orders (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    number        bigint NOT NULL UNIQUE DEFAULT nextval('order_numbers'),
    customer_id   uuid REFERENCES customers(id),
    channel_id    uuid REFERENCES channels(id),
    status        text NOT NULL DEFAULT 'PENDING',
    currency_code char(3) NOT NULL,
    total_minor   bigint NOT NULL DEFAULT 0 CHECK (total_minor >= 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer ON orders (customer_id, created_at DESC);

-- Events written in the same transaction as the change they report; the relay publishes them.
CREATE TABLE outbox (
    id             bigserial PRIMARY KEY,
    event_id       uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    topic          text NOT NULL,
    type           text NOT NULL,
    aggregate_type text NOT NULL,
    aggregate_id   text NOT NULL,
    sequence       bigint NOT NULL,
    payload        jsonb NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    published_at   timestamptz,
    UNIQUE (aggregate_type, aggregate_id, sequence)
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

-- Per-aggregate sequence numbers for events (so subscribers can resume without gaps).
CREATE TABLE aggregate_sequences (
    aggregate_type text NOT NULL,
    aggregate_id   text NOT NULL,
    last_sequence  bigint NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);

-- Inbound event ids already applied, recorded in the same transaction as their effect.
CREATE TABLE processed_events (
    consumer     text NOT NULL,
    event_id     text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Results of mutations carrying an idempotency key, replayed on retry.
CREATE TABLE idempotency_keys (
    scope        text NOT NULL,
    key          text NOT NULL,
    request_hash text NOT NULL,
    response     jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);

CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ucg_outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
