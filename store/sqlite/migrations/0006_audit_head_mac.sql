-- Each audit chain's head carries a MAC: the hex HMAC-SHA256, under the
-- audit's chain key, of the chain, last_seq and last_hash, written with
-- every append, so that a head rewritten to name an earlier entry no
-- longer verifies. Heads written before this migration have none ('');
-- verify accepts such a head only when the entry it names is as old.
ALTER TABLE audit_heads ADD COLUMN mac TEXT NOT NULL DEFAULT '';
