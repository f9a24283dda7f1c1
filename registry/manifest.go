package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Manifest is an integration's manifest.json: what the service is, which
// actions it offers, the config and credentials it needs, and the webhooks
// it sends. Fields Switchboard does not use yet are kept in Extra.
type Manifest struct {
	// AppID names the integration in URLs, tool names and permissions.
	AppID string `json:"appId" jsonschema:"required,pattern=^[a-z][a-z0-9_]*$,maxLength=64"`
	// Name is how people and agents see the integration ("Slack").
	Name string `json:"name" jsonschema:"required,maxLength=128"`
	// Version is free text, shown in listings; a redeploy replaces the
	// installed version with the catalog's.
	Version string `json:"version" jsonschema:"required,maxLength=64"`
	// Type is "integration" when given.
	Type string `json:"type,omitempty" jsonschema:"enum=integration"`
	// Description says what the integration does, for people.
	Description string `json:"description,omitempty"`
	// Instructions tell agents how to use the actions well; list_integrations
	// returns them.
	Instructions string `json:"instructions,omitempty"`

	// ConfigSchema is a JSON Schema object whose properties are the
	// integration's settings; a property with platformSecret is a secret
	// kept in the vault under that platform-wide name.
	ConfigSchema *ConfigSchema `json:"configSchema,omitempty"`

	// UserAuth declares how users connect their own accounts, and which
	// {{connection...}} fields requests may read.
	UserAuth *UserAuth `json:"userAuth,omitempty"`

	// Actions are the operations agents and applications can call.
	Actions []ActionSpec `json:"actions" jsonschema:"required"`
	// Webhooks are the events the service sends. Deploying an integration
	// that declares any provisions a listener URL for them.
	Webhooks []Webhook `json:"webhooks,omitempty"`

	// WebhookVerification declares how the service signs its webhooks and
	// where a delivery names its event and its id. Without it, deliveries
	// are accepted unsigned.
	WebhookVerification *WebhookVerification `json:"webhookVerification,omitempty"`

	// Backend runs the actions that have no request block in a worker
	// process. It is parsed and kept; worker processes are not served yet.
	Backend *Backend `json:"backend,omitempty"`

	// Extra holds top-level fields Switchboard does not use, as given.
	Extra map[string]json.RawMessage `json:"-"`
}

// ConfigSchema is the JSON Schema of an integration's config.
type ConfigSchema struct {
	Type       string           `json:"type,omitempty"`
	Properties []ConfigProperty `json:"-"`
	Required   []string         `json:"required,omitempty"`
	AnyOf      []ConfigRequired `json:"anyOf,omitempty"`
	Raw        json.RawMessage  `json:"-"`
	byName     map[string]int
}

// ConfigRequired is one branch of a configSchema anyOf: the integration is
// configured when every property it lists has a value.
type ConfigRequired struct {
	Required []string `json:"required"`
}

// ConfigProperty is one setting of an integration, in manifest order.
type ConfigProperty struct {
	Name        string
	Type        string
	Description string
	Default     json.RawMessage
	// PlatformSecret is the vault name of a secret property, or "".
	PlatformSecret string
	// Raw is the property's schema as written.
	Raw json.RawMessage
}

// Property returns the named property.
func (c *ConfigSchema) Property(name string) (ConfigProperty, bool) {
	if c == nil {
		return ConfigProperty{}, false
	}
	i, ok := c.byName[name]
	if !ok {
		return ConfigProperty{}, false
	}
	return c.Properties[i], true
}

// MarshalJSON writes the schema as the manifest gave it.
func (c *ConfigSchema) MarshalJSON() ([]byte, error) {
	if len(c.Raw) == 0 {
		return []byte(`{"type":"object","properties":{}}`), nil
	}
	return c.Raw, nil
}

// UserAuth is the userAuth block: how a user connects an account of the
// service, so that calls run with that user's own access. It holds names of
// config properties, never a secret, so it may be shown to anyone who may
// see the integration.
type UserAuth struct {
	// Type is oauth2, credentials or redirect.
	Type string `json:"type"`

	// OAuth is the provider of a userAuth of type oauth2, or nil.
	OAuth *OAuthSpec `json:"-"`
	// Schema is the JSON Schema of the form a user fills in, for a userAuth
	// of type credentials: each property a field of the connection
	// ({{connection.name}}), one value.
	Schema json.RawMessage `json:"-"`

	// Raw is the whole block as written.
	Raw json.RawMessage `json:"-"`
}

// The types of userAuth.
const (
	// UserAuthOAuth2 connects an account with OAuth 2.0.
	UserAuthOAuth2 = "oauth2"
	// UserAuthCredentials has the user fill in a form (an API key, a
	// subdomain) kept as the connection.
	UserAuthCredentials = "credentials"
	// UserAuthRedirect leaves the flow to a worker backend.
	UserAuthRedirect = "redirect"
)

// AuthPlatform is the [UserAuth.Model] of an integration whose calls run
// with the platform's own credentials.
const AuthPlatform = "platform"

// Model says how calls of the integration get their credentials:
// [AuthPlatform] without a userAuth block or for an OAuth client_credentials
// grant (the platform's connection), the block's type otherwise. It is safe
// on a nil UserAuth.
func (u *UserAuth) Model() string {
	if u == nil || u.PlatformConnection() {
		return AuthPlatform
	}
	return u.Type
}

// PlatformConnection reports whether the connection belongs to the platform
// rather than to each user: an oauth2 block with the client_credentials
// grant. It is safe on a nil UserAuth.
func (u *UserAuth) PlatformConnection() bool {
	return u != nil && u.Type == UserAuthOAuth2 && u.OAuth != nil &&
		u.OAuth.Grant == GrantClientCredentials
}

// OAuth grants.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantClientCredentials = "client_credentials"
)

// Refresh policies.
const (
	RefreshBeforeExpiry = "before_expiry"
	RefreshOnExpiry     = "on_expiry"
)

// Client authentication methods at the token endpoint.
const (
	ClientAuthBasic = "basic"
	ClientAuthBody  = "body"
)

// The fields of an OAuth 2.0 connection that templates may read, as in
// {{connection.accessToken}}. The refresh token is not one of them: it goes
// to the token endpoint only.
const (
	ConnectionAccessToken = "accessToken"
	ConnectionTokenType   = "tokenType"
)

// OAuthSpec is an OAuth 2.0 provider. URLs may use {{config...}}
// placeholders (such as a base URL a test double stands in for), nothing
// else; clientId and clientSecret name config properties, the secret a
// platformSecret one.
type OAuthSpec struct {
	Type             string   `json:"type" jsonschema:"enum=oauth2"`
	AuthorizationURL string   `json:"authorizationUrl,omitempty"`
	TokenURL         string   `json:"tokenUrl"`
	Scopes           []string `json:"scopes,omitempty"`
	// ScopeSeparator joins scopes in requests; " " when empty.
	ScopeSeparator string `json:"scopeSeparator,omitempty"`
	// PKCE (S256) is used unless set to false.
	PKCE *bool `json:"pkce,omitempty"`
	// ClientID and ClientSecret name config properties.
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret,omitempty"`
	// AuthorizationParams are added to the authorization URL; some
	// providers issue refresh tokens only with one (access_type=offline).
	AuthorizationParams map[string]string `json:"authorizationParams,omitempty"`
	// Grant is authorization_code (the default) or client_credentials.
	Grant string `json:"grant,omitempty" jsonschema:"enum=authorization_code,enum=client_credentials"`
	// TokenFields say where the token response holds its fields, as dotted
	// paths, for providers that wrap them; the standard names otherwise.
	TokenFields *TokenFields `json:"tokenFields,omitempty"`
	// Refresh is before_expiry (the default) or on_expiry, for providers
	// that return the same token when asked early.
	Refresh string `json:"refresh,omitempty" jsonschema:"enum=before_expiry,enum=on_expiry"`
	// RefreshMargin is how long before expiry a token is refreshed under
	// before_expiry; five minutes when absent, at most an hour.
	RefreshMargin Duration `json:"refreshMargin,omitempty"`
	// ClientAuth is how the client authenticates at the token endpoint:
	// "basic" (an Authorization header) or "body" (form fields); tried in
	// that order when absent.
	ClientAuth string `json:"clientAuth,omitempty" jsonschema:"enum=basic,enum=body"`
}

// TokenFields are the dotted paths of a token response's fields.
type TokenFields struct {
	AccessToken  string `json:"accessToken,omitempty"`
	RefreshToken string `json:"refreshToken,omitempty"`
	ExpiresIn    string `json:"expiresIn,omitempty"`
	TokenType    string `json:"tokenType,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// MarshalJSON writes the block as the manifest gave it.
func (u *UserAuth) MarshalJSON() ([]byte, error) { return u.Raw, nil }

// ActionSpec is one action as the manifest declares it.
type ActionSpec struct {
	// ID names the action in URLs, tool names and permissions.
	ID string `json:"id" jsonschema:"required,pattern=^[a-z][a-z0-9_.]*$,maxLength=64"`
	// Name is a short title ("Send Message").
	Name string `json:"name,omitempty"`
	// Description tells an agent what the action does; the tool's
	// description is the integration's name and this.
	Description string `json:"description,omitempty"`
	// InputSchema is the JSON Schema (2020-12) of the input, an object;
	// every call is validated against it before anything else happens.
	InputSchema json.RawMessage `json:"inputSchema,omitempty" jsonschema:"type=object"`
	// OutputSchema, when given, is served with the tool; outputs then always
	// come back as structuredContent.
	OutputSchema json.RawMessage `json:"outputSchema,omitempty" jsonschema:"type=object"`
	// Annotations are hints for MCP clients.
	Annotations *Annotations `json:"annotations,omitempty"`
	// Credentials is "platform" or "user"; when empty it is inferred from the
	// request's templates: "user" when one reads {{connection...}}. An
	// integration whose userAuth is an OAuth client_credentials grant has
	// one connection, the platform's: its actions run with "platform" and
	// may still read {{connection.accessToken}}.
	Credentials string `json:"credentials,omitempty" jsonschema:"enum=platform,enum=user"`
	// Timeout bounds one call, 30s when absent, at most 10m.
	Timeout Duration `json:"timeout,omitempty"`
	// Request is how the action reaches the service; without it the action
	// answers not_implemented.
	Request *RequestSpec `json:"request,omitempty"`
	// Response turns answers into outputs and errors.
	Response *ResponseSpec `json:"response,omitempty"`
	// Extra holds the action's fields Switchboard does not use, as given.
	Extra map[string]json.RawMessage `json:"-"`
}

// Annotations are the MCP tool hints of an action.
type Annotations struct {
	Title           string `json:"title,omitempty"`
	ReadOnlyHint    *bool  `json:"readOnlyHint,omitempty"`
	DestructiveHint *bool  `json:"destructiveHint,omitempty"`
	IdempotentHint  *bool  `json:"idempotentHint,omitempty"`
	OpenWorldHint   *bool  `json:"openWorldHint,omitempty"`
}

// RequestSpec is a declarative HTTP request. Every string may hold
// {{namespace.path}} placeholders; see [ParseTemplate].
type RequestSpec struct {
	// Method is the HTTP method, GET when absent.
	Method string `json:"method,omitempty" jsonschema:"enum=GET,enum=POST,enum=PUT,enum=PATCH,enum=DELETE,enum=HEAD"`
	// URL is absolute, or starts with a {{config...}} base URL; input may
	// fill path segments and the query, never the scheme or host.
	URL string `json:"url" jsonschema:"required"`
	// Query parameters; one whose value is an absent input is left out.
	Query map[string]string `json:"query,omitempty"`
	// Headers to send; one whose value is an absent input is left out.
	Headers map[string]string `json:"headers,omitempty"`
	// Auth is how the request authenticates.
	Auth *AuthSpec `json:"auth,omitempty"`
	// JSON is a JSON body: any JSON value whose strings may be templates.
	JSON json.RawMessage `json:"json,omitempty" jsonschema:"type=object"`
	// Form is an application/x-www-form-urlencoded body.
	Form map[string]string `json:"form,omitempty"`
}

// AuthSpec is how a request authenticates: exactly one field is set.
type AuthSpec struct {
	Bearer string      `json:"bearer,omitempty"`
	Basic  *BasicAuth  `json:"basic,omitempty"`
	Header *HeaderAuth `json:"header,omitempty"`
}

// BasicAuth is HTTP basic authentication.
type BasicAuth struct {
	Username string `json:"username" jsonschema:"required"`
	Password string `json:"password" jsonschema:"required"`
}

// HeaderAuth sends a credential in a named header.
type HeaderAuth struct {
	Name  string `json:"name" jsonschema:"required"`
	Value string `json:"value" jsonschema:"required"`
}

// ResponseSpec shapes a service's answer.
type ResponseSpec struct {
	// ErrorWhen turns a 2xx answer that is really an error into an
	// upstream_error.
	ErrorWhen *ErrorWhen `json:"errorWhen,omitempty"`
	// ErrorCode is the path of the service's own error code in an error
	// answer, for example "error" for Slack or "error.type" for Stripe.
	ErrorCode string `json:"errorCode,omitempty"`
	// Pick is the path of the one field to return instead of the whole
	// answer; empty returns it all.
	Pick string `json:"pick,omitempty"`
}

// ErrorWhen matches an error answer: the value at Path equals Equals.
type ErrorWhen struct {
	Path   string          `json:"path" jsonschema:"required"`
	Equals json.RawMessage `json:"equals" jsonschema:"required"`
}

// Webhook is an event the service sends: a name, and the HTTP method it
// arrives with. In a manifest it is a string or {name, method}.
type Webhook struct {
	Name   string `json:"name"`
	Method string `json:"method,omitempty"`
}

// UnmarshalJSON accepts "name" or {"name": ..., "method": ...}.
func (w *Webhook) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err == nil {
		*w = Webhook{Name: name}
		return nil
	}
	type plain Webhook
	var p plain
	if err := strictUnmarshal(b, &p); err != nil {
		return err
	}
	*w = Webhook(p)
	return nil
}

// The signature schemes of webhookVerification.
const (
	// SchemeSlack is Slack's v0 signature: X-Slack-Signature over
	// "v0:{X-Slack-Request-Timestamp}:{body}".
	SchemeSlack = "slack"
	// SchemeStripe is Stripe's Stripe-Signature header: t= and v1= over
	// "{t}.{body}".
	SchemeStripe = "stripe"
	// SchemeGitHub is GitHub's X-Hub-Signature-256 over the body.
	SchemeGitHub = "github"
	// SchemeTwilio is Twilio's X-Twilio-Signature: HMAC-SHA1 over the
	// listener's public URL and the sorted form parameters.
	SchemeTwilio = "twilio"
	// SchemeStandard is Standard Webhooks: webhook-id, webhook-timestamp
	// and webhook-signature.
	SchemeStandard = "standard-webhooks"
	// SchemeHMACSHA256 is an HMAC-SHA256 of the body in a header the
	// manifest names, after an optional prefix.
	SchemeHMACSHA256 = "hmac-sha256"
)

// Schemes lists the signature schemes webhookVerification accepts.
func Schemes() []string {
	return []string{SchemeSlack, SchemeStripe, SchemeGitHub, SchemeTwilio,
		SchemeStandard, SchemeHMACSHA256}
}

// WebhookVerification is the webhookVerification block: how a delivery
// proves it comes from the service, and how to read its event name and id.
// It names a config property, never a secret.
type WebhookVerification struct {
	// Scheme is one of [Schemes].
	Scheme string `json:"scheme" jsonschema:"required,enum=slack,enum=stripe,enum=github,enum=twilio,enum=standard-webhooks,enum=hmac-sha256"`
	// Secret names the platformSecret config property that holds the
	// signing secret.
	Secret string `json:"secret" jsonschema:"required"`
	// EventPath is the dotted path of the event name in the payload, such
	// as "event.type"; each scheme has a default (see the webhook package).
	EventPath string `json:"eventPath,omitempty"`
	// IDPath is the dotted path of the delivery id in the payload, for
	// services whose scheme does not carry one.
	IDPath string `json:"idPath,omitempty"`
	// Header names the signature header of the hmac-sha256 scheme.
	Header string `json:"header,omitempty"`
	// Prefix comes before the signature in Header, as in "sha256=".
	Prefix string `json:"prefix,omitempty"`
	// Encoding is how the hmac-sha256 signature is written: hex (the
	// default) or base64.
	Encoding string `json:"encoding,omitempty" jsonschema:"enum=hex,enum=base64"`
	// Tolerance is how far a signed timestamp may be from now, either way;
	// five minutes when absent, at most an hour.
	Tolerance Duration `json:"tolerance,omitempty"`
	// MaxBodyBytes bounds a delivery's body; 1 MiB when absent, at most
	// 16 MiB.
	MaxBodyBytes int64 `json:"maxBodyBytes,omitempty"`
}

// Backend is a worker process that implements actions in code.
type Backend struct {
	Command []string `json:"command" jsonschema:"required,minItems=1"`
}

// Duration is a time.Duration written as a Go duration string ("10s").
type Duration time.Duration

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON reads a duration string such as "10s" or "1m30s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration string such as \"10s\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration string such as \"10s\": %q", s)
	}
	*d = Duration(v)
	return nil
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the value")
	}
	return nil
}
