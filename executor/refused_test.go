package executor_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/backend"
	"github.com/switchboard-dev/switchboard/executor"
	"github.com/switchboard-dev/switchboard/registry"
)

// fakeConns hands out a token per generation; Refused renews it, or finds
// the connection dead when dead is set.
type fakeConns struct {
	mu      sync.Mutex
	gen     int
	dead    bool
	refused []string
}

func (c *fakeConns) Resolve(context.Context, *registry.Action, switchboard.Principal,
	string) (map[string]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return map[string]string{"accessToken": "tok-" + string(rune('0'+c.gen))}, nil
}

func (c *fakeConns) Refused(_ context.Context, _ *registry.Action, user switchboard.Principal,
	id string, cause error) (map[string]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refused = append(c.refused, user.String()+" "+id)
	if c.dead {
		return nil, switchboard.Errorf(switchboard.CodeNotConnected, "dead: reconnect")
	}
	c.gen++
	return map[string]string{"accessToken": "tok-" + string(rune('0'+c.gen))}, nil
}

// unauthorizedOnce answers 401 to token tok-0 and ok to any other.
func unauthorizedOnce(_ context.Context, _ *registry.Action, v backend.Values) (json.RawMessage, error) {
	if v.Connection["accessToken"] == "tok-0" {
		e := switchboard.Errorf(switchboard.CodeUpstream, "Demo answered 401")
		e.UpstreamStatus = 401
		return nil, e
	}
	return json.RawMessage(`{"ok":true}`), nil
}

func TestRefusedConnectionIsRenewedAndTriedOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	conns := &fakeConns{}
	f.runner.run = unauthorizedOnce
	exec, err := executor.New(executor.Config{Installed: f.reg, Authorizer: adminOnly{},
		Secrets: f.secrets, Runner: f.runner, Connections: conns})
	require.NoError(t, err)
	res, err := exec.Call(t.Context(), executor.Call{Caller: admin, Integration: "demo",
		Action: "mine", ConnectionID: "conn_1"})
	require.NoError(t, err)
	require.JSONEq(t, `{"ok":true}`, string(res.Output))
	runs := f.runner.runs()
	require.Len(t, runs, 2, "one more try with the renewed token")
	require.Equal(t, "tok-1", runs[1].values.Connection["accessToken"])
	require.Equal(t, []string{"user:admin conn_1"}, conns.refused)
}

func TestRefusedConnectionThatCannotBeRenewed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	conns := &fakeConns{dead: true}
	f.runner.run = unauthorizedOnce
	exec, err := executor.New(executor.Config{Installed: f.reg, Authorizer: adminOnly{},
		Secrets: f.secrets, Runner: f.runner, Connections: conns})
	require.NoError(t, err)
	_, err = exec.Call(t.Context(), executor.Call{Caller: admin, Integration: "demo", Action: "mine"})
	require.Equal(t, switchboard.CodeNotConnected, switchboard.ErrorCode(err))
	require.Len(t, f.runner.runs(), 1, "not tried again")

	// Another upstream error is not the connection's fault.
	f.runner.run = func(context.Context, *registry.Action, backend.Values) (json.RawMessage, error) {
		e := switchboard.Errorf(switchboard.CodeUpstream, "Demo answered 500")
		e.UpstreamStatus = 500
		return nil, e
	}
	_, err = exec.Call(t.Context(), executor.Call{Caller: admin, Integration: "demo", Action: "mine"})
	require.Equal(t, switchboard.CodeUpstream, switchboard.ErrorCode(err))
	require.Len(t, conns.refused, 1)
}
