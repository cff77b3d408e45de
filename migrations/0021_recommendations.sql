-- Product recommendations (issue 15 item 6, issue 16 item 4; docs/CATALOG.md).

-- How many orders bought both products, both directions stored (a -> b and b -> a), kept by
-- the co-purchase consumer group on ucg.orders.v1 (one order.created event counted once).
CREATE TABLE product_co_purchases (
    product_id    uuid NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    other_id      uuid NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    orders        integer NOT NULL CHECK (orders > 0),
    last_order_at timestamptz NOT NULL,
    PRIMARY KEY (product_id, other_id),
    CHECK (product_id <> other_id)
);

-- A merchandiser's picks for a product page, shown before the computed ones, in order.
CREATE TABLE product_recommendation_overrides (
    product_id     uuid NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    intent         text NOT NULL CHECK (intent IN ('RELATED', 'COMPLEMENTARY')),
    position       integer NOT NULL CHECK (position >= 0),
    recommended_id uuid NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    PRIMARY KEY (product_id, intent, position),
    UNIQUE (product_id, intent, recommended_id),
    CHECK (product_id <> recommended_id)
);
