-- Installed integrations remember, per action id, when each action was
-- first deployed: a JSON object of stamps drawn from installed_seq, kept by
-- the actions a redeploy keeps. Tool names follow these stamps, so that a
-- redeploy never takes a name another integration's action already has.
-- Rows from before this migration hold NULL: their actions count as
-- deployed before any stamped one, and keep the names they had.
ALTER TABLE installed ADD COLUMN action_since jsonb;
