-- Issue 13 item 3: orders.status holds only OrderStatus values (domain/order/fulfillment.py,
-- derived from the fulfillments). Its old 'PENDING' default was a value no enum knew: an
-- order without fulfillments is UNFULFILLED.
UPDATE orders SET status = 'UNFULFILLED' WHERE status = 'PENDING';
ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'UNFULFILLED';
ALTER TABLE orders
    ADD CONSTRAINT orders_status CHECK (status IN (
        'ON_HOLD', 'UNFULFILLED', 'IN_PROGRESS', 'READY_FOR_PICKUP', 'PARTIALLY_FULFILLED',
        'FULFILLED', 'COMPLETED', 'CANCELLED'));
