package httpapi

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/identity"
	"github.com/switchboard-dev/switchboard/internal/logkey"
	"github.com/switchboard-dev/switchboard/rbac"
)

// require lets a request through only when its principal holds
// permission; otherwise it answers the Authorizer's forbidden problem. It
// runs after authenticate and before the handler changes anything.
func (s *Server) require(permission string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := s.authorize(r, permission); err != nil {
				s.fail(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// requireManage lets a request through only when its principal may manage
// the integration {id} names: it holds integration:{id}:manage or
// admin:integrations.configure. The forbidden problem names the first.
func (s *Server) requireManage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		if !s.mayManage(r, id) {
			manage := rbac.ManageKey(id)
			err := forbidden(identity.FromContext(r.Context()), manage, rbac.IntegrationsConfigure)
			s.noteDenied(r, manage)
			s.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// mayManage reports whether r's principal may manage the integration
// appID: it holds integration:{appID}:manage or
// admin:integrations.configure.
func (s *Server) mayManage(r *http.Request, appID string) bool {
	return s.allowed(r, rbac.ManageKey(appID)) || s.allowed(r, rbac.IntegrationsConfigure)
}

// authorize asks the Authorizer whether r's principal holds permission.
func (s *Server) authorize(r *http.Request, permission string) error {
	ctx := r.Context()
	err := s.authz.Authorize(ctx, identity.FromContext(ctx), permission)
	if err != nil {
		s.noteDenied(r, permission)
	}
	return err
}

// noteDenied records an administrative request refused for want of
// permission. A failure to record is logged: the request is refused anyway.
func (s *Server) noteDenied(r *http.Request, permission string) {
	if s.auditor == nil {
		return
	}
	ctx := r.Context()
	err := s.auditor.Record(context.WithoutCancel(ctx), audit.Entry{
		Event: audit.EventDenied, Outcome: audit.OutcomeDenied,
		ErrorCode:   switchboard.CodeForbidden,
		Integration: chi.URLParam(r, "id"),
		Detail: map[string]string{"permission": permission,
			"route": r.Method + " " + routePattern(r)},
	})
	if err != nil {
		s.log.ErrorContext(ctx, "denied request not recorded in the audit log",
			slog.Any(logkey.Err, err), slog.String(logkey.RequestID, RequestID(ctx)))
	}
}

// allowed reports whether r's principal holds the permission key.
func (s *Server) allowed(r *http.Request, key string) bool {
	ctx := r.Context()
	return s.authz.Allowed(ctx, identity.FromContext(ctx), key)
}

// forbidden is the problem of p lacking permission, which other also
// grants.
func forbidden(p switchboard.Principal, permission, other string) *switchboard.Error {
	e := switchboard.Errorf(switchboard.CodeForbidden,
		"%s lacks the permission %s (%s also allows this): an administrator can grant it",
		p, permission, other)
	e.Permission = permission
	return e
}
