package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	mcpsdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/switchboard-dev/switchboard/executor"
	"github.com/switchboard-dev/switchboard/store/postgres/pgtest"
)

// BenchmarkCallPath measures one slack_send_message call through the REST
// and MCP surfaces of an in-process server, with the audit on (as served)
// and off (the same executor without an auditor), on both stores, with 16
// clients per CPU calling at once. Compare audit=on with
// audit=off of the same store and surface:
//
//	go test ./cmd/switchboard -run '^$' -bench CallPath -benchtime 3s
func BenchmarkCallPath(b *testing.B) {
	// The upstream answers at once, or after 20ms as a real service far
	// away does: the first shows the audit's cost alone, the second what it
	// costs a deployment.
	var delay atomic.Int64
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		time.Sleep(time.Duration(delay.Load()))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true,"channel":"C1","ts":"1700000000.000100"}`)
	}))
	defer upstream.Close()
	stores := map[string]func(b *testing.B) config{
		"sqlite": func(b *testing.B) config {
			return config{dataDir: b.TempDir(), publicURL: benchPublicURL}
		},
		"postgres": func(b *testing.B) config {
			return config{dataDir: b.TempDir(), databaseURL: pgtest.URL(b), publicURL: benchPublicURL}
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run("store="+name, func(b *testing.B) {
			a, key := benchApp(b, stores[name](b), upstream.URL)
			for _, audited := range []bool{true, false} {
				exec := a.exec
				if !audited {
					exec = unaudited(b, a)
				}
				_, handler, err := a.surfaces(exec)
				if err != nil {
					b.Fatal(err)
				}
				srv := httptest.NewServer(handler)
				for _, d := range []time.Duration{0, 20 * time.Millisecond} {
					delay.Store(int64(d))
					b.Run(fmt.Sprintf("upstream=%s/audit=%s/surface=rest", d, onOff(audited)),
						func(b *testing.B) { benchREST(b, srv.URL, key) })
					b.Run(fmt.Sprintf("upstream=%s/audit=%s/surface=mcp", d, onOff(audited)),
						func(b *testing.B) { benchMCP(b, srv.URL, key) })
				}
				srv.Close()
			}
		})
	}
}

// benchPublicURL is the public URL of the benchmarked app; nothing reaches
// it.
const benchPublicURL = "http://127.0.0.1:8080"

// benchClients is how many clients per CPU call at once: an agent platform
// has many sessions in flight, and the audit's group commit is built for it.
const benchClients = 16

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// benchApp opens a store as serve does, with Slack deployed against
// upstream, and returns the app and the admin key.
func benchApp(b *testing.B, cfg config, upstream string) (*app, string) {
	b.Helper()
	cfg.allowPrivateNetwork = true
	cfg.logFormat, cfg.logLevel = "text", "warn"
	key := newMasterKeyB(b)
	e := &env{getenv: func(k string) string {
		if k == "SWITCHBOARD_MASTER_KEY" && cfg.databaseURL != "" {
			return key
		}
		return ""
	}, stdin: bytes.NewReader(nil), stdout: io.Discard, stderr: io.Discard}
	ctx := context.Background()
	a, err := openApp(ctx, cfg, e, slog.New(slog.DiscardHandler), true)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.close)
	if _, err := a.registry.Deploy(ctx, "slack"); err != nil {
		b.Fatal(err)
	}
	_, err = a.registry.Configure(ctx, "slack", map[string]json.RawMessage{
		"botToken": json.RawMessage(`"xoxb-bench"`),
		"baseUrl":  json.RawMessage(fmt.Sprintf("%q", upstream+"/api")),
	})
	if err != nil {
		b.Fatal(err)
	}
	admin, err := os.ReadFile(a.cfg.dataDir + "/" + adminFile)
	if err != nil {
		b.Fatal(err)
	}
	return a, string(bytes.TrimSpace(admin))
}

func newMasterKeyB(b *testing.B) string {
	b.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		b.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(k)
}

// unaudited is a's executor without the audit.
func unaudited(b *testing.B, a *app) *executor.Executor {
	b.Helper()
	exec, err := executor.New(executor.Config{Installed: a.registry, Authorizer: a.rbac,
		Secrets: a.vault, Runner: a.backend})
	if err != nil {
		b.Fatal(err)
	}
	return exec
}

func benchREST(b *testing.B, base, key string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	body := []byte(`{"channel":"C1","text":"hello"}`)
	b.SetParallelism(benchClients)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", base+"/api/v1/integrations/slack/actions/send_message",
				bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+key)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}

func benchMCP(b *testing.B, base, key string) {
	httpClient := &http.Client{Transport: bearer{key: key,
		base: &http.Transport{MaxIdleConnsPerHost: 64}}}
	args := map[string]any{"channel": "C1", "text": "hello"}
	b.SetParallelism(benchClients)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := mcpsdk.NewClient(&mcpsdk.Implementation{Name: "bench", Version: "1"}, nil)
		cs, err := c.Connect(context.Background(), &mcpsdk.StreamableClientTransport{
			Endpoint: base + "/mcp", HTTPClient: httpClient}, nil)
		if err != nil {
			b.Error(err)
			return
		}
		defer cs.Close()
		for pb.Next() {
			res, err := cs.CallTool(context.Background(),
				&mcpsdk.CallToolParams{Name: "slack_send_message", Arguments: args})
			if err != nil || res.IsError {
				b.Errorf("call: %v %v", err, res)
				return
			}
		}
	})
}
