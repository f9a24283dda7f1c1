package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/delegation"
	"github.com/switchboard-dev/switchboard/identity"
	"github.com/switchboard-dev/switchboard/rbac"
)

// Delegations issues, lists and revokes delegation tokens;
// *delegation.Service satisfies it.
type Delegations interface {
	Issue(ctx context.Context, r delegation.Request) (delegation.Issued, error)
	List(ctx context.Context, p switchboard.Principal) ([]delegation.Record, error)
	Revoke(ctx context.Context, caller switchboard.Principal, jti string, admin bool,
	) (delegation.Record, error)
	RemovePrincipal(ctx context.Context, p switchboard.Principal) (int, error)
	// Issuer is the tokens' iss, Audience their aud: this server.
	Issuer() string
	Audience() string
	MaxTTL() time.Duration
}

// delegationRequest is the body of POST /api/v1/delegations. Scope is a
// list of permission keys, or one string of them separated by spaces.
type delegationRequest struct {
	Agent string          `json:"agent"`
	Scope json.RawMessage `json:"scope"`
	TTL   string          `json:"ttl"`
}

// issueDelegation lets the calling user lend an agent a scope of their
// permissions for a while, answering the token once.
func (s *Server) issueDelegation(w http.ResponseWriter, r *http.Request) error {
	var req delegationRequest
	if err := readJSON(r, s.maxBody, &req); err != nil {
		return err
	}
	ctx := r.Context()
	user := identity.FromContext(ctx)
	if _, delegated := switchboard.DelegationFrom(ctx); delegated {
		return switchboard.Errorf(switchboard.CodeForbidden,
			"a delegation cannot be delegated further: the user must issue it with their own credentials")
	}
	if user.Kind != switchboard.KindUser {
		return switchboard.Errorf(switchboard.CodeForbidden,
			"only a user can delegate, and %s is not one", user)
	}
	scope, err := scopeList(req.Scope)
	if err != nil {
		return err
	}
	ttl, err := delegation.ParseTTL("ttl", req.TTL)
	if err != nil {
		return err
	}
	var agent switchboard.Principal
	if req.Agent != "" {
		if agent, err = switchboard.ParsePrincipal(req.Agent); err != nil {
			return invalidField("agent", err.Error())
		}
	}
	issued, err := s.dlg.Issue(ctx, delegation.Request{User: user,
		UserRoles: rbac.ClaimedRoles(ctx), Agent: agent, Scope: scope, TTL: ttl,
		Via: delegation.ViaAPI})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, issued)
}

// scopeList reads a scope given as a list of keys or as one string of
// keys separated by spaces.
func scopeList(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return strings.Fields(one), nil
	}
	return nil, invalidField("scope", "must be a list of permission keys")
}

// delegationView is how clients see a delegation: never its token.
type delegationView struct {
	JTI       string    `json:"jti"`
	User      string    `json:"user"`
	Agent     string    `json:"agent"`
	Scope     []string  `json:"scope"`
	Via       string    `json:"via"`
	IssuedAt  time.Time `json:"issuedAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	RevokedAt time.Time `json:"revokedAt,omitzero"`
}

type delegationList struct {
	Delegations []delegationView `json:"delegations"`
}

// listDelegations answers the live delegations the caller issued or
// received, newest first.
func (s *Server) listDelegations(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	list, err := s.dlg.List(ctx, identity.FromContext(ctx))
	if err != nil {
		return err
	}
	out := delegationList{Delegations: make([]delegationView, 0, len(list))}
	for _, d := range list {
		out.Delegations = append(out.Delegations, delegationView{JTI: d.JTI, User: d.User,
			Agent: d.Agent, Scope: d.Scope, Via: d.Via, IssuedAt: d.IssuedAt,
			ExpiresAt: d.ExpiresAt, RevokedAt: d.RevokedAt})
	}
	return writeJSON(w, http.StatusOK, out)
}

// revokeDelegation revokes {jti} at once: its user, its agent, or a holder
// of admin:keys.manage may.
func (s *Server) revokeDelegation(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	_, err := s.dlg.Revoke(ctx, identity.FromContext(ctx), chi.URLParam(r, "jti"),
		s.allowed(r, rbac.KeysManage))
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// notDelegated refuses delegated requests: a user's own connections are
// theirs to manage, not an agent's acting for them.
func (s *Server) notDelegated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d, ok := switchboard.DelegationFrom(r.Context()); ok {
			s.fail(w, r, switchboard.Errorf(switchboard.CodeForbidden,
				"a delegation token cannot manage %s's connections: they must do it themselves",
				d.User))
			return
		}
		next.ServeHTTP(w, r)
	})
}
