package audit

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"hash"
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
	// ProblemHead: a chain's head row is missing or does not match its
	// last entry.
	ProblemHead ProblemKind = "head_mismatch"
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
	// Heads are the chains' heads as read. An operator who keeps them
	// outside the database can later detect what no chain can show on its
	// own: a chain truncated together with its head, or deleted whole.
	Heads    []ChainHead
	Problems []Problem
}

// OK reports whether every chain verified.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// verifyPage is how many entries Verify reads at a time.
const verifyPage = 1000

// Verify checks every chain of s, in order of Seq, a page at a time: each
// entry's hash under the audit key of v, the continuity of Seq, each link
// to the entry before, and the head. It reports the first problem of each
// chain and goes on to the next. Entries appended while it runs, after the
// heads it read, are left for the next run. An error means the check could
// not be made: the store failed, or the store holds entries but v holds no
// audit key ([ErrNoKey]). Verify never creates a key and never writes.
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
	for _, h := range heads {
		p, n, err := c.chain(ctx, h)
		if err != nil {
			return Report{}, fmt.Errorf("verify audit chain %s: %w", h.Chain, err)
		}
		r.Entries += n
		if p != nil {
			r.Problems = append(r.Problems, *p)
		}
	}
	return r, nil
}

// checker walks chains.
type checker struct {
	store Store
	mac   hash.Hash
}

// chain walks the chain of head up to head.LastSeq (to its end when it has
// no head row) and returns its first problem and how many entries it
// checked.
func (c checker) chain(ctx context.Context, head ChainHead) (*Problem, int64, error) {
	var n int64
	prev := ""
	for {
		page, err := c.store.AuditChain(ctx, head.Chain, n, verifyPage)
		if err != nil {
			return nil, n, err
		}
		for i := range page {
			e := &page[i]
			if head.LastSeq > 0 && e.Seq > head.LastSeq {
				return c.end(head, n, prev), n, nil // appended after the heads were read
			}
			if p := c.entry(e, head.Chain, n+1, prev); p != nil {
				return p, n, nil
			}
			prev = e.Hash
			n++
		}
		if len(page) < verifyPage {
			return c.end(head, n, prev), n, nil
		}
	}
}

// entry checks e, found where seq want should be, after an entry whose
// hash is prev.
func (c checker) entry(e *Entry, chain string, want int64, prev string) *Problem {
	p := &Problem{Chain: chain, Seq: want, ID: e.ID}
	idChain, idSeq, ok := parseID(e.ID)
	valid := hmac.Equal([]byte(entryHash(c.mac, e)), []byte(e.Hash))
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
		return nil
	}
	return p
}

// end checks the head of a chain whose entries verified up to seq last,
// whose hash is lastHash.
func (c checker) end(head ChainHead, last int64, lastHash string) *Problem {
	p := &Problem{Chain: head.Chain, Seq: last}
	switch {
	case head.LastSeq == 0:
		p.Kind = ProblemHead
		p.Message = "the chain has entries but no head row (deleted)"
	case last < head.LastSeq:
		p.Kind, p.Seq = ProblemMissing, last+1
		p.Message = fmt.Sprintf("entries %d to %d, at the end of the chain, are missing (deleted)",
			last+1, head.LastSeq)
	case !hmac.Equal([]byte(lastHash), []byte(head.LastHash)):
		p.Kind = ProblemHead
		p.Message = "the head's hash does not match the chain's last entry"
	default:
		return nil
	}
	return p
}
