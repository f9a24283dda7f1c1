package audit_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/audit"
)

// Attacks by someone who can write to the database but holds no key, on
// each store.

// TestForgedEntryBeyondHead inserts an entry after the head of a chain,
// with another actor and a made-up hash: verify reports it, although
// export and listings show it.
func TestForgedEntryBeyondHead(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, s audit.Store, raw *sql.DB) {
		v := &audit.MemVault{}
		l := newLog(t, s, v)
		require.NoError(t, record(l, 4, 20))
		require.NoError(t, l.Close(t.Context()))

		tamperer{raw: raw, chain: l.Chain()}.forge(t, 21, "user:ceo")
		p := requireProblem(t, s, v, l.Chain(), 21, audit.ProblemBeyondHead)
		require.Contains(t, p.Message, "added outside Switchboard")
	})
}

// TestForgedEntryOnLiveChain inserts an entry after the head of the chain
// that a Log is writing: the Log's next append conflicts, it cannot verify
// the entry, so it says so and goes on on a new chain; every record
// succeeds, and verify reports the chain left behind.
func TestForgedEntryOnLiveChain(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, s audit.Store, raw *sql.DB) {
		v := &audit.MemVault{}
		logs := &logBuffer{}
		l := newLog(t, s, v, logs.use)
		require.NoError(t, record(l, 4, 10))
		old := l.Chain()

		tamperer{raw: raw, chain: old}.forge(t, 11, "user:ceo")
		require.NoError(t, record(l, 4, 20), "recording goes on")
		require.NotEqual(t, old, l.Chain())
		logs.requireMove(t, "ERROR", old, l.Chain())

		r, err := audit.Verify(t.Context(), s, v)
		require.NoError(t, err)
		require.Equal(t, 2, r.Chains)
		require.Equal(t, int64(30), r.Entries)
		require.Len(t, r.Problems, 1)
		p := r.Problems[0]
		require.Equal(t, old, p.Chain, p.String())
		require.Equal(t, int64(11), p.Seq, p.String())
		require.Equal(t, audit.ProblemBeyondHead, p.Kind, p.String())
	})
}

// TestTailDeletedHeadRewritten deletes the last entries of a chain and
// rewrites its head to name the last entry left, with every value that
// the database holds: verify reports the head, and the Log that was
// writing the chain goes on on a new one.
func TestTailDeletedHeadRewritten(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mac  func(old string) string
	}{
		{"the MAC kept", func(old string) string { return old }},
		{"the MAC cleared", func(string) string { return "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			eachBackend(t, func(t *testing.T, s audit.Store, raw *sql.DB) {
				v := &audit.MemVault{}
				logs := &logBuffer{}
				l := newLog(t, s, v, logs.use)
				require.NoError(t, record(l, 1, 10))
				old := l.Chain()

				tamperer{raw: raw, chain: old}.cut(t, 7, tt.mac)
				requireProblem(t, s, v, old, 7, audit.ProblemHead)

				require.NoError(t, record(l, 1, 3), "recording goes on")
				require.NotEqual(t, old, l.Chain())
				logs.requireMove(t, "ERROR", old, l.Chain())
				requireProblem(t, s, v, old, 7, audit.ProblemHead)
			})
		})
	}
}

// TestLegacyChainOnStore turns a chain into one written before heads had
// MACs, on each store after its migrations: it verifies, reported as
// unauthenticated.
func TestLegacyChainOnStore(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, s audit.Store, raw *sql.DB) {
		v := &audit.MemVault{}
		l := newLog(t, s, v)
		require.NoError(t, record(l, 2, 6))
		require.NoError(t, l.Close(t.Context()))

		tamperer{raw: raw, chain: l.Chain()}.legacy(t, s, auditKey(t, v))
		r := requireVerified(t, s, v)
		require.Equal(t, []string{l.Chain()}, r.Unauthenticated)
		require.Equal(t, int64(6), r.Entries)
	})
}

// TestSharedChain has two Logs, as two processes would, write to the
// chain "operator" at once through two handles: one chain holds every
// entry, and verifies.
func TestSharedChain(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s, _, again := b.openAgain(t)
			v := &audit.MemVault{}
			named := func(c *audit.Config) { c.Chain = "operator" }
			logs := &logBuffer{}
			x := newLog(t, s, v, named, logs.use)
			y := newLog(t, again(), v, named, logs.use)

			// Fewer commits per Log than the attempts of one append: no
			// batch can run out of attempts.
			const n = 50
			require.Less(t, n, audit.AppendAttempts)
			errs := make(chan error, 2)
			go func() { errs <- record(x, 4, n) }()
			go func() { errs <- record(y, 4, n) }()
			require.NoError(t, errors.Join(<-errs, <-errs))

			require.Equal(t, "operator", x.Chain())
			require.Equal(t, "operator", y.Chain())
			r := requireVerified(t, s, v)
			require.Equal(t, 1, r.Chains)
			require.Equal(t, int64(2*n), r.Entries)
			require.Empty(t, logs.records(t), "nothing to report")
		})
	}
}

// forge inserts, at seq, a copy of the entry before it with another actor,
// linked to it, and a hash made up without the key.
func (d tamperer) forge(t *testing.T, seq int64, actor string) {
	t.Helper()
	row := d.row(t, seq-1)
	cols := map[string]any{}
	for i, c := range contentColumns {
		cols[c] = row[i]
	}
	id := cols["id"].(string)
	cols["id"] = fmt.Sprintf("%s%016x", id[:len(id)-16], seq)
	cols["actor"], cols["prev_hash"] = actor, cols["hash"]
	cols["hash"] = strings.Repeat("0", 64)

	vals := []any{d.chain, seq}
	marks := []string{"$1", "$2"}
	for _, c := range contentColumns {
		vals = append(vals, cols[c])
		marks = append(marks, fmt.Sprint("$", len(vals)))
	}
	q := fmt.Sprintf("INSERT INTO audit_entries (chain, seq, %s) VALUES (%s)",
		strings.Join(contentColumns, ", "), strings.Join(marks, ", "))
	d.exec(t, q, vals...)
}

// cut deletes the entries after seq keep and rewrites the head to name the
// last entry left, with the MAC that mac makes of the one it had.
func (d tamperer) cut(t *testing.T, keep int64, mac func(old string) string) {
	t.Helper()
	var hash, old string
	require.NoError(t, d.raw.QueryRowContext(t.Context(),
		"SELECT hash FROM audit_entries WHERE chain = $1 AND seq = $2", d.chain, keep).
		Scan(&hash))
	require.NoError(t, d.raw.QueryRowContext(t.Context(),
		"SELECT mac FROM audit_heads WHERE chain = $1", d.chain).Scan(&old))
	_, err := d.raw.ExecContext(t.Context(),
		"DELETE FROM audit_entries WHERE chain = $1 AND seq > $2", d.chain, keep)
	require.NoError(t, err)
	d.exec(t, "UPDATE audit_heads SET last_seq = $1, last_hash = $2, mac = $3 WHERE chain = $4",
		keep, hash, mac(old), d.chain)
}

// legacy rewrites the chain as a writer did before heads had MACs: every
// hash in the old form, under key, and a head without MAC.
func (d tamperer) legacy(t *testing.T, s audit.Store, key []byte) {
	t.Helper()
	es, err := s.AuditChain(context.Background(), d.chain, 0, 1000)
	require.NoError(t, err)
	prev := ""
	for _, e := range es {
		e.PrevHash = prev
		e.Hash = audit.LegacyHash(key, e)
		d.exec(t, "UPDATE audit_entries SET prev_hash = $1, hash = $2 "+
			"WHERE chain = $3 AND seq = $4", e.PrevHash, e.Hash, d.chain, e.Seq)
		prev = e.Hash
	}
	d.exec(t, "UPDATE audit_heads SET last_hash = $1, mac = '' WHERE chain = $2",
		prev, d.chain)
}
