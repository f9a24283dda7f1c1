package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mcpsdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"
)

// binary is the switchboard command built once for every end-to-end test.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "switchboard-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "switchboard")
	args := []string{"build", "-o", binary}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build switchboard:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer collects a process's output while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// instance is one store: a data directory and, for PostgreSQL, a database
// URL and master key shared by every process started on it.
type instance struct {
	t    *testing.T
	data string
	env  []string
	logs *syncBuffer // every process's standard error
}

func newInstance(t *testing.T, extraEnv ...string) *instance {
	t.Helper()
	data := t.TempDir()
	return &instance{
		t: t, data: data, logs: &syncBuffer{},
		env: append([]string{
			"SWITCHBOARD_DATA=" + data,
			"SWITCHBOARD_ALLOW_PRIVATE_NETWORK=true",
			"SWITCHBOARD_LOG_FORMAT=json",
			"HOME=" + data,
			"PATH=" + os.Getenv("PATH"),
		}, extraEnv...),
	}
}

// command returns switchboard with args on this store.
func (in *instance) command(args ...string) *exec.Cmd {
	cmd := exec.Command(binary, args...)
	cmd.Env = append([]string{}, in.env...)
	return cmd
}

// cli runs a command to its end and returns its standard output.
func (in *instance) cli(stdin string, args ...string) (string, error) {
	in.t.Helper()
	cmd := in.command(args...)
	var out, errOut bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout = &out
	cmd.Stderr = io.MultiWriter(&errOut, in.logs)
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("%v: %s", err, errOut.String())
	}
	return out.String(), nil
}

func (in *instance) mustCLI(stdin string, args ...string) string {
	in.t.Helper()
	out, err := in.cli(stdin, args...)
	require.NoError(in.t, err)
	return out
}

// adminKey reads the key the first start wrote.
func (in *instance) adminKey() string {
	in.t.Helper()
	b, err := os.ReadFile(filepath.Join(in.data, "admin.token"))
	require.NoError(in.t, err)
	return strings.TrimSpace(string(b))
}

// server is a running `switchboard serve`.
type server struct {
	in   *instance
	cmd  *exec.Cmd
	url  string
	done chan error
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// serve starts a server on this store and waits until it answers.
func (in *instance) serve() *server {
	in.t.Helper()
	addr := freePort(in.t)
	s := &server{in: in, url: "http://" + addr, done: make(chan error, 1)}
	s.cmd = in.command("serve", "--addr", addr)
	s.cmd.Stderr = in.logs
	require.NoError(in.t, s.cmd.Start())
	go func() { s.done <- s.cmd.Wait() }()
	in.t.Cleanup(s.stop)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			in.t.Fatalf("server exited: %v\n%s", err, in.logs.String())
		default:
		}
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	in.t.Fatalf("server did not start\n%s", in.logs.String())
	return nil
}

// stop ends the server with SIGTERM, as an init system would.
func (s *server) stop() {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(40 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// api calls the REST API with the admin key and returns status and body.
func (s *server) api(method, path, body string) (int, []byte) {
	s.in.t.Helper()
	return s.apiAs(s.in.adminKey(), method, path, body)
}

func (s *server) apiAs(key, method, path, body string) (int, []byte) {
	s.in.t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	require.NoError(s.in.t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.in.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(s.in.t, err)
	responses.add(b)
	return resp.StatusCode, b
}

// responses keeps every REST body and MCP result a test saw, for the secret
// canary.
var responses = &seen{}

type seen struct {
	mu  sync.Mutex
	all [][]byte
}

func (s *seen) add(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all = append(s.all, append([]byte(nil), b...))
}

type (
	mcpClient  = mcpsdk.ClientSession
	callParams = mcpsdk.CallToolParams
)

// bearer adds a key to every request of an MCP HTTP client.
type bearer struct {
	key  string
	base http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return b.base.RoundTrip(r)
}

// client connects an MCP client. transport is "http", "sse" or "stdio";
// version is the protocol version it asks for. onChange, when set, is told
// of every tools/list_changed.
func (s *server) client(transport, version string, onChange func()) *mcpClient {
	s.in.t.Helper()
	return s.clientAs(s.in.adminKey(), transport, version, onChange)
}

// clientAs connects an MCP client that presents key.
func (s *server) clientAs(key, transport, version string, onChange func()) *mcpClient {
	s.in.t.Helper()
	httpClient := &http.Client{Transport: bearer{key: key, base: http.DefaultTransport}}
	var t mcpsdk.Transport
	switch transport {
	case "http":
		t = &mcpsdk.StreamableClientTransport{Endpoint: s.url + "/mcp", HTTPClient: httpClient}
	case "sse":
		t = &mcpsdk.SSEClientTransport{Endpoint: s.url + "/sse", HTTPClient: httpClient}
	default:
		s.in.t.Fatalf("unknown transport %s", transport)
	}
	return connect(s.in.t, t, version, onChange)
}

// stdioClient starts `switchboard mcp` on the instance, as a desktop client
// would, with key as SWITCHBOARD_TOKEN.
func (in *instance) stdioClient(key, version string, onChange func()) *mcpClient {
	in.t.Helper()
	cmd := in.command("mcp")
	cmd.Env = append(cmd.Env, "SWITCHBOARD_TOKEN="+key)
	cmd.Stderr = in.logs
	return connect(in.t, &mcpsdk.CommandTransport{Command: cmd}, version, onChange)
}

func connect(t *testing.T, tr mcpsdk.Transport, version string, onChange func()) *mcpsdk.ClientSession {
	t.Helper()
	opts := &mcpsdk.ClientOptions{}
	if onChange != nil {
		opts.ToolListChangedHandler = func(context.Context, *mcpsdk.ToolListChangedRequest) { onChange() }
	}
	c := mcpsdk.NewClient(&mcpsdk.Implementation{Name: "e2e", Version: "1"}, opts)
	// The SSE transport keeps its stream on the context given to Connect,
	// so it must live as long as the test.
	cs, err := c.Connect(t.Context(), tr, &mcpsdk.ClientSessionOptions{ProtocolVersion: version})
	require.NoError(t, err)
	t.Cleanup(func() { _ = cs.Close() })
	require.Equal(t, version, cs.InitializeResult().ProtocolVersion)
	return cs
}

// callTool calls a tool and returns its text and whether it is an error.
func callTool(t *testing.T, cs *mcpsdk.ClientSession, name string, args any) (string, *mcpsdk.CallToolResult) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcpsdk.CallToolParams{Name: name, Arguments: args})
	require.NoError(t, err)
	var text strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcpsdk.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	b, _ := json.Marshal(res)
	responses.add(b)
	return text.String(), res
}

func toolNames(t *testing.T, cs *mcpsdk.ClientSession) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := cs.ListTools(ctx, &mcpsdk.ListToolsParams{})
	require.NoError(t, err)
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	return names
}

// fakeSlack answers the Slack Web API as the tests need and records every
// request it gets.
type fakeSlack struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recorded
}

type recorded struct {
	Method, Path, Query, Auth, ContentType string
	Body                                   map[string]any
}

func newFakeSlack(t *testing.T) *fakeSlack {
	t.Helper()
	f := &fakeSlack{}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	rec := recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Auth: r.Header.Get("Authorization"), ContentType: r.Header.Get("Content-Type")}
	_ = json.NewDecoder(r.Body).Decode(&rec.Body)
	f.mu.Lock()
	f.requests = append(f.requests, rec)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/api/chat.postMessage" && rec.Body["channel"] == "C404":
		fmt.Fprint(w, `{"ok":false,"error":"channel_not_found"}`)
	case r.URL.Path == "/api/chat.postMessage":
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.000100","message":{"text":%q}}`,
			rec.Body["channel"], rec.Body["text"])
	case r.URL.Path == "/api/reactions.add":
		fmt.Fprint(w, `{"ok":true}`)
	case r.URL.Path == "/api/conversations.list":
		fmt.Fprint(w, `{"ok":true,"channels":[{"id":"C1","name":"general"}],"response_metadata":{"next_cursor":""}}`)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"ok":false,"error":"unknown_method"}`)
	}
}

func (f *fakeSlack) last(t *testing.T) recorded {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	require.NotEmpty(t, f.requests, "the fake Slack got no request")
	return f.requests[len(f.requests)-1]
}

func (f *fakeSlack) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// slackToken is the canary: it must never appear outside the vault.
const slackToken = "xoxb-canary-7f3a9c1e5b2d4086"

// setupSlack deploys Slack through REST and configures it to use fake.
func setupSlack(t *testing.T, s *server, fake *fakeSlack) {
	t.Helper()
	status, body := s.api("POST", "/api/v1/integrations/catalog/slack/deploy", "")
	require.Equal(t, 200, status, "%s", body)
	status, body = s.api("PUT", "/api/v1/integrations/slack/config",
		fmt.Sprintf(`{"botToken":%q,"baseUrl":%q}`, slackToken, fake.URL+"/api"))
	require.Equal(t, 200, status, "%s", body)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// logLines returns the JSON log records whose msg is msg.
func logLines(logs, msg string) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}
