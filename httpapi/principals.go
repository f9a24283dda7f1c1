package httpapi

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/switchboard-dev/switchboard"
)

type offboarded struct {
	Principal            string `json:"principal"`
	KeysRevoked          int    `json:"keysRevoked"`
	RolesRemoved         int    `json:"rolesRemoved"`
	DelegationsRevoked   int    `json:"delegationsRevoked"`
	SubscriptionsRemoved int    `json:"subscriptionsRemoved"`
	ConnectionsRemoved   int    `json:"connectionsRemoved"`
}

// removePrincipal offboards {principal} (URL-escaped, as user%3Aalice): it
// revokes every key of it, then takes every role from it, then revokes the
// delegations it issued or received, then deletes its webhook
// subscriptions, then removes its connected accounts and what they were
// lent to. Keys go first, since they are what lets it in; a
// failure after them leaves a state that running the request again
// completes.
func (s *Server) removePrincipal(w http.ResponseWriter, r *http.Request) error {
	raw, err := pathParam(r, "principal")
	if err != nil {
		return err
	}
	p, err := switchboard.ParsePrincipal(raw)
	if err != nil {
		return invalidRequest("the path names no valid principal: %v", err)
	}
	ctx := r.Context()
	revoked, err := s.keys.RevokeKeysOf(ctx, p)
	if err != nil {
		return err
	}
	// TODO(rbac): RemovePrincipal knows how many roles it took; returning
	// that count would spare this read, which a concurrent assignment can
	// make one off.
	held, err := s.roles.Assignments(ctx, p.String())
	if err != nil {
		return err
	}
	if err := s.roles.RemovePrincipal(ctx, p.String()); err != nil {
		return err
	}
	var delegations int
	if s.dlg != nil {
		if delegations, err = s.dlg.RemovePrincipal(ctx, p); err != nil {
			return err
		}
	}
	var subs int
	if s.hooks != nil {
		if subs, err = s.hooks.RemovePrincipal(ctx, p); err != nil {
			return err
		}
	}
	var conns int
	if s.conns != nil {
		if conns, err = s.conns.RemovePrincipal(ctx, p); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, offboarded{Principal: p.String(),
		KeysRevoked: revoked, RolesRemoved: len(held), DelegationsRevoked: delegations,
		SubscriptionsRemoved: subs, ConnectionsRemoved: conns})
}

// pathParam returns the URL parameter name unescaped exactly once. The
// router matches the escaped path when the request's differs from the
// default escaping, and the unescaped one otherwise; a second unescaping
// would read "%2541" as "A".
func pathParam(r *http.Request, name string) (string, error) {
	v := chi.URLParam(r, name)
	if r.URL.RawPath == "" {
		return v, nil
	}
	u, err := url.PathUnescape(v)
	if err != nil {
		return "", invalidRequest("the path segment %s is not validly escaped", name)
	}
	return u, nil
}

// bodyPrincipal parses the principal field of a request body.
func bodyPrincipal(s string) (switchboard.Principal, error) {
	if s == "" {
		return switchboard.Principal{}, invalidField("principal", "is required")
	}
	p, err := switchboard.ParsePrincipal(s)
	if err != nil {
		return switchboard.Principal{}, invalidField("principal", err.Error())
	}
	return p, nil
}

// queryPrincipal parses the optional query parameter principal; absent is
// the zero Principal.
func queryPrincipal(r *http.Request) (switchboard.Principal, error) {
	values := r.URL.Query()["principal"]
	switch len(values) {
	case 0:
		return switchboard.Principal{}, nil
	case 1:
	default:
		return switchboard.Principal{}, invalidRequest(
			"query parameter principal must be given once")
	}
	p, err := switchboard.ParsePrincipal(values[0])
	if err != nil {
		return switchboard.Principal{}, invalidRequest("query parameter principal: %v", err)
	}
	return p, nil
}

// invalidField is an invalid_input error about one field of a body.
func invalidField(path, msg string) *switchboard.Error {
	e := switchboard.Errorf(switchboard.CodeInvalidInput, "field %s: %s", path, msg)
	e.Errors = []switchboard.FieldError{{Path: path, Message: msg}}
	return e
}
