package executor_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/backend"
	"github.com/switchboard-dev/switchboard/executor"
	"github.com/switchboard-dev/switchboard/identity"
	"github.com/switchboard-dev/switchboard/internal/logkey"
	"github.com/switchboard-dev/switchboard/registry"
	"github.com/switchboard-dev/switchboard/store/sqlite"
	"github.com/switchboard-dev/switchboard/vault"
)

// demoV1 has a configured integration's every kind of action: one that
// reads a secret, one that reads none, one that reads two, one without a
// request block and one that needs each user's connection.
const demoV1 = `{"appId":"demo","name":"Demo","version":"1.0.0",
 "configSchema":{"properties":{
   "token":{"type":"string","platformSecret":"DEMO_TOKEN"},
   "spare":{"type":"string","platformSecret":"DEMO_SPARE"},
   "baseUrl":{"type":"string","default":"https://demo.example"},
   "limit":{"type":"integer","default":10},
   "clientId":{"type":"string"}},
  "required":["token"]},
 "userAuth":{"type":"oauth2","clientId":"clientId",
   "authorizationUrl":"https://demo.example/authorize","tokenUrl":"https://demo.example/token"},
 "actions":[
  {"id":"send","name":"Send",
   "inputSchema":{"type":"object","additionalProperties":false,
     "properties":{"channel":{"type":"string"},"count":{"type":"integer","minimum":1},
       "ratio":{"type":"number"},"tags":{"type":"array","items":{"type":"string"}}},
     "required":["channel","count"]},
   "request":{"method":"POST","url":"{{config.baseUrl}}/send",
     "auth":{"bearer":"{{secrets.token}}"},"json":{"channel":"{{input.channel}}"}}},
  {"id":"plain","request":{"url":"{{config.baseUrl}}/plain"}},
  {"id":"both","request":{"url":"{{config.baseUrl}}/both",
     "auth":{"basic":{"username":"{{secrets.token}}","password":"{{secrets.spare}}"}}}},
  {"id":"todo","description":"Not written yet"},
  {"id":"mine","request":{"url":"{{config.baseUrl}}/me",
     "auth":{"bearer":"{{connection.accessToken}}"}}}]}`

// bareV1 is deployed and never configured.
const bareV1 = `{"appId":"bare","name":"Bare","version":"1.0.0",
 "configSchema":{"properties":{
   "key":{"type":"string","platformSecret":"BARE_KEY"},"region":{"type":"string"}},
  "required":["key","region"]},
 "actions":[{"id":"ping","request":{"url":"https://bare.example/ping",
   "auth":{"bearer":"{{secrets.key}}"}}}]}`

var (
	admin = identity.Admin
	bob   = switchboard.Principal{Kind: switchboard.KindUser, ID: "bob"}
	robot = switchboard.Principal{Kind: switchboard.KindAgent, ID: "robot"}
)

// fakeRunner records every run and answers with run, or {"ok":true}.
type fakeRunner struct {
	mu    sync.Mutex
	calls []runCall
	run   func(ctx context.Context, act *registry.Action, v backend.Values) (json.RawMessage, error)
}

type runCall struct {
	act    *registry.Action
	values backend.Values
}

var _ executor.Runner = (*fakeRunner)(nil)

func (r *fakeRunner) Run(ctx context.Context, act *registry.Action,
	v backend.Values) (json.RawMessage, error) {
	r.mu.Lock()
	r.calls = append(r.calls, runCall{act: act, values: v})
	run := r.run
	r.mu.Unlock()
	if run != nil {
		return run(ctx, act, v)
	}
	return json.RawMessage(`{"ok":true}`), nil
}

func (r *fakeRunner) runs() []runCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]runCall(nil), r.calls...)
}

// countingSecrets opens platform secrets from the vault and records which.
type countingSecrets struct {
	vault  *vault.Vault
	mu     sync.Mutex
	opened []string
}

var _ executor.Secrets = (*countingSecrets)(nil)

func (c *countingSecrets) PlatformSecret(ctx context.Context, name string) ([]byte, error) {
	c.mu.Lock()
	c.opened = append(c.opened, name)
	c.mu.Unlock()
	return c.vault.PlatformSecret(ctx, name)
}

func (c *countingSecrets) names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.opened...)
}

// recorder is a slog.Handler that keeps every record.
type recorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (h *recorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r.Clone())
	return nil
}

func (h *recorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recorder) WithGroup(string) slog.Handler      { return h }

// records returns the attributes of every record with msg.
func (h *recorder) records(msg string) []map[string]slog.Value {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]slog.Value
	for _, r := range h.recs {
		if r.Message != msg {
			continue
		}
		attrs := map[string]slog.Value{"level": slog.StringValue(r.Level.String())}
		r.Attrs(func(a slog.Attr) bool {
			attrs[a.Key] = a.Value
			return true
		})
		out = append(out, attrs)
	}
	return out
}

type fixture struct {
	reg     *registry.Registry
	vault   *vault.Vault
	secrets *countingSecrets
	runner  *fakeRunner
	logs    *recorder
	exec    *executor.Executor
}

// newFixture deploys demo (configured) and bare (not configured) on a real
// SQLite store and vault, behind an executor with a fake runner. Its clock
// advances 25ms at every reading.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "sb.db")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	v, err := vault.New(ctx, vault.Config{Store: db, MasterKey: randomKey(t)})
	require.NoError(t, err)
	reg, err := registry.New(ctx, registry.Config{Store: db, Secrets: v})
	require.NoError(t, err)
	for _, raw := range []string{demoV1, bareV1} {
		e, err := reg.Upload(ctx, []byte(raw))
		require.NoError(t, err)
		_, err = reg.Deploy(ctx, e.Manifest.AppID)
		require.NoError(t, err)
	}
	_, err = reg.Configure(ctx, "demo", map[string]json.RawMessage{
		"token": json.RawMessage(`"tok-1"`), "spare": json.RawMessage(`"spare-1"`),
		"limit": json.RawMessage(`7`),
	})
	require.NoError(t, err)

	f := &fixture{reg: reg, vault: v, secrets: &countingSecrets{vault: v},
		runner: &fakeRunner{}, logs: &recorder{}}
	var mu sync.Mutex
	clock := time.Unix(1700000000, 0)
	f.exec, err = executor.New(executor.Config{
		Installed: reg, Authorizer: adminOnly{}, Secrets: f.secrets,
		Runner: f.runner, Logger: slog.New(f.logs),
		Now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			clock = clock.Add(25 * time.Millisecond)
			return clock
		},
	})
	require.NoError(t, err)
	return f
}

func randomKey(t *testing.T) []byte {
	t.Helper()
	key := make([]byte, vault.KeySize)
	_, err := rand.Read(key)
	require.NoError(t, err)
	return key
}

const sendInput = `{"channel":"C1","count":3}`

func TestNewRequiresEveryInterface(t *testing.T) {
	t.Parallel()
	_, err := executor.New(executor.Config{Authorizer: adminOnly{}})
	require.Error(t, err)
}

func TestCallRefusesBeforeTheRunner(t *testing.T) {
	t.Parallel()
	big := `{"channel":"` + strings.Repeat("a", executor.MaxInputBytes) + `","count":1}`
	tests := []struct {
		name  string
		call  executor.Call
		code  switchboard.Code
		check func(t *testing.T, e *switchboard.Error)
	}{
		{name: "unknown integration",
			call: executor.Call{Caller: admin, Integration: "nope", Action: "send"},
			code: switchboard.CodeNotFound},
		{name: "unknown action",
			call: executor.Call{Caller: admin, Integration: "demo", Action: "nope"},
			code: switchboard.CodeNotFound,
			check: func(t *testing.T, e *switchboard.Error) {
				require.Contains(t, e.Message, "the actions you may call are: both, mine, plain, send, todo")
			}},
		{name: "unknown tool",
			call: executor.Call{Caller: admin, Tool: "demo_nope"},
			code: switchboard.CodeNotFound,
			check: func(t *testing.T, e *switchboard.Error) {
				require.Contains(t, e.Message, "list_integrations")
			}},
		{name: "forbidden user",
			call: executor.Call{Caller: bob, Integration: "demo", Action: "send",
				Input: json.RawMessage(sendInput)},
			code: switchboard.CodeForbidden,
			check: func(t *testing.T, e *switchboard.Error) {
				require.Equal(t, "integration:demo:send", e.Permission)
			}},
		{name: "forbidden before its input is checked",
			call: executor.Call{Caller: bob, Tool: "demo_send",
				Input: json.RawMessage(`{"count":"x"}`)},
			code: switchboard.CodeForbidden,
			check: func(t *testing.T, e *switchboard.Error) {
				require.Equal(t, "integration:demo:send", e.Permission)
			}},
		{name: "invisible to a principal with no rights on it",
			call: executor.Call{Caller: robot, Integration: "demo", Action: "send",
				Input: json.RawMessage(sendInput)},
			code: switchboard.CodeNotFound,
			check: func(t *testing.T, e *switchboard.Error) {
				require.Equal(t, `integration "demo" is not deployed, or you have no permission to use it`, e.Message)
			}},
		{name: "a tool invisible to a principal with no rights on it",
			call: executor.Call{Caller: robot, Tool: "demo_send"},
			code: switchboard.CodeNotFound},
		{name: "unknown action names only what the caller may call",
			call: executor.Call{Caller: bob, Integration: "demo", Action: "nope"},
			code: switchboard.CodeNotFound,
			check: func(t *testing.T, e *switchboard.Error) {
				require.Contains(t, e.Message, "the actions you may call are: plain")
				require.NotContains(t, e.Message, "send")
			}},
		{name: "forbidden on an unconfigured integration",
			call: executor.Call{Caller: bob, Integration: "bare", Action: "ping"},
			code: switchboard.CodeForbidden},
		{name: "every violation",
			call: executor.Call{Caller: admin, Integration: "demo", Action: "send",
				Input: json.RawMessage(`{"count":0,"ratio":"x","tags":[1],"extra":true}`)},
			code: switchboard.CodeInvalidInput,
			check: func(t *testing.T, e *switchboard.Error) {
				var paths []string
				for _, fe := range e.Errors {
					paths = append(paths, fe.Path)
				}
				require.ElementsMatch(t,
					[]string{"/channel", "/count", "/ratio", "/tags/0", "/extra"}, paths)
			}},
		{name: "input not JSON",
			call: executor.Call{Caller: admin, Integration: "demo", Action: "send",
				Input: json.RawMessage(`{"channel":`)},
			code: switchboard.CodeInvalidInput},
		{name: "input not an object",
			call: executor.Call{Caller: admin, Integration: "demo", Action: "plain",
				Input: json.RawMessage(`[1]`)},
			code: switchboard.CodeInvalidInput},
		{name: "input too large",
			call: executor.Call{Caller: admin, Integration: "demo", Action: "send",
				Input: json.RawMessage(big)},
			code: switchboard.CodeTooLarge},
		{name: "not configured",
			call: executor.Call{Caller: admin, Integration: "bare", Action: "ping"},
			code: switchboard.CodeNotConfigured,
			check: func(t *testing.T, e *switchboard.Error) {
				require.Equal(t, []string{"key", "region"}, e.Missing)
				require.Contains(t, e.Message, "key and region")
			}},
		{name: "no request block",
			call: executor.Call{Caller: admin, Integration: "demo", Action: "todo"},
			code: switchboard.CodeNotImplemented,
			check: func(t *testing.T, e *switchboard.Error) {
				require.Contains(t, e.Message, "request block")
			}},
		{name: "user credentials",
			call: executor.Call{Caller: admin, Integration: "demo", Action: "mine"},
			code: switchboard.CodeNotImplemented,
			check: func(t *testing.T, e *switchboard.Error) {
				require.Contains(t, e.Message, "connection")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			res, err := f.exec.Call(t.Context(), tt.call)
			require.Error(t, err)
			e, ok := errors.AsType[*switchboard.Error](err)
			require.True(t, ok, "%v is not a *switchboard.Error", err)
			require.Equal(t, tt.code, e.Code, "%v", err)
			require.Nil(t, res.Output)
			if tt.check != nil {
				tt.check(t, e)
			}
			require.Empty(t, f.runner.runs(), "the runner is never called")
			require.Empty(t, f.secrets.names(), "no secret is opened")
		})
	}
}

func TestCallOpensOnlyTheSecretsAnActionNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		action  string
		input   string
		opened  []string
		secrets map[string][]byte
	}{
		{"none", "plain", "", nil, map[string][]byte{}},
		{"one", "send", sendInput, []string{"DEMO_TOKEN"},
			map[string][]byte{"token": []byte("tok-1")}},
		{"two", "both", "{}", []string{"DEMO_TOKEN", "DEMO_SPARE"},
			map[string][]byte{"token": []byte("tok-1"), "spare": []byte("spare-1")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			_, err := f.exec.Call(t.Context(), executor.Call{Caller: admin,
				Integration: "demo", Action: tt.action, Input: json.RawMessage(tt.input)})
			require.NoError(t, err)
			require.Equal(t, tt.opened, f.secrets.names())
			runs := f.runner.runs()
			require.Len(t, runs, 1)
			require.Equal(t, tt.secrets, runs[0].values.Secrets)
		})
	}
}

func TestCallGivesTheRunnerItsValues(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.runner.run = func(context.Context, *registry.Action,
		backend.Values) (json.RawMessage, error) {
		return json.RawMessage(`{"sent":true}`), nil
	}
	input := `{"channel":"C1","count":12345678901234567890,"ratio":1.50,"tags":["a"]}`
	res, err := f.exec.Call(t.Context(), executor.Call{Caller: admin, Integration: "demo",
		Action: "send", Input: json.RawMessage(input), Surface: executor.SurfaceREST})
	require.NoError(t, err)
	require.JSONEq(t, `{"sent":true}`, string(res.Output))
	require.Equal(t, "send", res.Action.Spec.ID)

	runs := f.runner.runs()
	require.Len(t, runs, 1)
	require.Same(t, res.Action, runs[0].act)
	v := runs[0].values
	require.Equal(t, map[string]any{
		"channel": "C1",
		"count":   json.Number("12345678901234567890"),
		"ratio":   json.Number("1.50"),
		"tags":    []any{"a"},
	}, v.Input, "numbers keep their exact text")
	require.Equal(t, map[string]any{
		"baseUrl": "https://demo.example",
		"limit":   json.Number("7"),
	}, v.Config, "plain config with defaults, never a secret")
	require.Equal(t, map[string][]byte{"token": []byte("tok-1")}, v.Secrets)
	require.Equal(t, "admin", v.UserID)
	require.Nil(t, v.Connection)
}

func TestCallUserIDOnlyForUsers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, err := f.exec.Call(t.Context(), executor.Call{Caller: switchboard.Operator,
		Integration: "demo", Action: "plain", Surface: executor.SurfaceCLI})
	require.NoError(t, err)
	runs := f.runner.runs()
	require.Len(t, runs, 1)
	require.Empty(t, runs[0].values.UserID)
	require.Empty(t, runs[0].values.Input)
}

func TestCallByToolName(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res, err := f.exec.Call(t.Context(), executor.Call{Caller: admin, Tool: "demo_send",
		Input: json.RawMessage(sendInput), Surface: executor.SurfaceMCP})
	require.NoError(t, err)
	require.Equal(t, "demo", res.Action.Integration.ID())
	require.Equal(t, "send", res.Action.Spec.ID)
	runs := f.runner.runs()
	require.Len(t, runs, 1)
	require.Equal(t, "demo_send", runs[0].act.Tool)
}

func TestCallPassesRunnerErrorsThrough(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
	}{
		{"upstream", &switchboard.Error{Code: switchboard.CodeUpstream,
			Message: "Demo answered 404: no such channel", UpstreamStatus: 404,
			UpstreamCode: "channel_not_found"}},
		{"timeout", &switchboard.Error{Code: switchboard.CodeTimeout,
			Message: "Demo did not answer within 30s", Cause: context.DeadlineExceeded}},
		{"internal", errors.New("connection pool closed")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.runner.run = func(context.Context, *registry.Action,
				backend.Values) (json.RawMessage, error) {
				return nil, tt.err
			}
			res, err := f.exec.Call(t.Context(), executor.Call{Caller: admin,
				Integration: "demo", Action: "send", Input: json.RawMessage(sendInput)})
			require.Same(t, tt.err, err, "the runner's error is returned as is")
			require.Nil(t, res.Output)
			require.Equal(t, "send", res.Action.Spec.ID)
		})
	}
}

// TestCallWithDeletedSecret covers a secret deleted after the snapshot was
// taken: the call answers not_configured, naming the property.
func TestCallWithDeletedSecret(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	require.NoError(t, f.vault.DeletePlatformSecret(t.Context(), "DEMO_TOKEN"))
	_, err := f.exec.Call(t.Context(), executor.Call{Caller: admin, Integration: "demo",
		Action: "send", Input: json.RawMessage(sendInput)})
	e := switchboard.AsError(err)
	require.Equal(t, switchboard.CodeNotConfigured, e.Code, "%v", err)
	require.Equal(t, []string{"token"}, e.Missing)
	require.Empty(t, f.runner.runs())
}

func TestCallKeepsItsVersionAcrossRedeploy(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	started := make(chan *registry.Action, 1)
	release := make(chan struct{})
	f.runner.run = func(ctx context.Context, act *registry.Action,
		_ backend.Values) (json.RawMessage, error) {
		if act.Integration.Manifest.Version != "1.0.0" {
			return json.RawMessage(`{"version":2}`), nil
		}
		started <- act
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return json.RawMessage(`{"version":1}`), nil
	}

	type outcome struct {
		res executor.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := f.exec.Call(t.Context(), executor.Call{Caller: admin, Integration: "demo",
			Action: "send", Input: json.RawMessage(sendInput)})
		done <- outcome{res, err}
	}()
	var held *registry.Action
	select {
	case held = <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the runner was never called")
	}

	_, err := f.reg.Upload(t.Context(), []byte(strings.Replace(demoV1, "1.0.0", "2.0.0", 1)))
	require.NoError(t, err)
	in, err := f.reg.Deploy(t.Context(), "demo")
	require.NoError(t, err)
	require.Equal(t, "2.0.0", in.Manifest.Version)
	require.Equal(t, "1.0.0", held.Integration.Manifest.Version, "the held action is unchanged")

	close(release)
	out := <-done
	require.NoError(t, out.err)
	require.JSONEq(t, `{"version":1}`, string(out.res.Output))
	require.Equal(t, "1.0.0", out.res.Action.Integration.Manifest.Version)

	res, err := f.exec.Call(t.Context(), executor.Call{Caller: admin, Integration: "demo",
		Action: "send", Input: json.RawMessage(sendInput)})
	require.NoError(t, err)
	require.JSONEq(t, `{"version":2}`, string(res.Output))
	require.Equal(t, "2.0.0", res.Action.Integration.Manifest.Version)
}

// TestCallLogsWithoutTheCause checks the executor's record of a call: who,
// what, from where, how long and the code, but never the internal cause,
// which the surface that renders the error logs.
func TestCallLogsWithoutTheCause(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.runner.run = func(_ context.Context, act *registry.Action,
		_ backend.Values) (json.RawMessage, error) {
		if act.Spec.ID == "send" {
			return nil, errors.New("disk on fire")
		}
		return json.RawMessage(`{}`), nil
	}
	_, err := f.exec.Call(t.Context(), executor.Call{Caller: admin, Tool: "demo_send",
		Input: json.RawMessage(sendInput), Surface: executor.SurfaceREST})
	require.Equal(t, switchboard.CodeInternal, switchboard.ErrorCode(err))

	recs := f.logs.records("action failed")
	require.Len(t, recs, 1)
	rec := recs[0]
	require.Equal(t, "INFO", rec["level"].String())
	require.Equal(t, "internal", rec[logkey.Code].String())
	require.Equal(t, "user:admin", rec[logkey.Principal].String())
	require.Equal(t, "demo", rec[logkey.Integration].String())
	require.Equal(t, "send", rec[logkey.Action].String())
	require.Equal(t, executor.SurfaceREST, rec[logkey.Surface].String())
	require.Equal(t, int64(25), rec[logkey.Duration].Int64())
	require.NotContains(t, rec, logkey.Err)
	for _, v := range rec {
		require.NotContains(t, v.String(), "disk on fire")
	}

	_, err = f.exec.Call(t.Context(), executor.Call{Caller: admin, Integration: "demo",
		Action: "plain", Surface: executor.SurfaceMCP})
	require.NoError(t, err)
	recs = f.logs.records("action called")
	require.Len(t, recs, 1)
	require.Equal(t, "plain", recs[0][logkey.Action].String())
	require.Equal(t, executor.SurfaceMCP, recs[0][logkey.Surface].String())
	require.NotContains(t, recs[0], logkey.Code)
}

// adminOnly lets the operator and user:admin do everything, and user:bob
// call demo's plain and manage bare: the tests' stand-in for roles.
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
	return p == bob && (permission == "integration:demo:plain" || permission == "integration:bare:manage")
}
