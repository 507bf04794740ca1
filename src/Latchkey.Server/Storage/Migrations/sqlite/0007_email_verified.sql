-- OIDC Core §5.1: email_verified is true only when the address was really verified. Existing users have not been:
-- the column starts NULL for everyone and is set only by a verification (the operator's `verify-email` command).
ALTER TABLE users ADD COLUMN email_verified_at BIGINT NULL;
