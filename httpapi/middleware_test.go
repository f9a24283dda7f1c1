package httpapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/identity"
	"github.com/switchboard-dev/switchboard/rbac"
)

// echoPrincipal stands in for an MCP transport: it reads its own body and
// answers who called.
func echoPrincipal(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		_, _ = io.WriteString(w, name+" "+identity.FromContext(r.Context()).String()+
			" "+r.Method+" "+string(body))
	})
}

func withTransports(c *Config) {
	c.MCP = echoPrincipal("mcp")
	c.SSE = echoPrincipal("sse")
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		path   string
	}{
		{name: "rest", method: http.MethodGet, path: "/api/v1/integrations"},
		{name: "rest action", method: http.MethodPost,
			path: "/api/v1/integrations/slack/actions/send_message"},
		{name: "mcp", method: http.MethodPost, path: "/mcp"},
		{name: "mcp get", method: http.MethodGet, path: "/mcp"},
		{name: "sse", method: http.MethodGet, path: "/sse"},
		{name: "sse message", method: http.MethodPost, path: "/message?sessionId=1"},
	}
	headers := []struct {
		name  string
		value string
	}{
		{name: "none"},
		{name: "unknown token", value: "Bearer sbk_nope"},
		{name: "basic", value: "Basic dXNlcjpwYXNz"},
		{name: "empty bearer", value: "Bearer "},
	}
	for _, tt := range tests {
		for _, h := range headers {
			t.Run(tt.name+"/"+h.name, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, withTransports)
				req := httptest.NewRequest(tt.method, tt.path, nil)
				if h.value != "" {
					req.Header.Set("Authorization", h.value)
				}
				rec := e.serve(req)
				require.Equal(t, http.StatusUnauthorized, rec.Code)
				require.Equal(t, `Bearer realm="switchboard"`, rec.Header().Get("WWW-Authenticate"))
				require.Equal(t, "unauthenticated", problemOf(t, rec)["code"])
				require.Empty(t, e.exec.recorded())
				require.NotContains(t, e.logs.String(), "sbk_nope")
				require.NotContains(t, e.logs.String(), "dXNlcjpwYXNz")
			})
		}
	}
}

func TestTransportsGetThePrincipal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		path   string
		want   string
	}{
		{name: "mcp", method: http.MethodPost, path: "/mcp", want: `mcp user:member POST {"id":1}`},
		{name: "mcp delete", method: http.MethodDelete, path: "/mcp",
			want: `mcp user:member DELETE {"id":1}`},
		{name: "sse", method: http.MethodGet, path: "/sse", want: `sse user:member GET {"id":1}`},
		{name: "message", method: http.MethodPost, path: "/message",
			want: `sse user:member POST {"id":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, withTransports)
			rec := e.do(tt.method, tt.path, memberToken, strings.NewReader(`{"id":1}`))
			require.Equal(t, http.StatusOK, rec.Code)
			require.Equal(t, tt.want, rec.Body.String())
		})
	}
}

func TestTransportsUnset(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, path := range []string{"/mcp", "/sse", "/message"} {
		rec := e.do(http.MethodPost, path, memberToken, nil)
		require.Equal(t, http.StatusNotFound, rec.Code, path)
	}
}

func TestAuthenticatorFailureIsInternal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := e.do(http.MethodGet, "/api/v1/integrations", brokenToken, nil)
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	require.Empty(t, rec.Header().Get("WWW-Authenticate"))
	require.Equal(t, "internal error", problemOf(t, rec)["detail"])
	require.Equal(t, "key store unreachable", e.logs.record(t, "request failed")["err"])
	require.NotContains(t, e.logs.String(), brokenToken)
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	generated := regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)
	tests := []struct {
		name     string
		incoming string
		echoed   bool
	}{
		{name: "none"},
		{name: "accepted", incoming: "abc-DEF_123", echoed: true},
		{name: "longest", incoming: strings.Repeat("a", 64), echoed: true},
		{name: "too long", incoming: strings.Repeat("a", 65)},
		{name: "bad characters", incoming: "abc def"},
		{name: "injection", incoming: "a\",\"x\":\"y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			req := httptest.NewRequest(http.MethodGet, "/api/v1/integrations/stripe", nil)
			req.Header.Set("Authorization", "Bearer "+memberToken)
			if tt.incoming != "" {
				req.Header.Set(RequestIDHeader, tt.incoming)
			}
			rec := e.serve(req)
			id := rec.Header().Get(RequestIDHeader)
			if tt.echoed {
				require.Equal(t, tt.incoming, id)
			} else {
				require.NotEqual(t, tt.incoming, id)
				require.Regexp(t, generated, id)
			}
			require.Equal(t, id, problemOf(t, rec)["requestId"])
			require.Equal(t, id, e.logs.record(t, "request served")["request_id"])
		})
	}
}

func TestRequestIDsDiffer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.do(http.MethodGet, "/healthz", "", nil).Header().Get(RequestIDHeader)
	b := e.do(http.MethodGet, "/healthz", "", nil).Header().Get(RequestIDHeader)
	require.NotEqual(t, a, b)
}

func TestRecoverPanic(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.exec.panicVal = "token sbk_PANICKY leaked into a panic"
	rec := e.do(http.MethodPost, "/api/v1/integrations/slack/actions/send_message",
		memberToken, strings.NewReader(`{"text":"BODY-MARKER"}`))

	require.Equal(t, http.StatusInternalServerError, rec.Code)
	p := problemOf(t, rec)
	require.Equal(t, "internal", p["code"])
	require.Equal(t, "internal error", p["detail"])
	require.Equal(t, rec.Header().Get(RequestIDHeader), p["requestId"])

	got := e.logs.record(t, "handler panicked")
	require.Equal(t, "ERROR", got["level"])
	require.Equal(t, "string", got["panic"], "the type, not the value")
	require.Contains(t, got["stack"], "fakeExecutor")
	require.Equal(t, rec.Header().Get(RequestIDHeader), got["request_id"])
	require.NotContains(t, e.logs.String(), "PANICKY")
	require.NotContains(t, e.logs.String(), "BODY-MARKER")
	require.EqualValues(t, 500, e.logs.record(t, "request served")["status"])
}

func TestRecoverPanicAfterWriting(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) {
		c.MCP = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusAccepted)
			panic("late")
		})
	})
	rec := e.do(http.MethodPost, "/mcp", memberToken, nil)
	require.Equal(t, http.StatusAccepted, rec.Code, "the answer already begun stands")
	require.Empty(t, rec.Body.String())
	e.logs.record(t, "handler panicked")
}

func TestAbortHandlerPassesThrough(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.exec.panicVal = http.ErrAbortHandler
	require.PanicsWithValue(t, http.ErrAbortHandler, func() {
		e.do(http.MethodPost, "/api/v1/integrations/slack/actions/send_message",
			memberToken, nil)
	})
}

func TestBodyLimitByContentLength(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		path   string
	}{
		{name: "action", method: http.MethodPost,
			path: "/api/v1/integrations/slack/actions/send_message"},
		{name: "upload", method: http.MethodPost, path: "/api/v1/integrations/catalog"},
		{name: "config", method: http.MethodPut, path: "/api/v1/integrations/slack/config"},
		{name: "mcp", method: http.MethodPost, path: "/mcp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, withTransports, func(c *Config) { c.MaxBodyBytes = 64 })
			body := `{"text":"` + strings.Repeat("x", 100) + `"}`
			rec := e.do(tt.method, tt.path, adminToken, strings.NewReader(body))
			require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
			p := problemOf(t, rec)
			require.Equal(t, "too_large", p["code"])
			require.Contains(t, p["detail"], "64 bytes")
			require.Empty(t, e.exec.recorded())
			require.Empty(t, e.reg.uploads)
			require.Empty(t, e.reg.configures)
		})
	}
}

func TestBodyLimitChunked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		path   string
		size   int
		status int
	}{
		{name: "action over", method: http.MethodPost,
			path: "/api/v1/integrations/slack/actions/send_message", size: 65,
			status: http.StatusRequestEntityTooLarge},
		{name: "action at the limit", method: http.MethodPost,
			path: "/api/v1/integrations/slack/actions/send_message", size: 64,
			status: http.StatusOK},
		{name: "upload over", method: http.MethodPost, path: "/api/v1/integrations/catalog",
			size: 4096, status: http.StatusRequestEntityTooLarge},
		{name: "config over", method: http.MethodPut, path: "/api/v1/integrations/slack/config",
			size: 65, status: http.StatusRequestEntityTooLarge},
		{name: "mcp over", method: http.MethodPost, path: "/mcp", size: 65,
			status: http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, withTransports, func(c *Config) { c.MaxBodyBytes = 64 })
			var chunked atomic.Bool
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				chunked.Store(slices.Equal(r.TransferEncoding, []string{"chunked"}))
				e.srv.Handler().ServeHTTP(w, r)
			}))
			t.Cleanup(ts.Close)

			body := `{"t":"` + strings.Repeat("x", tt.size-8) + `"}`
			require.Len(t, body, tt.size)
			// A reader of unknown length makes the client send it chunked.
			req, err := http.NewRequestWithContext(t.Context(), tt.method, ts.URL+tt.path,
				io.MultiReader(strings.NewReader(body)))
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+adminToken)
			res, err := ts.Client().Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			require.True(t, chunked.Load(), "the body went chunked")
			require.Equal(t, tt.status, res.StatusCode)
			if tt.status == http.StatusRequestEntityTooLarge && tt.path != "/mcp" {
				require.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
				raw, err := io.ReadAll(res.Body)
				require.NoError(t, err)
				require.Contains(t, string(raw), `"code":"too_large"`)
				require.Empty(t, e.exec.recorded())
			}
		})
	}
}

func TestCacheControlNoStore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		path   string
		token  string
	}{
		{name: "health", method: http.MethodGet, path: "/healthz"},
		{name: "schema", method: http.MethodGet, path: "/api/v1/manifest.schema.json"},
		{name: "list", method: http.MethodGet, path: "/api/v1/integrations", token: memberToken},
		{name: "config", method: http.MethodGet, path: "/api/v1/integrations/slack/config",
			token: memberToken},
		{name: "action", method: http.MethodPost,
			path: "/api/v1/integrations/slack/actions/send_message", token: memberToken},
		{name: "unauthenticated", method: http.MethodGet, path: "/api/v1/integrations"},
		{name: "forbidden", method: http.MethodPost,
			path: "/api/v1/integrations/catalog/slack/deploy", token: memberToken},
		{name: "not found", method: http.MethodGet, path: "/api/v1/nothing"},
		{name: "method not allowed", method: http.MethodPatch, path: "/api/v1/integrations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			rec := e.do(tt.method, tt.path, tt.token, nil)
			require.Equal(t, "no-store", rec.Header().Get("Cache-Control"), rec.Code)
		})
	}
}

func TestRequestLog(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	req := httptest.NewRequest(http.MethodDelete,
		"/api/v1/integrations/catalog/slack?purge=true&note=QUERY-MARKER", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("X-Custom", "HEADER-MARKER")
	rec := e.serve(req)
	require.Equal(t, http.StatusOK, rec.Code)

	got := e.logs.record(t, "request served")
	require.Equal(t, "INFO", got["level"])
	require.Equal(t, "DELETE", got["method"])
	require.Equal(t, "/api/v1/integrations/catalog/{id}", got["route"])
	require.EqualValues(t, 200, got["status"])
	require.Contains(t, got, "duration_ms")
	require.Equal(t, rec.Header().Get(RequestIDHeader), got["request_id"])
	require.Equal(t, "user:admin", got["principal"])
	require.NotContains(t, got, "code")
	for _, marker := range []string{"QUERY-MARKER", "HEADER-MARKER", adminToken, "purge"} {
		require.NotContains(t, e.logs.String(), marker)
	}
}

func TestRequestLogNamesTheCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.do(http.MethodGet, "/api/v1/integrations/stripe", memberToken, nil)
	got := e.logs.record(t, "request served")
	require.EqualValues(t, 404, got["status"])
	require.Equal(t, "not_found", got["code"])
	require.Equal(t, "/api/v1/integrations/{id}", got["route"])
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		path  string
		token string
	}{
		{name: "top level", path: "/nothing"},
		{name: "api", path: "/api/v1/nothing"},
		{name: "under integrations", path: "/api/v1/integrations/slack/nothing",
			token: memberToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			rec := e.do(http.MethodGet, tt.path, tt.token, nil)
			require.Equal(t, http.StatusNotFound, rec.Code)
			p := problemOf(t, rec)
			require.Equal(t, "not_found", p["code"])
			require.Equal(t, "GET "+tt.path, strings.TrimPrefix(p["detail"].(string),
				"no endpoint serves "))
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		path   string
		allow  string
	}{
		{name: "health", method: http.MethodPost, path: "/healthz", allow: "GET"},
		{name: "list", method: http.MethodPost, path: "/api/v1/integrations", allow: "GET"},
		{name: "catalog", method: http.MethodPut, path: "/api/v1/integrations/catalog",
			allow: "GET, POST"},
		{name: "integration", method: http.MethodDelete, path: "/api/v1/integrations/slack",
			allow: "GET"},
		{name: "config", method: http.MethodPatch, path: "/api/v1/integrations/slack/config",
			allow: "GET, PUT"},
		{name: "action", method: http.MethodGet,
			path: "/api/v1/integrations/slack/actions/send_message", allow: "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			rec := e.do(tt.method, tt.path, memberToken, nil)
			require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
			require.Equal(t, tt.allow, rec.Header().Get("Allow"))
			p := problemOf(t, rec)
			require.Equal(t, "invalid_request", p["code"])
			require.EqualValues(t, 405, p["status"])
			require.Equal(t, "Method Not Allowed", p["title"])
			require.Contains(t, p["detail"], tt.method)
		})
	}
}

func TestStreamingThroughMiddleware(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) {
		c.MCP = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, "event: ping\n\n")
			require.NoError(t, http.NewResponseController(w).Flush())
			_, ok := w.(http.Flusher)
			require.True(t, ok, "transports may assert http.Flusher")
		})
	})
	rec := e.do(http.MethodGet, "/mcp", memberToken, nil)
	require.True(t, rec.Flushed)
	require.True(t, bytes.HasPrefix(rec.Body.Bytes(), []byte("event: ping")))
}

// contextRecorder is a transport that keeps the context of each request.
type contextRecorder struct {
	mu   sync.Mutex
	ctxs []context.Context
}

func (c *contextRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.ctxs = append(c.ctxs, r.Context())
	c.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (c *contextRecorder) only(t *testing.T) context.Context {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	require.Len(t, c.ctxs, 1)
	return c.ctxs[0]
}

func TestCallerContext(t *testing.T) {
	t.Parallel()
	const action = "/api/v1/integrations/slack/actions/send_message"
	tests := []struct {
		name    string
		method  string
		path    string
		token   string
		who     switchboard.Principal
		surface audit.Surface
		claims  bool
	}{
		{name: "rest, api key", method: http.MethodPost, path: action, token: memberToken,
			who: member, surface: audit.SurfaceREST},
		{name: "rest, jwt", method: http.MethodPost, path: action, token: jwtToken,
			who: carol, surface: audit.SurfaceREST, claims: true},
		{name: "mcp, api key", method: http.MethodPost, path: "/mcp", token: memberToken,
			who: member, surface: audit.SurfaceMCP},
		{name: "mcp, jwt", method: http.MethodPost, path: "/mcp", token: jwtToken,
			who: carol, surface: audit.SurfaceMCP, claims: true},
		{name: "sse", method: http.MethodGet, path: "/sse", token: jwtToken,
			who: carol, surface: audit.SurfaceMCP, claims: true},
		{name: "message", method: http.MethodPost, path: "/message", token: memberToken,
			who: member, surface: audit.SurfaceMCP},
	}
	ops := newClaimsAuthorizer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			transport := &contextRecorder{}
			e := newEnv(t, func(c *Config) { c.MCP, c.SSE = transport, transport })
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(`{}`))
			req.Header.Set("Authorization", "Bearer "+tt.token)
			rec := e.serve(req)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())

			var ctx context.Context
			if tt.surface == audit.SurfaceREST {
				require.Len(t, e.exec.ctxs, 1)
				ctx = e.exec.ctxs[0]
			} else {
				ctx = transport.only(t)
			}
			require.Equal(t, tt.who, identity.FromContext(ctx))
			require.Equal(t, audit.Origin{Actor: tt.who.String(), Surface: tt.surface,
				RequestID: rec.Header().Get(RequestIDHeader)}, audit.OriginFrom(ctx))
			require.NotEmpty(t, audit.OriginFrom(ctx).RequestID)
			require.Equal(t, tt.claims, ops.Allowed(ctx, tt.who, rbac.AuditRead),
				"the roles the token claims")
			require.False(t, ops.Allowed(context.Background(), tt.who, rbac.AuditRead))
		})
	}
}
