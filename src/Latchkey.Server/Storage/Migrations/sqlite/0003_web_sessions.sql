-- Server-side web sessions (ASVS 5.0 §7.2, §7.4): the session cookie carries only a random secret; this table holds its
-- SHA-256 digest, so logout, "sign out everywhere" and a password change can end a session at once, and a copy of the
-- cookie is refused from then on. `id` is a separate public handle the Security page shows and posts; it opens nothing.
CREATE TABLE web_sessions (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    auth_time BIGINT NOT NULL,
    mfa_method TEXT NOT NULL,
    device TEXT NULL,
    ip_address TEXT NULL,
    ended_at BIGINT NULL,
    ended_reason TEXT NULL
);
CREATE INDEX ix_web_sessions_user ON web_sessions(user_id);
CREATE INDEX ix_web_sessions_expires ON web_sessions(expires_at);
