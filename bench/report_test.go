package main

import (
	"os"
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
			wantLines: []string{"throughput 0.50x", "NOT met", "switchboard: SQLite store"}},
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

func TestReportReplicas(t *testing.T) {
	t.Parallel()
	rep := newReport(options{protocol: "2025-11-25", rounds: 2,
		databaseURL: "postgres://postgres@127.0.0.1:5432/test"})
	rep.Switchboard.Schema = "bench_x"
	for _, perSec := range []float64{1000, 800} {
		rep.add(target{Name: oneReplica}, 16, sample{PerSec: perSec, P99: 10 * time.Millisecond,
			CPU: 400 * time.Microsecond})
	}
	for _, perSec := range []float64{1200, 1000} {
		rep.add(target{Name: twoReplicas}, 16, sample{PerSec: perSec, P99: 8 * time.Millisecond,
			CPU: 500 * time.Microsecond})
	}
	dir := t.TempDir()
	logs := []*switchboardServer{{logPath: dir + "/1.log"}, {logPath: dir + "/2.log"}}
	require.NoError(t, os.WriteFile(logs[0].logPath, []byte("a\nb\n"), 0o600))
	require.NoError(t, os.WriteFile(logs[1].logPath, []byte("c\n"), 0o600))
	rep.finish(logs...)

	require.Len(t, rep.Ratios, 1)
	r := rep.Ratios[0]
	require.Equal(t, []string{twoReplicas, oneReplica}, []string{r.Target, r.Baseline})
	require.InDelta(t, 1100.0/900, r.Throughput, 1e-9)
	require.InDelta(t, 0.8, r.P99, 1e-9)
	require.InDelta(t, 1.25, r.CPU, 1e-9)
	require.Nil(t, r.GoalMet, "replicas have no goal")
	require.Equal(t, 3, rep.Switchboard.LogLines, "summed over the replicas")

	var out strings.Builder
	require.NoError(t, rep.print(&out, false))
	for _, want := range []string{
		"PostgreSQL store (schema bench_x, dropped at the end)",
		"2-replicas/1-replica: throughput 1.22x, p99 0.80x\n",
		"within each round: 1.20x 1.25x; server cpu/call 1.25x",
	} {
		require.Contains(t, out.String(), want)
	}
	require.NotContains(t, out.String(), "goal")

	var js strings.Builder
	require.NoError(t, rep.print(&js, true))
	require.NotContains(t, js.String(), "goalMet")
}

func TestCheckDatabaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url     string
		wantErr string
	}{
		{url: "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"},
		{url: "postgresql://u@[::1]/db"},
		{url: "postgres://u@localhost/db"},
		{url: "host=127.0.0.1 dbname=test", wantErr: "want a postgres:// URL"},
		{url: "postgres://u@db.example.com/test", wantErr: `not "db.example.com"`},
		{url: "postgres://u@10.0.0.1/test", wantErr: "want a loopback host"},
		{url: "postgres://u@127.0.0.1/test?search_path=x", wantErr: "leave out search_path"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			err := checkDatabaseURL(tt.url)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, "-database-url: ")
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}
