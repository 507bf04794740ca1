-- Single sign-on with upstream OpenID Connect providers (issue 16).
-- An account created through single sign-on has no password: users.password_hash is the empty string, which no
-- password verifies (AccountService checks for it before hashing).

-- An upstream identity is the pair (issuer, subject) (OIDC Core §2, §5.7): the only claims a provider promises are
-- stable and unique. The email is kept for display only and is never used to find the account.
CREATE TABLE external_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    provider TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email TEXT NULL,
    email_verified BIGINT NOT NULL DEFAULT 0,
    linked_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX ix_external_identities_user ON external_identities(user_id);

-- How the person signed in (RFC 8176 `amr` values, space-separated), carried from the web session to the
-- authorization code or device approval and on to the grant, so every token of a sign-in says the same.
-- NULL on rows from before this migration: they were all password + second factor.
ALTER TABLE web_sessions ADD COLUMN amr TEXT NULL;
ALTER TABLE authorization_codes ADD COLUMN amr TEXT NULL;
ALTER TABLE device_codes ADD COLUMN amr TEXT NULL;
ALTER TABLE grants ADD COLUMN amr TEXT NULL;

-- Email domains a workspace has claimed for single sign-on. A claim counts only once the operator confirmed it
-- (verified_at): DNS TXT proof needs the internet, so the operator checks ownership out of band and runs
-- `confirm-sso-domain`. One workspace per domain.
CREATE TABLE workspace_sso_domains (
    domain TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    require_sso BIGINT NOT NULL DEFAULT 0,
    jit_role TEXT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    verified_at BIGINT NULL
);
CREATE INDEX ix_workspace_sso_domains_workspace ON workspace_sso_domains(workspace_id);
