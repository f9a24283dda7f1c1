package audit

import "context"

// Store keeps the audit: entries, and one head row per chain. Entries are
// append-only for the audit's own code; nothing here updates or deletes one.
// An append records nothing in the store's change feed: the audit grows
// with every call, and the feed is for changes that processes must react to.
// Implementations are safe for concurrent use.
type Store interface {
	// AppendAudit inserts entries, which are all of one chain with
	// consecutive Seq, and sets the chain's head to the last of them, with
	// headMAC as its MAC, in one durable transaction. It is conditional:
	// when the first Seq is 1 the chain must have no head row; otherwise
	// the head stored must be the first entry's predecessor (Seq-1, and
	// Hash equal to its PrevHash). When it is not, or an entry already
	// holds one of the Seq, nothing is written and the error is a
	// *switchboard.Error with CodeConflict. An empty headMAC is refused:
	// every head a store writes is authenticated.
	AppendAudit(ctx context.Context, entries []Entry, headMAC string) error

	// AuditHead returns the head row of chain, or a *switchboard.Error with
	// CodeNotFound when the chain has none.
	AuditHead(ctx context.Context, chain string) (ChainHead, error)

	// AuditHeads returns the head of every chain, ordered by chain name:
	// the rows of the heads, and, for a chain that has entries but no head
	// row, a ChainHead with LastSeq 0 and neither LastHash nor MAC.
	AuditHeads(ctx context.Context) ([]ChainHead, error)

	// AuditChain returns up to limit entries of chain with a Seq greater
	// than afterSeq, in order of Seq. limit is positive.
	AuditChain(ctx context.Context, chain string, afterSeq int64, limit int) ([]Entry, error)

	// QueryAudit returns up to f.Limit entries that match f, newest first
	// (by ID descending), or oldest first when f.Oldest is set.
	QueryAudit(ctx context.Context, f Filter) ([]Entry, error)
}

// ChainHead is where a chain ends: its last Seq and that entry's Hash,
// authenticated by MAC, an HMAC-SHA256 under the chain key of the chain's
// name, LastSeq and LastHash. The head is written with the entries, so a
// deletion at the end of a chain leaves a head that names an entry that is
// gone, and a head rewritten to name an earlier entry no longer matches its
// MAC. Heads written before heads had MACs have none.
type ChainHead struct {
	Chain    string
	LastSeq  int64
	LastHash string
	MAC      string
}

// Filter is a query as a [Store] runs it; [List] and [Export] build it from a
// validated [Query]. Empty fields do not filter.
type Filter struct {
	Actor       string
	Integration string
	Action      string
	Outcome     Outcome
	// After and Before bound the entry ID, both exclusive.
	After, Before string
	// Limit is positive.
	Limit int
	// Oldest orders by ID ascending instead of descending.
	Oldest bool
}
