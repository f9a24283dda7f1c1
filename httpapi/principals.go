package httpapi

import (
	"context"
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/switchboard-dev/switchboard"
)

// Offboarded says what offboarding a principal removed.
type Offboarded struct {
	Principal            string `json:"principal"`
	KeysRevoked          int    `json:"keysRevoked"`
	RolesRemoved         int    `json:"rolesRemoved"`
	DelegationsRevoked   int    `json:"delegationsRevoked"`
	SubscriptionsRemoved int    `json:"subscriptionsRemoved"`
	ConnectionsRemoved   int    `json:"connectionsRemoved"`
}

// Offboarding is what holds a principal's access. Keys and Roles are
// required; a nil field of the others has nothing to remove.
type Offboarding struct {
	Keys        Keys
	Roles       Roles
	Delegations Delegations
	Webhooks    Webhooks
	Connections Connections
}

// Offboard removes p's access, in this order: its keys (what lets it in),
// its roles, the delegations it issued or received, its webhook
// subscriptions, then its connected accounts and what they were lent to.
// A failure part way leaves a state that offboarding again completes.
// The REST route and `switchboard principals delete` both run it.
func Offboard(ctx context.Context, o Offboarding, p switchboard.Principal) (Offboarded, error) {
	out := Offboarded{Principal: p.String()}
	var err error
	if out.KeysRevoked, err = o.Keys.RevokeKeysOf(ctx, p); err != nil {
		return out, err
	}
	// TODO(rbac): RemovePrincipal knows how many roles it took; returning
	// that count would spare this read, which a concurrent assignment can
	// make one off.
	held, err := o.Roles.Assignments(ctx, p.String())
	if err != nil {
		return out, err
	}
	if err := o.Roles.RemovePrincipal(ctx, p.String()); err != nil {
		return out, err
	}
	out.RolesRemoved = len(held)
	if o.Delegations != nil {
		if out.DelegationsRevoked, err = o.Delegations.RemovePrincipal(ctx, p); err != nil {
			return out, err
		}
	}
	if o.Webhooks != nil {
		if out.SubscriptionsRemoved, err = o.Webhooks.RemovePrincipal(ctx, p); err != nil {
			return out, err
		}
	}
	if o.Connections != nil {
		if out.ConnectionsRemoved, err = o.Connections.RemovePrincipal(ctx, p); err != nil {
			return out, err
		}
	}
	return out, nil
}

// removePrincipal offboards {principal} (URL-escaped, as user%3Aalice); see
// [Offboard].
func (s *Server) removePrincipal(w http.ResponseWriter, r *http.Request) error {
	raw, err := pathParam(r, "principal")
	if err != nil {
		return err
	}
	p, err := switchboard.ParsePrincipal(raw)
	if err != nil {
		return invalidRequest("the path names no valid principal: %v", err)
	}
	o := Offboarding{Keys: s.keys, Roles: s.roles}
	// Interfaces left nil stay nil: a nil *T in one would not be.
	if s.dlg != nil {
		o.Delegations = s.dlg
	}
	if s.hooks != nil {
		o.Webhooks = s.hooks
	}
	if s.conns != nil {
		o.Connections = s.conns
	}
	out, err := Offboard(r.Context(), o, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
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
