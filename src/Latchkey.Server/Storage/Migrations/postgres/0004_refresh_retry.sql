-- Refresh retries (docs/server-security.md, "Refresh rotation"): who rotated a token, and the successor kept
-- encrypted with Data Protection only while it is unused and inside the retry window.
ALTER TABLE refresh_tokens ADD COLUMN rotated_by_ip TEXT NULL;
ALTER TABLE refresh_tokens ADD COLUMN sealed_secret TEXT NULL;
