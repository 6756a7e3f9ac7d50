-- 0020: Idempotency-Key of the HTTP submission API (docs/http-api.md). The first request with a
-- key claims its row (status NULL while it is in flight); its answer is kept, and for 24 hours
-- the same key with the same request gets that answer again without a second message, and with a
-- different request a 422. An answer of 5xx (nothing sent) gives the row up, so a retry sends.
CREATE TABLE api_idempotency (
    api_key_id       uuid NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    idempotency_key  text NOT NULL,
    request_digest   text NOT NULL,             -- SHA-256 of the method, path and body
    status           int,                       -- the answer's HTTP status; NULL while in flight
    content_type     text,
    headers          jsonb,                     -- [[name, value], ...] of the answer
    body             text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (api_key_id, idempotency_key)
);
CREATE INDEX api_idempotency_created_idx ON api_idempotency (created_at);
