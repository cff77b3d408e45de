-- Search that forgives typos and accents (issue 15): the catalog's words with their counts,
-- kept up to date by a trigger, for spelling correction and predictive search; the search
-- vector is built from unaccented text.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;

-- unaccent() is only STABLE (its dictionary could change); a generated column needs IMMUTABLE.
CREATE FUNCTION ucg_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN unaccent('unaccent'::regdictionary, $1);

ALTER TABLE products DROP COLUMN search;
ALTER TABLE products ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', ucg_unaccent(coalesce(title, ''))), 'A')
    || setweight(to_tsvector('simple', ucg_unaccent(ucg_tags_text(tags))), 'B')
    || setweight(to_tsvector('simple', ucg_unaccent(coalesce(vendor, '') || ' ' || coalesce(product_type, ''))), 'B')
    || setweight(to_tsvector('simple', ucg_unaccent(coalesce(description, ''))), 'C')
) STORED;
CREATE INDEX products_search ON products USING gin (search);

-- Every word of the ACTIVE products' search vectors, with how many products have it.
CREATE TABLE search_terms (
    term     text PRIMARY KEY,
    products integer NOT NULL CHECK (products >= 0)
);
CREATE INDEX search_terms_trgm ON search_terms USING gin (term gin_trgm_ops);
CREATE INDEX search_terms_prefix ON search_terms (term text_pattern_ops);
INSERT INTO search_terms (term, products)
    SELECT word, ndoc FROM ts_stat('SELECT search FROM products WHERE status = ''ACTIVE''');

CREATE FUNCTION ucg_search_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'ACTIVE' THEN
        UPDATE search_terms SET products = products - 1
         WHERE term = ANY (tsvector_to_array(OLD.search));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'ACTIVE' THEN
        INSERT INTO search_terms (term, products)
            SELECT unnest(tsvector_to_array(NEW.search)), 1
        ON CONFLICT (term) DO UPDATE SET products = search_terms.products + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER products_search_terms
    AFTER INSERT OR DELETE OR UPDATE OF title, tags, vendor, product_type, description, status
    ON products FOR EACH ROW EXECUTE FUNCTION ucg_search_terms();
