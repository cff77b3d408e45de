-- Issue 7, returns: a buyer (or staff) asks to return delivered units; staff receive
-- them at a location, resellable units go back on hand, and the money is given back.

CREATE TABLE returns (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id        uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    status          text NOT NULL DEFAULT 'REQUESTED' CHECK (status IN ('REQUESTED', 'RECEIVED')),
    reason          text NOT NULL,
    note            text CHECK (length(note) <= 1000),
    currency_code   char(3) NOT NULL,
    -- Planned at request time (aftersale.plan_return); paid back when the goods arrive.
    refund_minor    bigint NOT NULL CHECK (refund_minor >= 0),
    -- Refunded to the card on receipt (less than planned only if part was never captured).
    refunded_minor  bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0),
    location_id     uuid REFERENCES locations(id),
    idempotency_key text NOT NULL,
    request_hash    text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    received_at     timestamptz,
    CHECK ((status = 'RECEIVED') = (received_at IS NOT NULL AND location_id IS NOT NULL))
);
-- A retried orderReturnCreate finds the first return (even a concurrent retry).
CREATE UNIQUE INDEX returns_idempotency_key ON returns (idempotency_key);
CREATE INDEX returns_order ON returns (order_id, created_at);

CREATE TABLE return_lines (
    return_id     uuid NOT NULL REFERENCES returns(id) ON DELETE CASCADE,
    order_line_id uuid NOT NULL REFERENCES order_lines(id) ON DELETE CASCADE,
    position      integer NOT NULL,
    sku           text NOT NULL,
    quantity      integer NOT NULL CHECK (quantity > 0),
    refund_minor  bigint NOT NULL CHECK (refund_minor >= 0),
    resellable    boolean NOT NULL,
    PRIMARY KEY (return_id, order_line_id),
    UNIQUE (return_id, position)
);
CREATE INDEX return_lines_order_line ON return_lines (order_line_id);
