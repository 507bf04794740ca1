-- ASVS 5.0 §7.4.2: an operator can disable an account. Disabling ends every web session, revokes every grant and
-- access token of the account, and refuses its sign-ins until the operator enables it again.
ALTER TABLE users ADD COLUMN disabled_at BIGINT NULL;
