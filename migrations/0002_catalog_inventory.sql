-- Catalog and inventory (issue 4): richer products and variants, full-text search,
-- locations with capabilities, the stock ledger and reservations.

-- Catalog -----------------------------------------------------------------------------------

ALTER TABLE products
    ADD COLUMN vendor          text NOT NULL DEFAULT '',
    ADD COLUMN product_type    text NOT NULL DEFAULT '',
    ADD COLUMN tags            text[] NOT NULL DEFAULT '{}',
    ADD COLUMN media_urls      text[] NOT NULL DEFAULT '{}',
    ADD COLUMN seo_title       text,
    ADD COLUMN seo_description text;

-- array_to_string is only STABLE, so the generated column needs an IMMUTABLE wrapper.
CREATE FUNCTION ucg_tags_text(tags text[]) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN coalesce(array_to_string(tags, ' '), '');

ALTER TABLE products ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', coalesce(title, '')), 'A')
    || setweight(to_tsvector('simple', ucg_tags_text(tags)), 'B')
    || setweight(to_tsvector('simple', coalesce(vendor, '') || ' ' || coalesce(product_type, '')), 'B')
    || setweight(to_tsvector('simple', coalesce(description, '')), 'C')
) STORED;
CREATE INDEX products_search ON products USING gin (search);
CREATE INDEX products_title_id ON products (title, id);
CREATE INDEX products_created_id ON products (created_at, id);

ALTER TABLE variants
    ADD COLUMN options      jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(options) = 'array'),
    ADD COLUMN barcode      text,
    ADD COLUMN weight_grams integer CHECK (weight_grams >= 0);

CREATE INDEX prices_channel ON prices (channel_id);

-- Locations ---------------------------------------------------------------------------------

ALTER TABLE locations
    ADD COLUMN address            text NOT NULL DEFAULT '',
    ADD COLUMN opening_hours      text NOT NULL DEFAULT '',
    ADD COLUMN can_ship           boolean NOT NULL DEFAULT true,
    ADD COLUMN can_pickup         boolean NOT NULL DEFAULT false,
    ADD COLUMN same_day_radius_km double precision NOT NULL DEFAULT 0 CHECK (same_day_radius_km >= 0);

-- Stock -------------------------------------------------------------------------------------

-- Append-only: on_hand of a (sku, location) always equals the sum of its deltas.
CREATE TABLE stock_movements (
    id              bigserial PRIMARY KEY,
    sku             text NOT NULL,
    location_id     uuid NOT NULL REFERENCES locations(id),
    delta           integer NOT NULL CHECK (delta <> 0),
    reason          text NOT NULL CHECK (reason IN
                        ('RECEIVED', 'SOLD', 'RETURNED', 'DAMAGED', 'CYCLE_COUNT', 'CORRECTION', 'TRANSFER')),
    source          text NOT NULL,
    source_event_id text UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (sku, location_id) REFERENCES stock_levels(sku, location_id)
);
CREATE INDEX stock_movements_level ON stock_movements (sku, location_id, id);

CREATE FUNCTION stock_movements_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stock_movements is append-only';
END $$;
CREATE TRIGGER stock_movements_append_only BEFORE UPDATE OR DELETE ON stock_movements
    FOR EACH ROW EXECUTE FUNCTION stock_movements_append_only();

CREATE TABLE reservations (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    status      text NOT NULL DEFAULT 'ACTIVE'
                    CHECK (status IN ('ACTIVE', 'RELEASED', 'EXPIRED', 'COMMITTED')),
    reference   text,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reservations_expiring ON reservations (expires_at) WHERE status = 'ACTIVE';

CREATE TABLE reservation_lines (
    reservation_id uuid NOT NULL REFERENCES reservations(id) ON DELETE CASCADE,
    line           integer NOT NULL,
    sku            text NOT NULL,
    location_id    uuid NOT NULL REFERENCES locations(id),
    quantity       integer NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (reservation_id, line)
);
