package audit_test

import (
	"context"
	"fmt"
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
