package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to tamper with PostgreSQL
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite" // the "sqlite" driver, to tamper with the embedded store
)

// TestAuditHoldsEveryCallAndCatchesTampering sends 2,000 calls from 32
// goroutines, allowed and denied, through the running server: the audit
// holds exactly 2,000 call entries and verifies; then an edited, a swapped
// and a deleted entry are each caught by switchboard audit verify.
func TestAuditHoldsEveryCallAndCatchesTampering(t *testing.T) {
	t.Parallel()
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			auditHoldsEveryCall(t, kind.new(t))
		})
	}
}

func auditHoldsEveryCall(t *testing.T, in *instance) {
	fake := newFakeSlack(t)
	s := in.serve()
	callers := setupAccess(t, s, fake)
	alice, nobody := callers[0], callers[3]

	const calls, workers = 2000, 32
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for w := range workers {
		wg.Go(func() {
			for i := w; i < calls; i += workers {
				c := alice
				if i%3 == 0 {
					c = nobody
				}
				status, _ := s.apiAs(c.key, "POST", "/api/v1/integrations/slack/actions/send_message",
					fmt.Sprintf(`{"channel":"C1","text":"call %d"}`, i))
				mu.Lock()
				statuses[status]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// nobody holds nothing of Slack: it is told Slack is not there.
	require.Equal(t, map[int]int{200: calls - (calls+2)/3, 404: (calls + 2) / 3}, statuses)

	entries := auditEntries(t, s, "integration=slack&action=send_message")
	outcomes := map[string]int{}
	for _, e := range entries {
		require.Equal(t, "action.call", e.Event)
		outcomes[e.Outcome]++
		require.NotEmpty(t, e.InputMAC)
		require.NotContains(t, e.InputMAC, "call ", "the input itself is never stored")
	}
	require.Equal(t, map[string]int{"ok": calls - (calls+2)/3, "denied": (calls + 2) / 3}, outcomes)
	s.stop()

	out := in.mustCLI("", "audit", "verify")
	require.Contains(t, out, "no problem")

	db := rawStore(t, in)
	var chain string
	var n int
	require.NoError(t, db.QueryRow(`SELECT chain, count(*) FROM audit_entries
		GROUP BY chain ORDER BY count(*) DESC LIMIT 1`).Scan(&chain, &n))
	require.GreaterOrEqual(t, n, calls)
	exec := func(q string) {
		t.Helper()
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
	verifyFails := func(want string) {
		t.Helper()
		out, err := in.cli("", "audit", "verify")
		require.Error(t, err, out)
		require.Contains(t, out, want)
	}

	// An edited entry.
	var actor string
	require.NoError(t, db.QueryRow(fmt.Sprintf(`SELECT actor FROM audit_entries
		WHERE chain = '%s' AND seq = 700`, chain)).Scan(&actor))
	exec(fmt.Sprintf(`UPDATE audit_entries SET actor = 'user:mallory'
		WHERE chain = '%s' AND seq = 700`, chain))
	verifyFails(fmt.Sprintf("chain %s seq 700", chain))
	verifyFails("edited")
	exec(fmt.Sprintf(`UPDATE audit_entries SET actor = '%s'
		WHERE chain = '%s' AND seq = 700`, actor, chain))
	require.Contains(t, in.mustCLI("", "audit", "verify"), "no problem", "restored")

	// Two entries swapped.
	exec(fmt.Sprintf(`UPDATE audit_entries SET seq = 1000000 WHERE chain = '%s' AND seq = 42`, chain))
	exec(fmt.Sprintf(`UPDATE audit_entries SET seq = 42 WHERE chain = '%s' AND seq = 43`, chain))
	exec(fmt.Sprintf(`UPDATE audit_entries SET seq = 43 WHERE chain = '%s' AND seq = 1000000`, chain))
	verifyFails(fmt.Sprintf("chain %s seq 42", chain))
	exec(fmt.Sprintf(`UPDATE audit_entries SET seq = 1000000 WHERE chain = '%s' AND seq = 42`, chain))
	exec(fmt.Sprintf(`UPDATE audit_entries SET seq = 42 WHERE chain = '%s' AND seq = 43`, chain))
	exec(fmt.Sprintf(`UPDATE audit_entries SET seq = 43 WHERE chain = '%s' AND seq = 1000000`, chain))
	require.Contains(t, in.mustCLI("", "audit", "verify"), "no problem", "swapped back")

	// A deleted entry.
	exec(fmt.Sprintf(`DELETE FROM audit_entries WHERE chain = '%s' AND seq = 1234`, chain))
	verifyFails(fmt.Sprintf("chain %s seq 1234", chain))
	verifyFails("missing")
}

type auditEntry struct {
	Event, Outcome, Actor string
	InputMAC              string `json:"inputMac"`
}

// auditEntries pages through GET /api/v1/audit with the admin key.
func auditEntries(t *testing.T, s *server, query string) []auditEntry {
	t.Helper()
	var all []auditEntry
	before := ""
	for range 100 {
		q := query + "&limit=1000"
		if before != "" {
			q += "&before=" + before
		}
		status, body := s.api("GET", "/api/v1/audit?"+q, "")
		require.Equal(t, 200, status, "%s", body)
		var page struct {
			Entries []auditEntry
			Next    string
		}
		require.NoError(t, json.Unmarshal(body, &page))
		all = append(all, page.Entries...)
		if page.Next == "" {
			return all
		}
		before = page.Next
	}
	t.Fatal("too many audit pages")
	return nil
}

// rawStore opens the instance's database directly, as someone with access
// to it but not to the master key would.
func rawStore(t *testing.T, in *instance) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", filepath.Join(in.data, "switchboard.db")
	for _, kv := range in.env {
		if v, ok := strings.CutPrefix(kv, "SWITCHBOARD_DATABASE_URL="); ok {
			driver, dsn = "pgx", v
		}
	}
	db, err := sql.Open(driver, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}
