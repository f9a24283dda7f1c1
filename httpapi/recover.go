package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/internal/logkey"
)

// recoverPanic turns a panicking handler into a 500 problem. It logs the
// panic value's type and the stack, never the value itself nor the request
// body, either of which may hold a secret. http.ErrAbortHandler passes
// through, as net/http expects.
func (s *Server) recoverPanic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			s.log.LogAttrs(r.Context(), slog.LevelError, "handler panicked",
				slog.String(logkey.RequestID, RequestID(r.Context())),
				slog.String(logkey.Method, r.Method),
				slog.String(logkey.Route, routePattern(r)),
				slog.String(logkey.Panic, fmt.Sprintf("%T", v)),
				slog.String(logkey.Stack, string(debug.Stack())))
			if !sw.written() {
				e := &switchboard.Error{Code: switchboard.CodeInternal, Message: "internal error"}
				s.writeProblem(sw, r, e, http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}
