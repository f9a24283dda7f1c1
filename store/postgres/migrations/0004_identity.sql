-- API keys remember when they last authenticated a request; NULL is never.
-- Writing it records no change: it is bookkeeping, not state any replica
-- reacts to.
ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz;

-- Listing and offboarding read a principal's keys.
CREATE INDEX api_keys_principal ON api_keys (principal, created_at, id);
