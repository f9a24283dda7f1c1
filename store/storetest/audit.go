package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
)

// RunAudit runs the cases of audit.Store, each on a store that open returns
// empty. open must close the store with t.Cleanup. When the store also has
// the change feed's LastChange, the suite checks that appends leave the feed
// alone.
func RunAudit(t *testing.T, open func(t *testing.T) audit.Store) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s audit.Store)
	}{
		{"append and read a chain", testAuditChain},
		{"append is conditional on the head", testAuditConditional},
		{"heads of several chains", testAuditHeads},
		{"concurrent appends to several chains", testAuditConcurrent},
		{"concurrent appends to one chain", testAuditOneChain},
		{"query filters", testAuditFilters},
		{"query pages by id", testAuditPages},
		{"limits must be positive", testAuditLimits},
		{"appends leave the change feed alone", testAuditNoChange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, open(t))
		})
	}
}

// auditEntries returns n entries of chain from seq from, one second apart
// from t0 plus from seconds, linked by fake hashes (a store checks none).
func auditEntries(chain string, from int64, n int) []audit.Entry {
	es := make([]audit.Entry, n)
	for i := range es {
		seq := from + int64(i)
		at := t0.Add(time.Duration(seq) * time.Second)
		es[i] = audit.Entry{
			ID:   fmt.Sprintf("%016x-%s-%016x", at.UnixMicro(), chain, seq),
			Time: at, Actor: "user:alice", Surface: audit.SurfaceREST, Event: audit.EventCall,
			Integration: "slack", Action: "send_message", Outcome: audit.OutcomeOK,
			Latency: 1500 * time.Microsecond, RequestID: fmt.Sprint("req-", seq),
			InputMAC: "ab12", Chain: chain, Seq: seq,
			PrevHash: fakeHash(chain, seq-1), Hash: fakeHash(chain, seq),
		}
	}
	return es
}

// appendAudit appends es to s with a fake head MAC (a store checks none).
func appendAudit(ctx context.Context, s audit.Store, es []audit.Entry) error {
	mac := "mac"
	if len(es) > 0 {
		mac = fakeMAC(es[0].Chain, es[len(es)-1].Seq)
	}
	return s.AppendAudit(ctx, es, mac)
}

func fakeMAC(chain string, seq int64) string {
	return fmt.Sprintf("%s-mac-%d", chain, seq)
}

func fakeHash(chain string, seq int64) string {
	if seq == 0 {
		return ""
	}
	return fmt.Sprintf("%s-hash-%d", chain, seq)
}

// storedEntries is es as a store returns them: times in UTC, to the
// microsecond.
func storedEntries(es []audit.Entry) []audit.Entry {
	out := make([]audit.Entry, len(es))
	for i, e := range es {
		e.Time = stored(e.Time)
		out[i] = e
	}
	return out
}

func readChain(t *testing.T, s audit.Store, chain string, after int64) []audit.Entry {
	t.Helper()
	es, err := s.AuditChain(t.Context(), chain, after, 100)
	require.NoError(t, err)
	for _, e := range es {
		requireUTC(t, e.Time)
	}
	return es
}

func testAuditChain(t *testing.T, s audit.Store) {
	ctx := t.Context()
	require.Empty(t, readChain(t, s, "a", 0))

	es := auditEntries("a", 1, 5)
	es[1].Detail = map[string]string{"properties": "baseUrl,botToken", "tool": "x"}
	es[2].Outcome, es[2].ErrorCode = audit.OutcomeDenied, switchboard.CodeForbidden
	es[3].OnBehalfOf, es[3].Surface = "user:bob", audit.SurfaceMCP
	require.NoError(t, appendAudit(ctx, s, es[:3]))
	require.NoError(t, appendAudit(ctx, s, es[3:]))
	require.NoError(t, appendAudit(ctx, s, nil), "nothing to append")

	want := storedEntries(es)
	require.Equal(t, want, readChain(t, s, "a", 0))
	require.Equal(t, want[2:], readChain(t, s, "a", 2))
	page, err := s.AuditChain(ctx, "a", 1, 2)
	require.NoError(t, err)
	require.Equal(t, want[1:3], page)
	require.Empty(t, readChain(t, s, "b", 0), "chains are apart")

	heads, err := s.AuditHeads(ctx)
	require.NoError(t, err)
	want5 := audit.ChainHead{Chain: "a", LastSeq: 5, LastHash: es[4].Hash, MAC: fakeMAC("a", 5)}
	require.Equal(t, []audit.ChainHead{want5}, heads)
	head, err := s.AuditHead(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, want5, head)
	_, err = s.AuditHead(ctx, "b")
	requireCode(t, err, switchboard.CodeNotFound)
}

func testAuditConditional(t *testing.T, s audit.Store) {
	ctx := t.Context()
	es := auditEntries("a", 1, 6)
	require.NoError(t, appendAudit(ctx, s, es[:3]))

	wrongPrev := auditEntries("a", 4, 1)
	wrongPrev[0].PrevHash = "forged"
	tests := []struct {
		name  string
		batch []audit.Entry
	}{
		{"seq 1 again", auditEntries("a", 1, 1)},
		{"an earlier seq", es[2:4]},
		{"a gap", es[4:]},
		{"another predecessor hash", wrongPrev},
		{"a later seq of a chain without head", auditEntries("b", 4, 2)},
	}
	for _, tt := range tests {
		requireCode(t, appendAudit(ctx, s, tt.batch), switchboard.CodeConflict)
		require.Equal(t, storedEntries(es[:3]), readChain(t, s, "a", 0), tt.name)
		require.Empty(t, readChain(t, s, "b", 0), tt.name)
	}
	require.Error(t, s.AppendAudit(ctx, es[3:], ""), "a head without a MAC")
	require.Equal(t, storedEntries(es[:3]), readChain(t, s, "a", 0))

	require.NoError(t, appendAudit(ctx, s, es[3:]), "the right predecessor")
	require.Equal(t, storedEntries(es), readChain(t, s, "a", 0))
}

func testAuditHeads(t *testing.T, s audit.Store) {
	ctx := t.Context()
	heads, err := s.AuditHeads(ctx)
	require.NoError(t, err)
	require.Empty(t, heads)

	for _, c := range []struct {
		chain string
		n     int
	}{{"c", 1}, {"a", 3}, {"b", 2}} {
		require.NoError(t, appendAudit(ctx, s, auditEntries(c.chain, 1, c.n)))
	}
	heads, err = s.AuditHeads(ctx)
	require.NoError(t, err)
	require.Equal(t, []audit.ChainHead{
		{Chain: "a", LastSeq: 3, LastHash: fakeHash("a", 3), MAC: fakeMAC("a", 3)},
		{Chain: "b", LastSeq: 2, LastHash: fakeHash("b", 2), MAC: fakeMAC("b", 2)},
		{Chain: "c", LastSeq: 1, LastHash: fakeHash("c", 1), MAC: fakeMAC("c", 1)},
	}, heads)
}

func testAuditConcurrent(t *testing.T, s audit.Store) {
	const chains, batches, size = 4, 10, 5
	errs := concurrently(chains, func(i int) error {
		chain := fmt.Sprint("w", i)
		var err error
		for b := range batches {
			err = errors.Join(err, appendAudit(context.Background(), s,
				auditEntries(chain, int64(b*size+1), size)))
		}
		return err
	})
	require.NoError(t, errors.Join(errs...))

	for i := range chains {
		chain := fmt.Sprint("w", i)
		es, err := s.AuditChain(t.Context(), chain, 0, 1000)
		require.NoError(t, err)
		require.Equal(t, storedEntries(auditEntries(chain, 1, batches*size)), es)
	}
}

// testAuditOneChain has writers append at the same seq of one chain at
// once, on a new chain and on one with a head: one batch wins whole, and
// every other conflicts.
func testAuditOneChain(t *testing.T, s audit.Store) {
	const writers = 8
	for _, from := range []int64{1, 4} {
		errs := concurrently(writers, func(i int) error {
			es := auditEntries("a", from, 3)
			for j := range es {
				es[j].RequestID = fmt.Sprint("writer-", i)
			}
			return appendAudit(context.Background(), s, es)
		})
		won := -1
		for i, err := range errs {
			if err == nil {
				require.Equal(t, -1, won, "two appends at seq %d won", from)
				won = i
				continue
			}
			requireCode(t, err, switchboard.CodeConflict)
		}
		require.NotEqual(t, -1, won, "no append at seq %d won", from)
		for _, e := range readChain(t, s, "a", from-1) {
			require.Equal(t, fmt.Sprint("writer-", won), e.RequestID, "one batch, whole")
		}
	}
	require.Len(t, readChain(t, s, "a", 0), 6)
}

// query runs f on s and returns the ids it finds.
func query(t *testing.T, s audit.Store, f audit.Filter) []string {
	t.Helper()
	if f.Limit == 0 {
		f.Limit = 100
	}
	es, err := s.QueryAudit(t.Context(), f)
	require.NoError(t, err)
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	return ids
}

func testAuditFilters(t *testing.T, s audit.Store) {
	es := auditEntries("a", 1, 6)
	es[1].Actor = "agent:bot"
	es[2].Integration = "stripe"
	es[3].Action = "list_channels"
	es[4].Outcome, es[4].ErrorCode = audit.OutcomeError, switchboard.CodeTimeout
	require.NoError(t, appendAudit(t.Context(), s, es))
	id := func(i int) string { return es[i].ID }

	tests := []struct {
		name string
		f    audit.Filter
		want []string
	}{
		{"none, newest first", audit.Filter{}, []string{id(5), id(4), id(3), id(2), id(1), id(0)}},
		{"oldest first", audit.Filter{Oldest: true, Limit: 2}, []string{id(0), id(1)}},
		{"actor", audit.Filter{Actor: "agent:bot"}, []string{id(1)}},
		{"integration", audit.Filter{Integration: "stripe"}, []string{id(2)}},
		{"integration and action", audit.Filter{Integration: "slack", Action: "list_channels"},
			[]string{id(3)}},
		{"outcome", audit.Filter{Outcome: audit.OutcomeError}, []string{id(4)}},
		{"several", audit.Filter{Actor: "user:alice", Outcome: audit.OutcomeOK,
			Integration: "slack", Action: "send_message"}, []string{id(5), id(0)}},
		{"no match", audit.Filter{Actor: "user:nobody"}, []string{}},
		{"id bounds", audit.Filter{After: id(1), Before: id(4)}, []string{id(3), id(2)}},
		{"limit", audit.Filter{Limit: 1}, []string{id(5)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, query(t, s, tt.f))
		})
	}
}

func testAuditPages(t *testing.T, s audit.Store) {
	const n = 25
	// Two chains interleaved in time.
	a, b := auditEntries("a", 1, n), auditEntries("b", 1, n)
	require.NoError(t, appendAudit(t.Context(), s, a))
	require.NoError(t, appendAudit(t.Context(), s, b))

	var newest, oldest []string
	f := audit.Filter{Limit: 7}
	for {
		page := query(t, s, f)
		newest = append(newest, page...)
		if len(page) < f.Limit {
			break
		}
		f.Before = page[len(page)-1]
	}
	f = audit.Filter{Limit: 7, Oldest: true}
	for {
		page := query(t, s, f)
		oldest = append(oldest, page...)
		if len(page) < f.Limit {
			break
		}
		f.After = page[len(page)-1]
	}

	require.Len(t, newest, 2*n)
	for i := 1; i < len(newest); i++ {
		require.Greater(t, newest[i-1], newest[i], "distinct, newest first")
		require.Equal(t, newest[i], oldest[len(oldest)-1-i])
	}
}

func testAuditLimits(t *testing.T, s audit.Store) {
	_, err := s.AuditChain(t.Context(), "a", 0, 0)
	require.Error(t, err)
	_, err = s.QueryAudit(t.Context(), audit.Filter{})
	require.Error(t, err)
}

func testAuditNoChange(t *testing.T, s audit.Store) {
	feed, ok := s.(lastChanger)
	if !ok {
		t.Skip("the store has no change feed")
	}
	before := lastChange(t, feed)
	require.NoError(t, appendAudit(t.Context(), s, auditEntries("a", 1, 3)))
	requireCode(t, appendAudit(t.Context(), s, auditEntries("a", 1, 1)),
		switchboard.CodeConflict)
	require.Equal(t, before, lastChange(t, feed))
}
