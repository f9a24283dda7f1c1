package httpapi

import (
	"errors"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/delegation"
)

// Token exchange (RFC 8693) and the metadata that lets standard clients
// find it (RFC 8414, RFC 9728).
const (
	grantTokenExchange   = "urn:ietf:params:oauth:grant-type:token-exchange"
	tokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
	tokenTypeJWT         = "urn:ietf:params:oauth:token-type:jwt"

	// TokenPath is the token endpoint.
	TokenPath = "/oauth/token"
	// ResourceMetadataPath is the protected resource metadata of the API;
	// with MCPPath appended, of the MCP endpoint.
	ResourceMetadataPath = "/.well-known/oauth-protected-resource"
	// ServerMetadataPath is the authorization server metadata.
	ServerMetadataPath = "/.well-known/oauth-authorization-server"
	// MCPPath is where the streamable HTTP transport is mounted.
	MCPPath = "/mcp"
)

// oauthError is an error answer of the token endpoint (RFC 6749, 5.2).
type oauthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

// exchanged is the token endpoint's answer (RFC 8693, 2.2.1).
type exchanged struct {
	AccessToken     string `json:"access_token"`
	IssuedTokenType string `json:"issued_token_type"`
	TokenType       string `json:"token_type"`
	ExpiresIn       int64  `json:"expires_in"`
	Scope           string `json:"scope"`
}

// exchangeToken is the token endpoint: a user's credential (subject_token)
// and an agent's key (actor_token) become a delegation token for the agent
// acting for the user within scope. Failures answer RFC 6749's error
// codes: invalid_request for a missing parameter or a refused token,
// invalid_scope for a scope the user does not hold, invalid_target for an
// audience or resource that is not this server, unsupported_grant_type.
func (s *Server) exchangeToken(w http.ResponseWriter, r *http.Request) {
	out, err := s.exchange(r)
	var oe *oauthError
	switch {
	case errors.As(err, &oe):
		noteCode(r.Context(), switchboard.CodeInvalidRequest)
		w.Header().Set("Pragma", "no-cache")
		_ = writeJSON(w, http.StatusBadRequest, oe)
	case err != nil:
		s.fail(w, r, err)
	default:
		w.Header().Set("Pragma", "no-cache")
		_ = writeJSON(w, http.StatusOK, out)
	}
}

func (s *Server) exchange(r *http.Request) (exchanged, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" {
		return exchanged{}, &oauthError{"invalid_request",
			"the request must be application/x-www-form-urlencoded"}
	}
	if err := r.ParseForm(); err != nil {
		return exchanged{}, &oauthError{"invalid_request", "the form could not be read"}
	}
	f := r.PostForm
	for name, values := range f {
		if len(values) > 1 {
			return exchanged{}, &oauthError{"invalid_request", name + " is given more than once"}
		}
	}
	if g := f.Get("grant_type"); g != grantTokenExchange {
		if g == "" {
			return exchanged{}, &oauthError{"invalid_request", "grant_type is required"}
		}
		return exchanged{}, &oauthError{"unsupported_grant_type",
			"only " + grantTokenExchange + " is supported"}
	}
	for _, name := range []string{"subject_token", "subject_token_type", "actor_token",
		"actor_token_type", "scope"} {
		if f.Get(name) == "" {
			return exchanged{}, &oauthError{"invalid_request", name + " is required"}
		}
	}
	for _, name := range []string{"subject_token_type", "actor_token_type"} {
		if t := f.Get(name); t != tokenTypeAccessToken && t != tokenTypeJWT {
			return exchanged{}, &oauthError{"invalid_request", name + " must be " +
				tokenTypeAccessToken + " or " + tokenTypeJWT}
		}
	}
	if t := f.Get("requested_token_type"); t != "" && t != tokenTypeAccessToken && t != tokenTypeJWT {
		return exchanged{}, &oauthError{"invalid_request",
			"requested_token_type must be " + tokenTypeAccessToken + " or " + tokenTypeJWT}
	}
	targets := []string{s.dlg.Audience(), strings.TrimSuffix(s.dlg.Audience(), "/") + MCPPath}
	for _, name := range []string{"audience", "resource"} {
		if t := f.Get(name); t != "" && !slices.Contains(targets, t) {
			return exchanged{}, &oauthError{"invalid_target", name + " must be " +
				strings.Join(targets, " or ")}
		}
	}

	ctx := r.Context()
	user, err := s.authn.AuthenticateRequest(ctx, f.Get("subject_token"))
	switch {
	case err != nil:
		return exchanged{}, &oauthError{"invalid_request", "subject_token: " + message(err)}
	case user.Delegation != nil:
		return exchanged{}, &oauthError{"invalid_request",
			"subject_token is a delegation token: a delegation cannot be delegated further"}
	case user.Principal.Kind != switchboard.KindUser:
		return exchanged{}, &oauthError{"invalid_request",
			"subject_token must be a user's credential, not " + user.Principal.String() + "'s"}
	}
	agent, err := s.authn.AuthenticateRequest(ctx, f.Get("actor_token"))
	switch {
	case err != nil:
		return exchanged{}, &oauthError{"invalid_request", "actor_token: " + message(err)}
	case agent.Delegation != nil:
		return exchanged{}, &oauthError{"invalid_request",
			"actor_token must be the agent's own key, not a delegation token"}
	}

	ctx = audit.WithOrigin(ctx, audit.Origin{Actor: user.Principal.String(),
		Surface: audit.SurfaceREST, RequestID: RequestID(ctx)})
	notePrincipal(ctx, user.Principal)
	issued, err := s.dlg.Issue(ctx, delegation.Request{User: user.Principal,
		UserRoles: user.Roles, Agent: agent.Principal, Scope: strings.Fields(f.Get("scope")),
		Via: delegation.ViaExchange})
	switch code := switchboard.ErrorCode(err); {
	case err == nil:
	case code == switchboard.CodeForbidden:
		return exchanged{}, &oauthError{"invalid_scope", message(err)}
	case code == switchboard.CodeInvalidInput:
		return exchanged{}, &oauthError{"invalid_request", detailed(err)}
	default:
		return exchanged{}, err
	}
	return exchanged{AccessToken: issued.Token, IssuedTokenType: tokenTypeAccessToken,
		TokenType: "Bearer", ExpiresIn: int64(time.Until(issued.ExpiresAt).Round(time.Second) / time.Second),
		Scope: strings.Join(issued.Scope, " ")}, nil
}

// message is the client-safe message of err.
func message(err error) string { return switchboard.AsError(err).Message }

// detailed is the client-safe message of err with its field errors.
func detailed(err error) string {
	e := switchboard.AsError(err)
	parts := []string{e.Message}
	for _, fe := range e.Errors {
		parts = append(parts, fe.Path+": "+fe.Message)
	}
	return strings.Join(parts, "; ")
}

// resourceMetadata describes a protected resource (RFC 9728).
type resourceMetadata struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceName           string   `json:"resource_name"`
}

// resourceMetadata answers the metadata of the API or, under MCPPath, of
// the MCP endpoint.
func (s *Server) resourceMetadata(mcp bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		m := resourceMetadata{Resource: s.dlg.Audience(),
			AuthorizationServers:   []string{s.dlg.Issuer()},
			BearerMethodsSupported: []string{"header"}, ResourceName: "Switchboard"}
		if mcp {
			m.Resource = strings.TrimSuffix(m.Resource, "/") + MCPPath
			m.ResourceName = "Switchboard MCP"
		}
		_ = writeJSON(w, http.StatusOK, m)
	}
}

// serverMetadata describes the token endpoint (RFC 8414).
type serverMetadata struct {
	Issuer                   string   `json:"issuer"`
	TokenEndpoint            string   `json:"token_endpoint"`
	GrantTypesSupported      []string `json:"grant_types_supported"`
	ResponseTypesSupported   []string `json:"response_types_supported"`
	TokenEndpointAuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	ScopesSupported          []string `json:"scopes_supported,omitempty"`
}

func (s *Server) serverMetadata(w http.ResponseWriter, _ *http.Request) {
	iss := strings.TrimSuffix(s.dlg.Issuer(), "/")
	_ = writeJSON(w, http.StatusOK, serverMetadata{Issuer: s.dlg.Issuer(),
		TokenEndpoint:          iss + TokenPath,
		GrantTypesSupported:    []string{grantTokenExchange},
		ResponseTypesSupported: []string{},
		// The actor token authenticates the agent: there is no client.
		TokenEndpointAuthMethods: []string{"none"}})
}

// challenge is the WWW-Authenticate of a 401 on path: with the resource
// metadata's URL when the server knows its public URL.
func (s *Server) challenge(path string) string {
	if s.dlg == nil {
		return `Bearer realm="switchboard"`
	}
	meta := strings.TrimSuffix(s.dlg.Issuer(), "/") + ResourceMetadataPath
	if path == MCPPath || strings.HasPrefix(path, MCPPath+"/") {
		meta += MCPPath
	}
	return `Bearer realm="switchboard", resource_metadata="` + meta + `"`
}
