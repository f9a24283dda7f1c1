package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/internal/logkey"
)

// logState collects what inner layers learn about a request for its log
// line: who called (set by authenticate) and the error code answered.
type logState struct {
	principal switchboard.Principal
	code      switchboard.Code
}

type logStateKey struct{}

func notePrincipal(ctx context.Context, p switchboard.Principal) {
	if st, ok := ctx.Value(logStateKey{}).(*logState); ok {
		st.principal = p
	}
}

func noteCode(ctx context.Context, code switchboard.Code) {
	if st, ok := ctx.Value(logStateKey{}).(*logState); ok {
		st.code = code
	}
}

// requestLog logs one line per request: method, route pattern, status,
// duration, request id, and the principal and error code when known. It
// never logs headers, query strings or bodies.
func (s *Server) requestLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		st := &logState{}
		sw := &statusWriter{ResponseWriter: w}
		r = r.WithContext(context.WithValue(r.Context(), logStateKey{}, st))

		next.ServeHTTP(sw, r)

		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		route := routePattern(r)
		level := slog.LevelInfo
		if status < 400 && quietRoute(route) {
			level = slog.LevelDebug
		}
		if !s.log.Enabled(r.Context(), level) {
			return
		}
		attrs := []slog.Attr{
			slog.String(logkey.Method, r.Method),
			slog.String(logkey.Route, route),
			slog.Int(logkey.Status, status),
			slog.Int64(logkey.Duration, time.Since(start).Milliseconds()),
			slog.String(logkey.RequestID, RequestID(r.Context())),
		}
		if !st.principal.IsZero() {
			attrs = append(attrs, slog.String(logkey.Principal, st.principal.String()))
		}
		if st.code != "" {
			attrs = append(attrs, slog.String(logkey.Code, string(st.code)))
		}
		s.log.LogAttrs(r.Context(), level, "request served", attrs...)
	})
}

// quietRoute reports whether a route's successful requests are logged at
// debug level only: probes, and the MCP transports, whose tool calls the
// executor already logs one line each.
func quietRoute(route string) bool {
	switch route {
	case "/healthz", "/readyz", "/sse", "/message":
		return true
	}
	return strings.HasPrefix(route, "/mcp")
}
