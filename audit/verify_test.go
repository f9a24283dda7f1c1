package audit_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/audit"
)

// TestVerifyFinds tampers with a chain held in memory, one way per case;
// the stores' own tampering tests are in stores_test.go.
func TestVerifyFinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tamper func(s *audit.MemStore, chain string)
		seq    int64
		kind   audit.ProblemKind
	}{
		{"an edited field", func(s *audit.MemStore, c string) {
			s.Edit(c, 3, func(e *audit.Entry) { e.Actor = "user:mallory" })
		}, 4, audit.ProblemEdited},
		{"an edited detail", func(s *audit.MemStore, c string) {
			s.Edit(c, 5, func(e *audit.Entry) { e.Detail = map[string]string{"x": "y"} })
		}, 6, audit.ProblemEdited},
		{"an edited link", func(s *audit.MemStore, c string) {
			s.Edit(c, 5, func(e *audit.Entry) { e.PrevHash = "0" })
		}, 6, audit.ProblemOutOfOrder},
		{"a renumbered entry", func(s *audit.MemStore, c string) {
			s.Edit(c, 5, func(e *audit.Entry) { e.Seq = 60 })
		}, 6, audit.ProblemMissing},
		{"a rehashed entry without the key", func(s *audit.MemStore, c string) {
			s.Edit(c, 2, func(e *audit.Entry) {
				e.Actor = "user:mallory"
				e.Hash = audit.HashEntry(make([]byte, 32), *e)
			})
		}, 3, audit.ProblemEdited},
		{"a deleted head", func(s *audit.MemStore, c string) { s.DropHead(c) },
			9, audit.ProblemHead},
		{"a forged entry after the head", func(s *audit.MemStore, c string) {
			e := s.Entries(c)[8]
			e.Seq, e.PrevHash, e.Hash, e.Actor = 10, e.Hash, strings.Repeat("0", 64), "user:ceo"
			e.ID = audit.FormatID(e.Time, c, 10)
			s.Insert(e)
		}, 10, audit.ProblemBeyondHead},
		{"entries cut and the head rewritten", func(s *audit.MemStore, c string) {
			cut(s, c, 6)
		}, 6, audit.ProblemHead},
		{"a head without MAC", func(s *audit.MemStore, c string) {
			h := s.Head(c)
			h.MAC = ""
			s.SetHead(h)
		}, 9, audit.ProblemHead},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, v := &audit.MemStore{}, &audit.MemVault{}
			l := newLog(t, s, v)
			require.NoError(t, record(l, 3, 9))
			requireVerified(t, s, v)

			tt.tamper(s, l.Chain())
			p := requireProblem(t, s, v, l.Chain(), tt.seq, tt.kind)
			require.Contains(t, p.String(), l.Chain())
		})
	}
}

func TestVerifyReportsEachChain(t *testing.T) {
	t.Parallel()
	s, v := &audit.MemStore{}, &audit.MemVault{}
	a, b, c := newLog(t, s, v), newLog(t, s, v), newLog(t, s, v)
	for _, l := range []*audit.Log{a, b, c} {
		require.NoError(t, record(l, 2, 6))
	}
	s.Edit(a.Chain(), 1, func(e *audit.Entry) { e.Latency++ })
	s.Edit(c.Chain(), 4, func(e *audit.Entry) { e.RequestID = "x" })
	s.Edit(c.Chain(), 2, func(e *audit.Entry) { e.RequestID = "x" })

	r, err := audit.Verify(t.Context(), s, v)
	require.NoError(t, err)
	require.Equal(t, 3, r.Chains)
	got := map[string]int64{}
	for _, p := range r.Problems {
		got[p.Chain] = p.Seq
	}
	require.Equal(t, map[string]int64{a.Chain(): 2, c.Chain(): 3}, got, "the first of each")
}

func TestVerifyKeys(t *testing.T) {
	t.Parallel()
	s, v := &audit.MemStore{}, &audit.MemVault{}

	r, err := audit.Verify(t.Context(), s, v)
	require.NoError(t, err)
	require.True(t, r.OK(), "an empty audit")
	require.Zero(t, v.Len(), "verify creates no key")

	l := newLog(t, s, v)
	require.Equal(t, 1, v.Len(), "the log created the key")
	require.NoError(t, record(l, 1, 3))

	_, err = audit.Verify(t.Context(), s, &audit.MemVault{})
	require.ErrorIs(t, err, audit.ErrNoKey)

	other := &audit.MemVault{}
	require.NoError(t, other.Put(t.Context(), audit.KeyScope, audit.KeyName, make([]byte, 32)))
	requireProblem(t, s, other, l.Chain(), 1, audit.ProblemEdited)

	short := &audit.MemVault{}
	require.NoError(t, short.Put(t.Context(), audit.KeyScope, audit.KeyName, []byte("short")))
	_, err = audit.Verify(t.Context(), s, short)
	require.ErrorContains(t, err, "5 bytes")

	broken := &audit.MemVault{GetErr: errors.New("vault down")}
	_, err = audit.Verify(t.Context(), s, broken)
	require.ErrorContains(t, err, "vault down")
}

func TestKeyKeptInVault(t *testing.T) {
	t.Parallel()
	s, v := &audit.MemStore{}, &audit.MemVault{}
	a := newLog(t, s, v)
	key, err := v.Get(context.Background(), audit.KeyScope, audit.KeyName)
	require.NoError(t, err)
	require.Len(t, key, 32)

	b := newLog(t, s, v)
	again, err := v.Get(context.Background(), audit.KeyScope, audit.KeyName)
	require.NoError(t, err)
	require.Equal(t, key, again, "created once")
	require.Equal(t, a.InputMAC([]byte(`{"a":1}`)), b.InputMAC([]byte(`{"a":1}`)))
}

// cut deletes the entries of chain after seq keep and rewrites its head to
// name the last one left, with the MAC it has: all that can be read from
// the database.
func cut(s *audit.MemStore, chain string, keep int64) {
	h := s.Head(chain)
	h.LastSeq, h.LastHash = keep, s.Entries(chain)[keep-1].Hash
	s.SetHead(h)
	s.Truncate(chain, keep)
}

// TestVerifyHeadSetBack replaces a head with one read earlier, MAC and all:
// the entries after it still show. Were they deleted too, nothing in the
// database would show it; the heads that Verify reports, kept elsewhere,
// would.
func TestVerifyHeadSetBack(t *testing.T) {
	t.Parallel()
	s, v := &audit.MemStore{}, &audit.MemVault{}
	l := newLog(t, s, v)
	require.NoError(t, record(l, 1, 4))
	old := requireVerified(t, s, v).Heads[0]
	require.NoError(t, record(l, 1, 3))

	s.SetHead(old)
	p := requireProblem(t, s, v, l.Chain(), 5, audit.ProblemBeyondHead)
	require.Contains(t, p.Message, "replaced by an older one")

	s.Truncate(l.Chain(), 4)
	r := requireVerified(t, s, v)
	require.Equal(t, []audit.ChainHead{old}, r.Heads, "the head to compare with one kept")
}

// TestVerifyReadsHeadsAgain has a writer append after Verify read the
// heads: the entries past the heads it read are checked against the head
// read again, and are no problem.
func TestVerifyReadsHeadsAgain(t *testing.T) {
	t.Parallel()
	s, v := &audit.MemStore{}, &audit.MemVault{}
	l := newLog(t, s, v)
	require.NoError(t, record(l, 1, 4))
	stale, err := s.AuditHeads(t.Context())
	require.NoError(t, err)
	require.NoError(t, record(l, 1, 3))

	r := requireVerified(t, staleHeads{MemStore: s, heads: stale}, v)
	require.Equal(t, int64(7), r.Entries)
	require.Equal(t, int64(7), r.Heads[0].LastSeq, "the head read again")
}

// staleHeads lists heads as they were.
type staleHeads struct {
	*audit.MemStore
	heads []audit.ChainHead
}

func (s staleHeads) AuditHeads(context.Context) ([]audit.ChainHead, error) {
	return s.heads, nil
}

// TestVerifyLegacyHeads checks chains written before heads had MACs: they
// verify, listed as unauthenticated, while a head without MAC that names a
// newer entry is a problem.
func TestVerifyLegacyHeads(t *testing.T) {
	t.Parallel()
	s, v := &audit.MemStore{}, &audit.MemVault{}
	old, recent := newLog(t, s, v), newLog(t, s, v)
	require.NoError(t, record(old, 1, 5))
	require.NoError(t, record(recent, 1, 5))
	toLegacy(t, s, v, old.Chain())

	r := requireVerified(t, s, v)
	require.Equal(t, []string{old.Chain()}, r.Unauthenticated)
	require.Equal(t, int64(10), r.Entries)

	h := s.Head(recent.Chain())
	h.MAC = ""
	s.SetHead(h)
	p := requireProblem(t, s, v, recent.Chain(), 5, audit.ProblemHead)
	require.Contains(t, p.Message, "no MAC")
}
