package audit_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
)

func TestRecordChains(t *testing.T) {
	t.Parallel()
	s, v := &audit.MemStore{}, &audit.MemVault{}
	l := newLog(t, s, v)

	at := time.Date(2024, 1, 2, 3, 4, 5, 6789, time.FixedZone("X", 3600))
	for i := range 5 {
		e := call(i)
		if i == 2 {
			e.Time = at
			e.Detail = map[string]string{"tool": "slack_send_message"}
		}
		require.NoError(t, l.Record(t.Context(), e))
	}

	es := s.Entries(l.Chain())
	require.Len(t, es, 5)
	prev := ""
	for i, e := range es {
		require.Equal(t, l.Chain(), e.Chain)
		require.Equal(t, int64(i+1), e.Seq)
		require.Equal(t, prev, e.PrevHash)
		require.Len(t, e.Hash, 64)
		chain, seq, ok := audit.ParseID(e.ID)
		require.True(t, ok, e.ID)
		require.Equal(t, l.Chain(), chain)
		require.Equal(t, e.Seq, seq)
		require.Equal(t, audit.FormatID(e.Time, e.Chain, e.Seq), e.ID)
		prev = e.Hash
	}
	require.Equal(t, at.UTC().Truncate(time.Microsecond), es[2].Time, "a given time is kept")
	require.Equal(t, t0.Add(time.Millisecond), es[0].Time, "stamped by the clock")
	require.Equal(t, call(4).RequestID, es[4].RequestID)

	r := requireVerified(t, s, v)
	require.Equal(t, 1, r.Chains)
	require.Equal(t, int64(5), r.Entries)
	head := audit.ChainHead{Chain: l.Chain(), LastSeq: 5, LastHash: prev}
	head.MAC = audit.HeadMAC(auditKey(t, v), head)
	require.Equal(t, []audit.ChainHead{head}, r.Heads)
	require.Empty(t, r.Unauthenticated)
}

func TestRecordAssignsChainFields(t *testing.T) {
	t.Parallel()
	s := &audit.MemStore{}
	l := newLog(t, s, &audit.MemVault{})

	e := call(1)
	e.ID, e.Chain, e.Seq, e.PrevHash, e.Hash = "x", "other", 99, "forged", "forged"
	require.NoError(t, l.Record(t.Context(), e))
	got := s.Entries(l.Chain())
	require.Len(t, got, 1)
	require.Equal(t, int64(1), got[0].Seq)
	require.Empty(t, got[0].PrevHash)
	require.NotEqual(t, "forged", got[0].Hash)
}

func TestRecordRefuses(t *testing.T) {
	t.Parallel()
	s := &audit.MemStore{}
	l := newLog(t, s, &audit.MemVault{})

	tooMany := map[string]string{}
	for i := range 33 {
		tooMany[strings.Repeat("k", i+1)] = "v"
	}
	tests := []struct {
		name string
		edit func(e *audit.Entry)
	}{
		{"unknown event", func(e *audit.Entry) { e.Event = "action.called" }},
		{"no event", func(e *audit.Entry) { e.Event = "" }},
		{"unknown surface", func(e *audit.Entry) { e.Surface = "grpc" }},
		{"unknown outcome", func(e *audit.Entry) { e.Outcome = "maybe" }},
		{"ok with a code", func(e *audit.Entry) { e.ErrorCode = switchboard.CodeInternal }},
		{"denied without a code", func(e *audit.Entry) { e.Outcome = audit.OutcomeDenied }},
		{"negative latency", func(e *audit.Entry) { e.Latency = -time.Second }},
		{"too many details", func(e *audit.Entry) { e.Detail = tooMany }},
		{"empty detail key", func(e *audit.Entry) { e.Detail = map[string]string{"": "x"} }},
		{"before 1970", func(e *audit.Entry) { e.Time = time.Unix(-10, 0) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := call(1)
			tt.edit(&e)
			require.Error(t, l.Record(t.Context(), e))
		})
	}
	require.Empty(t, s.Entries(l.Chain()))
	require.Zero(t, s.Commits())
}

func TestRecordCleansText(t *testing.T) {
	t.Parallel()
	s, v := &audit.MemStore{}, &audit.MemVault{}
	l := newLog(t, s, v)

	e := call(1)
	e.Actor = "user:\xff\xfebad"
	e.Action = "a\x00b"
	e.Integration = strings.Repeat("é", audit.MaxText) // two bytes each
	e.Detail = map[string]string{"key": strings.Repeat("x", 1000)}
	require.NoError(t, l.Record(t.Context(), e))

	got := s.Entries(l.Chain())[0]
	require.Equal(t, "user:\uFFFDbad", got.Actor)
	require.Equal(t, "a\uFFFDb", got.Action)
	require.Equal(t, strings.Repeat("é", audit.MaxText/2), got.Integration)
	require.Len(t, got.Detail["key"], audit.MaxText)
	requireVerified(t, s, v)
}

func TestGroupCommit(t *testing.T) {
	t.Parallel()
	const n = 100
	gate, entered := make(chan struct{}), make(chan struct{}, 1)
	s := &audit.MemStore{}
	s.Before = func(context.Context, []audit.Entry) error {
		select {
		case entered <- struct{}{}:
			<-gate // only the first append waits
		default:
		}
		return nil
	}
	l := newLog(t, s, &audit.MemVault{})

	first := make(chan error, 1)
	go func() { first <- l.Record(context.Background(), call(0)) }()
	<-entered // the first batch is in its transaction

	errs := make(chan error, n-1)
	for i := 1; i < n; i++ {
		go func() { errs <- l.Record(context.Background(), call(i)) }()
	}
	// Not a timing assertion: this waits for the records to queue.
	require.Eventually(t, func() bool { return l.Pending() == n-1 },
		time.Minute, time.Millisecond)
	close(gate)

	require.NoError(t, <-first)
	for range n - 1 {
		require.NoError(t, <-errs)
	}
	require.Equal(t, 2, s.Commits(), "every record that waited shares one commit")
	require.Len(t, s.Entries(l.Chain()), n)
}

func TestGroupCommitMaxBatch(t *testing.T) {
	t.Parallel()
	gate, entered := make(chan struct{}), make(chan struct{}, 1)
	var mu sync.Mutex
	var sizes []int
	s := &audit.MemStore{}
	s.Before = func(_ context.Context, b []audit.Entry) error {
		mu.Lock()
		sizes = append(sizes, len(b))
		mu.Unlock()
		select {
		case entered <- struct{}{}:
			<-gate
		default:
		}
		return nil
	}
	l := newLog(t, s, &audit.MemVault{}, func(c *audit.Config) { c.MaxBatch = 4 })

	go func() { _ = l.Record(context.Background(), call(0)) }()
	<-entered
	errs := make(chan error, 10)
	for i := range 10 {
		go func() { errs <- l.Record(context.Background(), call(i)) }()
	}
	require.Eventually(t, func() bool { return l.Pending() == 10 }, time.Minute, time.Millisecond)
	close(gate)
	for range 10 {
		require.NoError(t, <-errs)
	}
	require.NoError(t, l.Close(t.Context()))
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []int{1, 4, 4, 2}, sizes)
}

func TestFailedCommit(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk full")
	tests := []struct {
		name string
		// committed: the store wrote the batch but reported an error.
		committed bool
		wantLen   int
	}{
		{"not committed", false, 4},
		{"committed but reported failed", true, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, v := &audit.MemStore{}, &audit.MemVault{}
			fail := func(_ context.Context, b []audit.Entry) error {
				if b[0].RequestID == "req-2" {
					return boom
				}
				return nil
			}
			if tt.committed {
				s.After = fail
			} else {
				s.Before = fail
			}
			l := newLog(t, s, v)

			for i := range 5 {
				err := l.Record(t.Context(), call(i))
				if i == 2 {
					require.ErrorIs(t, err, boom)
					continue
				}
				require.NoError(t, err)
			}
			require.Len(t, s.Entries(l.Chain()), tt.wantLen)
			requireVerified(t, s, v)
		})
	}
}

func TestRecordContextEnds(t *testing.T) {
	t.Parallel()
	gate := make(chan struct{})
	s := &audit.MemStore{Before: func(context.Context, []audit.Entry) error { <-gate; return nil }}
	l := newLog(t, s, &audit.MemVault{})

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := l.Record(ctx, call(1))
	require.ErrorIs(t, err, context.Canceled)

	close(gate)
	require.NoError(t, l.Close(t.Context()))
	require.Len(t, s.Entries(l.Chain()), 1, "written all the same")
}

func TestClose(t *testing.T) {
	t.Parallel()
	s := &audit.MemStore{}
	l := newLog(t, s, &audit.MemVault{})

	require.NoError(t, record(l, 8, 50))
	require.NoError(t, l.Close(t.Context()))
	require.NoError(t, l.Close(t.Context()), "again")
	require.ErrorIs(t, l.Record(t.Context(), call(1)), audit.ErrClosed)
	require.Len(t, s.Entries(l.Chain()), 50)
}

func TestCloseGivesUp(t *testing.T) {
	t.Parallel()
	// The store hangs until its context ends.
	entered := make(chan struct{})
	s := &audit.MemStore{Before: func(ctx context.Context, _ []audit.Entry) error {
		close(entered)
		<-ctx.Done()
		return ctx.Err()
	}}
	l := newLog(t, s, &audit.MemVault{})
	errs := make(chan error, 1)
	go func() { errs <- l.Record(context.Background(), call(1)) }()
	<-entered

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.ErrorIs(t, l.Close(ctx), context.Canceled)
	require.ErrorIs(t, <-errs, context.Canceled, "the pending record fails")
	require.Empty(t, s.Entries(l.Chain()))
}

func TestNamedChainResumes(t *testing.T) {
	t.Parallel()
	s, v := &audit.MemStore{}, &audit.MemVault{}
	named := func(c *audit.Config) { c.Chain = "main" }

	l := newLog(t, s, v, named)
	require.NoError(t, record(l, 1, 3))
	require.NoError(t, l.Close(t.Context()))

	l = newLog(t, s, v, named)
	require.Equal(t, "main", l.Chain())
	require.NoError(t, record(l, 1, 2))
	es := s.Entries("main")
	require.Len(t, es, 5)
	require.Equal(t, int64(5), es[4].Seq)
	r := requireVerified(t, s, v)
	require.Equal(t, 1, r.Chains)
}

// TestNamedChainNotContinued opens a Log on a named chain that cannot be
// continued: it records on a new chain, says so in its log, and leaves the
// named chain as it found it.
func TestNamedChainNotContinued(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		tamper func(t *testing.T, s *audit.MemStore, v audit.Vault)
		level  string
	}{
		{"no head", func(_ *testing.T, s *audit.MemStore, _ audit.Vault) {
			s.DropHead("main")
		}, "ERROR"},
		{"a head that does not match its MAC", func(_ *testing.T, s *audit.MemStore,
			_ audit.Vault) {
			h := s.Head("main")
			h.MAC = strings.Repeat("0", 64)
			s.SetHead(h)
		}, "ERROR"},
		{"a head set back", func(t *testing.T, s *audit.MemStore, v audit.Vault) {
			// The head as it was at seq 2, MAC included: read earlier.
			e := s.Entries("main")[1]
			h := audit.ChainHead{Chain: "main", LastSeq: e.Seq, LastHash: e.Hash}
			h.MAC = audit.HeadMAC(auditKey(t, v), h)
			s.SetHead(h)
		}, "ERROR"},
		{"a last entry edited", func(_ *testing.T, s *audit.MemStore, _ audit.Vault) {
			s.Edit("main", 2, func(e *audit.Entry) { e.Actor = "user:ceo" })
		}, "ERROR"},
		{"a head without MAC", func(_ *testing.T, s *audit.MemStore, _ audit.Vault) {
			h := s.Head("main")
			h.MAC = ""
			s.SetHead(h)
		}, "ERROR"},
		{"a chain from before head MACs", func(t *testing.T, s *audit.MemStore,
			v audit.Vault) {
			toLegacy(t, s, v, "main")
		}, "WARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, v := &audit.MemStore{}, &audit.MemVault{}
			named := func(c *audit.Config) { c.Chain = "main" }
			l := newLog(t, s, v, named)
			require.NoError(t, record(l, 1, 3))
			require.NoError(t, l.Close(t.Context()))
			tt.tamper(t, s, v)
			before := s.Entries("main")

			logs := &logBuffer{}
			l = newLog(t, s, v, named, logs.use)
			require.NoError(t, record(l, 1, 2))
			require.NotEqual(t, "main", l.Chain())
			logs.requireMove(t, tt.level, "main", l.Chain())
			require.Len(t, s.Entries(l.Chain()), 2)
			require.Equal(t, before, s.Entries("main"), "left as it was")
		})
	}
}

func TestChainsPerLog(t *testing.T) {
	t.Parallel()
	s, v := &audit.MemStore{}, &audit.MemVault{}
	a, b := newLog(t, s, v), newLog(t, s, v)
	require.NotEqual(t, a.Chain(), b.Chain())
	require.Regexp(t, `^[a-z0-9]{16}$`, a.Chain())

	require.NoError(t, errors.Join(record(a, 4, 20), record(b, 4, 30)))
	r := requireVerified(t, s, v)
	require.Equal(t, 2, r.Chains)
	require.Equal(t, int64(50), r.Entries)
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	s, v := &audit.MemStore{}, &audit.MemVault{}
	tests := []struct {
		name string
		cfg  audit.Config
	}{
		{"no store", audit.Config{Vault: v}},
		{"no vault", audit.Config{Store: s}},
		{"chain with a dash", audit.Config{Store: s, Vault: v, Chain: "a-b"}},
		{"chain in capitals", audit.Config{Store: s, Vault: v, Chain: "Main"}},
		{"chain too long", audit.Config{Store: s, Vault: v, Chain: strings.Repeat("a", 33)}},
		{"negative max batch", audit.Config{Store: s, Vault: v, MaxBatch: -1}},
		{"negative timeout", audit.Config{Store: s, Vault: v, CommitTimeout: -1}},
		{"vault fails", audit.Config{Store: s, Vault: &audit.MemVault{GetErr: errors.New("x")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := audit.New(t.Context(), tt.cfg)
			require.Error(t, err)
			require.Nil(t, l)
		})
	}
}

func TestOutcomeOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		err     error
		outcome audit.Outcome
		code    switchboard.Code
	}{
		{"nil", nil, audit.OutcomeOK, ""},
		{"forbidden", switchboard.Errorf(switchboard.CodeForbidden, "no"),
			audit.OutcomeDenied, switchboard.CodeForbidden},
		{"unauthenticated", switchboard.Errorf(switchboard.CodeUnauthenticated, "who"),
			audit.OutcomeDenied, switchboard.CodeUnauthenticated},
		{"upstream", switchboard.Errorf(switchboard.CodeUpstream, "502"),
			audit.OutcomeError, switchboard.CodeUpstream},
		{"plain", errors.New("boom"), audit.OutcomeError, switchboard.CodeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, c := audit.OutcomeOf(tt.err)
			require.Equal(t, tt.outcome, o)
			require.Equal(t, tt.code, c)
		})
	}
}

// TestSharedChainCatchesUp has two Logs take turns on one named chain:
// each append after the other's conflicts, and is chained again after the
// entries the other wrote, once they verify.
func TestSharedChainCatchesUp(t *testing.T) {
	t.Parallel()
	s, v := &audit.MemStore{}, &audit.MemVault{}
	cs := &conflicts{Store: s}
	named := func(c *audit.Config) { c.Chain = "operator" }
	logs := &logBuffer{}
	x, y := newLog(t, cs, v, named, logs.use), newLog(t, cs, v, named, logs.use)

	for i := range 6 {
		l := x
		if i%2 == 1 {
			l = y
		}
		e := call(i)
		e.RequestID = fmt.Sprint("turn-", i)
		require.NoError(t, l.Record(t.Context(), e))
	}
	require.Equal(t, int64(5), cs.n.Load(), "every turn but the first")
	es := s.Entries("operator")
	require.Len(t, es, 6)
	for i, e := range es {
		require.Equal(t, fmt.Sprint("turn-", i), e.RequestID)
	}
	requireVerified(t, s, v)
	require.Empty(t, logs.records(t))
}

// TestSharedChainBusy has another writer append before every append of a
// Log on a shared chain: after its last attempt the Log goes on on a chain
// of its own, and says so.
func TestSharedChainBusy(t *testing.T) {
	t.Parallel()
	s, v := &audit.MemStore{}, &audit.MemVault{}
	named := func(c *audit.Config) { c.Chain = "operator" }
	other := newLog(t, s, v, named)
	logs := &logBuffer{}
	l := newLog(t, &overtaken{Store: s, other: other}, v, named, logs.use)

	require.NoError(t, l.Record(t.Context(), call(1)))
	require.NotEqual(t, "operator", l.Chain())
	logs.requireMove(t, "WARN", "operator", l.Chain())
	require.Len(t, s.Entries("operator"), audit.AppendAttempts-1)
	require.Len(t, s.Entries(l.Chain()), 1)
	r := requireVerified(t, s, v)
	require.Equal(t, 2, r.Chains)
}

// conflicts counts the appends that conflict.
type conflicts struct {
	audit.Store
	n atomic.Int64
}

func (c *conflicts) AppendAudit(ctx context.Context, b []audit.Entry, mac string) error {
	err := c.Store.AppendAudit(ctx, b, mac)
	if switchboard.ErrorCode(err) == switchboard.CodeConflict {
		c.n.Add(1)
	}
	return err
}

// overtaken has other record an entry on the chain "operator" before each
// append to it.
type overtaken struct {
	audit.Store
	other *audit.Log
}

func (o *overtaken) AppendAudit(ctx context.Context, b []audit.Entry, mac string) error {
	if b[0].Chain == "operator" {
		if err := o.other.Record(ctx, call(0)); err != nil {
			return err
		}
	}
	return o.Store.AppendAudit(ctx, b, mac)
}
