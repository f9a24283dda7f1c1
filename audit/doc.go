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
// Each [Log] writes its own chain: entries numbered from 1, each carrying
// the hash of the one before it. One chain per writer (per process) means
// that writers never wait for each other: replicas on one PostgreSQL, or a
// server and a CLI command on one SQLite file, each append to their own.
// An entry's hash is an HMAC-SHA256, under a key derived from the audit key
// in the vault, of an unambiguous encoding of every other field, the link
// to its predecessor included. Someone with access to the database but not
// to the vault's master key can therefore not edit, insert or reorder
// entries and produce a chain that still verifies.
//
// Each chain also has a head row, written with its entries, naming its last
// Seq and hash, so that deleting entries at the end of a chain is detected
// too. What a chain cannot show on its own is a truncation that also rewinds
// the head to an earlier entry, or a chain deleted with its head: an
// operator who keeps the heads that [Verify] reports outside the database
// detects those as well.
//
// # Durability
//
// [Log.Record] returns once its entry is committed, so that a call's entry
// is durable before the call's answer leaves. A single goroutine per Log
// writes every entry pending at once in one transaction (group commit),
// then wakes every caller of that batch: many concurrent calls cost about
// one commit per batch, not one each. When a transaction fails, every caller
// of its batch gets the error and the chain continues from what the store
// holds.
//
// # Reading
//
// [List] pages through entries newest first with a keyset cursor (IDs sort
// by time, then chain, then seq), [Export] writes them as JSON Lines oldest
// first, and [Verify] walks every chain and reports the first edited,
// missing or reordered entry of each.
//
// # Keys
//
// The audit key is 32 random bytes in the vault under [KeyScope] and
// [KeyName], created by [New] on first use. Two keys derive from it by HMAC
// with distinct labels, one for entry hashes and one for input MACs, so a
// value of one kind never stands for the other.
package audit
