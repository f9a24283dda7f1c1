package audit

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"slices"
	"sync"

	"github.com/switchboard-dev/switchboard"
)

// Test-only access to internals, for the external tests.

// Pending returns how many entries wait for the writer.
func (l *Log) Pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	if l.open != nil {
		n = len(l.open.entries)
	}
	for _, b := range l.ready {
		n += len(b.entries)
	}
	return n
}

// HashEntry returns e's hash under the chain key derived from seed.
func HashEntry(seed []byte, e Entry) string {
	return entryHash(hmac.New(sha256.New, derive(seed, labelChain)), &e)
}

// LegacyHash returns e's hash as written before heads had MACs.
func LegacyHash(seed []byte, e Entry) string {
	return legacyHash(hmac.New(sha256.New, derive(seed, labelChain)), &e)
}

// HeadMAC returns h's MAC under the chain key derived from seed.
func HeadMAC(seed []byte, h ChainHead) string {
	return headMAC(hmac.New(sha256.New, derive(seed, labelChain)), h)
}

// AppendAttempts exposes appendAttempts.
const AppendAttempts = appendAttempts

// Canonical exposes canonical.
func Canonical(b []byte) ([]byte, bool) { return canonical(b) }

// FormatID and ParseID expose the id format.
var (
	FormatID = formatID
	ParseID  = parseID
)

// MemVault is an in-memory Vault.
type MemVault struct {
	mu      sync.Mutex
	secrets map[string][]byte
	// GetErr, when set, is returned by every Get.
	GetErr error
}

// Get returns a copy of the value of scope/name, or CodeNotFound.
func (v *MemVault) Get(_ context.Context, scope, name string) ([]byte, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.GetErr != nil {
		return nil, v.GetErr
	}
	b, ok := v.secrets[scope+"/"+name]
	if !ok {
		return nil, switchboard.Errorf(switchboard.CodeNotFound, "secret %s is not set", name)
	}
	return slices.Clone(b), nil
}

// Put stores a copy of plaintext as scope/name.
func (v *MemVault) Put(_ context.Context, scope, name string, plaintext []byte) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.secrets == nil {
		v.secrets = map[string][]byte{}
	}
	v.secrets[scope+"/"+name] = slices.Clone(plaintext)
	return nil
}

// Create stores a copy of plaintext as scope/name unless it is set, and
// returns CodeConflict then.
func (v *MemVault) Create(_ context.Context, scope, name string, plaintext []byte) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.secrets[scope+"/"+name]; ok {
		return switchboard.Errorf(switchboard.CodeConflict, "secret %s exists", name)
	}
	if v.secrets == nil {
		v.secrets = map[string][]byte{}
	}
	v.secrets[scope+"/"+name] = slices.Clone(plaintext)
	return nil
}

// Len returns how many secrets v holds.
func (v *MemVault) Len() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.secrets)
}

// MemStore is an in-memory Store of chains, with hooks; QueryAudit is not
// supported. Its zero value is empty and ready.
type MemStore struct {
	mu      sync.Mutex
	chains  map[string][]Entry
	heads   map[string]ChainHead
	commits int

	// Before, when set, runs before each append; an error fails it and
	// nothing is written.
	Before func(ctx context.Context, batch []Entry) error
	// After, when set, runs after each append has been written; an error
	// is returned although the entries stay.
	After func(ctx context.Context, batch []Entry) error
}

// AppendAudit appends batch after checking the head, as stores do.
func (s *MemStore) AppendAudit(ctx context.Context, batch []Entry, mac string) error {
	if s.Before != nil {
		if err := s.Before(ctx, batch); err != nil {
			return err
		}
	}
	if err := s.append(batch, mac); err != nil {
		return err
	}
	if s.After != nil {
		return s.After(ctx, batch)
	}
	return nil
}

func (s *MemStore) append(batch []Entry, mac string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if mac == "" {
		return errors.New("no head MAC")
	}
	first, last := batch[0], batch[len(batch)-1]
	h, ok := s.heads[first.Chain]
	if first.Seq == 1 && ok || first.Seq > 1 &&
		(!ok || h.LastSeq != first.Seq-1 || h.LastHash != first.PrevHash) {
		return switchboard.Errorf(switchboard.CodeConflict, "chain moved")
	}
	for _, e := range s.chains[first.Chain] {
		if e.Seq >= first.Seq && e.Seq <= last.Seq {
			return switchboard.Errorf(switchboard.CodeConflict, "entry %d exists", e.Seq)
		}
	}
	s.insert(batch...)
	s.heads[first.Chain] = ChainHead{Chain: last.Chain, LastSeq: last.Seq, LastHash: last.Hash,
		MAC: mac}
	s.commits++
	return nil
}

// insert adds es to their chains, kept in order of Seq.
func (s *MemStore) insert(es ...Entry) {
	if s.chains == nil {
		s.chains, s.heads = map[string][]Entry{}, map[string]ChainHead{}
	}
	for _, e := range es {
		c := append(s.chains[e.Chain], e)
		slices.SortStableFunc(c, func(a, b Entry) int { return cmp.Compare(a.Seq, b.Seq) })
		s.chains[e.Chain] = c
	}
}

// Commits returns how many appends were written.
func (s *MemStore) Commits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commits
}

// Entries returns a copy of chain's entries.
func (s *MemStore) Entries(chain string) []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.chains[chain])
}

// Edit applies fn to the entry at index i of chain, as someone with access
// to the database could.
func (s *MemStore) Edit(chain string, i int, fn func(e *Entry)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(&s.chains[chain][i])
}

// Insert adds e as it is, as someone with access to the database could.
func (s *MemStore) Insert(e Entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.insert(e)
}

// Truncate deletes the entries of chain after seq keep.
func (s *MemStore) Truncate(chain string, keep int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chains[chain] = slices.DeleteFunc(s.chains[chain], func(e Entry) bool {
		return e.Seq > keep
	})
}

// Head returns chain's head row.
func (s *MemStore) Head(chain string) ChainHead {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.heads[chain]
}

// SetHead writes h as chain's head row, as someone with access to the
// database could.
func (s *MemStore) SetHead(h ChainHead) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.heads[h.Chain] = h
}

// DropHead deletes chain's head row.
func (s *MemStore) DropHead(chain string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.heads, chain)
}

// AuditHead returns chain's head row, or CodeNotFound.
func (s *MemStore) AuditHead(_ context.Context, chain string) (ChainHead, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.heads[chain]
	if !ok {
		return h, switchboard.Errorf(switchboard.CodeNotFound, "no head")
	}
	return h, nil
}

// AuditHeads returns every head, and chains with entries but no head.
func (s *MemStore) AuditHeads(context.Context) ([]ChainHead, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var hs []ChainHead
	for c := range s.chains {
		h, ok := s.heads[c]
		if !ok {
			h = ChainHead{Chain: c}
		}
		hs = append(hs, h)
	}
	slices.SortFunc(hs, func(a, b ChainHead) int { return cmp.Compare(a.Chain, b.Chain) })
	return hs, nil
}

// AuditChain returns up to limit entries of chain after afterSeq.
func (s *MemStore) AuditChain(_ context.Context, chain string, afterSeq int64,
	limit int) ([]Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Entry
	for _, e := range s.chains[chain] {
		if e.Seq > afterSeq && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

// QueryAudit is not supported.
func (s *MemStore) QueryAudit(context.Context, Filter) ([]Entry, error) {
	panic("MemStore does not query")
}
