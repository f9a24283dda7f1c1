package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
)

var (
	appIDPattern    = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	actionIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_.]*$`)
	webhookPattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]*$`)
	secretPattern   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)
	// formFieldPattern is what {{connection.name}} can name.
	formFieldPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	tokenPathPattern = regexp.MustCompile(`^[^.\s]+(\.[^.\s]+)*$`)
)

// Limits and reserved names of manifests.
const (
	maxIDLength   = 64
	maxTimeout    = 10 * time.Minute
	maxNameLength = 128
	// maxRefreshMargin bounds userAuth.refreshMargin: a token refreshed
	// earlier than that is mostly wasted.
	maxRefreshMargin = time.Hour
	// maxTolerance bounds webhookVerification.tolerance; maxHookBody its
	// maxBodyBytes.
	maxTolerance = time.Hour
	maxHookBody  = 16 << 20
)

// ReservedAppIDs are path segments of the REST API that an app id would
// shadow.
var reservedAppIDs = []string{"catalog", "auth", "hooks"}

// reservedActionIDs are the permission suffixes an action id would shadow.
var reservedActionIDs = []string{"manage", "events"}

var httpMethods = []string{
	http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodHead,
}

// validate checks a parsed manifest's meaning and returns every problem.
func validate(m *Manifest) []Problem {
	v := &validator{m: m}
	v.identity()
	v.webhooks()
	v.webhookVerification()
	v.userAuth()
	seen := map[string]int{}
	for i := range m.Actions {
		path := fmt.Sprintf("actions[%d]", i)
		a := &m.Actions[i]
		if first, dup := seen[a.ID]; dup && a.ID != "" {
			v.fail(path+".id", "duplicate action id %q (also actions[%d])", a.ID, first)
		} else {
			seen[a.ID] = i
		}
		v.action(path, a)
	}
	if m.Backend != nil && len(m.Backend.Command) == 0 {
		v.fail("backend.command", "required: the program and its arguments")
	}
	return v.problems
}

type validator struct {
	m        *Manifest
	problems []Problem
	// form holds the fields of a credentials userAuth's form; nil when there
	// is none, or when its schema is wrong (already reported).
	form map[string]bool
}

func (v *validator) fail(path, format string, args ...any) {
	v.problems = append(v.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) identity() {
	m := v.m
	switch {
	case m.AppID == "":
		v.fail("appId", "required")
	case len(m.AppID) > maxIDLength:
		v.fail("appId", "at most %d characters", maxIDLength)
	case !appIDPattern.MatchString(m.AppID):
		v.fail("appId", "%q must match ^[a-z][a-z0-9_]*$", m.AppID)
	case slices.Contains(reservedAppIDs, m.AppID):
		v.fail("appId", "%q is reserved (%s)", m.AppID, strings.Join(reservedAppIDs, ", "))
	}
	if m.Name == "" {
		v.fail("name", "required")
	} else if len(m.Name) > maxNameLength {
		v.fail("name", "at most %d characters", maxNameLength)
	}
	if m.Version == "" {
		v.fail("version", "required")
	} else if len(m.Version) > maxIDLength {
		v.fail("version", "at most %d characters", maxIDLength)
	}
	if m.Type != "" && m.Type != "integration" {
		v.fail("type", "must be \"integration\"")
	}
	v.configSchema()
}

func (v *validator) configSchema() {
	cs := v.m.ConfigSchema
	if cs == nil {
		return
	}
	secrets := map[string]string{}
	for _, p := range cs.Properties {
		path := "configSchema.properties." + p.Name
		if p.PlatformSecret != "" && !secretPattern.MatchString(p.PlatformSecret) {
			v.fail(path+".platformSecret", "%q must match ^[A-Za-z][A-Za-z0-9_.-]*$", p.PlatformSecret)
		}
		if other, dup := secrets[p.PlatformSecret]; dup && p.PlatformSecret != "" {
			v.fail(path+".platformSecret", "%q is also the secret of %s", p.PlatformSecret, other)
		}
		secrets[p.PlatformSecret] = p.Name
		if p.PlatformSecret != "" && p.Type != "" && p.Type != "string" {
			v.fail(path+".type", "a platformSecret property must be a string")
		}
		sch, err := CompileSchema(p.Raw)
		if err != nil {
			v.schemaProblem(path, err)
			continue
		}
		if len(p.Default) > 0 {
			if p.PlatformSecret != "" {
				v.fail(path+".default", "a platformSecret property cannot have a default")
			} else if val, err := DecodeInput(p.Default); err == nil && sch.Validate(val) != nil {
				v.fail(path+".default", "does not match the property's schema")
			}
		}
	}
	v.requiredNames("configSchema.required", cs.Required)
	for i, branch := range cs.AnyOf {
		v.requiredNames(fmt.Sprintf("configSchema.anyOf[%d].required", i), branch.Required)
	}
}

// schemaProblem reports a schema that does not compile, at the JSON path of
// each problem inside it.
func (v *validator) schemaProblem(path string, err error) {
	se, ok := errors.AsType[*SchemaError](err)
	if !ok {
		v.fail(path, "schema does not compile: %s", err)
		return
	}
	for _, fe := range se.Problems {
		at := path
		if fe.Path != "/" {
			at += strings.ReplaceAll(fe.Path, "/", ".")
		}
		v.fail(at, "%s", fe.Message)
	}
}

func (v *validator) requiredNames(path string, names []string) {
	for _, name := range names {
		if _, ok := v.m.ConfigSchema.Property(name); !ok {
			v.fail(path, "names %q, which is not a property", name)
		}
	}
}

func (v *validator) webhooks() {
	seen := map[string]bool{}
	for i, w := range v.m.Webhooks {
		path := fmt.Sprintf("webhooks[%d]", i)
		switch {
		case w.Name == "":
			v.fail(path+".name", "required")
		case !webhookPattern.MatchString(w.Name):
			v.fail(path+".name", "%q must be letters, digits and _.:-", w.Name)
		case seen[w.Name]:
			v.fail(path+".name", "duplicate webhook %q", w.Name)
		}
		seen[w.Name] = true
		if w.Method != "" && !slices.Contains(httpMethods, strings.ToUpper(w.Method)) {
			v.fail(path+".method", "%q is not an HTTP method", w.Method)
		}
	}
}

// webhookVerification checks the webhookVerification block: a known
// scheme, a secret that is a platformSecret property, paths that are dotted
// names, and the header and prefix only where the scheme reads them.
func (v *validator) webhookVerification() {
	wv := v.m.WebhookVerification
	if wv == nil {
		return
	}
	const path = "webhookVerification"
	if len(v.m.Webhooks) == 0 {
		v.fail(path, "declares how webhooks are signed, but webhooks lists none")
	}
	switch {
	case wv.Scheme == "":
		v.fail(path+".scheme", "required: one of %s", strings.Join(Schemes(), ", "))
	case !slices.Contains(Schemes(), wv.Scheme):
		v.fail(path+".scheme", "must be one of %s, not %q", strings.Join(Schemes(), ", "), wv.Scheme)
	}
	v.hookSecret(path+".secret", wv.Secret)
	for _, f := range [][2]string{{".eventPath", wv.EventPath}, {".idPath", wv.IDPath}} {
		if f[1] != "" && !tokenPathPattern.MatchString(f[1]) {
			v.fail(path+f[0], "%q must be a dotted path such as \"event.type\"", f[1])
		}
	}
	v.hookHeader(path, wv)
	if d := time.Duration(wv.Tolerance); d < 0 || d > maxTolerance {
		v.fail(path+".tolerance", "must be between 0 and 1h")
	}
	if wv.MaxBodyBytes < 0 || wv.MaxBodyBytes > maxHookBody {
		v.fail(path+".maxBodyBytes", "must be between 0 and %d", maxHookBody)
	}
}

// hookSecret checks that name is a platformSecret property of the config.
func (v *validator) hookSecret(path, name string) {
	if name == "" {
		v.fail(path, "required: the name of the platformSecret config property "+
			"that holds the signing secret")
		return
	}
	v.secretProperty(path, name, "signing secret")
}

// secretProperty checks that name, the value at path, is a platformSecret
// property of the config, which holds what: a secret of the integration's
// own, kept in the vault.
func (v *validator) secretProperty(path, name, what string) {
	p, ok := v.m.ConfigSchema.Property(name)
	switch {
	case !ok:
		v.fail(path, "names %q, which is not a property of configSchema", name)
	case p.PlatformSecret == "":
		v.fail(path, "names %q, a plain config property: a %s belongs in "+
			"the vault, in a property with platformSecret", name, what)
	}
}

// hookHeader checks header, prefix and encoding: required (the header) and
// allowed only with the hmac-sha256 scheme.
func (v *validator) hookHeader(path string, wv *WebhookVerification) {
	if wv.Scheme != SchemeHMACSHA256 {
		for _, f := range [][2]string{{".header", wv.Header}, {".prefix", wv.Prefix},
			{".encoding", wv.Encoding}} {
			if f[1] != "" {
				v.fail(path+f[0], "only the hmac-sha256 scheme takes it; %s fixes its own",
					wv.Scheme)
			}
		}
		return
	}
	switch {
	case wv.Header == "":
		v.fail(path+".header", "required with hmac-sha256: the header that carries "+
			"the signature, as in \"X-Signature\"")
	case !validHeaderName(wv.Header):
		v.fail(path+".header", "%q is not an HTTP header name", wv.Header)
	}
	v.enum(path+".encoding", wv.Encoding, "hex", "base64")
}

func (v *validator) action(path string, a *ActionSpec) {
	switch {
	case a.ID == "":
		v.fail(path+".id", "required")
	case len(a.ID) > maxIDLength:
		v.fail(path+".id", "at most %d characters", maxIDLength)
	case !actionIDPattern.MatchString(a.ID):
		v.fail(path+".id", "%q must match ^[a-z][a-z0-9_.]*$", a.ID)
	case slices.Contains(reservedActionIDs, a.ID):
		v.fail(path+".id", "%q is reserved (%s)", a.ID, strings.Join(reservedActionIDs, ", "))
	}
	props := v.objectSchema(path+".inputSchema", a.InputSchema)
	v.objectSchema(path+".outputSchema", a.OutputSchema)
	if a.Timeout < 0 || time.Duration(a.Timeout) > maxTimeout {
		v.fail(path+".timeout", "must be between 0 and %s", maxTimeout)
	}
	switch a.Credentials {
	case "", CredentialsPlatform:
	case CredentialsUser:
		v.userCredentials(path + ".credentials")
	default:
		v.fail(path+".credentials", "must be \"platform\" or \"user\"")
	}
	if a.Request != nil {
		v.request(path+".request", a, props)
	}
	if r := a.Response; r != nil && r.ErrorWhen != nil {
		if r.ErrorWhen.Path == "" {
			v.fail(path+".response.errorWhen.path", "required")
		}
		if len(r.ErrorWhen.Equals) == 0 {
			v.fail(path+".response.errorWhen.equals", "required")
		}
	}
}

// objectSchema checks an input or output schema and returns the names of
// its top-level properties, or nil when it declares none.
func (v *validator) objectSchema(path string, raw json.RawMessage) map[string]bool {
	if len(raw) == 0 {
		return nil
	}
	var shape struct {
		Type       any                        `json:"type"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(raw, &shape); err != nil {
		v.fail(path, "must be a JSON Schema object")
		return nil
	}
	if shape.Type != nil && shape.Type != "object" {
		v.fail(path+".type", "must be \"object\": tools take an object of arguments")
	}
	if sch, err := CompileSchema(raw); err != nil {
		v.schemaProblem(path, err)
	} else if refCycle(sch.Validate(map[string]any{})) {
		v.fail(path, "the schema refers to itself in a loop ($ref cycle)")
	}
	if shape.Properties == nil {
		return nil
	}
	props := map[string]bool{}
	for name := range shape.Properties {
		props[name] = true
	}
	return props
}

func (v *validator) request(path string, a *ActionSpec, inputProps map[string]bool) {
	spec := a.Request
	if !slices.Contains(httpMethods, strings.ToUpper(defaultString(spec.Method, "GET"))) {
		v.fail(path+".method", "%q is not an HTTP method", spec.Method)
	}
	if spec.URL == "" {
		v.fail(path+".url", "required")
	}
	if len(spec.JSON) > 0 && spec.Form != nil {
		v.fail(path, "set one body kind: json or form, not both")
	}
	v.bodyless(path, spec)
	v.headerNames(path, spec)
	req, problems := CompileRequest(spec, a.Response)
	for _, p := range problems {
		v.fail(path+"."+p.Path, "%s", p.Message)
	}
	if len(problems) > 0 {
		return
	}
	v.urlOrigin(path+".url", req.URL)
	eachTemplate(req, func(where string, t Template) {
		for _, ref := range t.Refs() {
			v.ref(path+"."+where, a, ref, inputProps)
		}
	})
}

// bodyless refuses a body on a method that carries none.
func (v *validator) bodyless(path string, spec *RequestSpec) {
	method := strings.ToUpper(defaultString(spec.Method, http.MethodGet))
	if method != http.MethodGet && method != http.MethodHead {
		return
	}
	refuse := func(kind string) {
		v.fail(path+"."+kind, "a %s request carries no body: set request.method to "+
			"POST, PUT or PATCH, or send the fields in request.query", method)
	}
	if len(spec.JSON) > 0 {
		refuse("json")
	}
	if spec.Form != nil {
		refuse("form")
	}
}

// headerNames refuses header names that are not HTTP tokens, which no
// request could send.
func (v *validator) headerNames(path string, spec *RequestSpec) {
	for _, name := range sortedNames(spec.Headers) {
		switch {
		case !validHeaderName(name):
			v.fail(path+".headers."+name, "%q is not a valid HTTP header name", name)
		case slices.Contains(transportHeaders, http.CanonicalHeaderKey(name)):
			v.fail(path+".headers."+name, "%s is set by the HTTP client and cannot be given", name)
		case http.CanonicalHeaderKey(name) == "Authorization":
			v.fail(path+".headers."+name, "put credentials in request.auth, "+
				"so that they are never sent across a redirect")
		}
	}
	if a := spec.Auth; a != nil && a.Header != nil && a.Header.Name != "" &&
		!validHeaderName(a.Header.Name) {
		v.fail(path+".auth.header.name", "%q is not a valid HTTP header name", a.Header.Name)
	}
}

// transportHeaders are managed by the HTTP client; a manifest setting them
// would be ignored or would break the request.
var transportHeaders = []string{"Host", "Content-Length", "Transfer-Encoding", "Connection",
	"Upgrade", "Te", "Trailer", "Keep-Alive", "Proxy-Connection"}

// validHeaderName reports whether s is an HTTP token (RFC 9110, section
// 5.6.2): one or more visible ASCII characters other than delimiters.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// urlOrigin refuses a URL whose scheme or host could come from anything but
// the manifest and the administrator's config.
func (v *validator) urlOrigin(path string, t Template) {
	segs := t.Segments
	if len(segs) == 0 {
		return
	}
	if first := segs[0]; first.Ref != nil {
		if first.Ref.NS != NSConfig {
			v.fail(path, "a URL may start with {{config...}} only: %s may not decide the scheme or host",
				first.Ref)
			return
		}
		if len(segs) > 1 && segs[1].Ref != nil {
			v.fail(path, "put a literal \"/\" between the base URL and {{%s}}", segs[1].Ref)
		}
		if len(segs) > 1 && segs[1].Literal != "" && !strings.ContainsAny(segs[1].Literal[:1], "/?") {
			v.fail(path, "the text after {{%s}} must start with \"/\" or \"?\"", first.Ref)
		}
		return
	}
	lit := segs[0].Literal
	if !strings.HasPrefix(lit, "https://") && !strings.HasPrefix(lit, "http://") {
		v.fail(path, "must start with http://, https:// or {{config...}}")
		return
	}
	// The origin runs to the first "/", "?" or "#" after the scheme.
	afterScheme := lit[strings.Index(lit, "//")+2:]
	if strings.ContainsAny(afterScheme, "/?#") {
		return
	}
	for _, s := range segs[1:] {
		if s.Ref != nil && s.Ref.NS != NSConfig {
			v.fail(path, "{{%s}} may not decide the scheme or host", s.Ref)
		}
		if s.Literal != "" && strings.ContainsAny(s.Literal, "/?#") {
			return
		}
	}
}

func (v *validator) ref(path string, a *ActionSpec, ref Ref, inputProps map[string]bool) {
	cs := v.m.ConfigSchema
	name := ref.Path[0]
	switch ref.NS {
	case NSConfig:
		p, ok := cs.Property(name)
		switch {
		case !ok:
			v.fail(path, "{{%s}} names no property of configSchema", ref)
		case p.PlatformSecret != "":
			v.fail(path, "{{%s}} is a platformSecret: write {{secrets.%s}}", ref, name)
		}
	case NSSecrets:
		p, ok := cs.Property(name)
		switch {
		case len(ref.Path) > 1:
			v.fail(path, "{{%s}}: a secret is one value with no fields: write {{secrets.%s}}",
				ref, name)
		case !ok:
			v.fail(path, "{{%s}} names no property of configSchema", ref)
		case p.PlatformSecret == "":
			v.fail(path, "{{%s}} is not a platformSecret property: write {{config.%s}}", ref, name)
		}
	case NSInput:
		if inputProps != nil && !inputProps[name] {
			v.fail(path, "{{%s}} names no property of inputSchema", ref)
		}
	case NSConnection:
		if len(ref.Path) > 1 {
			v.fail(path, "{{%s}}: a connection field is one name: write {{connection.%s}}",
				ref, name)
		}
		v.connectionRef(path, a, ref)
	}
}

// connectionRef checks a {{connection.x}} placeholder against the fields
// the integration's connection has.
func (v *validator) connectionRef(path string, a *ActionSpec, ref Ref) {
	ua := v.m.UserAuth
	name := ref.Path[0]
	if ua == nil {
		v.fail(path, "{{%s}} reads the caller's connection, and this integration has "+
			"none: declare userAuth (oauth2 or credentials) so that users can connect", ref)
		return
	}
	if a.Credentials == CredentialsPlatform && !ua.PlatformConnection() {
		v.fail(path, "{{%s}} needs \"credentials\": \"user\"", ref)
	}
	switch ua.Type {
	case UserAuthOAuth2:
		if !slices.Contains(oauthFields, name) {
			v.fail(path, "{{%s}}: an OAuth connection offers only {{connection.%s}}", ref,
				strings.Join(oauthFields, "}} and {{connection."))
		}
	case UserAuthCredentials:
		if v.form != nil && !v.form[name] {
			v.fail(path, "{{%s}} names no property of userAuth.schema", ref)
		}
	}
}

// oauthFields are the connection fields of an oauth2 userAuth.
var oauthFields = []string{ConnectionAccessToken, ConnectionTokenType}

// userCredentials checks an action's "credentials": "user".
func (v *validator) userCredentials(path string) {
	switch ua := v.m.UserAuth; {
	case ua == nil:
		v.fail(path, "\"user\" runs with the caller's connection, and this integration "+
			"has none: declare userAuth (oauth2 or credentials) so that users can connect")
	case ua.PlatformConnection():
		v.fail(path, "a client_credentials grant connects the platform, not each user: "+
			"write \"platform\" or leave credentials out")
	}
}

// userAuth checks the userAuth block and notes the fields of a credential
// form, which templates may then read.
func (v *validator) userAuth() {
	ua := v.m.UserAuth
	if ua == nil {
		return
	}
	switch ua.Type {
	case UserAuthOAuth2:
		if ua.OAuth != nil {
			v.oauth("userAuth", ua.OAuth)
		}
	case UserAuthCredentials:
		v.form = v.formSchema("userAuth.schema", ua.Schema)
	}
}

func (v *validator) oauth(path string, o *OAuthSpec) {
	v.grant(path, o)
	v.oauthURL(path+".authorizationUrl", o.AuthorizationURL)
	v.oauthURL(path+".tokenUrl", o.TokenURL)
	v.clientID(path+".clientId", o.ClientID)
	v.clientSecret(path+".clientSecret", o)
	v.scopes(path, o)
	v.authorizationParams(path+".authorizationParams", o.AuthorizationParams)
	v.enum(path+".refresh", o.Refresh, RefreshBeforeExpiry, RefreshOnExpiry)
	v.enum(path+".clientAuth", o.ClientAuth, ClientAuthBasic, ClientAuthBody)
	if d := time.Duration(o.RefreshMargin); d < 0 || d > maxRefreshMargin {
		v.fail(path+".refreshMargin", "must be between 0 and 1h")
	}
	v.tokenFields(path+".tokenFields", o.TokenFields)
}

// grant checks the grant and the endpoints it needs.
func (v *validator) grant(path string, o *OAuthSpec) {
	needToken := func() {
		if o.TokenURL == "" {
			v.fail(path+".tokenUrl", "required: the endpoint that issues access tokens")
		}
	}
	switch o.Grant {
	case "", GrantAuthorizationCode:
		if o.AuthorizationURL == "" {
			v.fail(path+".authorizationUrl", "required: the page where the user "+
				"grants access, for the authorization_code grant")
		}
		needToken()
	case GrantClientCredentials:
		needToken()
	default:
		v.fail(path+".grant", "must be %s or %s, not %q",
			GrantAuthorizationCode, GrantClientCredentials, o.Grant)
	}
}

// oauthURL checks an OAuth endpoint: absolute http(s), or a {{config...}}
// base URL followed by a path. No other placeholder may appear: there is no
// input, secret or connection when a flow starts, and a plain config value
// is the only thing besides the manifest an administrator controls.
func (v *validator) oauthURL(path, raw string) {
	if raw == "" {
		return // whether it is required depends on the grant
	}
	t, err := ParseTemplate(raw)
	if err != nil {
		v.fail(path, "%s", err)
		return
	}
	refsOK := true
	for _, ref := range t.Refs() {
		if !v.urlConfigRef(path, ref) {
			refsOK = false
		}
	}
	if !refsOK {
		return
	}
	if strings.Contains(raw, "#") {
		v.fail(path, "an OAuth endpoint has no #fragment")
		return
	}
	v.urlOrigin(path, t)
	if t.IsLiteral() && hasHTTPScheme(raw) {
		if u, err := url.Parse(raw); err != nil || u.Host == "" {
			v.fail(path, "must be an absolute URL with a host, as in https://example.com/token")
		}
	}
}

// urlConfigRef checks a placeholder of an OAuth URL: a plain config
// property.
func (v *validator) urlConfigRef(path string, ref Ref) bool {
	if ref.NS != NSConfig {
		v.fail(path, "{{%s}}: an OAuth URL may hold {{config...}} placeholders only", ref)
		return false
	}
	p, ok := v.m.ConfigSchema.Property(ref.Path[0])
	switch {
	case len(ref.Path) > 1:
		v.fail(path, "{{%s}}: name one config property, as in {{config.%s}}", ref, ref.Path[0])
		return false
	case !ok:
		v.fail(path, "{{%s}} names no property of configSchema", ref)
		return false
	case p.PlatformSecret != "":
		v.fail(path, "{{%s}} is a platformSecret, which a URL may not carry", ref)
		return false
	}
	return true
}

func hasHTTPScheme(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}

// clientID checks that clientId names a config property, plain or secret.
func (v *validator) clientID(path, name string) {
	switch {
	case name == "":
		v.fail(path, "required: the name of the config property that holds the client id")
	case strings.Contains(name, "{{"):
		v.fail(path, "names a config property: write its name, as in \"clientId\", "+
			"not a placeholder")
	default:
		if _, ok := v.m.ConfigSchema.Property(name); !ok {
			v.fail(path, "names %q, which is not a property of configSchema", name)
		}
	}
}

// clientSecret checks that clientSecret names a platformSecret property, or
// is absent for a public client, which proves itself with PKCE.
func (v *validator) clientSecret(path string, o *OAuthSpec) {
	name := o.ClientSecret
	if name == "" {
		switch {
		case o.Grant == GrantClientCredentials:
			v.fail(path, "required: the client_credentials grant authenticates with "+
				"the client secret")
		case o.PKCE != nil && !*o.PKCE:
			v.fail(path, "required unless pkce is on: a public client, without a secret, "+
				"proves itself with PKCE")
		}
		return
	}
	if strings.Contains(name, "{{") {
		v.fail(path, "names a platformSecret config property: write its name, "+
			"as in \"clientSecret\", not a placeholder")
		return
	}
	v.secretProperty(path, name, "client secret")
}

// scopes refuses empty scopes and scopes the separator would split.
func (v *validator) scopes(path string, o *OAuthSpec) {
	blank := func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }
	for i, s := range o.Scopes {
		at := fmt.Sprintf("%s.scopes[%d]", path, i)
		switch {
		case s == "":
			v.fail(at, "must not be empty")
		case strings.IndexFunc(s, blank) >= 0:
			v.fail(at, "%q holds a space or control character: list each scope on its own", s)
		case o.ScopeSeparator != "" && strings.Contains(s, o.ScopeSeparator):
			v.fail(at, "%q holds the scopeSeparator %q: list each scope on its own",
				s, o.ScopeSeparator)
		}
	}
}

// reservedAuthParams are parameters of the authorization URL that the
// authorization code flow sets itself.
var reservedAuthParams = []string{"response_type", "client_id", "redirect_uri", "scope",
	"state", "code_challenge", "code_challenge_method"}

func (v *validator) authorizationParams(path string, params map[string]string) {
	for _, name := range sortedNames(params) {
		switch {
		case name == "":
			v.fail(path, "a parameter needs a name")
		case slices.Contains(reservedAuthParams, name):
			v.fail(path+"."+name, "is set by the authorization flow itself; remove it")
		}
	}
}

func (v *validator) tokenFields(path string, tf *TokenFields) {
	if tf == nil {
		return
	}
	for _, f := range []struct{ name, path string }{
		{"accessToken", tf.AccessToken}, {"refreshToken", tf.RefreshToken},
		{"expiresIn", tf.ExpiresIn}, {"tokenType", tf.TokenType}, {"scope", tf.Scope},
	} {
		if f.path != "" && !tokenPathPattern.MatchString(f.path) {
			v.fail(path+"."+f.name, "%q must be a dotted path such as access_token "+
				"or data.token", f.path)
		}
	}
}

// enum refuses a value that is set and not one of allowed.
func (v *validator) enum(path, value string, allowed ...string) {
	if value != "" && !slices.Contains(allowed, value) {
		v.fail(path, "must be %s, not %q", strings.Join(allowed, " or "), value)
	}
}

// formSchema checks the JSON Schema of a credential form and returns its
// fields, or nil when the schema is wrong.
func (v *validator) formSchema(path string, raw json.RawMessage) map[string]bool {
	if len(raw) == 0 {
		v.fail(path, "required: a JSON Schema object whose properties are the form's "+
			"fields, as in {\"type\": \"object\", \"properties\": {\"apiKey\": "+
			"{\"type\": \"string\"}}}")
		return nil
	}
	if _, err := CompileSchema(raw); err != nil {
		v.schemaProblem(path, err)
		return nil
	}
	// The schema compiled, so properties is an object and required a list
	// of names.
	var shape struct {
		Type       any                        `json:"type"`
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	if err := json.Unmarshal(raw, &shape); err != nil {
		v.fail(path, "must be a JSON Schema object")
		return nil
	}
	if shape.Type != nil && shape.Type != "object" {
		v.fail(path+".type", "must be \"object\": the form is an object of fields")
	}
	if len(shape.Properties) == 0 {
		v.fail(path+".properties", "required: one property per field of the form")
		return nil
	}
	fields := v.formFields(path+".properties", shape.Properties)
	for _, name := range shape.Required {
		if _, ok := shape.Properties[name]; !ok {
			v.fail(path+".required", "names %q, which is not a property", name)
		}
	}
	return fields
}

// formFields checks each field of a credential form: a name templates can
// read, and one value (a string, number or boolean), which a template
// writes as text.
func (v *validator) formFields(path string, props map[string]json.RawMessage) map[string]bool {
	fields := map[string]bool{}
	for _, name := range sortedNames(props) {
		at := path + "." + name
		fields[name] = true
		if !formFieldPattern.MatchString(name) {
			v.fail(at, "%q must be letters, digits, _ and -, so that {{connection...}} "+
				"can name it", name)
			continue
		}
		var prop struct {
			Type any `json:"type"`
		}
		if json.Unmarshal(props[name], &prop) == nil && (prop.Type == "object" ||
			prop.Type == "array") {
			v.fail(at+".type", "a form field is one value: a string, number or boolean")
		}
	}
	return fields
}

// eachTemplate calls fn with every template of req and where it stands.
func eachTemplate(req *Request, fn func(where string, t Template)) {
	fn("url", req.URL)
	for _, p := range req.Query {
		fn("query."+p.Name, p.Value)
	}
	for _, p := range req.Headers {
		fn("headers."+p.Name, p.Value)
	}
	for _, p := range req.Form {
		fn("form."+p.Name, p.Value)
	}
	if a := req.Auth; a != nil {
		switch {
		case a.Bearer != nil:
			fn("auth.bearer", *a.Bearer)
		case a.Basic != nil:
			fn("auth.basic.username", a.Basic.Username)
			fn("auth.basic.password", a.Basic.Password)
		case a.Header != nil:
			fn("auth.header.value", a.Header.Value)
		}
	}
	if req.JSON != nil {
		eachNode("json", req.JSON, fn)
	}
}

func eachNode(where string, n *Node, fn func(string, Template)) {
	switch n.Kind {
	case NodeString:
		fn(where, n.String)
	case NodeObject:
		for _, m := range n.Members {
			eachNode(where+"."+m.Key, m.Value, fn)
		}
	case NodeArray:
		for i, item := range n.Items {
			eachNode(fmt.Sprintf("%s[%d]", where, i), item, fn)
		}
	}
}

func defaultString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
