-- Workspaces become governable: policies, custom roles, invitations, automation access tokens, API keys.
-- Flags are 0/1 integers in both engines so the repositories read them the same way.

ALTER TABLE workspaces ADD COLUMN local_access_enabled INTEGER NOT NULL DEFAULT 1;
ALTER TABLE workspaces ADD COLUMN device_sign_in_enabled INTEGER NOT NULL DEFAULT 1;
ALTER TABLE workspaces ADD COLUMN member_access_tokens_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workspaces ADD COLUMN access_token_max_days INTEGER NULL;
ALTER TABLE workspaces ADD COLUMN audit_retention_days INTEGER NULL;
ALTER TABLE workspaces ADD COLUMN api_usage_retention_days INTEGER NULL;

ALTER TABLE users ADD COLUMN device_sign_in_disabled INTEGER NOT NULL DEFAULT 0;

CREATE TABLE custom_roles (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    permissions TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    email TEXT NULL,
    role TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_at BIGINT NULL,
    accepted_by TEXT NULL,
    revoked_at BIGINT NULL
);
CREATE INDEX ix_invitations_workspace ON invitations(workspace_id);

CREATE TABLE access_tokens (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NULL,
    last_used_at BIGINT NULL,
    last_used_ip TEXT NULL,
    revoked_at BIGINT NULL,
    revoked_by TEXT NULL,
    revoked_reason TEXT NULL,
    replaces_id TEXT NULL
);
CREATE INDEX ix_access_tokens_workspace ON access_tokens(workspace_id, user_id);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NULL,
    revoked_at BIGINT NULL,
    revoked_by TEXT NULL
);
CREATE INDEX ix_api_keys_workspace ON api_keys(workspace_id);

CREATE INDEX ix_audit_events_workspace ON audit_events(workspace_id, occurred_at);
CREATE INDEX ix_audit_events_user ON audit_events(user_id, occurred_at);
