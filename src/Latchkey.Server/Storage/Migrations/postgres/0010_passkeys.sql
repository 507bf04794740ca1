-- Passkeys (WebAuthn Level 3): the schema the second-factor queries already count; enrolment and sign-in are not built yet. The credential id and public key are not secrets (the authenticator keeps the private
-- key); the signature counter is kept to notice a cloned authenticator (WebAuthn §6.1.1).
CREATE TABLE passkeys (
    credential_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    public_key TEXT NOT NULL,
    user_handle TEXT NOT NULL,
    sign_count BIGINT NOT NULL,
    aaguid TEXT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NULL
);
CREATE INDEX ix_passkeys_user ON passkeys(user_id);

-- A workspace may require phishing-resistant MFA (a passkey) of its members.
ALTER TABLE workspaces ADD COLUMN require_passkey BIGINT NOT NULL DEFAULT 0;
