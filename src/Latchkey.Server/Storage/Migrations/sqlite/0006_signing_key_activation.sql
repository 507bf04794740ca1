-- Publish first, sign later: a rotated key is in JWKS (and in every instance's cache) before it signs.
-- NULL: active from creation (keys made before this migration).
ALTER TABLE signing_keys ADD COLUMN activate_at BIGINT NULL;
