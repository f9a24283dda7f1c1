-- API keys remember when they last authenticated a request, in
-- microseconds since the Unix epoch; NULL is never. Writing it records no
-- change: it is bookkeeping, not state any process reacts to.
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;

-- Listing and offboarding read a principal's keys.
CREATE INDEX api_keys_principal ON api_keys (principal, created_at, id);
