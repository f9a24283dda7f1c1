package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/credentials"
	"github.com/switchboard-dev/switchboard/identity"
	"github.com/switchboard-dev/switchboard/rbac"
	"github.com/switchboard-dev/switchboard/registry"
)

// authStatus says whether the caller's calls to an integration have
// credentials, for GET /integrations/{id}/auth.
type authStatus struct {
	Connected       bool   `json:"connected"`
	ConnectionCount int    `json:"connectionCount"`
	DeadCount       int    `json:"deadCount"`
	Model           string `json:"model"`
}

// getAuth answers whether the caller has a working connection to {id}, how
// many it has and how many are dead. An integration whose calls use the
// platform's credentials is connected when it is configured.
func (s *Server) getAuth(w http.ResponseWriter, r *http.Request) error {
	in, err := s.connectable(r)
	if err != nil {
		return err
	}
	st := authStatus{Model: in.Manifest.UserAuth.Model()}
	switch {
	case st.Model == registry.AuthPlatform:
		st.Connected = in.Configured()
	case s.conns != nil:
		ctx := r.Context()
		st.Connected, st.ConnectionCount, st.DeadCount, err =
			s.conns.Status(ctx, in.ID(), identity.FromContext(ctx))
		if err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, st)
}

// startRequest is the optional body of POST /integrations/{id}/auth/start.
type startRequest struct {
	ReturnTo string `json:"returnTo"`
}

// configFlow answers an administrator who starts connecting an integration
// that has no accounts to connect: what to configure instead.
type configFlow struct {
	Type    string          `json:"type"`
	Schema  json.RawMessage `json:"schema"`
	Missing []string        `json:"missing"`
}

// startAuth begins connecting the caller's account to {id}: a connect link
// the browser opens (for OAuth 2.0: it confirms the user, then goes to the
// provider), or the schema of a credential form.
func (s *Server) startAuth(w http.ResponseWriter, r *http.Request) error {
	in, err := s.installed(r)
	if err != nil {
		return err
	}
	if in.Manifest.UserAuth.Model() == registry.AuthPlatform {
		return s.startPlatform(w, r, in)
	}
	if !s.mayConnect(r, in) {
		return notDeployed(in.ID())
	}
	returnTo, err := s.readReturnTo(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	flow, err := s.conns.Begin(ctx, in, identity.FromContext(ctx), returnTo)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, flow)
}

// startPlatform answers auth/start for an integration whose calls use the
// platform's credentials: its config schema to whoever may configure it,
// not_configured to other callers who may use it.
func (s *Server) startPlatform(w http.ResponseWriter, r *http.Request,
	in *registry.Integration) error {
	if s.mayManage(r, in.ID()) {
		schema := in.Describe(nil).ConfigSchema
		if len(schema) == 0 {
			schema = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		return writeJSON(w, http.StatusOK,
			configFlow{Type: "config", Schema: schema, Missing: nonNil(in.Missing)})
	}
	if !s.mayConnect(r, in) {
		return notDeployed(in.ID())
	}
	msg := fmt.Sprintf("%s has no accounts to connect: its calls use the platform's "+
		"credentials, which an administrator configures", displayName(in))
	if len(in.Missing) > 0 {
		msg += "; it lacks " + strings.Join(in.Missing, ", ")
	}
	return &switchboard.Error{
		Code: switchboard.CodeNotConfigured, Message: msg, Missing: in.Missing,
	}
}

// readReturnTo reads the optional body of auth/start and returns its
// returnTo, refusing one outside the server's ReturnTo prefixes (the
// connection manager, given the same list, checks it again).
func (s *Server) readReturnTo(r *http.Request) (string, error) {
	body, err := readBody(r, s.maxBody)
	if err != nil || isEmpty(body) {
		return "", err
	}
	var req startRequest
	if err := parseJSON(body, &req); err != nil {
		return "", err
	}
	if req.ReturnTo != "" && !s.returnAllowed(req.ReturnTo) {
		return "", invalidRequest("returnTo is not an address this server may send " +
			"browsers back to: an administrator can allow its prefix")
	}
	return req.ReturnTo, nil
}

// credentialsRequest is the body of POST /integrations/{id}/auth/credentials.
type credentialsRequest struct {
	Credentials json.RawMessage `json:"credentials"`
	Label       string          `json:"label"`
}

type connectionCreated struct {
	ConnectionID string `json:"connectionId"`
}

// saveCredentials stores a credential form as a new connection of the
// caller, once its values match the integration's schema. Values are never
// echoed or logged.
func (s *Server) saveCredentials(w http.ResponseWriter, r *http.Request) error {
	in, err := s.connectable(r)
	if err != nil {
		return err
	}
	var req credentialsRequest
	if err := readJSON(r, s.maxBody, &req); err != nil {
		return err
	}
	if v := bytes.TrimSpace(req.Credentials); len(v) == 0 || string(v) == "null" {
		return &switchboard.Error{
			Code: switchboard.CodeInvalidInput, Message: "credentials are required",
			Errors: []switchboard.FieldError{{Path: "/credentials", Message: "required"}},
		}
	}
	ctx := r.Context()
	c, err := s.conns.SaveCredentials(ctx, in, identity.FromContext(ctx),
		req.Credentials, req.Label)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, connectionCreated{ConnectionID: c.ID})
}

// connectionView is how a user sees one of their connections: never a
// credential.
type connectionView struct {
	ID        string             `json:"id"`
	Label     string             `json:"label"`
	Kind      credentials.Kind   `json:"kind"`
	Status    credentials.Status `json:"status"`
	LastError string             `json:"lastError,omitempty"`
	CreatedAt time.Time          `json:"createdAt"`
	UpdatedAt time.Time          `json:"updatedAt"`
	ExpiresAt time.Time          `json:"expiresAt,omitzero"`
	// LentTo lists the agents the connection is lent to (standing
	// delegations).
	LentTo []grantView `json:"lentTo,omitempty"`
}

// grantView is a standing delegation as its owner sees it.
type grantView struct {
	ID        string    `json:"id"`
	Agent     string    `json:"agent"`
	CreatedAt time.Time `json:"createdAt"`
}

func viewConnection(c credentials.Connection) connectionView {
	return connectionView{
		ID: c.ID, Label: c.Label, Kind: c.Kind, Status: c.Status, LastError: c.LastError,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, ExpiresAt: c.ExpiresAt,
	}
}

type connectionList struct {
	Connections []connectionView `json:"connections"`
}

// listConnections answers the caller's connections to {id}, oldest first.
func (s *Server) listConnections(w http.ResponseWriter, r *http.Request) error {
	in, err := s.connectable(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	caller := identity.FromContext(ctx)
	list, err := s.conns.Connections(ctx, in.ID(), caller)
	if err != nil {
		return err
	}
	grants, err := s.conns.Grants(ctx, in.ID(), caller)
	if err != nil {
		return err
	}
	out := connectionList{Connections: make([]connectionView, 0, len(list))}
	for _, c := range list {
		v := viewConnection(c)
		for _, g := range grants {
			if g.ConnectionID == c.ID && g.Owner == caller.String() {
				v.LentTo = append(v.LentTo, grantView{ID: g.ID, Agent: g.Agent, CreatedAt: g.CreatedAt})
			}
		}
		out.Connections = append(out.Connections, v)
	}
	return writeJSON(w, http.StatusOK, out)
}

// lendRequest is the body of POST /integrations/{id}/auth/delegate.
type lendRequest struct {
	Agent        string `json:"agent"`
	ConnectionID string `json:"connectionId"`
}

// lendConnection lends the caller's connection to an agent acting on its
// own, a standing delegation, and answers the grant.
func (s *Server) lendConnection(w http.ResponseWriter, r *http.Request) error {
	in, err := s.connectable(r)
	if err != nil {
		return err
	}
	var req lendRequest
	if err := readJSON(r, s.maxBody, &req); err != nil {
		return err
	}
	if req.ConnectionID == "" {
		return invalidField("connectionId", "is required: the id of the connection to lend")
	}
	if req.Agent == "" {
		return invalidField("agent", "is required: the agent that may use the connection (agent:ID)")
	}
	agent, err := switchboard.ParsePrincipal(req.Agent)
	if err != nil {
		return invalidField("agent", err.Error())
	}
	ctx := r.Context()
	g, err := s.conns.Lend(ctx, in.ID(), identity.FromContext(ctx), req.ConnectionID, agent)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, g)
}

// unlendConnection takes back the caller's grant {grant}.
func (s *Server) unlendConnection(w http.ResponseWriter, r *http.Request) error {
	in, err := s.connectable(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	err = s.conns.Unlend(ctx, in.ID(), identity.FromContext(ctx), chi.URLParam(r, "grant"))
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type renameRequest struct {
	Label string `json:"label"`
}

// renameConnection sets the label of the caller's connection {cid}.
func (s *Server) renameConnection(w http.ResponseWriter, r *http.Request) error {
	in, err := s.connectable(r)
	if err != nil {
		return err
	}
	var req renameRequest
	if err := readJSON(r, s.maxBody, &req); err != nil {
		return err
	}
	ctx := r.Context()
	c, err := s.conns.Rename(ctx, in.ID(), identity.FromContext(ctx),
		chi.URLParam(r, "cid"), req.Label)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, viewConnection(c))
}

// deleteConnection removes the caller's connection {cid} and its
// credentials.
func (s *Server) deleteConnection(w http.ResponseWriter, r *http.Request) error {
	in, err := s.connectable(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	err = s.conns.Delete(ctx, in.ID(), identity.FromContext(ctx), chi.URLParam(r, "cid"))
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type deletedCount struct {
	Deleted int `json:"deleted"`
}

// deleteAllConnections removes every connection of the caller to {id},
// with the flows and connect links in flight for them.
func (s *Server) deleteAllConnections(w http.ResponseWriter, r *http.Request) error {
	in, err := s.connectable(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	n, err := s.conns.DeleteAll(ctx, in.ID(), identity.FromContext(ctx))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, deletedCount{Deleted: n})
}

// refreshConnection renews the token of the caller's connection {cid} now
// and answers the connection. A provider that fails leaves it active; only
// a refused grant makes it dead, answered as not_connected with a link.
func (s *Server) refreshConnection(w http.ResponseWriter, r *http.Request) error {
	in, err := s.connectable(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	c, err := s.conns.Refresh(ctx, in, identity.FromContext(ctx), chi.URLParam(r, "cid"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, viewConnection(c))
}

// connectable returns the installed integration {id} names when r's
// caller may connect its own account to it; otherwise not_found, as for an
// integration not deployed.
func (s *Server) connectable(r *http.Request) (*registry.Integration, error) {
	in, err := s.installed(r)
	if err != nil {
		return nil, err
	}
	if !s.mayConnect(r, in) {
		return nil, notDeployed(in.ID())
	}
	return in, nil
}

// mayConnect reports whether r's caller may connect its own account to in
// and manage its own connections: it manages in or may call one of its
// actions.
func (s *Server) mayConnect(r *http.Request, in *registry.Integration) bool {
	if s.allowed(r, rbac.ManageKey(in.ID())) {
		return true
	}
	return slices.ContainsFunc(in.Actions, func(a *registry.Action) bool {
		return s.allowed(r, a.Permission)
	})
}

// displayName is how pages and messages name an integration.
func displayName(in *registry.Integration) string {
	if in.Manifest.Name != "" {
		return in.Manifest.Name
	}
	return in.ID()
}
