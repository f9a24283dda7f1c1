package audit_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver of the raw handle
	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/store/postgres"
	"github.com/switchboard-dev/switchboard/store/postgres/pgtest"
	"github.com/switchboard-dev/switchboard/store/sqlite"
)

// backend is a real store: dsn makes a new, empty database and returns its
// data source, at opens a store on one, as a process would, and driver
// names the database/sql driver of a raw handle, through which a test
// tampers with rows as someone with database access could.
type backend struct {
	name   string
	driver string
	dsn    func(tb testing.TB) string
	at     func(tb testing.TB, dsn string) audit.Store
}

// backends are the stores: SQLite always, PostgreSQL when configured.
var backends = []backend{
	{"sqlite", "sqlite", func(tb testing.TB) string {
		return filepath.Join(tb.TempDir(), "switchboard.db")
	}, sqliteAt},
	// pgtest.URL skips, saying so, when no server is configured.
	{"postgres", "pgx", pgtest.URL, postgresAt},
}

func sqliteAt(tb testing.TB, path string) audit.Store {
	tb.Helper()
	db, err := sqlite.Open(tb.Context(), sqlite.Config{Path: path})
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, db.Close()) })
	return db
}

func postgresAt(tb testing.TB, url string) audit.Store {
	tb.Helper()
	db, err := postgres.Open(tb.Context(), postgres.Config{URL: url, MaxConns: 8})
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, db.Close()) })
	return db
}

// open makes a database and returns a store and a raw handle on it.
func (b backend) open(tb testing.TB) (audit.Store, *sql.DB) {
	tb.Helper()
	s, raw, _ := b.openAgain(tb)
	return s, raw
}

// openAgain is open, with a function that opens another store on the same
// database, as another process would.
func (b backend) openAgain(tb testing.TB) (audit.Store, *sql.DB, func() audit.Store) {
	tb.Helper()
	dsn := b.dsn(tb)
	raw, err := sql.Open(b.driver, dsn)
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, raw.Close()) })
	return b.at(tb, dsn), raw, func() audit.Store { return b.at(tb, dsn) }
}

// eachBackend runs fn as a parallel subtest per backend.
func eachBackend(t *testing.T, fn func(t *testing.T, s audit.Store, raw *sql.DB)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s, raw := b.open(t)
			fn(t, s, raw)
		})
	}
}

// TestConcurrentCalls records 2,000 calls, allowed and denied, from 32
// goroutines on each store: the audit holds exactly those entries, the
// chain verifies, and then an edited, a deleted and a swapped entry are
// each caught, at their seq, and verify passes again once each is undone.
func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	const goroutines, calls = 32, 2000
	eachBackend(t, func(t *testing.T, s audit.Store, raw *sql.DB) {
		v := &audit.MemVault{}
		l := newLog(t, s, v)
		require.NoError(t, record(l, goroutines, calls))

		requireCalls(t, s, calls)
		r := requireVerified(t, s, v)
		require.Equal(t, int64(calls), r.Entries)

		db := tamperer{raw: raw, chain: l.Chain()}
		caught := func(undo func(), seq int64, kind audit.ProblemKind) {
			t.Helper()
			requireProblem(t, s, v, l.Chain(), seq, kind)
			undo()
			requireVerified(t, s, v)
		}
		caught(db.edit(t, 700, "actor", "user:mallory"), 700, audit.ProblemEdited)
		caught(db.delete(t, 1234), 1234, audit.ProblemMissing)
		caught(db.delete(t, calls), calls, audit.ProblemMissing)
		caught(db.swap(t, 42, 1500), 42, audit.ProblemOutOfOrder)
		caught(db.swap(t, 99, 100), 99, audit.ProblemOutOfOrder)
		caught(db.deleteHead(t), calls, audit.ProblemHead)
	})
}

// requireCalls fails t unless s holds exactly n call entries, with every
// request id once, a third of them denied.
func requireCalls(t *testing.T, s audit.Store, n int) {
	t.Helper()
	seen := map[string]bool{}
	denied := 0
	q := audit.Query{Limit: audit.MaxLimit}
	for {
		page, err := audit.List(t.Context(), s, q)
		require.NoError(t, err)
		for _, e := range page.Entries {
			require.Equal(t, audit.EventCall, e.Event)
			require.False(t, seen[e.RequestID], "twice: %s", e.RequestID)
			seen[e.RequestID] = true
			if e.Outcome == audit.OutcomeDenied {
				denied++
			}
		}
		if page.Next == "" {
			break
		}
		q.Before = page.Next
	}
	require.Len(t, seen, n)
	require.Equal(t, (n+2)/3, denied)
}

// tamperer changes rows of one chain through a raw handle. Statements use
// $n parameters, which both drivers read.
type tamperer struct {
	raw   *sql.DB
	chain string
}

// contentColumns are every column of an entry but its key (chain, seq).
var contentColumns = []string{"id", "at", "actor", "on_behalf_of", "surface", "event",
	"integration", "action", "outcome", "error_code", "latency_ns", "request_id",
	"input_mac", "detail", "prev_hash", "hash"}

func (d tamperer) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	res, err := d.raw.ExecContext(context.Background(), q, args...)
	require.NoError(t, err)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.Equal(t, int64(1), n, q)
}

// row reads the content of the entry at seq.
func (d tamperer) row(t *testing.T, seq int64) []any {
	t.Helper()
	vals := make([]any, len(contentColumns))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	q := "SELECT " + strings.Join(contentColumns, ", ") +
		" FROM audit_entries WHERE chain = $1 AND seq = $2"
	require.NoError(t, d.raw.QueryRowContext(t.Context(), q, d.chain, seq).Scan(ptrs...))
	return vals
}

// setRow writes content onto the entry at seq.
func (d tamperer) setRow(t *testing.T, seq int64, content []any) {
	t.Helper()
	sets := make([]string, len(contentColumns))
	for i, c := range contentColumns {
		sets[i] = fmt.Sprintf("%s = $%d", c, i+1)
	}
	n := len(contentColumns)
	q := fmt.Sprintf("UPDATE audit_entries SET %s WHERE chain = $%d AND seq = $%d",
		strings.Join(sets, ", "), n+1, n+2)
	d.exec(t, q, append(content, d.chain, seq)...)
}

// edit sets column of the entry at seq and returns the undo.
func (d tamperer) edit(t *testing.T, seq int64, column, value string) func() {
	t.Helper()
	before := d.row(t, seq)
	q := "UPDATE audit_entries SET " + column + " = $1 WHERE chain = $2 AND seq = $3"
	d.exec(t, q, value, d.chain, seq)
	return func() { d.setRow(t, seq, before) }
}

// delete removes the entry at seq and returns the undo.
func (d tamperer) delete(t *testing.T, seq int64) func() {
	t.Helper()
	before := d.row(t, seq)
	d.exec(t, "DELETE FROM audit_entries WHERE chain = $1 AND seq = $2", d.chain, seq)
	return func() {
		cols := append([]string{"chain", "seq"}, contentColumns...)
		marks := make([]string, len(cols))
		for i := range marks {
			marks[i] = fmt.Sprint("$", i+1)
		}
		q := fmt.Sprintf("INSERT INTO audit_entries (%s) VALUES (%s)",
			strings.Join(cols, ", "), strings.Join(marks, ", "))
		d.exec(t, q, append([]any{d.chain, seq}, before...)...)
	}
}

// swap exchanges the contents of the entries at a and b, ids included, and
// returns the undo.
func (d tamperer) swap(t *testing.T, a, b int64) func() {
	t.Helper()
	do := func() {
		ra, rb := d.row(t, a), d.row(t, b)
		d.exec(t, "UPDATE audit_entries SET id = 'moving' WHERE chain = $1 AND seq = $2",
			d.chain, a) // ids are unique
		d.setRow(t, b, ra)
		d.setRow(t, a, rb)
	}
	do()
	return do
}

// deleteHead removes the chain's head row and returns the undo.
func (d tamperer) deleteHead(t *testing.T) func() {
	t.Helper()
	var seq int64
	var hash, mac string
	q := "SELECT last_seq, last_hash, mac FROM audit_heads WHERE chain = $1"
	require.NoError(t, d.raw.QueryRowContext(t.Context(), q, d.chain).Scan(&seq, &hash, &mac))
	d.exec(t, "DELETE FROM audit_heads WHERE chain = $1", d.chain)
	return func() {
		d.exec(t, "INSERT INTO audit_heads (chain, last_seq, last_hash, mac) "+
			"VALUES ($1, $2, $3, $4)", d.chain, seq, hash, mac)
	}
}

// TestProcessesShareStore has two logs, as two processes would, write to one
// database through two handles at once: each keeps its own chain.
func TestProcessesShareStore(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, s audit.Store, _ *sql.DB) {
		v := &audit.MemVault{}
		a, b := newLog(t, s, v), newLog(t, s, v)
		errs := make(chan error, 2)
		go func() { errs <- record(a, 8, 300) }()
		go func() { errs <- record(b, 8, 300) }()
		require.NoError(t, errors.Join(<-errs, <-errs))

		r := requireVerified(t, s, v)
		require.Equal(t, 2, r.Chains)
		require.Equal(t, int64(600), r.Entries)
	})
}

// TestFailedCommitOnStore makes one transaction fail on a real store (its
// context ends) and checks that later entries still chain on what is
// committed.
func TestFailedCommitOnStore(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, s audit.Store, _ *sql.DB) {
		v := &audit.MemVault{}
		l := newLog(t, s, v, func(c *audit.Config) { c.Store = failOnce{Store: s} })

		require.NoError(t, record(l, 1, 3))
		e := call(3)
		e.RequestID = "fail"
		require.ErrorIs(t, l.Record(t.Context(), e), context.Canceled)
		require.NoError(t, record(l, 4, 20))

		r := requireVerified(t, s, v)
		require.Equal(t, int64(23), r.Entries)
	})
}

// failOnce appends with a cancelled context the batch holding the entry
// whose request id is "fail".
type failOnce struct{ audit.Store }

func (f failOnce) AppendAudit(ctx context.Context, batch []audit.Entry, mac string) error {
	for _, e := range batch {
		if e.RequestID == "fail" {
			cancelled, cancel := context.WithCancel(ctx)
			cancel()
			return f.Store.AppendAudit(cancelled, batch, mac)
		}
	}
	return f.Store.AppendAudit(ctx, batch, mac)
}

// TestVerifyWhileRecording verifies, again and again, while a Log records
// on each store: entries committed while Verify runs are never reported.
func TestVerifyWhileRecording(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, s audit.Store, _ *sql.DB) {
		v := &audit.MemVault{}
		l := newLog(t, s, v)
		require.NoError(t, record(l, 1, 1))

		done := make(chan error, 1)
		go func() { done <- record(l, 8, 600) }()
		for recording := true; recording; {
			select {
			case err := <-done:
				require.NoError(t, err)
				recording = false
			default:
			}
			requireVerified(t, s, v)
		}
		require.Equal(t, int64(601), requireVerified(t, s, v).Entries)
	})
}
