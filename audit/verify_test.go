package audit_test

import (
	"context"
	"errors"
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
