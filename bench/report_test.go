package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      int
		want   time.Duration
	}{
		{name: "empty", sorted: nil, p: 50, want: 0},
		{name: "one", sorted: []time.Duration{7}, p: 99, want: 7},
		{name: "median of hundred", sorted: hundred, p: 50, want: 50 * time.Millisecond},
		{name: "p99 of hundred", sorted: hundred, p: 99, want: 99 * time.Millisecond},
		{name: "p99 of three", sorted: []time.Duration{1, 2, 3}, p: 99, want: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, percentile(tt.sorted, tt.p))
		})
	}
}

func TestStats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		xs             []float64
		median, lo, hi float64
	}{
		{name: "empty"},
		{name: "odd", xs: []float64{3, 1, 2}, median: 2, lo: 1, hi: 3},
		{name: "even", xs: []float64{4, 1, 2, 3}, median: 2.5, lo: 1, hi: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			median, lo, hi := stats(tt.xs)
			require.Equal(t, []float64{tt.median, tt.lo, tt.hi}, []float64{median, lo, hi})
		})
	}
}

func TestReport(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		sbPerSec  float64
		sbErrors  int
		wantLines []string
	}{
		{name: "goal met", sbPerSec: 900,
			wantLines: []string{"throughput 0.90x, p99 1.20x", ": met",
				"within each round: 0.90x", "every call succeeded"}},
		{name: "goal missed", sbPerSec: 500,
			wantLines: []string{"throughput 0.50x", "NOT met"}},
		{name: "errors", sbPerSec: 900, sbErrors: 3,
			wantLines: []string{"RUN HAS ERRORS: 3 calls failed", "switchboard, 4 sessions: boom"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep := newReport(options{protocol: "2025-11-25", rounds: 1})
			rep.add(target{Name: "bare"}, 4, sample{PerSec: 1000, P50: time.Millisecond,
				P99: 10 * time.Millisecond})
			sb := sample{PerSec: tt.sbPerSec, P50: time.Millisecond, P99: 12 * time.Millisecond,
				Errors: tt.sbErrors}
			if tt.sbErrors > 0 {
				sb.FirstError = "boom"
			}
			rep.add(target{Name: "switchboard"}, 4, sb)
			rep.finish(&switchboardServer{logPath: t.TempDir() + "/absent.log"})

			var out strings.Builder
			require.NoError(t, rep.print(&out, false))
			for _, want := range tt.wantLines {
				require.Contains(t, out.String(), want)
			}
			require.Equal(t, tt.sbErrors, rep.Errors)
		})
	}
}
