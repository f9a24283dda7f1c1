package httpapi

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHealthz(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := e.do(http.MethodGet, "/healthz", "", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, map[string]any{"status": "ok"}, jsonOf(t, rec))
}

func TestReadyz(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		ready  func(context.Context) error
		status int
	}{
		{name: "no check", status: http.StatusOK},
		{name: "ready", ready: func(context.Context) error { return nil }, status: http.StatusOK},
		{
			name:   "not ready",
			ready:  func(context.Context) error { return errors.New("dial db: password=hunter2") },
			status: http.StatusServiceUnavailable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(c *Config) { c.Ready = tt.ready })
			rec := e.do(http.MethodGet, "/readyz", "", nil)
			require.Equal(t, tt.status, rec.Code)
			if tt.status == http.StatusOK {
				require.Equal(t, map[string]any{"status": "ok"}, jsonOf(t, rec))
				return
			}
			p := problemOf(t, rec)
			require.Equal(t, "internal", p["code"])
			require.Equal(t, "not ready", p["detail"])
			require.EqualValues(t, http.StatusServiceUnavailable, p["status"])
			require.NotContains(t, rec.Body.String(), "hunter2")
			rec2 := e.logs.record(t, "not ready")
			require.Contains(t, rec2["err"], "hunter2", "the cause is for the log")
		})
	}
}

func TestManifestSchema(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := e.do(http.MethodGet, "/api/v1/manifest.schema.json", "", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "application/schema+json", rec.Header().Get("Content-Type"))
	require.JSONEq(t, `{"$schema":"https://json-schema.org/draft/2020-12/schema"}`,
		rec.Body.String())

	none := newEnv(t, func(c *Config) { c.ManifestSchema = nil })
	rec = none.do(http.MethodGet, "/api/v1/manifest.schema.json", "", nil)
	require.Equal(t, http.StatusNotFound, rec.Code)
	require.Equal(t, "not_found", problemOf(t, rec)["code"])
}
