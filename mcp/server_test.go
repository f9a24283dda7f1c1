package mcp_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mcpsdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/backend"
	"github.com/switchboard-dev/switchboard/executor"
	"github.com/switchboard-dev/switchboard/identity"
	"github.com/switchboard-dev/switchboard/mcp"
	"github.com/switchboard-dev/switchboard/registry"
	"github.com/switchboard-dev/switchboard/store/sqlite"
	"github.com/switchboard-dev/switchboard/vault"
)

const sendSchema = `{"type":"object","properties":{"channel":{"type":"string",
 "description":"Where to send it"},"n":{"type":"integer"}},"required":["channel"]}`

// demoManifest has an action with an object output, one with an array
// output, and one with no implementation.
const demoManifest = `{"appId":"demo","name":"Demo","version":"1.0.0",
 "instructions":"Send messages with send.",
 "configSchema":{"properties":{"token":{"type":"string","platformSecret":"DEMO_TOKEN"},
   "baseUrl":{"type":"string","default":"https://demo.example"}}},
 "actions":[
  {"id":"send","name":"Send","description":"Send a message","inputSchema":` + sendSchema + `,
   "outputSchema":{"type":"object","properties":{"id":{"type":"string"}}},
   "annotations":{"title":"Send a message","destructiveHint":true,"idempotentHint":false,
     "openWorldHint":true},
   "request":{"method":"POST","url":"{{config.baseUrl}}/send",
     "auth":{"bearer":"{{secrets.token}}"},"json":{"channel":"{{input.channel}}"}}},
  {"id":"list","name":"List","annotations":{"readOnlyHint":true},
   "request":{"url":"{{config.baseUrl}}/list"}},
  {"id":"todo","description":"Not written yet"}]}`

const otherManifest = `{"appId":"other","name":"Other","version":"1.0.0",
 "actions":[{"id":"ping","request":{"url":"https://other.example/ping"}}]}`

// fakeRunner answers send with an object and list with an array, and
// records what it was given.
type fakeRunner struct {
	mu    sync.Mutex
	calls []backend.Values
	fail  error
}

func (r *fakeRunner) Run(_ context.Context, act *registry.Action,
	v backend.Values) (json.RawMessage, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, v)
	if r.fail != nil {
		return nil, r.fail
	}
	if act.Spec.ID == "list" {
		return json.RawMessage(`[{"id":1},{"id":2}]`), nil
	}
	return json.RawMessage(`{"id":"m1","channel":"C1"}`), nil
}

func (r *fakeRunner) runs() []backend.Values {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]backend.Values(nil), r.calls...)
}

// fakeExecutor answers every call with err and records the calls.
type fakeExecutor struct {
	mu    sync.Mutex
	calls []executor.Call
	err   error
}

var _ mcp.Executor = (*fakeExecutor)(nil)

func (f *fakeExecutor) Call(_ context.Context, c executor.Call) (executor.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	if c.Refusal != nil {
		return executor.Result{}, c.Refusal
	}
	return executor.Result{}, f.err
}

func (f *fakeExecutor) seen() []executor.Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]executor.Call(nil), f.calls...)
}

// recorder is a slog.Handler that keeps every record as text.
type recorder struct {
	mu   sync.Mutex
	recs []logRecord
}

type logRecord struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func (h *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (h *recorder) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.String()
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, rec)
	return nil
}

func (h *recorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recorder) WithGroup(string) slog.Handler      { return h }

// matching returns the records whose message or any attribute holds s.
func (h *recorder) matching(s string) []logRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []logRecord
	for _, r := range h.recs {
		hit := strings.Contains(r.msg, s)
		for _, v := range r.attrs {
			hit = hit || strings.Contains(v, s)
		}
		if hit {
			out = append(out, r)
		}
	}
	return out
}

// harness is an MCP server on a real registry, over streamable HTTP.
type harness struct {
	t      *testing.T
	reg    *registry.Registry
	runner *fakeRunner
	logs   *recorder
	srv    *mcp.Server
	url    string
}

type options struct {
	// exec replaces the real executor.
	exec mcp.Executor
	// wrap replaces the registry the server reads.
	wrap func(*registry.Registry) mcp.Registry
}

// newHarness deploys demo, configured, on a SQLite store with a real vault;
// other is in the catalog, not deployed. Unless opts say otherwise, calls
// go through the real executor (admin only) to a fake runner.
func newHarness(t *testing.T, opts options) *harness {
	t.Helper()
	ctx := t.Context()
	db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "sb.db")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	key := make([]byte, vault.KeySize)
	_, err = rand.Read(key)
	require.NoError(t, err)
	v, err := vault.New(ctx, vault.Config{Store: db, MasterKey: key})
	require.NoError(t, err)
	h := &harness{t: t, runner: &fakeRunner{}, logs: &recorder{}}
	log := slog.New(h.logs)
	h.reg, err = registry.New(ctx, registry.Config{Store: db, Secrets: v, Logger: log})
	require.NoError(t, err)
	for _, raw := range []string{demoManifest, otherManifest} {
		_, err = h.reg.Upload(ctx, []byte(raw))
		require.NoError(t, err)
	}
	h.deploy("demo")
	_, err = h.reg.Configure(ctx, "demo",
		map[string]json.RawMessage{"token": json.RawMessage(`"tok"`)})
	require.NoError(t, err)

	exec := opts.exec
	if exec == nil {
		exec, err = executor.New(executor.Config{Installed: h.reg,
			Authorizer: adminOnly{}, Secrets: v, Runner: h.runner, Logger: log})
		require.NoError(t, err)
	}
	var reg mcp.Registry = h.reg
	if opts.wrap != nil {
		reg = opts.wrap(h.reg)
	}
	h.srv, err = mcp.New(mcp.Config{Registry: reg, Executor: exec, Logger: log})
	require.NoError(t, err)

	mux := http.NewServeMux()
	mux.Handle("/mcp", withPrincipal(h.srv.StreamableHTTP()))
	ts := httptest.NewServer(mux)
	t.Cleanup(func() {
		h.srv.CloseStreams(context.Background())
		ts.Close()
	})
	h.url = ts.URL + "/mcp"
	return h
}

func (h *harness) deploy(appID string) {
	h.t.Helper()
	_, err := h.reg.Deploy(h.t.Context(), appID)
	require.NoError(h.t, err)
}

// principalHeader names the caller for the test middleware.
const principalHeader = "X-Test-Principal"

// withPrincipal stands in for the HTTP layer's authentication: it puts the
// principal the request names in its context.
func withPrincipal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, err := switchboard.ParsePrincipal(r.Header.Get(principalHeader)); err == nil {
			r = r.WithContext(identity.NewContext(r.Context(), p))
		}
		next.ServeHTTP(w, r)
	})
}

type namedCaller struct {
	principal string
	base      http.RoundTripper
}

func (c namedCaller) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if c.principal != "" {
		r.Header.Set(principalHeader, c.principal)
	}
	return c.base.RoundTrip(r)
}

const protocol = "2025-11-25"

// connect opens a client session as principal ("" for nobody) speaking
// version; onChange, when set, hears every tools/list_changed.
func (h *harness) connect(principal, version string, onChange func()) *mcpsdk.ClientSession {
	h.t.Helper()
	opts := &mcpsdk.ClientOptions{}
	if onChange != nil {
		opts.ToolListChangedHandler = func(context.Context, *mcpsdk.ToolListChangedRequest) {
			onChange()
		}
	}
	c := mcpsdk.NewClient(&mcpsdk.Implementation{Name: "test", Version: "1"}, opts)
	tr := &mcpsdk.StreamableClientTransport{Endpoint: h.url, HTTPClient: &http.Client{
		Transport: namedCaller{principal: principal, base: http.DefaultTransport}}}
	cs, err := c.Connect(h.t.Context(), tr, &mcpsdk.ClientSessionOptions{ProtocolVersion: version})
	require.NoError(h.t, err)
	h.t.Cleanup(func() { _ = cs.Close() })
	require.Equal(h.t, version, cs.InitializeResult().ProtocolVersion)
	return cs
}

// call calls a tool and returns the text of its result.
func call(t *testing.T, cs *mcpsdk.ClientSession, name string,
	args any) (string, *mcpsdk.CallToolResult) {
	t.Helper()
	res, err := cs.CallTool(t.Context(), &mcpsdk.CallToolParams{Name: name, Arguments: args})
	require.NoError(t, err)
	var text strings.Builder
	for _, c := range res.Content {
		tc, ok := c.(*mcpsdk.TextContent)
		require.True(t, ok, "content %T is not text", c)
		text.WriteString(tc.Text)
	}
	return text.String(), res
}

func listTools(t *testing.T, cs *mcpsdk.ClientSession) map[string]*mcpsdk.Tool {
	t.Helper()
	res, err := cs.ListTools(t.Context(), &mcpsdk.ListToolsParams{})
	require.NoError(t, err)
	tools := map[string]*mcpsdk.Tool{}
	for _, tool := range res.Tools {
		tools[tool.Name] = tool
	}
	return tools
}

func toolNames(tools map[string]*mcpsdk.Tool) []string {
	names := make([]string, 0, len(tools))
	for n := range tools {
		names = append(names, n)
	}
	return names
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestToolsList(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	tools := listTools(t, h.connect("user:admin", protocol, nil))
	require.ElementsMatch(t, []string{"list_integrations", "call_integration",
		"demo_send", "demo_list", "demo_todo"}, toolNames(tools))

	send := tools["demo_send"]
	require.JSONEq(t, sendSchema, jsonOf(t, send.InputSchema), "the action's own schema")
	require.JSONEq(t, `{"type":"object","properties":{"id":{"type":"string"}}}`,
		jsonOf(t, send.OutputSchema))
	require.Equal(t, "Demo: Send a message", send.Description)
	require.NotNil(t, send.Annotations)
	require.Equal(t, "Send a message", send.Annotations.Title)
	require.Equal(t, true, *send.Annotations.DestructiveHint)
	require.Equal(t, true, *send.Annotations.OpenWorldHint)
	require.False(t, send.Annotations.ReadOnlyHint)
	require.False(t, send.Annotations.IdempotentHint)

	list := tools["demo_list"]
	require.JSONEq(t, `{"type":"object"}`, jsonOf(t, list.InputSchema))
	require.Equal(t, "Demo: List", list.Description)
	require.Equal(t, "Demo: List", list.Annotations.Title)
	require.True(t, list.Annotations.ReadOnlyHint)

	todo := tools["demo_todo"]
	require.Contains(t, todo.Description, "Demo: Not written yet")
	require.Contains(t, todo.Description, "not implemented")

	require.True(t, tools["list_integrations"].Annotations.ReadOnlyHint)
}

func TestResults(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	cs := h.connect("user:admin", protocol, nil)
	callSend := map[string]any{"integration_id": "demo", "action": "send",
		"input": map[string]any{"channel": "C1"}}
	callList := map[string]any{"integration_id": "demo", "action": "list"}
	tests := []struct {
		name       string
		tool       string
		args       any
		want       string
		structured bool
	}{
		{"object", "demo_send", map[string]any{"channel": "C1"},
			`{"id":"m1","channel":"C1"}`, true},
		{"array", "demo_list", nil, `[{"id":1},{"id":2}]`, false},
		{"object by call_integration", "call_integration", callSend,
			`{"id":"m1","channel":"C1"}`, true},
		{"array by call_integration", "call_integration", callList, `[{"id":1},{"id":2}]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, res := call(t, cs, tt.tool, tt.args)
			require.False(t, res.IsError, text)
			require.JSONEq(t, tt.want, text)
			if tt.structured {
				require.JSONEq(t, tt.want, jsonOf(t, res.StructuredContent))
			} else {
				require.Nil(t, res.StructuredContent)
			}
		})
	}
}

// TestNumbersKeepTheirText checks that an integer past 2^53 reaches the
// runner exactly, by the action's tool and by call_integration.
func TestNumbersKeepTheirText(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	cs := h.connect("user:admin", protocol, nil)
	const big = "12345678901234567890"
	_, res := call(t, cs, "demo_send", json.RawMessage(`{"channel":"C1","n":`+big+`}`))
	require.False(t, res.IsError)
	_, res = call(t, cs, "call_integration", json.RawMessage(
		`{"integration_id":"demo","action":"send","input":{"channel":"C1","n":`+big+`}}`))
	require.False(t, res.IsError)
	runs := h.runner.runs()
	require.Len(t, runs, 2)
	for _, v := range runs {
		require.Equal(t, json.Number(big), v.Input["n"])
		require.Equal(t, "admin", v.UserID)
	}
}

// TestErrorsSayWhatToDo sends every error code the executor answers
// through both ways of calling an action.
func TestErrorsSayWhatToDo(t *testing.T) {
	t.Parallel()
	invalid := switchboard.Errorf(switchboard.CodeInvalidInput, "input is invalid")
	invalid.Errors = []switchboard.FieldError{{Path: "/channel", Message: "missing property"}}
	notConfigured := switchboard.Errorf(switchboard.CodeNotConfigured,
		"Demo is not configured: an administrator must set token")
	notConfigured.Missing = []string{"token"}
	forbidden := switchboard.Errorf(switchboard.CodeForbidden,
		"agent:robot lacks the permission integration:demo:send")
	forbidden.Permission = "integration:demo:send"
	tests := []struct {
		name string
		err  *switchboard.Error
		want []string
	}{
		{"invalid_input", invalid, []string{"input is invalid", "- /channel: missing property",
			"Fix the arguments to match the tool's input schema"}},
		{"not_configured", notConfigured, []string{"an administrator must set token",
			"Tell the user; retrying will not help"}},
		{"forbidden", forbidden, []string{"integration:demo:send",
			"An administrator can grant the permission."}},
		{"not_found",
			switchboard.Errorf(switchboard.CodeNotFound, `integration "x" is not deployed`),
			[]string{`integration "x" is not deployed`, "Call list_integrations"}},
		{"upstream_error refused", &switchboard.Error{Code: switchboard.CodeUpstream,
			Message: "Demo refused the request: channel_not_found", UpstreamStatus: 200,
			UpstreamCode: "channel_not_found"},
			[]string{"(the service answered HTTP 200, error code channel_not_found)",
				"change the arguments if they caused it"}},
		{"upstream_error failed", &switchboard.Error{Code: switchboard.CodeUpstream,
			Message: "Demo answered 503", UpstreamStatus: 503},
			[]string{"HTTP 503", "try again later"}},
		{"upstream_error unreachable", &switchboard.Error{Code: switchboard.CodeUpstream,
			Message: "could not reach demo.example: connection refused"},
			[]string{"could not reach", "try again later"}},
		{"upstream_error rate limited", &switchboard.Error{Code: switchboard.CodeUpstream,
			Message: "Demo answered 429", UpstreamStatus: 429},
			[]string{"HTTP 429", "wait before calling again"}},
		{"timeout", switchboard.Errorf(switchboard.CodeTimeout, "Demo did not answer within 10s"),
			[]string{"did not answer within 10s", "check before retrying"}},
		{"unauthenticated", switchboard.Errorf(switchboard.CodeUnauthenticated,
			"the bearer token is not a valid Switchboard key"),
			[]string{"not a valid Switchboard key", "the user must provide a new one"}},
		{"not_implemented", switchboard.Errorf(switchboard.CodeNotImplemented,
			"Demo's action todo has no implementation yet"),
			[]string{"no implementation yet", "cannot run until"}},
		{"too_large",
			switchboard.Errorf(switchboard.CodeTooLarge, "input is larger than 1048576 bytes"),
			[]string{"larger than", "Send a smaller input."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			exec := &fakeExecutor{err: tt.err}
			h := newHarness(t, options{exec: exec})
			cs := h.connect("user:admin", protocol, nil)
			byTool, res := call(t, cs, "demo_send", map[string]any{"channel": "C1"})
			require.True(t, res.IsError)
			byName, res := call(t, cs, "call_integration",
				map[string]any{"integration_id": "demo", "action": "send"})
			require.True(t, res.IsError)
			require.Equal(t, byTool, byName, "both ways fail alike")
			for _, w := range tt.want {
				require.Contains(t, byTool, w)
			}

			calls := exec.seen()
			require.Len(t, calls, 2)
			require.Equal(t, executor.Call{Caller: identity.Admin, Tool: "demo_send",
				Input: json.RawMessage(`{"channel":"C1"}`), Surface: executor.SurfaceMCP}, calls[0])
			require.Equal(t, executor.Call{Caller: identity.Admin, Integration: "demo",
				Action: "send", Input: json.RawMessage(`{}`), Surface: executor.SurfaceMCP},
				calls[1], "no input is an empty object")
		})
	}
}

// TestRealExecutorErrors checks failures as the executor makes them: none
// reaches the runner.
func TestRealExecutorErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	admin := h.connect("user:admin", protocol, nil)
	bob := h.connect("user:bob", protocol, nil)
	nobody := h.connect("", protocol, nil)
	tests := []struct {
		name string
		cs   *mcpsdk.ClientSession
		tool string
		args any
		want []string
	}{
		{"invalid input", admin, "demo_send", map[string]any{"channel": 5, "extra": 1},
			[]string{"/channel", "Fix the arguments"}},
		{"forbidden", bob, "demo_send", map[string]any{"channel": "C1"},
			[]string{"user:bob lacks the permission integration:demo:send", "administrator"}},
		{"unknown integration", admin, "call_integration",
			map[string]any{"integration_id": "nope", "action": "send"},
			[]string{`integration "nope" is not deployed`, "list_integrations"}},
		{"unknown action", admin, "call_integration",
			map[string]any{"integration_id": "demo", "action": "nope"},
			[]string{`Demo has no action "nope"; the actions you may call are: list, send, todo`}},
		{"not implemented", admin, "demo_todo", nil,
			[]string{"has no implementation yet", "cannot run until"}},
		{"no principal", nobody, "demo_send", map[string]any{"channel": "C1"},
			[]string{"a bearer token is required", "the user must provide a new one"}},
		{"no principal listing", nobody, "list_integrations", nil,
			[]string{"a bearer token is required"}},
		{"no principal by name", nobody, "call_integration",
			map[string]any{"integration_id": "demo", "action": "send"},
			[]string{"a bearer token is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, res := call(t, tt.cs, tt.tool, tt.args)
			require.True(t, res.IsError, text)
			for _, w := range tt.want {
				require.Contains(t, text, w)
			}
		})
	}
	require.Empty(t, h.runner.runs())
}

func TestCallIntegrationRefusesBadArguments(t *testing.T) {
	t.Parallel()
	exec := &fakeExecutor{}
	h := newHarness(t, options{exec: exec})
	cs := h.connect("user:admin", protocol, nil)
	tests := []struct {
		name string
		args string
		want []string
	}{
		{"nothing", `{}`, []string{"- integration_id: required", "- action: required"}},
		{"no action", `{"integration_id":"demo"}`, []string{"- action: required"}},
		{"no integration", `{"action":"send"}`, []string{"- integration_id: required"}},
		{"unknown field", `{"integration_id":"demo","action":"send","inputs":{}}`,
			[]string{`unknown field "inputs"`}},
		{"input not an object", `{"integration_id":"demo","action":"send","input":"hi"}`,
			[]string{"- input: must be an object"}},
		{"id not a string", `{"integration_id":5,"action":"send"}`,
			[]string{"arguments are invalid", "integration_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, res := call(t, cs, "call_integration", json.RawMessage(tt.args))
			require.True(t, res.IsError, text)
			for _, w := range tt.want {
				require.Contains(t, text, w)
			}
			require.Contains(t, text, "Fix the arguments")
		})
	}
	// Each refusal reaches the executor only to be recorded.
	seen := exec.seen()
	require.Len(t, seen, len(tests))
	for _, c := range seen {
		require.Error(t, c.Refusal)
	}
}

func TestListIntegrations(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	h.deploy("other")
	cs := h.connect("user:admin", protocol, nil)
	list := func(args any) []registry.Description {
		t.Helper()
		text, res := call(t, cs, "list_integrations", args)
		require.False(t, res.IsError, text)
		var out struct {
			Integrations []registry.Description `json:"integrations"`
		}
		require.NoError(t, json.Unmarshal([]byte(text), &out))
		require.JSONEq(t, text, jsonOf(t, res.StructuredContent))
		return out.Integrations
	}

	all := list(nil)
	require.Len(t, all, 2)
	require.Equal(t, "demo", all[0].ID)
	require.Equal(t, "other", all[1].ID)
	require.Equal(t, "Send messages with send.", all[0].Instructions)
	require.True(t, all[0].Configured)
	var tools []string
	for _, a := range all[0].Actions {
		tools = append(tools, a.Tool)
	}
	require.Equal(t, []string{"demo_send", "demo_list", "demo_todo"}, tools)

	one := list(map[string]any{"integration_id": "other"})
	require.Len(t, one, 1)
	require.Equal(t, "other", one[0].ID)

	text, res := call(t, cs, "list_integrations", map[string]any{"integration_id": "nope"})
	require.True(t, res.IsError)
	require.Contains(t, text, `integration "nope" is not installed`)
	require.Contains(t, text, "call list_integrations without arguments")

	text, res = call(t, cs, "list_integrations", map[string]any{"id": "demo"})
	require.True(t, res.IsError)
	require.Contains(t, text, `unknown field "id"`)
}

// TestInternalErrorLoggedOnce checks that an internal fault reaches the
// log once, with its cause, at Error, while the client learns only that
// there was an internal error.
func TestInternalErrorLoggedOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		exec *fakeExecutor
		fail error
	}{
		{"from the runner", nil, errors.New("disk on fire")},
		{"wrapped", &fakeExecutor{err: switchboard.Wrap(switchboard.CodeInternal,
			errors.New("disk on fire"), "internal error")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := options{}
			if tt.exec != nil {
				opts.exec = tt.exec
			}
			h := newHarness(t, opts)
			h.runner.fail = tt.fail
			cs := h.connect("user:admin", protocol, nil)

			_, err := cs.CallTool(t.Context(), &mcpsdk.CallToolParams{Name: "demo_send",
				Arguments: map[string]any{"channel": "C1"}})
			require.Error(t, err)
			require.Contains(t, err.Error(), "internal error")
			require.NotContains(t, err.Error(), "disk on fire")

			recs := h.logs.matching("disk on fire")
			require.Len(t, recs, 1, "the cause is logged once")
			require.Equal(t, slog.LevelError, recs[0].level)
			require.Equal(t, "mcp tool call failed", recs[0].msg)
			require.Equal(t, "demo_send", recs[0].attrs["tool"])
			require.Equal(t, "internal", recs[0].attrs["code"])
			require.Contains(t, recs[0].attrs["err"], "disk on fire")
		})
	}
}

// steppedRegistry lets a test hand Server.Run each change signal itself:
// a send returns only once Run takes the signal, so the sync of the
// previous one has finished.
type steppedRegistry struct {
	*registry.Registry
	signals chan struct{}
}

func (r *steppedRegistry) Subscribe() (<-chan struct{}, func()) {
	return r.signals, func() {}
}

func TestListChanged(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"2025-11-25", "2026-07-28"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			testListChanged(t, version)
		})
	}
}

func testListChanged(t *testing.T, version string) {
	stepped := &steppedRegistry{signals: make(chan struct{})}
	h := newHarness(t, options{wrap: func(r *registry.Registry) mcp.Registry {
		stepped.Registry = r
		return stepped
	}})
	var mu sync.Mutex
	changes := 0
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return changes
	}
	cs := h.connect("user:admin", version, func() {
		mu.Lock()
		changes++
		mu.Unlock()
	})

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		h.srv.Run(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	// settle returns once Run has synced with the registry as it is now.
	settle := func() {
		t.Helper()
		for range 2 {
			select {
			case stepped.signals <- struct{}{}:
			case <-time.After(30 * time.Second):
				t.Fatal("Server.Run does not take change signals")
			}
		}
	}
	updates := func() int { return len(h.logs.matching("mcp tools updated")) }
	settle()
	before := updates()

	// A config change refreshes the registry but leaves the tools as they were.
	_, err := h.reg.Configure(t.Context(), "demo",
		map[string]json.RawMessage{"baseUrl": json.RawMessage(`"https://other.example"`)})
	require.NoError(t, err)
	settle()
	require.Equal(t, before, updates(), "a config change does not touch the tool list")

	// A deploy changes the tool list: one notification, after any that the
	// config change would have sent.
	h.deploy("other")
	settle()
	require.Equal(t, before+1, updates())
	waitFor(t, "list_changed after deploy", func() bool { return count() >= 1 })
	stays(t, "one notification for the deploy", func() bool { return count() == 1 })
	require.Contains(t, toolNames(listTools(t, cs)), "other_ping")

	require.NoError(t, h.reg.Undeploy(t.Context(), "other", false))
	settle()
	waitFor(t, "list_changed after undeploy", func() bool { return count() >= 2 })
	stays(t, "one notification for the undeploy", func() bool { return count() == 2 })
	require.NotContains(t, toolNames(listTools(t, cs)), "other_ping")
}

// waitFor polls cond for up to 30 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stays checks that cond holds for a while: long enough for a notification
// already on its way to arrive.
func stays(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 30 {
		require.True(t, cond(), what)
		time.Sleep(10 * time.Millisecond)
	}
}

// adminOnly lets the operator and user:admin do everything, and user:bob
// list demo's items and manage bare: the tests' stand-in for roles.
type adminOnly struct{}

func (a adminOnly) Authorize(ctx context.Context, p switchboard.Principal, permission string) error {
	if a.Allowed(ctx, p, permission) {
		return nil
	}
	e := switchboard.Errorf(switchboard.CodeForbidden,
		"%s lacks the permission %s: an administrator can grant it", p, permission)
	e.Permission = permission
	return e
}

func (adminOnly) Allowed(_ context.Context, p switchboard.Principal, permission string) bool {
	if p == switchboard.Operator || p == identity.Admin {
		return true
	}
	bob := switchboard.Principal{Kind: switchboard.KindUser, ID: "bob"}
	return p == bob && (permission == "integration:demo:list" || permission == "integration:bare:manage")
}
