-- Latchkey schema, PostgreSQL dialect. Times are Unix milliseconds (UTC). Secrets are SHA-256 digests
-- (base64url) or Data Protection ciphertext; nothing here can be replayed if the file leaks.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    normalized_email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    totp_secret_protected TEXT NULL,
    totp_enrolled_at BIGINT NULL,
    last_totp_step BIGINT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE login_throttle (
    throttle_key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT NULL
);

CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT NULL,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    plan_type TEXT NOT NULL,
    personal_owner_id TEXT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE workspace_members (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX ix_workspace_members_user ON workspace_members(user_id);

CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT NULL
);

CREATE TABLE grants (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT NULL,
    revoked_reason TEXT NULL
);
CREATE INDEX ix_grants_user ON grants(user_id);

CREATE TABLE authorization_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    scope TEXT NOT NULL,
    nonce TEXT NULL,
    auth_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    consumed_at BIGINT NULL,
    grant_id TEXT NULL
);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    consumed_at BIGINT NULL,
    replaced_by_hash TEXT NULL
);
CREATE INDEX ix_refresh_tokens_grant ON refresh_tokens(grant_id);

CREATE TABLE device_codes (
    device_code_hash TEXT PRIMARY KEY,
    user_code_hash TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    interval_seconds BIGINT NOT NULL,
    last_polled_at BIGINT NULL,
    status TEXT NOT NULL,
    user_id TEXT NULL,
    workspace_id TEXT NULL,
    auth_time BIGINT NULL,
    decided_at BIGINT NULL,
    grant_id TEXT NULL
);

CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    private_key_protected TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT NULL
);

CREATE TABLE data_protection_keys (
    friendly_name TEXT PRIMARY KEY,
    xml TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE audit_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    user_id TEXT NULL,
    workspace_id TEXT NULL,
    client_id TEXT NULL,
    ip_address TEXT NULL,
    detail TEXT NULL
);
CREATE INDEX ix_audit_events_time ON audit_events(occurred_at);
CREATE INDEX ix_audit_events_type ON audit_events(event_type);
