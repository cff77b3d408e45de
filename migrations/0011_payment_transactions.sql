-- Issue 13: every call to the payment service is a row of ours, written in the
-- transaction that decides it; and the built-in test provider's own state, so that
-- capture/void/refund work from any process and after a restart.

CREATE TABLE payment_transactions (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind               text NOT NULL CHECK (kind IN ('AUTHORIZE', 'CAPTURE', 'VOID', 'REFUND')),
    -- AUTHORIZE rows: PENDING (asked, answer not recorded yet), AUTHORIZED, FAILED, VOIDED.
    -- Other kinds are written once the service has answered: SUCCEEDED.
    state              text NOT NULL CHECK (state IN ('PENDING', 'AUTHORIZED', 'FAILED', 'VOIDED', 'SUCCEEDED')),
    provider           text NOT NULL,
    idempotency_key    text NOT NULL,          -- ours
    provider_key       text NOT NULL,          -- sent to the provider, derived from ours
    authorization_id   text,                   -- the provider's authorization reference
    provider_reference text,                   -- the capture / refund reference
    order_id           uuid REFERENCES orders(id) ON DELETE SET NULL,
    amount_minor       bigint NOT NULL CHECK (amount_minor >= 0),
    currency_code      char(3) NOT NULL,
    failure_code       text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, idempotency_key),
    CHECK ((kind = 'AUTHORIZE') = (state IN ('PENDING', 'AUTHORIZED', 'FAILED', 'VOIDED')))
);
CREATE INDEX payment_transactions_order ON payment_transactions (order_id);
-- The orphan sweeper: authorizations whose order never committed.
CREATE INDEX payment_transactions_orphans ON payment_transactions (created_at)
    WHERE kind = 'AUTHORIZE' AND order_id IS NULL AND state IN ('PENDING', 'AUTHORIZED');

-- The test provider (datasources/payments/postgres_provider.py): it stands in for an
-- external service, so only it reads or writes these.
CREATE TABLE test_provider_authorizations (
    id             text PRIMARY KEY,
    currency_code  char(3) NOT NULL,
    amount_minor   bigint NOT NULL,
    captured_minor bigint NOT NULL DEFAULT 0,
    refunded_minor bigint NOT NULL DEFAULT 0,
    voided         boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE test_provider_replies (
    operation       text NOT NULL,
    idempotency_key text NOT NULL,
    request         text NOT NULL,
    reply           jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (operation, idempotency_key)
);
