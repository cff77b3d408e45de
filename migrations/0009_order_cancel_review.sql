-- Issue 7, after the sale: the staff review of held orders, and the pickup sweeper.

-- Who decided on a held order, when, and why (the audit of orderReview).
ALTER TABLE orders
    ADD COLUMN reviewed_at     timestamptz,
    ADD COLUMN reviewed_by     uuid,
    ADD COLUMN review_decision text CHECK (review_decision IN ('APPROVE', 'REJECT')),
    ADD COLUMN review_note     text;

-- The missed-pickup sweeper reads only ready pickups, oldest deadline first.
CREATE INDEX fulfillments_pickup_deadline ON fulfillments (pickup_deadline)
    WHERE status = 'READY_FOR_PICKUP';
