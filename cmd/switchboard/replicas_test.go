package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/credentials/oauthtest"
	"github.com/switchboard-dev/switchboard/store/postgres"
)

// Replicas: several `switchboard serve` on one PostgreSQL database, each
// behaving as if it were the only one.

// newReplicas starts n servers on one PostgreSQL schema. The change feed's
// poll is an hour, so that only LISTEN can carry a change between them
// within a test.
func newReplicas(t *testing.T, n int) (*instance, []*server) {
	t.Helper()
	in := newPostgresInstance(t)
	in.env = append(in.env, "SWITCHBOARD_CHANGE_POLL_INTERVAL=1h")
	servers := make([]*server, n)
	servers[0] = in.serve() // creates the admin key
	for i := 1; i < n; i++ {
		servers[i] = in.serve()
	}
	return in, servers
}

func TestReplicasSeeEachOthersChanges(t *testing.T) {
	t.Parallel()
	_, rs := newReplicas(t, 2)
	a, b := rs[0], rs[1]
	fake := newFakeSlack(t)

	var changes atomic.Int32
	cs := b.client("http", "2026-07-28", func() { changes.Add(1) })
	require.NotContains(t, toolNames(t, cs), "slack_send_message")

	// Deployed and configured through A: B's client is told, lists the
	// tool, and its call reaches Slack with the secret set through A.
	setupSlack(t, a, fake)
	waitFor(t, "list_changed on B", func() bool { return changes.Load() > 0 })
	waitFor(t, "the tool on B", func() bool {
		return slices.Contains(toolNames(t, cs), "slack_send_message")
	})
	// The config may reach B a moment after the deploy did.
	waitFor(t, "a call through B", func() bool {
		_, res := callTool(t, cs, "slack_send_message", map[string]any{"channel": "C1", "text": "hi"})
		return !res.IsError
	})
	require.Equal(t, "Bearer "+slackToken, fake.last(t).Auth)

	// A key made through A works on B; revoked through A, it stops on B.
	status, body := a.api("POST", "/api/v1/keys", `{"principal":"agent:bot","name":"bot"}`)
	require.Equal(t, 201, status, "%s", body)
	var key struct{ ID, Key string }
	require.NoError(t, json.Unmarshal(body, &key))
	status, _ = b.apiAs(key.Key, "GET", "/api/v1/permissions", "")
	require.Equal(t, 200, status)

	// A role granted through A reaches B's next request.
	status, body = a.api("POST", "/api/v1/roles",
		`{"name":"poster","permissions":["integration:slack:send_message"]}`)
	require.Equal(t, 201, status, "%s", body)
	status, body = a.api("POST", "/api/v1/roles/assign", `{"principal":"agent:bot","role":"poster"}`)
	require.Equal(t, 200, status, "%s", body)
	waitFor(t, "the role on B", func() bool {
		status, _ := b.apiAs(key.Key, "POST", "/api/v1/integrations/slack/actions/send_message",
			`{"channel":"C1","text":"from the bot"}`)
		return status == 200
	})

	status, _ = a.api("DELETE", "/api/v1/keys/"+key.ID, "")
	require.Equal(t, 204, status)
	waitFor(t, "the revocation on B", func() bool {
		status, _ := b.apiAs(key.Key, "GET", "/api/v1/permissions", "")
		return status == 401
	})

	// Undeployed through A: gone from B's list.
	before := changes.Load()
	status, _ = a.api("DELETE", "/api/v1/integrations/catalog/slack", "")
	require.Equal(t, 200, status)
	waitFor(t, "list_changed on B after undeploy", func() bool { return changes.Load() > before })
	require.NotContains(t, toolNames(t, cs), "slack_send_message")
}

func TestReplicaListenerReconnects(t *testing.T) {
	t.Parallel()
	in, rs := newReplicas(t, 2)
	a, b := rs[0], rs[1]
	fake := newFakeSlack(t)
	var changes atomic.Int32
	cs := b.client("http", "2026-07-28", func() { changes.Add(1) })

	// Drop every listener connection of this schema's replicas. (Other
	// tests' replicas may lose theirs too: they reconnect and catch up.)
	url := envValue(in.env, "SWITCHBOARD_DATABASE_URL")
	conn, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var dropped int
	require.NoError(t, conn.QueryRow(t.Context(), `
		SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND pid <> pg_backend_pid()`,
		postgres.ListenerName).Scan(&dropped))
	require.GreaterOrEqual(t, dropped, 2, "both replicas listen")

	// A change made right away, possibly before B listens again, still
	// arrives: B reads the feed when it reconnects.
	setupSlack(t, a, fake)
	waitFor(t, "list_changed on B", func() bool { return changes.Load() > 0 })
	waitFor(t, "the tool on B", func() bool {
		return slices.Contains(toolNames(t, cs), "slack_send_message")
	})
	waitFor(t, "the listener's reconnection in the log", func() bool {
		return strings.Contains(in.logs.String(), "change notifications restored")
	})
}

func TestReplicasRefreshOnce(t *testing.T) {
	t.Parallel()
	provider := oauthtest.NewProvider(t)
	provider.SetExpiresIn(2 * time.Second)
	_, rs := newReplicas(t, 2)
	a, b := rs[0], rs[1]
	key := setupGitHub(t, a, provider)
	waitFor(t, "github on B", func() bool {
		status, _ := b.apiAs(key, "GET", "/api/v1/integrations/github", "")
		return status == 200
	})
	connectThroughLink(t, a, key)

	// The connection's token expires; the one that replaces it lives an
	// hour. 20 calls spread over both replicas renew it once.
	provider.SetExpiresIn(time.Hour)
	time.Sleep(2500 * time.Millisecond)
	before := provider.Calls("refresh_token")
	var wg sync.WaitGroup
	statuses := make([]int, 20)
	bodies := make([][]byte, 20)
	for i := range statuses {
		s := rs[i%2]
		wg.Go(func() {
			statuses[i], bodies[i] = s.apiAs(key, "POST",
				"/api/v1/integrations/github/actions/get_authenticated_user", `{}`)
		})
	}
	wg.Wait()
	for i := range statuses {
		require.Equal(t, 200, statuses[i], "%s", bodies[i])
		require.JSONEq(t, `{"user":"alice","scope":"repo read:user"}`, string(bodies[i]))
	}
	require.Equal(t, before+1, provider.Calls("refresh_token"), "one refresh for both replicas")
	// The rotated refresh token is the one kept: the next renewal works.
	status, body := b.apiAs(key, "POST", "/api/v1/integrations/github/connections/"+
		connectionID(t, b, key)+"/refresh", "")
	require.Equal(t, 200, status, "%s", body)
	require.Equal(t, before+2, provider.Calls("refresh_token"))
}

func TestReplicasAuditEveryCall(t *testing.T) {
	t.Parallel()
	in, rs := newReplicas(t, 2)
	fake := newFakeSlack(t)
	setupSlack(t, rs[0], fake)
	waitFor(t, "slack on B", func() bool {
		status, _ := rs[1].api("GET", "/api/v1/integrations/slack", "")
		return status == 200
	})
	const calls = 1000
	admin := in.adminKey()
	var next atomic.Int32
	var failed atomic.Int32
	var wg sync.WaitGroup
	for w := range 8 {
		s := rs[w%2]
		wg.Go(func() {
			client := &http.Client{Timeout: 30 * time.Second}
			for next.Add(1) <= calls {
				req, _ := http.NewRequest("POST", s.url+"/api/v1/integrations/slack/actions/send_message",
					strings.NewReader(`{"channel":"C1","text":"n"}`))
				req.Header.Set("Authorization", "Bearer "+admin)
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	require.Zero(t, failed.Load())
	for _, s := range rs {
		s.stop()
	}
	out := in.mustCLI("", "audit", "verify")
	require.Contains(t, out, "no problem", out)

	// Every call has its entry, and both replicas wrote theirs, each on a
	// chain of its own.
	conn, err := pgx.Connect(t.Context(), envValue(in.env, "SWITCHBOARD_DATABASE_URL"))
	require.NoError(t, err)
	defer conn.Close(context.Background())
	rows, err := conn.Query(t.Context(), `SELECT chain, count(*) FROM audit_entries
		WHERE event = 'action.call' GROUP BY chain`)
	require.NoError(t, err)
	perChain := map[string]int{}
	total := 0
	for rows.Next() {
		var chain string
		var n int
		require.NoError(t, rows.Scan(&chain, &n))
		perChain[chain] = n
		total += n
	}
	require.NoError(t, rows.Err())
	require.Equal(t, calls, total)
	require.Len(t, perChain, 2, "one chain per replica")
	chains := regexp.MustCompile(`chain (\w+): (\d+) entries`).FindAllStringSubmatch(out, -1)
	require.GreaterOrEqual(t, len(chains), 2)
}

// setupGitHub deploys the GitHub example on s against provider, lets
// user:alice call it, and returns alice's key.
func setupGitHub(t *testing.T, s *server, provider *oauthtest.Provider) string {
	t.Helper()
	status, body := s.api("POST", "/api/v1/integrations/catalog/github/deploy", "")
	require.Equal(t, 200, status, "%s", body)
	status, body = s.api("PUT", "/api/v1/integrations/github/config", fmt.Sprintf(
		`{"clientId":%q,"clientSecret":%q,"authBaseUrl":%q,"baseUrl":%q}`,
		provider.ClientID, provider.ClientSecret, provider.URL, provider.URL))
	require.Equal(t, 200, status, "%s", body)
	status, body = s.api("POST", "/api/v1/roles",
		`{"name":"github-user","permissions":["integration:github:*"]}`)
	require.Equal(t, 201, status, "%s", body)
	status, _ = s.api("POST", "/api/v1/roles/assign", `{"principal":"user:alice","role":"github-user"}`)
	require.Equal(t, 200, status)
	status, body = s.api("POST", "/api/v1/keys", `{"principal":"user:alice","name":"laptop"}`)
	require.Equal(t, 201, status, "%s", body)
	var key struct{ Key string }
	require.NoError(t, json.Unmarshal(body, &key))
	return key.Key
}

// connectThroughLink connects the key's user to GitHub the way a browser
// follows the connect link of a not_connected answer.
func connectThroughLink(t *testing.T, s *server, key string) {
	t.Helper()
	status, body := s.apiAs(key, "POST", "/api/v1/integrations/github/actions/get_authenticated_user", `{}`)
	require.Equal(t, 409, status, "%s", body)
	var p struct{ ConnectURL string }
	require.NoError(t, json.Unmarshal(body, &p))
	resp := confirmLink(t, browser(t), p.ConnectURL)
	page := readAll(t, resp)
	require.Equal(t, 200, resp.StatusCode, page)
	require.Contains(t, page, "Connected to GitHub")
}

// connectionID returns the id of the key's user's first GitHub connection.
func connectionID(t *testing.T, s *server, key string) string {
	t.Helper()
	status, body := s.apiAs(key, "GET", "/api/v1/integrations/github/connections", "")
	require.Equal(t, 200, status, "%s", body)
	var list struct{ Connections []struct{ ID string } }
	require.NoError(t, json.Unmarshal(body, &list))
	require.NotEmpty(t, list.Connections)
	return list.Connections[0].ID
}

func envValue(env []string, name string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return os.Getenv(name)
}

func TestReplicasTakeADeliveryOnce(t *testing.T) {
	t.Parallel()
	_, rs := newReplicas(t, 2)
	a, b := rs[0], rs[1]
	urlA := setupGitHubHooks(t, a)
	// The same listener on B: the token, not the replica, names it.
	urlB := b.url + strings.TrimPrefix(urlA, a.url)

	// Two subscribers; each must get every event once, whichever replica
	// took the delivery and whichever sends.
	var mu sync.Mutex
	got := map[string]map[string]int{} // subscriber -> webhook-id -> count
	var subs []string
	for _, name := range []string{"first", "second"} {
		receiver := httptestServer(t, func(r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			if got[name] == nil {
				got[name] = map[string]int{}
			}
			got[name][r.Header.Get("webhook-id")]++
		})
		status, body := a.api("POST", "/api/v1/subscriptions",
			fmt.Sprintf(`{"integration":"github","events":["issues"],"url":%q}`, receiver))
		require.Equal(t, 201, status, "%s", body)
		subs = append(subs, name)
	}
	waitFor(t, "github on B", func() bool {
		status, _, err := postDelivery(http.DefaultClient, urlB, "probe", `{"action":"opened"}`)
		return err == nil && status == 200
	})

	// Each delivery is posted to A and to B at once, as a provider that
	// retries through a load balancer would.
	const deliveries = 20
	var wg sync.WaitGroup
	for i := range deliveries {
		for _, u := range []string{urlA, urlB} {
			wg.Go(func() {
				status, answer, err := postDelivery(http.DefaultClient, u, fmt.Sprintf("d-%d", i),
					fmt.Sprintf(`{"action":"edited","issue":{"number":%d}}`, i))
				if err != nil || status != 200 {
					t.Errorf("delivery %d to %s: %d %s %v", i, u, status, answer, err)
				}
			})
		}
	}
	wg.Wait()

	evs := allEvents(t, b, "github")
	perDelivery := map[string]int{}
	for _, e := range evs.Events {
		perDelivery[e.DeliveryID]++
	}
	for i := range deliveries {
		require.Equal(t, 1, perDelivery[fmt.Sprintf("d-%d", i)], "d-%d stored once", i)
	}
	waitFor(t, "every event at both subscribers", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, name := range subs {
			if len(got[name]) < deliveries+1 { // and the probe
				return false
			}
		}
		return true
	})
	// Let any duplicate sending show itself before counting.
	time.Sleep(time.Second)
	mu.Lock()
	defer mu.Unlock()
	for _, name := range subs {
		require.Len(t, got[name], deliveries+1)
		for id, n := range got[name] {
			require.Equal(t, 1, n, "%s received %s %d times", name, id, n)
		}
	}
}

// httptestServer answers 204 to every request after calling fn, and
// returns its URL.
func httptestServer(t *testing.T, fn func(r *http.Request)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fn(r)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestReplicasStartTogether starts two replicas at the same instant on an
// empty database, several times: they agree on one vault key ring and one
// audit key, so every entry either writes verifies.
func TestReplicasStartTogether(t *testing.T) {
	t.Parallel()
	for round := range 3 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			t.Parallel()
			in := newPostgresInstance(t)
			var wg sync.WaitGroup
			rs := make([]*server, 2)
			for i := range rs {
				wg.Go(func() { rs[i] = in.serve() })
			}
			wg.Wait()
			// One of them made the admin key; either answers it.
			key := waitAdminKey(t, in)
			t.Cleanup(func() {
				if t.Failed() {
					t.Log(in.logs.String())
				}
			})
			for _, s := range rs {
				// The replica that did not bootstrap learns of the admin's
				// role through the change feed.
				waitFor(t, "the admin role on every replica", func() bool {
					status, body := s.apiAs(key, "GET", "/api/v1/permissions", "")
					return status == 200 && strings.Contains(string(body), `"*"`)
				})
				status, body := s.apiAs(key, "POST", "/api/v1/roles",
					fmt.Sprintf(`{"name":"r%d","permissions":["integration:slack:*"]}`, s.cmd.Process.Pid))
				require.Equal(t, 201, status, "%s", body)
			}
			for _, s := range rs {
				s.stop()
			}
			out := in.mustCLI("", "audit", "verify")
			require.Contains(t, out, "no problem", out)
			keys := in.mustCLI("", "keys", "list")
			require.Equal(t, 1, strings.Count(keys, "user:admin"), "one admin key:\n%s", keys)
		})
	}
}

// waitAdminKey reads the admin key once the replica that made it has
// written it.
func waitAdminKey(t *testing.T, in *instance) string {
	t.Helper()
	var key string
	waitFor(t, "the admin key", func() bool {
		b, err := os.ReadFile(in.data + "/admin.token")
		key = strings.TrimSpace(string(b))
		return err == nil && key != ""
	})
	return key
}
