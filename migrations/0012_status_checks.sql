-- Issue 13: fulfillments.status holds only FulfillmentStatus values
-- (domain/order/fulfillment.py). orders.status (its 'PENDING' default, no CHECK) is
-- left to the Order aggregate work (issue 13 item 3): tests still write free-form order
-- statuses there.
ALTER TABLE fulfillments
    ADD CONSTRAINT fulfillments_status CHECK (status IN (
        'PENDING', 'ON_HOLD', 'ALLOCATED', 'PICKING', 'PACKED', 'SHIPPED', 'DELIVERY_FAILED',
        'DELIVERED', 'READY_FOR_PICKUP', 'PICKED_UP', 'CANCELLED'));
