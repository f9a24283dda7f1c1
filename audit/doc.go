// Package audit keeps an append-only, hash-chained record of every action
// call and every change to what Switchboard runs: deploys, configuration,
// keys, roles.
//
// # Entries
//
// An [Entry] says who (actor, and on whose behalf), where from (surface),
// what (event, integration, action), how it ended (outcome and error code),
// how long it took, under which request id, and with what input: an input is
// never stored, only its [Log.InputMAC], a keyed MAC of its canonical JSON,
// since a plain hash of a short input could be found by trying candidates.
// Details name things (config properties, a key id, a role), never values.
//
// # Chains
//
// A [Log] writes a chain: entries numbered from 1, each carrying the hash
// of the one before it. An entry's hash is an HMAC-SHA256, under a key
// derived from the audit key in the vault, of an unambiguous encoding of
// every other field, the link to its predecessor included. Someone with
// access to the database but not to the vault's master key can therefore
// not edit, insert or reorder entries and produce a chain that still
// verifies.
//
// Each chain also has a head row naming its last Seq and hash, written in
// the transaction that appends the entries, with a MAC of its own under
// the same key. So deleting entries at the end of a chain is detected (the
// head names an entry that is gone), a head rewritten to name an earlier
// entry is detected (it no longer matches its MAC), and so are entries
// inserted after the head (no writer ever leaves one there). Heads written
// before heads had MACs have none; [Verify] accepts such a head only when
// the entry it names is as old, and lists its chain in
// [Report.Unauthenticated].
//
// A Log given no chain name writes a chain of its own, with a random name,
// and so never waits for another writer: a long-running process (a server
// replica) should do that. A named chain is continued where it ends and
// may be shared: an append is conditional on the head it follows, and a
// writer whose append conflicts reads what the other writer appended,
// verifies each entry under the key, and chains its batch again on top,
// up to a bound, after which it moves to a new chain. Short-lived
// processes, such as one-shot commands, should share one named chain:
// their one or two entries each would otherwise make a chain of their own,
// which could be deleted whole without a trace.
//
// A writer never builds on an entry or a head it cannot verify. When its
// chain cannot be continued (an entry after its head that does not verify,
// a head moved with no entry to explain it, a named chain whose head or
// last entry does not verify or whose head predates head MACs) it logs
// which chain it leaves, at level Error when the chain was changed outside
// Switchboard, starts a new chain with a random name, and records there:
// recording never stops, and [Verify] reports what is wrong with the chain
// left behind.
//
// What the database cannot show on its own is a chain cut back together
// with its head row replaced by an older copy of itself (a head that
// verifies, taken from a backup or read earlier), a chain deleted whole
// with its head, and, for a chain whose head predates head MACs, a cut
// together with a rewritten head. [Verify] returns the head of every chain in
// [Report.Heads] (switchboard audit verify prints them): an operator who
// keeps those heads outside the database, and compares them with the next
// run's, detects both.
//
// # Durability
//
// [Log.Record] returns once its entry is committed, so that a call's entry
// is durable before the call's answer leaves. A single goroutine per Log
// writes every entry pending at once in one transaction (group commit),
// then wakes every caller of that batch: many concurrent calls cost about
// one commit per batch, not one each. When a transaction fails, every caller
// of its batch gets the error and the chain continues from what the store
// holds. Entries, heads and logs hold no value and no secret: inputs only
// as MACs, details as names.
//
// # Reading
//
// [List] pages through entries newest first with a keyset cursor (IDs sort
// by time, then chain, then seq), [Export] writes them as JSON Lines oldest
// first, and [Verify] walks every entry of every chain and reports the
// first edited, missing, reordered or added entry of each, or a head that
// does not match.
//
// # Keys
//
// The audit key is 32 random bytes in the vault under [KeyScope] and
// [KeyName], created by [New] on first use. Two keys derive from it by HMAC
// with distinct labels, one for entry hashes and one for input MACs, so a
// value of one kind never stands for the other.
package audit
