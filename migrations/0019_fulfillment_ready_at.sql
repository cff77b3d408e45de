-- Issue 18, business SLIs: when a pickup became READY_FOR_PICKUP, so the BOPIS ready
-- time (order placed -> ready) can be measured per store from the data itself. Set by
-- the database on the transition (insert or update), whatever code changes the status.
ALTER TABLE fulfillments ADD COLUMN ready_at timestamptz;

CREATE FUNCTION fulfillments_ready_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'READY_FOR_PICKUP' AND NEW.ready_at IS NULL
       AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM 'READY_FOR_PICKUP') THEN
        NEW.ready_at := now();
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER fulfillments_ready_at BEFORE INSERT OR UPDATE OF status ON fulfillments
    FOR EACH ROW EXECUTE FUNCTION fulfillments_ready_at();

-- Pickups waiting now became ready at their last change; older ones are not known.
UPDATE fulfillments SET ready_at = updated_at WHERE status = 'READY_FOR_PICKUP';

-- Issue 18, traces: the W3C traceparent of the request that wrote an event, so the relay
-- publishes it as a Kafka header and one checkout is followed into the relay and the
-- consumers (NULL when tracing is off).
ALTER TABLE outbox ADD COLUMN traceparent text;
