-- Passkeys, built: the transports an authenticator reported (sent back in allowCredentials so the browser knows how to
-- reach it, WebAuthn L3 §5.8.3), and the ceremony challenges. A challenge is stored server-side so any instance can
-- finish a ceremony another began; its row is deleted when used (single use), and found only through the digest of a
-- random value held in the browser's ceremony cookie (bound to that browser), for a few minutes.
ALTER TABLE passkeys ADD COLUMN transports TEXT NULL;

CREATE TABLE webauthn_challenges (
    handle_hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    user_id TEXT NULL REFERENCES users(id) ON DELETE CASCADE,
    options TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX ix_webauthn_challenges_expires ON webauthn_challenges(expires_at);
