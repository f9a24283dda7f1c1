package audit_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
)

func TestQueryInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		q     audit.Query
		field string
	}{
		{"negative limit", audit.Query{Limit: -1}, "limit"},
		{"limit over the max", audit.Query{Limit: audit.MaxLimit + 1}, "limit"},
		{"unknown outcome", audit.Query{Outcome: "fine"}, "outcome"},
		{"until before since", audit.Query{Since: t0, Until: t0.Add(-time.Second)}, "until"},
		{"cursor not an id", audit.Query{Before: "yesterday"}, "before"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := audit.List(t.Context(), &audit.MemStore{}, tt.q)
			requireInvalid(t, err, tt.field)
			if tt.field == "limit" {
				return // Export ignores the limit
			}
			err = audit.Export(t.Context(), &audit.MemStore{}, tt.q, &bytes.Buffer{})
			requireInvalid(t, err, tt.field)
		})
	}
}

// requireInvalid fails t unless err is an invalid_request naming field.
func requireInvalid(t *testing.T, err error, field string) {
	t.Helper()
	e, ok := errors.AsType[*switchboard.Error](err)
	require.True(t, ok, "error: %v", err)
	require.Equal(t, switchboard.CodeInvalidRequest, e.Code)
	require.Contains(t, e.Message, field)
}

func TestParseQuery(t *testing.T) {
	t.Parallel()
	q, err := audit.ParseQuery(url.Values{
		"actor": {"user:alice"}, "integration": {"slack"}, "action": {"send_message"},
		"outcome": {"denied"}, "since": {"2025-06-07T08:00:00Z"},
		"until": {"2025-06-07T09:00:00.5+02:00"}, "before": {"x"}, "limit": {"50"},
	})
	require.NoError(t, err)
	require.Equal(t, audit.Query{
		Actor: "user:alice", Integration: "slack", Action: "send_message",
		Outcome: audit.OutcomeDenied, Since: time.Date(2025, 6, 7, 8, 0, 0, 0, time.UTC),
		Until:  time.Date(2025, 6, 7, 7, 0, 0, 5e8, time.UTC),
		Before: "x", Limit: 50,
	}, normalize(q))

	q, err = audit.ParseQuery(url.Values{})
	require.NoError(t, err)
	require.Equal(t, audit.Query{}, q)

	tests := []struct {
		name  string
		v     url.Values
		field string
	}{
		{"unknown parameter", url.Values{"actr": {"x"}}, "actr"},
		{"repeated", url.Values{"actor": {"a", "b"}}, "actor"},
		{"since not a time", url.Values{"since": {"yesterday"}}, "since"},
		{"until not a time", url.Values{"until": {"2025-06-07"}}, "until"},
		{"limit not a number", url.Values{"limit": {"ten"}}, "limit"},
		{"limit zero", url.Values{"limit": {"0"}}, "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := audit.ParseQuery(tt.v)
			requireInvalid(t, err, tt.field)
		})
	}
}

// normalize puts q's times in UTC, for comparison.
func normalize(q audit.Query) audit.Query {
	q.Since, q.Until = q.Since.UTC(), q.Until.UTC()
	return q
}

func TestList(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, s audit.Store, _ *sql.DB) {
		l := newLog(t, s, &audit.MemVault{}) // the clock: t0 + 1ms per batch
		for i := range 10 {
			e := call(i)
			if i == 4 {
				e.Integration, e.Action = "stripe", "refund"
			}
			require.NoError(t, l.Record(t.Context(), e)) // one batch each
		}
		at := func(i int) time.Time { return t0.Add(time.Duration(i+1) * time.Millisecond) }
		tests := []struct {
			name string
			q    audit.Query
			want []string // request ids, newest first
		}{
			{"all", audit.Query{}, reqs(9, 8, 7, 6, 5, 4, 3, 2, 1, 0)},
			{"actor", audit.Query{Actor: "user:u1"}, reqs(6, 1)},
			{"integration", audit.Query{Integration: "stripe"}, reqs(4)},
			{"action", audit.Query{Integration: "slack", Action: "refund"}, reqs()},
			{"outcome", audit.Query{Outcome: audit.OutcomeDenied}, reqs(9, 6, 3, 0)},
			{"since is inclusive", audit.Query{Since: at(7)}, reqs(9, 8, 7)},
			{"until is exclusive", audit.Query{Until: at(2)}, reqs(1, 0)},
			{"within a microsecond", audit.Query{Since: at(3).Add(-time.Nanosecond),
				Until: at(5).Add(time.Nanosecond)}, reqs(5, 4, 3)},
			{"range and filter", audit.Query{Since: at(1), Until: at(9),
				Outcome: audit.OutcomeOK, Actor: "user:u2"}, reqs(7, 2)},
		}
		for _, tt := range tests {
			page, err := audit.List(t.Context(), s, tt.q)
			require.NoError(t, err)
			require.Equal(t, tt.want, requestIDs(page.Entries), tt.name)
			require.Empty(t, page.Next, tt.name)
		}
	})
}

func reqs(is ...int) []string {
	out := make([]string, len(is))
	for j, i := range is {
		out[j] = call(i).RequestID
	}
	return out
}

func requestIDs(es []audit.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.RequestID
	}
	return out
}

func TestListPages(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, s audit.Store, _ *sql.DB) {
		v := &audit.MemVault{}
		a, b := newLog(t, s, v), newLog(t, s, v)
		require.NoError(t, record(a, 4, 30))
		require.NoError(t, record(b, 4, 30))

		var ids []string
		q := audit.Query{Limit: 7, Outcome: audit.OutcomeOK}
		pages := 0
		for {
			page, err := audit.List(t.Context(), s, q)
			require.NoError(t, err)
			require.LessOrEqual(t, len(page.Entries), 7)
			for _, e := range page.Entries {
				ids = append(ids, e.ID)
			}
			pages++
			if page.Next == "" {
				break
			}
			q.Before = page.Next
		}
		require.Len(t, ids, 40) // 20 allowed per log
		require.Equal(t, 6, pages, "no empty page at the end")
		for i := 1; i < len(ids); i++ {
			require.Greater(t, ids[i-1], ids[i], "newest first, each once")
		}

		// A page of exactly the rest has no next.
		page, err := audit.List(t.Context(), s, audit.Query{Limit: 60})
		require.NoError(t, err)
		require.Len(t, page.Entries, 60)
		require.Empty(t, page.Next)
	})
}

func TestExport(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, s audit.Store, _ *sql.DB) {
		v := &audit.MemVault{}
		l := newLog(t, s, v)
		const n = 1005 // more than one page of the export
		require.NoError(t, record(l, 8, n))
		e := call(0)
		e.Event, e.Detail = audit.EventConfigure, map[string]string{"properties": "a,b"}
		e.Surface, e.Actor = audit.SurfaceCLI, "operator:cli"
		require.NoError(t, l.Record(t.Context(), e))

		var buf bytes.Buffer
		require.NoError(t, audit.Export(t.Context(), s, audit.Query{}, &buf))
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		require.Len(t, lines, n+1)

		var prev audit.Entry
		for i, line := range lines {
			var got audit.Entry
			require.NoError(t, json.Unmarshal([]byte(line), &got))
			if i > 0 {
				require.Less(t, prev.ID, got.ID, "oldest first")
			}
			prev = got
		}
		requireEntryJSON(t, lines[n], prev)

		// Export filters as List does.
		buf.Reset()
		q := audit.Query{Actor: "operator:cli"}
		require.NoError(t, audit.Export(t.Context(), s, q, &buf))
		require.Equal(t, 1, strings.Count(buf.String(), "\n"))
	})
}

// requireEntryJSON checks the JSON Lines form of an entry: camelCase
// names, a duration string, and a round trip.
func requireEntryJSON(t *testing.T, line string, e audit.Entry) {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(line), &m))
	for _, k := range []string{"id", "time", "actor", "surface", "event", "outcome",
		"latency", "requestId", "inputMac", "detail", "chain", "seq", "prevHash", "hash"} {
		require.Contains(t, m, k)
	}
	require.NotContains(t, m, "onBehalfOf", "omitted when empty")
	require.Equal(t, "0s", m["latency"])
	require.Equal(t, "integration.configure", m["event"])
	require.Equal(t, map[string]any{"properties": "a,b"}, m["detail"])

	out, err := json.Marshal(e)
	require.NoError(t, err)
	require.JSONEq(t, line, string(out))
}

func TestExportWriterFails(t *testing.T) {
	t.Parallel()
	s, _ := backends[0].open(t) // SQLite
	l := newLog(t, s, &audit.MemVault{})
	require.NoError(t, record(l, 4, 200))
	require.ErrorIs(t, audit.Export(t.Context(), s, audit.Query{}, failingWriter{}), errDisk)
}

var errDisk = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errDisk }
