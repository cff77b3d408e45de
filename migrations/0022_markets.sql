-- Markets and languages (issue 15 item 7): a market sells to some countries in one currency
-- from one price list (a channel's prices in that currency), with or without tax in its
-- prices, in some languages. Translations of product and collection texts; a cart keeps the
-- market (and language) it was created in.

CREATE TABLE markets (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    handle           text NOT NULL UNIQUE CHECK (handle ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name             text NOT NULL,
    currency_code    char(3) NOT NULL CHECK (currency_code ~ '^[A-Z]{3}$'),
    price_channel_id uuid NOT NULL REFERENCES channels(id),
    tax_inclusive    boolean NOT NULL,
    languages        text[] NOT NULL CHECK (cardinality(languages) > 0),
    default_language text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (default_language = ANY (languages))
);

-- A country is in one market at most: the buyer's country names the market.
CREATE TABLE market_countries (
    country_code char(2) PRIMARY KEY CHECK (country_code ~ '^[A-Z]{2}$'),
    market_id    uuid NOT NULL REFERENCES markets(id) ON DELETE CASCADE,
    position     integer NOT NULL
);
CREATE INDEX market_countries_market ON market_countries (market_id, position);

CREATE TABLE translations (
    resource_kind text NOT NULL CHECK (resource_kind IN ('PRODUCT', 'COLLECTION')),
    resource_id   uuid NOT NULL,
    language      text NOT NULL CHECK (language ~ '^[a-z]{2,3}(-[A-Z]{2})?$'),
    key           text NOT NULL CHECK (key IN ('title', 'description')),
    value         text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    -- Searched with the texts as written (products(query:), predictiveSearch): a shopper
    -- may type "regenjacke".
    search        tsvector GENERATED ALWAYS AS (to_tsvector('simple', ucg_unaccent(value))) STORED,
    PRIMARY KEY (resource_id, language, key)
);
CREATE INDEX translations_search ON translations USING gin (search);

ALTER TABLE carts ADD COLUMN market_id uuid REFERENCES markets(id);
ALTER TABLE carts ADD COLUMN language text;
