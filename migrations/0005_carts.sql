-- Carts: lines, buyer identity, expiry, merge, discount codes (issue 6).
-- Additive only: existing columns of `carts` keep their names and meaning.

ALTER TABLE carts
    ADD COLUMN status             text NOT NULL DEFAULT 'ACTIVE'
        CHECK (status IN ('ACTIVE', 'MERGED', 'COMPLETED')),
    ADD COLUMN merged_into        uuid REFERENCES carts(id) ON DELETE SET NULL,
    ADD COLUMN expires_at         timestamptz NOT NULL DEFAULT now() + interval '10 days',
    ADD COLUMN note               text NOT NULL DEFAULT '' CHECK (length(note) <= 5000),
    ADD COLUMN discount_codes     text[] NOT NULL DEFAULT '{}',
    ADD COLUMN buyer_email        text,
    ADD COLUMN buyer_phone        text,
    ADD COLUMN buyer_country_code char(2),
    ADD COLUMN buyer_province_code text,
    ADD COLUMN fulfillment_method text NOT NULL DEFAULT 'SHIP'
        CHECK (fulfillment_method IN ('SHIP', 'PICKUP', 'SHIP_FROM_STORE', 'SAME_DAY'));
CREATE INDEX carts_customer_active ON carts (customer_id, updated_at DESC)
    WHERE status = 'ACTIVE' AND customer_id IS NOT NULL;
CREATE INDEX carts_expires_at ON carts (expires_at);

CREATE TABLE cart_lines (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cart_id    uuid NOT NULL REFERENCES carts(id) ON DELETE CASCADE,
    variant_id uuid NOT NULL REFERENCES variants(id) ON DELETE CASCADE,
    quantity   integer NOT NULL CHECK (quantity > 0),
    -- [{"key": ..., "value": ...}] in the order given; part of the line's identity.
    attributes jsonb NOT NULL DEFAULT '[]',
    position   integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (cart_id, variant_id, attributes)
);
CREATE INDEX cart_lines_cart ON cart_lines (cart_id, position);

CREATE TABLE discounts (
    id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code                     text NOT NULL UNIQUE CHECK (code = upper(code) AND length(code) BETWEEN 1 AND 64),
    kind                     text NOT NULL CHECK (kind IN ('PERCENTAGE', 'FIXED_AMOUNT', 'FREE_SHIPPING')),
    -- PERCENTAGE: basis points (1000 = 10%); FIXED_AMOUNT: minor units of currency_code.
    value                    bigint NOT NULL DEFAULT 0 CHECK (value >= 0),
    currency_code            char(3),
    min_subtotal_minor       bigint NOT NULL DEFAULT 0 CHECK (min_subtotal_minor >= 0),
    starts_at                timestamptz,
    ends_at                  timestamptz,
    usage_limit              integer CHECK (usage_limit >= 0),
    usage_limit_per_customer integer CHECK (usage_limit_per_customer >= 0),
    channel_ids              uuid[] NOT NULL DEFAULT '{}',
    combinable               boolean NOT NULL DEFAULT false,
    created_at               timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'PERCENTAGE' OR value <= 10000),
    CHECK (kind <> 'FIXED_AMOUNT' OR currency_code IS NOT NULL)
);

-- One use of a code (written by checkout); usage limits count these.
CREATE TABLE discount_redemptions (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    discount_id uuid NOT NULL REFERENCES discounts(id) ON DELETE CASCADE,
    customer_id uuid REFERENCES customers(id),
    order_id    uuid REFERENCES orders(id),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX discount_redemptions_discount ON discount_redemptions (discount_id, customer_id);
