package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
)

// t0 is the time of the test clock.
var t0 = time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)

// clock is an injected clock that moves one millisecond per reading.
type clock struct {
	mu sync.Mutex
	at time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(time.Millisecond)
	return c.at
}

// newLog returns a Log on s and v with a test clock, closed when t ends;
// edit adjusts its config.
func newLog(t testing.TB, s audit.Store, v audit.Vault, edit ...func(*audit.Config)) *audit.Log {
	t.Helper()
	cfg := audit.Config{Store: s, Vault: v, Now: (&clock{at: t0}).now}
	for _, fn := range edit {
		fn(&cfg)
	}
	l, err := audit.New(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, l.Close(context.Background())) })
	return l
}

// call returns the entry of the i-th call: allowed, except every third,
// which was denied.
func call(i int) audit.Entry {
	e := audit.Entry{
		Actor: fmt.Sprint("user:u", i%5), Surface: audit.SurfaceREST, Event: audit.EventCall,
		Integration: "slack", Action: "send_message", Outcome: audit.OutcomeOK,
		Latency: time.Duration(i) * time.Microsecond, RequestID: fmt.Sprint("req-", i),
		InputMAC: "0f",
	}
	if i%3 == 0 {
		e.Outcome, e.ErrorCode = audit.OutcomeDenied, switchboard.CodeForbidden
	}
	return e
}

// record records n calls through l from the given number of goroutines at
// once, and returns every error.
func record(l *audit.Log, goroutines, n int) error {
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := g; i < n; i += goroutines {
				errs <- l.Record(context.Background(), call(i))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// requireVerified fails t unless v verifies every chain of s, and returns
// the report.
func requireVerified(t *testing.T, s audit.Store, v audit.Vault) audit.Report {
	t.Helper()
	r, err := audit.Verify(t.Context(), s, v)
	require.NoError(t, err)
	require.True(t, r.OK(), "problems: %v", r.Problems)
	return r
}

// requireProblem fails t unless verifying s finds exactly one problem, of
// kind at seq of chain, and returns it.
func requireProblem(t *testing.T, s audit.Store, v audit.Vault, chain string, seq int64,
	kind audit.ProblemKind) audit.Problem {
	t.Helper()
	r, err := audit.Verify(t.Context(), s, v)
	require.NoError(t, err)
	require.False(t, r.OK())
	require.Len(t, r.Problems, 1, "problems: %v", r.Problems)
	p := r.Problems[0]
	require.Equal(t, chain, p.Chain, p.String())
	require.Equal(t, seq, p.Seq, p.String())
	require.Equal(t, kind, p.Kind, p.String())
	return p
}

// auditKey returns the audit key that v holds.
func auditKey(t *testing.T, v audit.Vault) []byte {
	t.Helper()
	key, err := v.Get(t.Context(), audit.KeyScope, audit.KeyName)
	require.NoError(t, err)
	return key
}

// logBuffer keeps what a Log logs, as JSON lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// use makes a Log log to b.
func (b *logBuffer) use(c *audit.Config) { c.Logger = slog.New(slog.NewJSONHandler(b, nil)) }

// records returns every record logged so far.
func (b *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for line := range bytes.Lines(b.buf.Bytes()) {
		var r map[string]any
		require.NoError(t, json.Unmarshal(line, &r))
		out = append(out, r)
	}
	return out
}

// requireMove fails t unless b holds exactly one record of a move to a new
// chain, at level, from chain from to chain to.
func (b *logBuffer) requireMove(t *testing.T, level, from, to string) {
	t.Helper()
	var moves []map[string]any
	for _, r := range b.records(t) {
		if _, ok := r["next_chain"]; ok {
			moves = append(moves, r)
		}
	}
	require.Len(t, moves, 1, "moves: %v", moves)
	m := moves[0]
	require.Equal(t, level, m["level"], m)
	require.Equal(t, from, m["chain"], m)
	require.Equal(t, to, m["next_chain"], m)
	require.Contains(t, m["msg"], "recording continues on a new chain")
}

// toLegacy rewrites chain as a writer did before heads had MACs: every
// hash in the old form, and a head without MAC.
func toLegacy(t *testing.T, s *audit.MemStore, v audit.Vault, chain string) {
	t.Helper()
	key := auditKey(t, v)
	prev := ""
	n := len(s.Entries(chain))
	for i := range n {
		s.Edit(chain, i, func(e *audit.Entry) {
			e.PrevHash = prev
			e.Hash = audit.LegacyHash(key, *e)
			prev = e.Hash
		})
	}
	s.SetHead(audit.ChainHead{Chain: chain, LastSeq: int64(n), LastHash: prev})
}
