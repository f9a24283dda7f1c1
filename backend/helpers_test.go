package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/registry"
)

// testAction compiles a request block into an action of a service named
// name (the app id is name in lower case).
func testAction(t testing.TB, name string, spec registry.RequestSpec,
	resp *registry.ResponseSpec) *registry.Action {
	t.Helper()
	req, problems := registry.CompileRequest(&spec, resp)
	require.Empty(t, problems)
	m := &registry.Manifest{AppID: "svc", Name: name}
	return &registry.Action{
		Integration: &registry.Integration{Manifest: m},
		Spec:        &registry.ActionSpec{ID: "act"},
		Timeout:     10 * time.Second,
		Request:     req,
	}
}

// input decodes a JSON object as the executor does, numbers as json.Number.
func input(t testing.TB, s string) map[string]any {
	t.Helper()
	if s == "" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var m map[string]any
	require.NoError(t, dec.Decode(&m))
	return m
}

// newTestBackend returns a backend that may call loopback test servers.
func newTestBackend(t testing.TB, cfg Config) *HTTP {
	t.Helper()
	cfg.AllowPrivateNetwork = true
	h, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(h.CloseIdleConnections)
	return h
}

// render builds act's request with v without sending it, and reads its
// body.
func render(t testing.TB, h *HTTP, act *registry.Action, v Values) (*http.Request, string, error) {
	t.Helper()
	req, err := h.newCall(act, v).request(context.Background())
	if err != nil {
		return nil, "", err
	}
	if req.Body == nil {
		return req, "", nil
	}
	body, err := io.ReadAll(req.Body)
	require.NoError(t, err)
	return req, string(body), nil
}

// requireCode asserts that err is a *switchboard.Error with code and returns
// it.
func requireCode(t testing.TB, err error, code switchboard.Code) *switchboard.Error {
	t.Helper()
	require.Error(t, err)
	var e *switchboard.Error
	require.True(t, errors.As(err, &e), "want *switchboard.Error, got %T: %v", err, err)
	require.Equal(t, code, e.Code, "message: %s", e.Message)
	return e
}
