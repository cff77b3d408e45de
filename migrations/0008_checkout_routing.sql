-- Issue 7, checkout routing and totals: what routing needs to know about a location
-- (same-day cut-off, the time zone its opening hours are in), and what the fraud check
-- stores and counts on an order.

ALTER TABLE locations
    -- Local time after which same-day orders are no longer taken; NULL: no same-day.
    ADD COLUMN same_day_cutoff time,
    -- IANA zone of opening_hours and same_day_cutoff.
    ADD COLUMN time_zone       text NOT NULL DEFAULT 'UTC';

ALTER TABLE orders
    -- [{code, points, detail}] of every fraud rule that fired at checkout.
    ADD COLUMN risk_reasons     jsonb NOT NULL DEFAULT '[]'::jsonb
        CHECK (jsonb_typeof(risk_reasons) = 'array'),
    -- sha256 of the card token, and a normalized shipping address: velocity counts
    -- look these up without storing the token or comparing free-form JSON.
    ADD COLUMN card_fingerprint text,
    ADD COLUMN address_key      text;
CREATE INDEX orders_card_recent ON orders (card_fingerprint, created_at)
    WHERE card_fingerprint IS NOT NULL;
CREATE INDEX orders_address_recent ON orders (address_key, created_at)
    WHERE address_key IS NOT NULL;
