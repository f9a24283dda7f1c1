package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	"github.com/go-chi/chi/v5"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/credentials"
	"github.com/switchboard-dev/switchboard/executor"
	"github.com/switchboard-dev/switchboard/identity"
	"github.com/switchboard-dev/switchboard/rbac"
	"github.com/switchboard-dev/switchboard/registry"
)

// DefaultMaxBodyBytes bounds a request body when [Config.MaxBodyBytes] is
// zero.
const DefaultMaxBodyBytes = 1 << 20

// Registry is what the API needs of the catalog and the installed set.
// *registry.Registry satisfies it. Failures meant for clients are
// *switchboard.Error values; any other error is answered as internal.
type Registry interface {
	// Snapshot returns the current installed set; never nil.
	Snapshot() *registry.Snapshot
	Catalog(ctx context.Context) ([]registry.Entry, error)
	// CatalogEntry returns the catalog's entry for appID, or CodeNotFound.
	CatalogEntry(ctx context.Context, appID string) (registry.Entry, error)
	Upload(ctx context.Context, raw []byte) (registry.Entry, error)
	Deploy(ctx context.Context, appID string) (*registry.Integration, error)
	Undeploy(ctx context.Context, appID string, purge bool) error
	Configure(ctx context.Context, appID string,
		values map[string]json.RawMessage) (*registry.Integration, error)
}

// Executor runs action calls; *executor.Executor satisfies it. It
// authorizes the caller itself.
type Executor interface {
	Call(ctx context.Context, c executor.Call) (executor.Result, error)
}

// Authenticator turns a bearer token into the caller that presented it. It
// returns a *switchboard.Error with CodeUnauthenticated for a token it
// does not accept; *identity.Authenticator satisfies it.
type Authenticator interface {
	AuthenticateRequest(ctx context.Context, token string) (identity.Caller, error)
}

// Authorizer decides what a principal may do, counting the roles its
// token claims (rbac.WithClaimedRoles) when ctx carries them.
// *rbac.Authorizer satisfies it.
type Authorizer interface {
	// Authorize returns nil, or a *switchboard.Error with CodeForbidden
	// naming the permission.
	Authorize(ctx context.Context, p switchboard.Principal, permission string) error
	// Allowed reports whether p holds the permission key.
	Allowed(ctx context.Context, p switchboard.Principal, key string) bool
	// Permissions returns the patterns p holds, sorted.
	Permissions(ctx context.Context, p switchboard.Principal) []string
}

// Roles manages roles and their assignments; *rbac.Authorizer satisfies
// it. Failures meant for clients are *switchboard.Error values: not_found
// for an unknown role, conflict for a built-in one, invalid_input naming
// each bad field (a cycle of inheritance included).
type Roles interface {
	Roles() []rbac.Role
	CreateRole(ctx context.Context, r rbac.Role) (rbac.Role, error)
	UpdateRole(ctx context.Context, name string, patch rbac.RolePatch) (rbac.Role, error)
	DeleteRole(ctx context.Context, name string) error
	Assign(ctx context.Context, principal, role string) error
	Revoke(ctx context.Context, principal, role string) error
	// Assignments lists the assignments of principal, or all of them when
	// principal is "".
	Assignments(ctx context.Context, principal string) ([]rbac.Assignment, error)
	// RemovePrincipal takes every role from principal.
	RemovePrincipal(ctx context.Context, principal string) error
}

// Keys manages API keys; *identity.Authenticator satisfies it. CreateKey
// returns the key itself, which the API shows once and never logs;
// ListKeys never returns a key or a usable hash.
type Keys interface {
	CreateKey(ctx context.Context, p switchboard.Principal,
		name string) (string, identity.APIKey, error)
	// ListKeys lists the keys of p, or every key when p is the zero
	// Principal.
	ListKeys(ctx context.Context, p switchboard.Principal) ([]identity.APIKey, error)
	// RevokeKey deletes one key; an unknown id is CodeNotFound.
	RevokeKey(ctx context.Context, id string) error
	// RevokeKeysOf deletes every key of p and says how many there were.
	RevokeKeysOf(ctx context.Context, p switchboard.Principal) (int, error)
}

// AuditLog reads the audit log. A query that is not valid gives a
// *switchboard.Error with CodeInvalidRequest naming the field, as
// audit.List does.
type AuditLog interface {
	List(ctx context.Context, q audit.Query) (audit.Page, error)
}

// Auditor records administrative requests refused for want of a
// permission; everything else is recorded where it is done.
type Auditor interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Connections runs users' connections to integrations: the flows that
// make them, the connect links that start those flows, and the listing,
// renaming, renewal and removal of a user's own connections.
// *credentials.Manager satisfies it. Every method that takes a user acts
// on that user's connections only, and answers not_found for one of
// another user's. Failures meant for clients are *switchboard.Error
// values; no error or value returned carries a credential.
type Connections interface {
	// Begin starts connecting user's account to in: for OAuth 2.0 a
	// connect link carrying returnTo (checked by the caller), which the
	// browser opens to confirm and go on to the provider; for a credential
	// form its schema.
	Begin(ctx context.Context, in *registry.Integration, user switchboard.Principal,
		returnTo string) (credentials.Flow, error)
	// Callback finishes an OAuth flow whose state the request carries; its
	// result names the integration and returnTo even when it fails, once
	// the state was valid.
	Callback(ctx context.Context, lookup func(appID string) *registry.Integration,
		req credentials.CallbackRequest) (credentials.CallbackResult, error)
	// SaveCredentials checks values against in's credential form and
	// stores them as a new connection of user.
	SaveCredentials(ctx context.Context, in *registry.Integration, user switchboard.Principal,
		values json.RawMessage, label string) (credentials.Connection, error)

	// Status says whether user has an active connection to appID, how
	// many they have and how many of those are dead.
	Status(ctx context.Context, appID string, user switchboard.Principal,
	) (connected bool, count, dead int, err error)
	// Connections lists user's connections to appID, oldest first.
	Connections(ctx context.Context, appID string, user switchboard.Principal,
	) ([]credentials.Connection, error)
	// Rename labels one connection; invalid_input for a bad label.
	Rename(ctx context.Context, appID string, user switchboard.Principal,
		id, label string) (credentials.Connection, error)
	// Delete removes one connection with its credentials.
	Delete(ctx context.Context, appID string, user switchboard.Principal, id string) error
	// RemovePrincipal removes every connection of user, for offboarding,
	// and says how many there were.
	RemovePrincipal(ctx context.Context, user switchboard.Principal) (int, error)
	// DeleteAll removes every connection of user to appID, with the flows
	// and links in flight, and says how many connections there were.
	DeleteAll(ctx context.Context, appID string, user switchboard.Principal) (int, error)
	// Refresh renews a token now; only a grant the provider refuses makes
	// the connection dead.
	Refresh(ctx context.Context, in *registry.Integration, user switchboard.Principal,
		id string) (credentials.Connection, error)

	// Lend lends user's connection id to agent (a standing delegation);
	// Unlend takes grant id back; Grants lists the grants of user's
	// connections to appID and those user received.
	Lend(ctx context.Context, appID string, user switchboard.Principal, id string,
		agent switchboard.Principal) (credentials.Grant, error)
	Unlend(ctx context.Context, appID string, user switchboard.Principal, id string) error
	Grants(ctx context.Context, appID string, p switchboard.Principal) ([]credentials.Grant, error)

	// OpenLink says what a connect link connects without using it up; an
	// unknown, used or expired link is not_found.
	OpenLink(ctx context.Context, token string) (credentials.Link, error)
	// StartLink follows a connect link: an OAuth flow for the link's user
	// (using the link up), or a form's schema (keeping it).
	StartLink(ctx context.Context, in *registry.Integration, token,
		returnTo string) (credentials.Flow, error)
	// SaveLinkCredentials stores a form posted through a connect link and
	// uses the link up once the values are valid.
	SaveLinkCredentials(ctx context.Context, in *registry.Integration, token string,
		values json.RawMessage, label string) (credentials.Connection, error)
}

// Config configures a [Server]. Registry, Executor, Authenticator and
// Authorizer are required; every other field has a working zero value.
type Config struct {
	Registry      Registry
	Executor      Executor
	Authenticator Authenticator
	Authorizer    Authorizer

	// Roles serves /api/v1/roles, Keys /api/v1/keys, and both together
	// DELETE /api/v1/principals/{principal}; Audit serves /api/v1/audit.
	// A nil field leaves its paths unrouted.
	Roles Roles
	Keys  Keys
	Audit AuditLog
	// Auditor records refused administrative requests; nil records none.
	Auditor Auditor
	// Delegations serves /api/v1/delegations, the token endpoint
	// (/oauth/token) and the OAuth metadata under /.well-known; nil leaves
	// them unrouted.
	Delegations Delegations

	// Connections serves users' connections: /integrations/{id}/auth and
	// its subpaths, /integrations/{id}/connections, the OAuth callback and
	// connect links. Nil leaves those paths unrouted, except GET
	// /integrations/{id}/auth, which then answers from the manifest and
	// config alone.
	Connections Connections
	// ReturnTo lists the URL prefixes ("https://app.example.com/") where a
	// browser may be sent once an OAuth flow ends, as the returnTo of
	// POST /integrations/{id}/auth/start; each is an absolute http or https
	// URL without query or fragment. Empty refuses every returnTo.
	ReturnTo []string

	// Webhooks serves listener URLs (POST /api/v1/hooks/{token}, public),
	// /integrations/{id}/webhooks, /integrations/{id}/events,
	// /events/stream and /subscriptions, and puts the listener URL in
	// deploy answers. Nil leaves those paths unrouted.
	Webhooks Webhooks

	// MCP is the streamable HTTP transport, mounted at /mcp. SSE is the
	// legacy SSE transport, mounted at /sse and /message. Both run behind
	// authentication and the body limit, and read the caller with
	// identity.FromContext. A nil handler leaves its paths unrouted.
	MCP http.Handler
	SSE http.Handler

	// Ready reports whether the server can take traffic, for /readyz; its
	// error is logged, never shown. Nil means always ready.
	Ready func(ctx context.Context) error

	// Logger receives request logs and the causes of internal errors.
	// Nil discards them.
	Logger *slog.Logger

	// MaxBodyBytes bounds every request body; DefaultMaxBodyBytes when
	// zero. Manifests and action inputs have their own 1 MiB bounds too.
	MaxBodyBytes int64

	// ManifestSchema is the JSON Schema of manifest.json, served at
	// GET /api/v1/manifest.schema.json. Empty leaves that path unrouted.
	ManifestSchema []byte
	// CORSOrigins are the origins ("https://app.example.com") whose
	// browser apps may call the API; none when empty.
	CORSOrigins []string
}

// Server is the REST API. It holds no state of its own beyond its
// configuration and is safe for concurrent use.
type Server struct {
	reg     Registry
	exec    Executor
	authn   Authenticator
	authz   Authorizer
	roles   Roles
	keys    Keys
	audit   AuditLog
	auditor Auditor
	mcp     http.Handler
	sse     http.Handler
	ready   func(ctx context.Context) error
	log     *slog.Logger
	maxBody int64
	schema  []byte
	origins []string
	conns   Connections
	returns []string
	dlg     Delegations
	hooks   Webhooks

	mux     *chi.Mux
	handler http.Handler
}

// New returns a Server for cfg after applying defaults. It returns an error
// when a required field is missing, MaxBodyBytes is negative,
// ManifestSchema is not JSON or a ReturnTo prefix is not an absolute URL.
func New(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Ready == nil {
		cfg.Ready = func(context.Context) error { return nil }
	}
	s := &Server{
		reg: cfg.Registry, exec: cfg.Executor,
		authn: cfg.Authenticator, authz: cfg.Authorizer,
		roles: cfg.Roles, keys: cfg.Keys, audit: cfg.Audit, auditor: cfg.Auditor,
		mcp: cfg.MCP, sse: cfg.SSE, ready: cfg.Ready, log: cfg.Logger,
		maxBody: cfg.MaxBodyBytes, schema: cfg.ManifestSchema, origins: cfg.CORSOrigins,
		conns: cfg.Connections, returns: slices.Clone(cfg.ReturnTo), dlg: cfg.Delegations,
		hooks: cfg.Webhooks,
	}
	s.handler = s.routes()
	return s, nil
}

func (cfg *Config) validate() error {
	if cfg.Registry == nil || cfg.Executor == nil ||
		cfg.Authenticator == nil || cfg.Authorizer == nil {
		return errors.New(
			"httpapi: Registry, Executor, Authenticator and Authorizer are required")
	}
	if cfg.MaxBodyBytes < 0 {
		return errors.New("httpapi: MaxBodyBytes must not be negative")
	}
	if len(cfg.ManifestSchema) > 0 && !json.Valid(cfg.ManifestSchema) {
		return errors.New("httpapi: ManifestSchema is not valid JSON")
	}
	for _, prefix := range cfg.ReturnTo {
		if err := credentials.CheckReturnPrefix(prefix); err != nil {
			return fmt.Errorf("httpapi: ReturnTo %q: %w", prefix, err)
		}
	}
	return nil
}

// Handler returns the HTTP handler serving every route of the package doc.
func (s *Server) Handler() http.Handler { return s.handler }
