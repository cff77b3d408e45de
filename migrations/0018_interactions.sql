-- Customer 360: shopper interactions (what they do before buying), the identity links that
-- stitch anonymous devices and sessions to customers, and the live profile kept by the
-- interactions consumer group (docs/CUSTOMERS.md).

-- One row per accepted interaction; id = the interaction's event id (exactly once).
CREATE TABLE interactions (
    id          uuid PRIMARY KEY,
    customer_id uuid REFERENCES customers(id),
    device_id   text CHECK (length(device_id) BETWEEN 1 AND 128),
    session_id  text CHECK (length(session_id) BETWEEN 1 AND 128),
    type        text NOT NULL CHECK (type IN ('PRODUCT_VIEWED', 'SEARCHED', 'ADDED_TO_CART',
                    'REMOVED_FROM_CART', 'STORE_VISITED', 'WISHLISTED')),
    channel     text NOT NULL CHECK (channel ~ '^[A-Z][A-Z0-9_]{0,31}$'),
    product_id  uuid,
    location_id uuid,
    search_term text,
    source      text NOT NULL DEFAULT 'graphql',
    occurred_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    CHECK (customer_id IS NOT NULL OR device_id IS NOT NULL OR session_id IS NOT NULL)
);
CREATE INDEX interactions_customer ON interactions (customer_id, occurred_at DESC)
    WHERE customer_id IS NOT NULL;
CREATE INDEX interactions_device ON interactions (device_id) WHERE device_id IS NOT NULL;
CREATE INDEX interactions_session ON interactions (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX interactions_occurred ON interactions (occurred_at);

-- An anonymous key ('device:<id>' or 'session:<id>') known to belong to a customer.
CREATE TABLE interaction_links (
    anonymous_key text PRIMARY KEY,
    customer_id   uuid NOT NULL REFERENCES customers(id),
    linked_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX interaction_links_customer ON interaction_links (customer_id);

-- The live profile of one subject: 'customer:<uuid>', or an anonymous key until stitched.
CREATE TABLE customer_profiles (
    subject     text PRIMARY KEY,
    customer_id uuid UNIQUE REFERENCES customers(id),
    state       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((customer_id IS NOT NULL) = (subject LIKE 'customer:%'))
);
