-- Issue 17: the console lists access tokens and API keys by the same masked form the CLI prints (`at-iFZKR***Ob1uq`,
-- TokenFormat.Mask), so a person can tell which secret is which. Only digests of the secrets are stored, so the mask
-- is kept at creation; it is not enough to use or guess the secret. Rows made before this migration have none.
ALTER TABLE access_tokens ADD COLUMN display_mask TEXT NULL;
ALTER TABLE api_keys ADD COLUMN display_mask TEXT NULL;
