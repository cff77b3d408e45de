-- Issue 13 item 3: every enumerated column of an order holds only its domain enum's values.
-- The status columns had theirs (orders 0013, fulfillments 0012, payments 0006, returns 0010,
-- payment_transactions 0011); these are the other enumerated columns an order writes:
-- the fulfillment method (routing.FulfillmentMethod), why a whole order was cancelled
-- (cancellation.CancelReason) and why goods came back (aftersale.ReturnReason).
-- tests/integration/test_order_enum_checks.py compares each list with its enum.
ALTER TABLE orders
    ADD CONSTRAINT orders_fulfillment_method CHECK (fulfillment_method IN (
        'SHIP', 'PICKUP', 'SHIP_FROM_STORE', 'SAME_DAY')),
    ADD CONSTRAINT orders_cancel_reason CHECK (cancel_reason IN (
        'CUSTOMER_REQUEST', 'STOCK_ISSUE', 'PAYMENT_ISSUE', 'FRAUD', 'MISSED_PICKUP', 'OTHER'));
ALTER TABLE fulfillments
    ADD CONSTRAINT fulfillments_method CHECK (method IN (
        'SHIP', 'PICKUP', 'SHIP_FROM_STORE', 'SAME_DAY'));
ALTER TABLE returns
    ADD CONSTRAINT returns_reason CHECK (reason IN (
        'CHANGED_MIND', 'WRONG_SIZE', 'WRONG_ITEM', 'DAMAGED', 'DEFECTIVE', 'NOT_AS_DESCRIBED',
        'OTHER'));
