-- Issue 7: checkout, order lines, fulfillments, payments.

ALTER TABLE orders
    ADD COLUMN cart_id            uuid REFERENCES carts(id),
    ADD COLUMN idempotency_key    text,
    ADD COLUMN request_hash       text,
    ADD COLUMN fulfillment_method text,
    ADD COLUMN shipping_address   jsonb,
    ADD COLUMN on_hold            boolean NOT NULL DEFAULT false,
    ADD COLUMN risk_score         integer NOT NULL DEFAULT 0;
-- One order per idempotency key and per cart: a replay (even a concurrent one) finds the first.
CREATE UNIQUE INDEX orders_idempotency_key ON orders (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX orders_cart ON orders (cart_id) WHERE cart_id IS NOT NULL;

-- Price snapshot: what the buyer was charged, whatever the catalog says later.
CREATE TABLE order_lines (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id         uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    position         integer NOT NULL,
    variant_id       uuid NOT NULL REFERENCES variants(id),
    sku              text NOT NULL,
    quantity         integer NOT NULL CHECK (quantity > 0),
    unit_price_minor bigint NOT NULL CHECK (unit_price_minor >= 0),
    total_minor      bigint NOT NULL CHECK (total_minor >= 0),
    UNIQUE (order_id, position)
);

CREATE TABLE fulfillments (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id        uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    method          text NOT NULL,
    location_id     uuid NOT NULL REFERENCES locations(id),
    status          text NOT NULL DEFAULT 'ALLOCATED',
    tracking        text,
    promised_at     timestamptz,
    pickup_deadline timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX fulfillments_order ON fulfillments (order_id);

CREATE TABLE fulfillment_lines (
    fulfillment_id uuid NOT NULL REFERENCES fulfillments(id) ON DELETE CASCADE,
    order_line_id  uuid NOT NULL REFERENCES order_lines(id) ON DELETE CASCADE,
    quantity       integer NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (fulfillment_id, order_line_id)
);

CREATE TABLE payments (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id         uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    provider         text NOT NULL,
    authorization_id text NOT NULL,
    status           text NOT NULL CHECK (status IN ('AUTHORIZED', 'CAPTURED', 'VOIDED', 'REFUNDED')),
    currency_code    char(3) NOT NULL,
    amount_minor     bigint NOT NULL CHECK (amount_minor >= 0),
    captured_minor   bigint NOT NULL DEFAULT 0 CHECK (captured_minor >= 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_order ON payments (order_id);

-- checkoutBegin: the cart's stock reservation, until it expires or the order takes it.
CREATE TABLE checkouts (
    cart_id        uuid PRIMARY KEY REFERENCES carts(id) ON DELETE CASCADE,
    reservation_id uuid NOT NULL REFERENCES reservations(id),
    expires_at     timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
