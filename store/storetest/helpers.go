package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
)

// t0 has nanoseconds and a zone, both of which a store drops.
var t0 = time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.FixedZone("UTC+2", 2*60*60))

// stored is at as a store returns it: UTC, to the microsecond.
func stored(at time.Time) time.Time { return at.UTC().Truncate(time.Microsecond) }

// requireCode fails t unless err carries code.
func requireCode(t *testing.T, err error, code switchboard.Code) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, switchboard.ErrorCode(err), "error: %v", err)
}

// requireUTC fails t unless every time is in UTC.
func requireUTC(t *testing.T, times ...time.Time) {
	t.Helper()
	for _, at := range times {
		require.Equal(t, time.UTC, at.Location(), "time %v", at)
	}
}

// lastChange returns s's newest change id, failing t on an error.
func lastChange(t *testing.T, s lastChanger) int64 {
	t.Helper()
	id, err := s.LastChange(t.Context())
	require.NoError(t, err)
	return id
}

// lastChanger is the change feed's LastChange, which stores have.
type lastChanger interface {
	LastChange(ctx context.Context) (int64, error)
}

// concurrently runs fn(i) for i in [0, n) at once and returns every error.
func concurrently(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = fn(i) })
	}
	wg.Wait()
	return errs
}
