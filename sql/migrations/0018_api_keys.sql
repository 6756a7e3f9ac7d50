-- 0018: API keys of the HTTP submission API (`waybill api-keys create|list|revoke`).
-- A key is stored as the SHA-256 digest of its secret (core/api/api_key.h); `shown` is its first
-- 12 characters, for telling keys apart. A key sends only From addresses in its sender_domains
-- (lower-case, IDNs as A-labels). Revoked keys stay, with revoked_at, so logs and reports that
-- name them still resolve.
CREATE TABLE api_keys (
    id              uuid PRIMARY KEY,
    name            text NOT NULL,
    digest          text NOT NULL UNIQUE CHECK (digest ~ '^[0-9a-f]{64}$'),
    shown           text NOT NULL,
    sender_domains  text[] NOT NULL CHECK (cardinality(sender_domains) > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz,
    revoked_at      timestamptz
);
-- One live key per name: a name says which application a key belongs to.
CREATE UNIQUE INDEX api_keys_live_name_idx ON api_keys (name) WHERE revoked_at IS NULL;
