package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/internal/logkey"
)

// ProblemType prefixes the type of every problem; the code follows it.
const ProblemType = "urn:switchboard:error:"

// Problem is the body of every error answer, served as
// application/problem+json. Detail is the error's client-safe message; the
// per-code fields appear only with their code: Errors with invalid_input,
// Missing with not_configured, Permission with forbidden, UpstreamStatus
// and UpstreamCode with upstream_error, ConnectURL with not_connected.
type Problem struct {
	Type      string           `json:"type"`
	Title     string           `json:"title"`
	Status    int              `json:"status"`
	Detail    string           `json:"detail"`
	Code      switchboard.Code `json:"code"`
	RequestID string           `json:"requestId,omitempty"`

	Errors         []switchboard.FieldError `json:"errors,omitzero"`
	Missing        []string                 `json:"missing,omitzero"`
	Permission     string                   `json:"permission,omitempty"`
	UpstreamStatus int                      `json:"upstreamStatus,omitempty"`
	UpstreamCode   string                   `json:"upstreamCode,omitempty"`
	ConnectURL     string                   `json:"connectUrl,omitempty"`
}

var titles = map[switchboard.Code]string{
	switchboard.CodeInvalidRequest:  "Invalid request",
	switchboard.CodeUnauthenticated: "Authentication required",
	switchboard.CodeForbidden:       "Forbidden",
	switchboard.CodeNotFound:        "Not found",
	switchboard.CodeConflict:        "Conflict",
	switchboard.CodeNotConfigured:   "Integration not configured",
	switchboard.CodeNotConnected:    "Account not connected",
	switchboard.CodeTooLarge:        "Request too large",
	switchboard.CodeInvalidInput:    "Invalid input",
	switchboard.CodeRateLimited:     "Too many requests",
	switchboard.CodeNotImplemented:  "Not implemented",
	switchboard.CodeUpstream:        "Upstream service error",
	switchboard.CodeTimeout:         "Upstream service timed out",
	switchboard.CodeInternal:        "Internal error",
}

// handlerFunc is a route handler. It writes a success itself and returns
// any failure for [Server.handle] to render.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts h to net/http: a returned error becomes a problem answer.
func (s *Server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	}
}

// fail answers err as a problem with its code's status. An error that is
// not a *switchboard.Error is answered as internal.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := s.noteFailure(r, err)
	s.writeProblem(w, r, e, e.Code.Status())
}

// noteFailure returns the *switchboard.Error to answer err with (internal
// when err holds none), notes its code for the request log and logs the
// cause of every internal or server-side failure, once.
func (s *Server) noteFailure(r *http.Request, err error) *switchboard.Error {
	e := switchboard.AsError(err)
	noteCode(r.Context(), e.Code)
	if e.Code == switchboard.CodeInternal || (e.Code.Status() >= 500 && e.Cause != nil) {
		level := slog.LevelWarn
		if e.Code == switchboard.CodeInternal {
			level = slog.LevelError
		}
		s.log.LogAttrs(r.Context(), level, "request failed",
			slog.String(logkey.RequestID, RequestID(r.Context())),
			slog.String(logkey.Method, r.Method),
			slog.String(logkey.Route, routePattern(r)),
			slog.String(logkey.Code, string(e.Code)),
			slog.Any(logkey.Err, withCause(err)))
	}
	return e
}

// writeProblem is the one writer of application/problem+json.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request,
	e *switchboard.Error, status int) {
	p := newProblem(e, status, RequestID(r.Context()))
	noteCode(r.Context(), p.Code)
	// A Problem holds only strings, numbers and lists of them: it always
	// encodes.
	body, _ := json.Marshal(p)
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	if p.Code == switchboard.CodeUnauthenticated {
		h.Set("WWW-Authenticate", s.challenge(r.URL.Path))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func newProblem(e *switchboard.Error, status int, requestID string) Problem {
	code := e.Code
	if code == "" {
		code = switchboard.CodeInternal
	}
	p := Problem{
		Type: ProblemType + string(code), Title: title(code, status), Status: status,
		Detail: e.Message, Code: code, RequestID: requestID,
	}
	if p.Detail == "" {
		p.Detail = p.Title
	}
	switch code {
	case switchboard.CodeInvalidInput:
		p.Errors = nonNil(e.Errors)
	case switchboard.CodeNotConfigured:
		p.Missing = nonNil(e.Missing)
	case switchboard.CodeForbidden:
		p.Permission = e.Permission
	case switchboard.CodeUpstream:
		p.UpstreamStatus, p.UpstreamCode = e.UpstreamStatus, e.UpstreamCode
	case switchboard.CodeNotConnected:
		p.ConnectURL = e.ConnectURL
	}
	return p
}

// title names code, or status when it differs from the code's own.
func title(code switchboard.Code, status int) string {
	if t, ok := titles[code]; ok && status == code.Status() {
		return t
	}
	return http.StatusText(status)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// withCause joins err with the internal cause of the *switchboard.Error in
// its chain, whose own message says nothing of it.
func withCause(err error) error {
	e, ok := errors.AsType[*switchboard.Error](err)
	if !ok || e.Cause == nil {
		return err
	}
	return fmt.Errorf("%w: %w", err, e.Cause)
}

// routePattern returns the route r matched, such as
// /api/v1/integrations/{id}, or "" before routing or when none matched.
func routePattern(r *http.Request) string {
	if rctx := chi.RouteContext(r.Context()); rctx != nil {
		return rctx.RoutePattern()
	}
	return ""
}
