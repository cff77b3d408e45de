-- Issue 7, after the sale: amounts per order and per line, what happened to each
-- line since checkout, and what the buyer still owes on each payment.

ALTER TABLE orders
    ADD COLUMN subtotal_minor bigint NOT NULL DEFAULT 0 CHECK (subtotal_minor >= 0),
    ADD COLUMN discount_minor bigint NOT NULL DEFAULT 0 CHECK (discount_minor >= 0),
    ADD COLUMN tax_minor      bigint NOT NULL DEFAULT 0 CHECK (tax_minor >= 0),
    ADD COLUMN shipping_minor bigint NOT NULL DEFAULT 0 CHECK (shipping_minor >= 0),
    ADD COLUMN cancelled_at   timestamptz,
    ADD COLUMN cancel_reason  text;
-- Orders placed before this migration: their total was all merchandise.
UPDATE orders SET subtotal_minor = total_minor;
-- Staff listing, newest first (customers use orders_customer).
CREATE INDEX orders_created ON orders (created_at DESC, id DESC);

ALTER TABLE order_lines
    ADD COLUMN discount_minor     bigint  NOT NULL DEFAULT 0 CHECK (discount_minor >= 0),
    ADD COLUMN tax_minor          bigint  NOT NULL DEFAULT 0 CHECK (tax_minor >= 0),
    ADD COLUMN cancelled_quantity integer NOT NULL DEFAULT 0 CHECK (cancelled_quantity >= 0),
    ADD COLUMN returned_quantity  integer NOT NULL DEFAULT 0 CHECK (returned_quantity >= 0),
    ADD CONSTRAINT order_lines_given_back CHECK (cancelled_quantity + returned_quantity <= quantity);

-- owed_minor: what the buyer owes now (the authorized amount less what was
-- cancelled or refunded since); a capture takes at most this.
ALTER TABLE payments
    ADD COLUMN owed_minor     bigint,
    ADD COLUMN refunded_minor bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0);
UPDATE payments SET owed_minor = amount_minor;
ALTER TABLE payments
    ALTER COLUMN owed_minor SET NOT NULL,
    ADD CONSTRAINT payments_owed CHECK (owed_minor >= 0 AND owed_minor <= amount_minor),
    ADD CONSTRAINT payments_refunded CHECK (refunded_minor <= captured_minor);

-- Units put back on the shelf by a cancellation (goods never left the location).
ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_reason_check;
ALTER TABLE stock_movements ADD CONSTRAINT stock_movements_reason_check CHECK (reason IN
    ('RECEIVED', 'SOLD', 'RETURNED', 'DAMAGED', 'CYCLE_COUNT', 'CORRECTION', 'TRANSFER',
     'CANCELLED'));
