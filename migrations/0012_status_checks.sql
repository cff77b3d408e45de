-- Issue 13: status columns hold only values their enum knows (domain/order/fulfillment.py).
-- 'PENDING' was the orders default and is no OrderStatus: rows written with it (none by
-- checkout, which always names the status) become UNFULFILLED.
UPDATE orders SET status = 'UNFULFILLED' WHERE status = 'PENDING';
ALTER TABLE orders
    ALTER COLUMN status SET DEFAULT 'UNFULFILLED',
    ADD CONSTRAINT orders_status CHECK (status IN (
        'ON_HOLD', 'UNFULFILLED', 'IN_PROGRESS', 'READY_FOR_PICKUP', 'PARTIALLY_FULFILLED',
        'FULFILLED', 'COMPLETED', 'CANCELLED'));
ALTER TABLE fulfillments
    ADD CONSTRAINT fulfillments_status CHECK (status IN (
        'PENDING', 'ON_HOLD', 'ALLOCATED', 'PICKING', 'PACKED', 'SHIPPED', 'DELIVERY_FAILED',
        'DELIVERED', 'READY_FOR_PICKUP', 'PICKED_UP', 'CANCELLED'));
