package registry

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/switchboard-dev/switchboard"
)

// Integration is a deployed integration as one snapshot of the installed set
// sees it: its manifest, compiled actions, and config state. It is immutable;
// a change builds a new one, so a call that holds one finishes on the version
// and config it started with.
type Integration struct {
	Manifest *Manifest
	// Raw is the manifest as deployed.
	Raw        json.RawMessage
	Seq        int64
	DeployedAt time.Time
	Actions    []*Action

	// Config holds the plain config values, decoded, with schema defaults
	// applied. Secrets are never here.
	Config map[string]any
	// Set reports per config property whether it has a value (its own or a
	// default); secret properties count as set when the vault holds them.
	Set map[string]bool
	// Missing lists what keeps the integration from being configured.
	Missing []string
}

// ID returns the integration's app id.
func (in *Integration) ID() string { return in.Manifest.AppID }

// Configured reports whether every property the manifest requires is set.
func (in *Integration) Configured() bool { return len(in.Missing) == 0 }

// NotConfigured returns the not_configured error of in, which lacks the
// config properties missing: its message names them for an administrator,
// and its Missing lists them.
func (in *Integration) NotConfigured(missing []string) *switchboard.Error {
	name := in.Manifest.Name
	if name == "" {
		name = in.ID()
	}
	e := switchboard.Errorf(switchboard.CodeNotConfigured,
		"%s is not configured: an administrator must set %s", name, joinAnd(missing))
	e.Missing = missing
	return e
}

// joinAnd lists names as a sentence does: "a", "a and b", "a, b and c".
func joinAnd(names []string) string {
	switch len(names) {
	case 0:
		return "its config"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// Action returns the action with id, or nil.
func (in *Integration) Action(id string) *Action {
	for _, a := range in.Actions {
		if a.Spec.ID == id {
			return a
		}
	}
	return nil
}

// Credentials are the kinds of credential an action runs with.
const (
	CredentialsPlatform = "platform"
	CredentialsUser     = "user"
)

// DefaultTimeout bounds an action that declares no timeout.
const DefaultTimeout = 30 * time.Second

// Action is a deployed action, compiled at deploy.
//
// An action runs with the platform's credentials or with a connection. A
// per-user connection (userAuth oauth2 with the authorization_code grant,
// or credentials) makes Credentials "user": each caller brings their own.
// An oauth2 userAuth with the client_credentials grant has one connection,
// the platform's: its actions have Credentials "platform" and may still
// read {{connection.accessToken}}, so Connection is true and the executor
// resolves the platform connection.
type Action struct {
	Integration *Integration
	Spec        *ActionSpec
	// Tool is the action's MCP tool name, unique in the installed set.
	Tool string
	// Permission is the RBAC key that allows calling it.
	Permission string
	// Input validates the action's input; never nil.
	Input *jsonschema.Schema
	// InputSchema is the schema as served to clients ({"type":"object"}
	// when the manifest gives none).
	InputSchema json.RawMessage
	Timeout     time.Duration
	// Credentials is CredentialsPlatform or CredentialsUser, as the manifest
	// says or inferred: CredentialsUser when a template reads
	// {{connection...}}, except under a client_credentials grant.
	Credentials string
	// Request is nil for an action with no request block.
	Request *Request
	// Secrets are the config properties its templates read from the vault.
	Secrets []string
	// Connection reports whether its templates read a connection
	// ({{connection...}}): the caller's own, or the platform's for a
	// client-credentials grant.
	Connection bool
}

// Request is a compiled request block.
type Request struct {
	Method  string
	URL     Template
	Query   []Param
	Headers []Param
	Auth    *Auth
	// JSON is the body tree, or nil.
	JSON *Node
	// Form holds the form fields, or nil.
	Form []Param
	// Response is the response block, or nil.
	Response *ResponseSpec
}

// Param is a named template, in name order.
type Param struct {
	Name  string
	Value Template
}

// Auth is a compiled auth block: exactly one field is set.
type Auth struct {
	Bearer *Template
	Basic  *BasicTemplates
	Header *Param
}

// BasicTemplates are the username and password of basic auth.
type BasicTemplates struct {
	Username Template
	Password Template
}

// NodeKind is the kind of a [Node].
type NodeKind int

// The kinds of body node.
const (
	NodeLiteral NodeKind = iota // a number, boolean or null, as Literal
	NodeString                  // a string template, as String
	NodeObject                  // Members, in manifest order
	NodeArray                   // Items
)

// Node is one value of a JSON body template.
type Node struct {
	Kind    NodeKind
	Literal json.RawMessage
	String  Template
	Members []Member
	Items   []*Node
}

// Member is a key of a body object and its value.
type Member struct {
	Key   string
	Value *Node
}
