-- Issue 17: the store as a channel (curbside arrivals, BOPIS readiness, store pick lists).

-- "I'm here" from the app: one row per tap (a buyer may tap again from another bay).
CREATE TABLE store_pickup_arrivals (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id       uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    fulfillment_id uuid NOT NULL REFERENCES fulfillments(id) ON DELETE CASCADE,
    location_id    uuid NOT NULL REFERENCES locations(id),
    bay            text CHECK (char_length(bay) <= 20),
    note           text CHECK (char_length(note) <= 500),
    arrived_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX store_pickup_arrivals_location ON store_pickup_arrivals (location_id, arrived_at);
CREATE INDEX store_pickup_arrivals_order ON store_pickup_arrivals (order_id);

-- BOPIS readiness clock: placed -> READY_FOR_PICKUP, once per pickup fulfillment.
-- Recorded by a trigger so that every path that makes a pickup ready (fulfillmentUpdate,
-- a WMS over Kafka, the store pick list) is counted, with the clock of the change
-- (fulfillments.updated_at, which the Order aggregate's save sets to its `now`).
CREATE TABLE store_pickup_readiness (
    fulfillment_id uuid PRIMARY KEY REFERENCES fulfillments(id) ON DELETE CASCADE,
    order_id       uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    location_id    uuid NOT NULL REFERENCES locations(id),
    placed_at      timestamptz NOT NULL,
    ready_at       timestamptz NOT NULL,
    ready_seconds  bigint NOT NULL CHECK (ready_seconds >= 0)
);
CREATE INDEX store_pickup_readiness_location ON store_pickup_readiness (location_id, ready_at);

CREATE FUNCTION store_record_pickup_readiness() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO store_pickup_readiness
        (fulfillment_id, order_id, location_id, placed_at, ready_at, ready_seconds)
    SELECT NEW.id, NEW.order_id, NEW.location_id, o.created_at, NEW.updated_at,
           greatest(0, floor(extract(epoch FROM NEW.updated_at - o.created_at)))::bigint
      FROM orders o WHERE o.id = NEW.order_id
    ON CONFLICT (fulfillment_id) DO NOTHING;
    RETURN NEW;
END $$;

CREATE TRIGGER store_pickup_readiness AFTER UPDATE OF status ON fulfillments
    FOR EACH ROW
    WHEN (NEW.status = 'READY_FOR_PICKUP' AND OLD.status IS DISTINCT FROM NEW.status
          AND NEW.method = 'PICKUP')
    EXECUTE FUNCTION store_record_pickup_readiness();

-- Store pick lists: what was picked (or found short) of each fulfillment line.
CREATE TABLE store_pick_lines (
    fulfillment_id  uuid NOT NULL REFERENCES fulfillments(id) ON DELETE CASCADE,
    order_line_id   uuid NOT NULL REFERENCES order_lines(id) ON DELETE CASCADE,
    picked_quantity integer NOT NULL CHECK (picked_quantity >= 0),
    short_quantity  integer NOT NULL CHECK (short_quantity >= 0),
    picked_at       timestamptz NOT NULL,
    PRIMARY KEY (fulfillment_id, order_line_id)
);

-- The pick list of a store: open fulfillments of the store's methods, oldest promise first.
CREATE INDEX fulfillments_store_work
    ON fulfillments (location_id, (coalesce(promised_at, 'infinity'::timestamptz)), created_at, id)
    WHERE status IN ('ALLOCATED', 'PICKING')
      AND method IN ('PICKUP', 'SHIP_FROM_STORE', 'SAME_DAY');

-- Reserve in store: a customer's hold of items at a store, without payment, for a TTL.
-- The units are held by a reservation (the reservation machinery: the sweeper expires
-- it and puts the stock back); the hold says for whom and where.
CREATE TABLE store_holds (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    reservation_id uuid NOT NULL UNIQUE REFERENCES reservations(id),
    location_id    uuid NOT NULL REFERENCES locations(id),
    customer_id    uuid NOT NULL REFERENCES customers(id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    cancelled_at   timestamptz
);
CREATE INDEX store_holds_location ON store_holds (location_id, created_at);
CREATE INDEX store_holds_customer ON store_holds (customer_id);
