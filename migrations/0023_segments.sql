-- Customer segments: staff-defined rules over the live profile, their members (kept by the
-- profile consumer in the same transaction as each profile change), and discount codes
-- limited to segments (docs/CUSTOMERS.md, "Segments").

CREATE TABLE segments (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 80),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    -- The typed rule (domain/customer/segments.py: rule_to_json), validated before it is stored.
    rule        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Who is in a segment now; a row goes when they leave (the exit is an event, not a row).
CREATE TABLE segment_memberships (
    segment_id  uuid NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    customer_id uuid NOT NULL REFERENCES customers(id),
    entered_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (segment_id, customer_id)
);
CREATE INDEX segment_memberships_customer ON segment_memberships (customer_id);

-- A discount code limited to segments: only their members may use it. RESTRICT: a segment
-- that limits a code cannot be deleted from under it (that would open the code to nobody).
CREATE TABLE discount_segments (
    discount_id uuid NOT NULL REFERENCES discounts(id) ON DELETE CASCADE,
    segment_id  uuid NOT NULL REFERENCES segments(id) ON DELETE RESTRICT,
    PRIMARY KEY (discount_id, segment_id)
);
CREATE INDEX discount_segments_segment ON discount_segments (segment_id);
