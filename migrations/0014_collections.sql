-- Storefront discovery (issue 15): collections (manual or rule-based, nested, published per
-- channel) and product media (images with alt text and size, a variant's own image).

CREATE TABLE collections (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    handle          text NOT NULL UNIQUE,
    title           text NOT NULL,
    description     text NOT NULL DEFAULT '',
    parent_id       uuid REFERENCES collections(id) ON DELETE RESTRICT,
    -- Conditions a product must all meet ([] = a manual collection: its products are listed).
    rules           jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(rules) = 'array'),
    sort_key        text NOT NULL DEFAULT 'MANUAL',
    sort_reverse    boolean NOT NULL DEFAULT false,
    position        integer NOT NULL DEFAULT 0,
    image_url       text,
    image_alt_text  text,
    seo_title       text,
    seo_description text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS DISTINCT FROM id)
);
CREATE INDEX collections_parent ON collections (parent_id, position, title);
CREATE INDEX collections_title_id ON collections (title, id);

CREATE TABLE collection_products (
    collection_id uuid NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    product_id    uuid NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    position      integer NOT NULL,
    PRIMARY KEY (collection_id, product_id)
);
CREATE INDEX collection_products_product ON collection_products (product_id);

CREATE TABLE collection_channels (
    collection_id uuid NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    channel_id    uuid NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    PRIMARY KEY (collection_id, channel_id)
);

CREATE TABLE product_images (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    product_id uuid NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    url        text NOT NULL,
    alt_text   text NOT NULL DEFAULT '',
    width      integer CHECK (width > 0),
    height     integer CHECK (height > 0),
    position   integer NOT NULL,
    UNIQUE (product_id, position)
);

ALTER TABLE variants ADD COLUMN image_id uuid REFERENCES product_images(id) ON DELETE SET NULL;

-- Best-selling order: units sold per product, from the order lines.
CREATE INDEX order_lines_variant ON order_lines (variant_id);
