-- The relay prunes published outbox rows after the retention period; afterSequence replay reads
-- one aggregate's events by sequence (served by the unique (aggregate_type, aggregate_id, sequence)).
CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL;
