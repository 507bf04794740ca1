-- Issue 12: a sign-in whose tokens nobody ever used (a client refused them, e.g. codex pinned to another workspace,
-- and dropped them without revoking) must not stay live for the refresh token's whole life. `first_used_at` is set
-- the first time the grant's access token is presented or its refresh token is redeemed; grants still unused after
-- Latchkey:Lifetimes:UnclaimedSignIn are revoked (reason `unclaimed`). Grants that existed before this migration
-- count as used, so an upgrade never ends a sign-in someone holds.
ALTER TABLE grants ADD COLUMN first_used_at BIGINT NULL;
UPDATE grants SET first_used_at = created_at;
-- Which program signed in ("Codex CLI on Linux"), summarised from its User-Agent so two sign-ins can be told apart on
-- the Security page; the raw header is not kept (long, fingerprintable, chosen by the caller).
ALTER TABLE grants ADD COLUMN device TEXT NULL;
