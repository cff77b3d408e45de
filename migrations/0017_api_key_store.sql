-- An API key may be bound to one store (a POS till, a store app): it then works only at
-- that location for the store operations (issue 17). NULL: not bound to a store.
ALTER TABLE api_keys ADD COLUMN location_id uuid REFERENCES locations(id);
