package audit

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"hash"

	"github.com/switchboard-dev/switchboard"
)

// ProblemKind classifies what [Verify] found wrong with a chain.
type ProblemKind string

// The kinds of problem.
const (
	// ProblemEdited: an entry's fields no longer match its hash.
	ProblemEdited ProblemKind = "edited"
	// ProblemMissing: entries are gone, in the middle of a chain or at its
	// end (the head names an entry that is not there).
	ProblemMissing ProblemKind = "missing"
	// ProblemOutOfOrder: an entry stands where it was not written, moved or
	// swapped with another, or does not link to the entry before it.
	ProblemOutOfOrder ProblemKind = "out_of_order"
	// ProblemHead: a chain's head row is missing, does not match its last
	// entry, or does not match its MAC (rewritten).
	ProblemHead ProblemKind = "head_mismatch"
	// ProblemBeyondHead: entries lie after the entry that the chain's head
	// names. A writer moves the head in the transaction that adds the
	// entries, so none of its entries is ever there: they were added
	// outside Switchboard, or the head was set back.
	ProblemBeyondHead ProblemKind = "beyond_head"
)

// Problem is the first thing wrong with one chain: where (the chain, the
// Seq at which the chain stops being trustworthy, and the ID of the entry
// found there, if any) and what.
type Problem struct {
	Chain   string
	Seq     int64
	ID      string
	Kind    ProblemKind
	Message string
}

// String describes p on one line.
func (p Problem) String() string {
	id := ""
	if p.ID != "" {
		id = " (" + p.ID + ")"
	}
	return fmt.Sprintf("chain %s seq %d%s: %s: %s", p.Chain, p.Seq, id, p.Kind, p.Message)
}

// Report is the result of [Verify]: what was checked, the heads it checked
// against, and the first problem of each chain that has one.
type Report struct {
	Chains  int
	Entries int64
	// Heads are the chains' heads as checked. An operator who keeps them
	// outside the database can later detect what no chain can show on its
	// own: a chain truncated together with its head row set back to an
	// earlier one, or a chain deleted whole.
	Heads []ChainHead
	// Unauthenticated names the chains whose head was written before heads
	// had MACs (their last entry is as old): they verify, but a deletion
	// at their end together with a rewritten head would not show. They are
	// not problems; no writer continues such a chain.
	Unauthenticated []string
	Problems        []Problem
}

// OK reports whether every chain verified.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// verifyPage is how many entries Verify reads at a time.
const verifyPage = 1000

// Verify checks every entry of every chain of s, in order of Seq, a page at
// a time: each entry's hash under the audit key of v, the continuity of
// Seq, each link to the entry before, and the head: that it names the last
// entry and matches its MAC. A head without a MAC passes only when its
// entry was written before heads had MACs (see [Report.Unauthenticated]).
// Entries after the one the head names are a problem ([ProblemBeyondHead]),
// unless the head, read again once they are seen, has moved past them: a
// writer committed while Verify ran. It reports the first problem of each chain and goes on to the
// next; chains begun after it read the heads are left for the next run. An
// error means the check could not be made: the store failed, or the store
// holds entries but v holds no audit key ([ErrNoKey]). Verify never
// creates a key and never writes.
func Verify(ctx context.Context, s Store, v Vault) (Report, error) {
	heads, err := s.AuditHeads(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("verify audit: %w", err)
	}
	r := Report{Chains: len(heads), Heads: heads}
	if len(heads) == 0 {
		return r, nil
	}
	k, err := loadKeys(ctx, v, rand.Reader, false)
	if err != nil {
		return Report{}, fmt.Errorf("verify audit: %w", err)
	}

	c := checker{store: s, mac: hmac.New(sha256.New, k.chain)}
	for i, h := range heads {
		res, err := c.chain(ctx, h)
		if err != nil {
			return Report{}, fmt.Errorf("verify audit chain %s: %w", h.Chain, err)
		}
		r.Heads[i] = res.head
		r.Entries += res.entries
		if res.problem != nil {
			r.Problems = append(r.Problems, *res.problem)
		} else if res.legacy {
			r.Unauthenticated = append(r.Unauthenticated, h.Chain)
		}
	}
	return r, nil
}

// checker walks chains.
type checker struct {
	store Store
	mac   hash.Hash
}

// walk is how far a chain has verified: n entries, the last of them with
// hash prev, written before heads had MACs when legacy is set.
type walk struct {
	chain  string
	n      int64
	prev   string
	legacy bool
	// beyond is the first entry found after the head's, if any.
	beyond *Entry
}

// result is what checking one chain found.
type result struct {
	head    ChainHead // the last checked: read again when entries lay beyond one
	entries int64
	problem *Problem
	legacy  bool // the head verified but was written before head MACs
}

// chain checks every entry of the chain of head, and the head, and returns
// the first problem, if any.
func (c checker) chain(ctx context.Context, head ChainHead) (result, error) {
	w := &walk{chain: head.Chain}
	for {
		p, err := c.walk(ctx, w, head.LastSeq)
		if err == nil && p == nil {
			p = c.end(head, w)
		}
		res := result{head: head, entries: w.n, problem: p}
		if err != nil || p != nil || w.beyond == nil {
			res.legacy = p == nil && head.MAC == ""
			return res, err
		}

		// A writer may have appended since the head was read. Its entries
		// and head commit together, so a head read now, after the entry
		// was seen, names that entry or a later one.
		fresh, err := c.head(ctx, head.Chain)
		if err != nil {
			return res, err
		}
		if fresh.LastSeq < w.beyond.Seq {
			res.problem = c.beyond(head, w)
			return res, nil
		}
		head, w.beyond = fresh, nil
	}
}

// head reads the head of chain again; a chain without a head row has
// LastSeq 0.
func (c checker) head(ctx context.Context, chain string) (ChainHead, error) {
	h, err := c.store.AuditHead(ctx, chain)
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
		return ChainHead{Chain: chain}, nil
	}
	return h, err
}

// walk checks the entries of w's chain after the n it has verified, up to
// seq last (to the end when last is 0), and stops at the first problem or
// at the first entry after last, which it keeps in w.beyond.
func (c checker) walk(ctx context.Context, w *walk, last int64) (*Problem, error) {
	for {
		page, err := c.store.AuditChain(ctx, w.chain, w.n, verifyPage)
		if err != nil {
			return nil, err
		}
		for i := range page {
			e := &page[i]
			if last > 0 && e.Seq > last {
				w.beyond = e
				return nil, nil
			}
			p, legacy := c.entry(e, w.chain, w.n+1, w.prev)
			if p != nil {
				return p, nil
			}
			w.n, w.prev, w.legacy = e.Seq, e.Hash, legacy
		}
		if len(page) < verifyPage {
			return nil, nil
		}
	}
}

// entry checks e, found where seq want should be, after an entry whose
// hash is prev, and reports whether it was written before heads had MACs.
func (c checker) entry(e *Entry, chain string, want int64, prev string) (*Problem, bool) {
	p := &Problem{Chain: chain, Seq: want, ID: e.ID}
	idChain, idSeq, ok := parseID(e.ID)
	valid := hmac.Equal([]byte(entryHash(c.mac, e)), []byte(e.Hash))
	legacy := !valid && hmac.Equal([]byte(legacyHash(c.mac, e)), []byte(e.Hash))
	valid = valid || legacy
	switch {
	case e.Seq != want:
		p.Kind, p.ID = ProblemMissing, ""
		p.Message = fmt.Sprintf("entries %d to %d are missing (deleted); the next one is %s",
			want, e.Seq-1, e.ID)
	case ok && idChain == chain && idSeq != want:
		p.Kind = ProblemOutOfOrder
		p.Message = fmt.Sprintf("the entry here was written at seq %d (moved or swapped)", idSeq)
	case !valid && e.PrevHash != prev:
		p.Kind = ProblemOutOfOrder
		p.Message = "the entry here does not match its hash and names another " +
			"predecessor (moved, swapped or edited)"
	case !valid:
		p.Kind = ProblemEdited
		p.Message = "its fields do not match its hash (edited)"
	case e.PrevHash != prev:
		p.Kind = ProblemOutOfOrder
		p.Message = "it does not link to the entry before it"
	default:
		return nil, legacy
	}
	return p, false
}

// end checks the head of a chain whose entries verified up to w.n.
func (c checker) end(head ChainHead, w *walk) *Problem {
	p := &Problem{Chain: head.Chain, Seq: w.n}
	switch {
	case head.LastSeq == 0:
		p.Kind = ProblemHead
		p.Message = "the chain has entries but no head row (deleted)"
	case w.n < head.LastSeq:
		p.Kind, p.Seq = ProblemMissing, w.n+1
		p.Message = fmt.Sprintf("entries %d to %d, at the end of the chain, are missing (deleted)",
			w.n+1, head.LastSeq)
	case w.n > head.LastSeq:
		p.Kind = ProblemHead
		p.Message = fmt.Sprintf("the head went back to seq %d while the chain was checked",
			head.LastSeq)
	case !hmac.Equal([]byte(w.prev), []byte(head.LastHash)):
		p.Kind = ProblemHead
		p.Message = "the head's hash does not match the chain's last entry"
	case head.MAC == "" && w.legacy:
		return nil // written before heads had MACs
	case head.MAC == "":
		p.Kind = ProblemHead
		p.Message = "the head has no MAC, yet its entry was written with one " +
			"(head rewritten outside Switchboard)"
	case !hmac.Equal([]byte(headMAC(c.mac, head)), []byte(head.MAC)):
		p.Kind = ProblemHead
		p.Message = "the head does not match its MAC (rewritten outside Switchboard)"
	default:
		return nil
	}
	return p
}

// beyond is the problem of entries found after the entry that a verified
// head names, whose first is w.beyond.
func (c checker) beyond(head ChainHead, w *walk) *Problem {
	e := w.beyond
	p := &Problem{Chain: head.Chain, Seq: e.Seq, ID: e.ID, Kind: ProblemBeyondHead}
	if bad, _ := c.entry(e, head.Chain, w.n+1, w.prev); bad != nil {
		p.Message = fmt.Sprintf("it lies after the chain's head (seq %d) and is no valid "+
			"continuation of it (%s): added outside Switchboard", head.LastSeq, bad.Kind)
		return p
	}
	p.Message = fmt.Sprintf("it verifies but lies after the chain's head (seq %d): "+
		"the head row was replaced by an older one", head.LastSeq)
	return p
}
