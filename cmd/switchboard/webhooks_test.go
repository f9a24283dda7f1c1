package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// githubHookSecret signs the deliveries of the tests' GitHub.
const githubHookSecret = "gh-webhook-secret-5d1e"

// setupGitHubHooks deploys GitHub with its webhook secret and returns the
// listener URL the deploy answered.
func setupGitHubHooks(t *testing.T, s *server) string {
	t.Helper()
	status, body := s.api("POST", "/api/v1/integrations/catalog/github/deploy", "")
	require.Equal(t, 200, status, "%s", body)
	var dep struct{ WebhookURL string }
	require.NoError(t, json.Unmarshal(body, &dep))
	require.True(t, strings.HasPrefix(dep.WebhookURL, s.url+"/api/v1/hooks/sbh_"), dep.WebhookURL)
	status, body = s.api("PUT", "/api/v1/integrations/github/config",
		fmt.Sprintf(`{"webhookSecret":%q}`, githubHookSecret))
	require.Equal(t, 200, status, "%s", body)
	return dep.WebhookURL
}

// postDelivery sends GitHub's delivery id with body, signed, and returns
// the status.
func postDelivery(client *http.Client, url, id, body string) (int, string, error) {
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	m := hmac.New(sha256.New, []byte(githubHookSecret))
	m.Write([]byte(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "issues")
	req.Header.Set("X-GitHub-Delivery", id)
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

type listedEvents struct {
	Events []struct {
		ID, Event, DeliveryID string
		Duplicates            int
		Payload               json.RawMessage
	}
	Next string
}

// allEvents pages through an integration's events with the admin key.
func allEvents(t *testing.T, s *server, app string) listedEvents {
	t.Helper()
	var all listedEvents
	after := "0"
	for range 100 {
		status, body := s.api("GET", "/api/v1/integrations/"+app+"/events?limit=1000&after="+after, "")
		require.Equal(t, 200, status, "%s", body)
		var page listedEvents
		require.NoError(t, json.Unmarshal(body, &page))
		if len(page.Events) == 0 {
			return all
		}
		all.Events = append(all.Events, page.Events...)
		after = page.Next
	}
	t.Fatal("too many event pages")
	return all
}

func TestWebhooksEndToEnd(t *testing.T) {
	t.Parallel()
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			webhooksEndToEnd(t, kind.new(t))
		})
	}
}

func webhooksEndToEnd(t *testing.T, in *instance) {
	s := in.serve()
	url := setupGitHubHooks(t, s)
	status, body := s.api("GET", "/api/v1/integrations/github/webhooks", "")
	require.Equal(t, 200, status, "%s", body)
	require.JSONEq(t, fmt.Sprintf(`{"url":%q,"events":["push","issues","pull_request"],
		"scheme":"github"}`, url), string(body))

	// An outbound subscriber, reached over loopback (the tests allow it).
	var mu sync.Mutex
	var got []http.Header
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Clone())
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(receiver.Close)
	status, body = s.api("POST", "/api/v1/subscriptions",
		fmt.Sprintf(`{"integration":"github","events":["issues"],"url":%q}`, receiver.URL))
	require.Equal(t, 201, status, "%s", body)
	var sub struct{ ID, Secret string }
	require.NoError(t, json.Unmarshal(body, &sub))
	require.True(t, strings.HasPrefix(sub.Secret, "whsec_"))

	// One delivery twice, and another about the same issue.
	issue := `{"action":"edited","issue":{"number":42}}`
	labeled := `{"action":"labeled","issue":{"number":42}}`
	for _, d := range []struct{ id, body string }{{"d-1", issue}, {"d-1", issue}, {"d-2", labeled}} {
		status, answer, err := postDelivery(http.DefaultClient, url, d.id, d.body)
		require.NoError(t, err)
		require.Equal(t, 200, status, answer)
	}
	// Unsigned and wrongly signed deliveries are refused, with no detail.
	req, _ := http.NewRequest("POST", url, strings.NewReader(issue))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	refusal, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 401, resp.StatusCode)
	require.JSONEq(t, `{"received":false}`, string(refusal))

	evs := allEvents(t, s, "github")
	require.Len(t, evs.Events, 2)
	require.Equal(t, "d-1", evs.Events[0].DeliveryID)
	require.Equal(t, 1, evs.Events[0].Duplicates)
	require.Equal(t, "issues", evs.Events[1].Event)
	require.JSONEq(t, labeled, string(evs.Events[1].Payload))

	// Each event reaches the subscriber once, signed.
	waitFor(t, "two deliveries", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) >= 2 })
	mu.Lock()
	ids := map[string]bool{}
	for _, h := range got {
		ids[h.Get("webhook-id")] = true
		require.True(t, strings.HasPrefix(h.Get("webhook-signature"), "v1,"))
	}
	mu.Unlock()
	require.Len(t, ids, 2)

	// The audit has intake on its own surface, with the refusal's reason.
	status, body = s.api("GET", "/api/v1/audit?integration=github&limit=100", "")
	require.Equal(t, 200, status, "%s", body)
	var page struct {
		Entries []struct {
			Surface, Event, Outcome string
			Detail                  map[string]string
		}
	}
	require.NoError(t, json.Unmarshal(body, &page))
	var intake []string
	for _, e := range page.Entries {
		if e.Event == "webhook.receive" {
			require.Equal(t, "webhook", e.Surface)
			intake = append(intake, e.Outcome+" "+e.Detail["duplicate"]+e.Detail["reason"])
		}
	}
	require.ElementsMatch(t, []string{"ok false", "ok true", "ok false",
		"denied signature missing"}, intake)

	// The stream resumes after the first event; MCP lists them too.
	streamFrom(t, s, evs.Events[0].ID, evs.Events[1].ID)
	cs := s.client("http", "2026-07-28", nil)
	text, res := callTool(t, cs, "list_events", map[string]any{"integration_id": "github"})
	require.False(t, res.IsError, text)
	require.Contains(t, text, `"deliveryId":"d-2"`)

	// Rotation retires the old URL at once; purge forgets everything.
	status, body = s.api("POST", "/api/v1/integrations/github/webhooks/rotate", "")
	require.Equal(t, 200, status, "%s", body)
	status, _, err = postDelivery(http.DefaultClient, url, "d-3", issue)
	require.NoError(t, err)
	require.Equal(t, 404, status)
	status, body = s.api("DELETE", "/api/v1/integrations/catalog/github?purge=true", "")
	require.Equal(t, 200, status, "%s", body)
	status, body = s.api("POST", "/api/v1/integrations/catalog/github/deploy", "")
	require.Equal(t, 200, status, "%s", body)
	require.Empty(t, allEvents(t, s, "github").Events)
	status, body = s.api("GET", "/api/v1/subscriptions?integration=github", "")
	require.Equal(t, 200, status, "%s", body)
	require.JSONEq(t, `{"subscriptions":[]}`, string(body))

	// The signing secret, the token and the subscription's secret stay out
	// of the logs and, on the embedded store, of the database files.
	token := strings.TrimPrefix(url, s.url+"/api/v1/hooks/")
	for _, secret := range []string{githubHookSecret, token, sub.Secret} {
		require.NotContains(t, in.logs.String(), secret)
		files, err := os.ReadDir(in.data)
		require.NoError(t, err)
		for _, f := range files {
			if strings.HasPrefix(f.Name(), "switchboard.db") {
				b, err := os.ReadFile(filepath.Join(in.data, f.Name()))
				require.NoError(t, err)
				require.NotContains(t, string(b), secret, f.Name())
			}
		}
	}
}

// streamFrom reads the event stream from Last-Event-ID after and expects
// the next event to be want.
func streamFrom(t *testing.T, s *server, after, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET",
		s.url+"/api/v1/events/stream?integration=github", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+s.in.adminKey())
	req.Header.Set("Last-Event-ID", after)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	sc := bufio.NewScanner(resp.Body)
	require.True(t, sc.Scan(), "stream ended")
	require.Equal(t, "id: "+want, sc.Text())
}

func TestWebhookBurstSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	for _, kind := range storeKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			webhookBurstSurvivesSIGKILL(t, kind.new(t))
		})
	}
}

// webhookBurstSurvivesSIGKILL posts 1,000 distinct deliveries and kills
// the server mid-burst: every delivery that was acknowledged is stored,
// exactly once, after a restart.
func webhookBurstSurvivesSIGKILL(t *testing.T, in *instance) {
	const total, senders, killAfter = 1000, 8, 300
	s := in.serve()
	url := setupGitHubHooks(t, s)

	client := &http.Client{Timeout: 20 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	var next, acked atomic.Int64
	var mu sync.Mutex
	ok := map[string]bool{}
	var killed sync.Once
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > total {
					return
				}
				id := "burst-" + strconv.FormatInt(i, 10)
				status, _, err := postDelivery(client, url, id, `{"n":`+strconv.FormatInt(i, 10)+`}`)
				if err != nil || status/100 != 2 {
					continue
				}
				mu.Lock()
				ok[id] = true
				mu.Unlock()
				if acked.Add(1) == killAfter {
					killed.Do(func() { _ = s.cmd.Process.Kill() })
				}
			}
		})
	}
	wg.Wait()
	killed.Do(func() { _ = s.cmd.Process.Kill() })
	<-s.done
	require.GreaterOrEqual(t, len(ok), killAfter)
	require.Less(t, len(ok), total, "the kill cut the burst short")

	s = in.serve()
	evs := allEvents(t, s, "github")
	stored := map[string]int{}
	for _, e := range evs.Events {
		stored[e.DeliveryID]++
	}
	for id := range ok {
		require.Equal(t, 1, stored[id], "acknowledged delivery %s stored once", id)
	}
	for id, n := range stored {
		require.Equal(t, 1, n, "delivery %s stored %d times", id, n)
	}
	t.Logf("%d acknowledged, %d stored", len(ok), len(stored))
}
