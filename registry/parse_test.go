package registry

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
)

// docManifest is the product documentation's Slack manifest, unchanged.
const docManifest = `{"appId":"slack","name":"Slack","version":"1.0.0","type":"integration",
 "configSchema":{"properties":{"botToken":{"type":"string","platformSecret":"SLACK_BOT_TOKEN"}}},
 "actions":[{"id":"send_message","name":"Send Message",
   "description":"Post a message to a Slack channel",
   "inputSchema":{"type":"object","properties":{"channel":{"type":"string"},
     "text":{"type":"string"}},"required":["channel","text"]}}],
 "webhooks":["message"]}`

func TestParseDocumentationManifest(t *testing.T) {
	t.Parallel()
	m, warnings, err := Parse([]byte(docManifest))
	require.NoError(t, err)
	require.Equal(t, []string{"webhooks: " + unsignedWarning}, warnings)
	require.Equal(t, "slack", m.AppID)
	require.Len(t, m.Actions, 1)
	require.Nil(t, m.Actions[0].Request)
	p, ok := m.ConfigSchema.Property("botToken")
	require.True(t, ok)
	require.Equal(t, "SLACK_BOT_TOKEN", p.PlatformSecret)
	require.Equal(t, []Webhook{{Name: "message"}}, m.Webhooks)
}

func TestParseKeepsUnusedFields(t *testing.T) {
	t.Parallel()
	raw := `{"appId":"x","name":"X","version":"1","icon":"x.png","crons":[{"schedule":"* * * * *"}],
	  "madeUp":1,"actions":[{"id":"a","extraThing":true}],
	  "webhooks":["one",{"name":"two","method":"PUT"}]}`
	m, warnings, err := Parse([]byte(raw))
	require.NoError(t, err)
	require.Contains(t, m.Extra, "icon")
	require.Contains(t, m.Extra, "crons")
	require.Contains(t, m.Extra, "madeUp")
	require.Contains(t, m.Actions[0].Extra, "extraThing")
	require.Equal(t, []Webhook{{Name: "one"}, {Name: "two", Method: "PUT"}}, m.Webhooks)
	joined := strings.Join(warnings, "\n")
	require.Contains(t, joined, "icon: kept; not used by this version")
	require.Contains(t, joined, "madeUp: unknown field kept")
	require.Contains(t, joined, "actions[0].extraThing: unknown field kept")
}

func TestParseProblems(t *testing.T) {
	t.Parallel()
	base := func(actions string) string {
		return `{"appId":"demo","name":"Demo","version":"1",
		  "configSchema":{"properties":{"token":{"type":"string","platformSecret":"DEMO_TOKEN"},
		    "baseUrl":{"type":"string","default":"https://demo.example"}}},
		  "actions":` + actions + `}`
	}
	req := func(request string) string { return base(`[{"id":"a","request":` + request + `}]`) }
	tests := []struct {
		name string
		raw  string
		want []string // "path: message fragment"
	}{
		{"not json", `{"appId":`, []string{": invalid JSON at line 1"}},
		{"not an object", `[1]`, []string{": must be an object"}},
		{"missing appId", `{"name":"x","version":"1","actions":[]}`, []string{"appId: required"}},
		{"bad appId", `{"appId":"Slack","name":"x","version":"1","actions":[]}`, []string{"appId: \"Slack\" must match"}},
		{"reserved appId", `{"appId":"catalog","name":"x","version":"1","actions":[]}`, []string{"appId: \"catalog\" is reserved"}},
		{"appId not string", `{"appId":7,"name":"x","version":"1","actions":[]}`, []string{"appId: must be a string"}},
		{"missing name and version", `{"appId":"x","actions":[]}`, []string{"name: required", "version: required"}},
		{"bad action id", base(`[{"id":"Send"}]`), []string{"actions[0].id: \"Send\" must match"}},
		{"reserved action id", base(`[{"id":"manage"},{"id":"events"}]`),
			[]string{"actions[0].id: \"manage\" is reserved", "actions[1].id: \"events\" is reserved"}},
		{"duplicate action id", base(`[{"id":"a"},{"id":"b"},{"id":"a"}]`),
			[]string{"actions[2].id: duplicate action id \"a\" (also actions[0])"}},
		{"input schema does not compile", base(`[{"id":"a"},{"id":"b","inputSchema":{"type":"object","properties":{"x":{"type":"strin"}}}}]`),
			[]string{"actions[1].inputSchema.properties.x.type: value must be one of"}},
		{"input schema not object", base(`[{"id":"a","inputSchema":{"type":"string"}}]`),
			[]string{"actions[0].inputSchema.type: must be \"object\""}},
		{"input in host", base(`[{"id":"a","request":{"url":"https://{{input.host}}/x"}}]`),
			[]string{"actions[0].request.url: {{input.host}} may not decide the scheme or host"}},
		{"input as scheme", base(`[{"id":"a","request":{"url":"{{input.url}}/x"}}]`),
			[]string{"actions[0].request.url: a URL may start with {{config...}} only"}},
		{"input glued to base", base(`[{"id":"a","inputSchema":{"type":"object","properties":{"p":{"type":"string"}}},"request":{"url":"{{config.baseUrl}}{{input.p}}"}}]`),
			[]string{"actions[0].request.url: put a literal \"/\" between"}},
		{"unknown config property", base(`[{"id":"a","request":{"url":"{{config.baseURL}}/x"}}]`),
			[]string{"actions[0].request.url: {{config.baseURL}} names no property of configSchema"}},
		{"secret read as config", base(`[{"id":"a","request":{"url":"{{config.baseUrl}}/x","auth":{"bearer":"{{config.token}}"}}}]`),
			[]string{"actions[0].request.auth.bearer: {{config.token}} is a platformSecret: write {{secrets.token}}"}},
		{"unknown input", base(`[{"id":"a","inputSchema":{"type":"object","properties":{"x":{}}},"request":{"url":"{{config.baseUrl}}/{{input.y}}"}}]`),
			[]string{"actions[0].request.url: {{input.y}} names no property of inputSchema"}},
		{"unknown field in request", base(`[{"id":"a","request":{"url":"https://x.example","heders":{}}}]`),
			[]string{"actions[0].request: unknown field \"heders\""}},
		{"unknown field in annotations", base(`[{"id":"a","annotations":{"readonly":true}}]`),
			[]string{"actions[0].annotations: unknown field \"readonly\""}},
		{"two bodies", base(`[{"id":"a","request":{"url":"https://x.example","json":{},"form":{}}}]`),
			[]string{"actions[0].request: set one body kind"}},
		{"bad namespace", base(`[{"id":"a","request":{"url":"https://x.example/{{env.HOME}}"}}]`),
			[]string{"actions[0].request.url: placeholder {{env.HOME}}: unknown namespace"}},
		{"bad timeout", base(`[{"id":"a","timeout":"soon"}]`), []string{"actions[0].timeout: want a duration"}},
		{"bad webhook", `{"appId":"x","name":"x","version":"1","actions":[],"webhooks":["a","a",{"name":"b","verb":"POST"}]}`,
			[]string{"webhooks[2]: unknown field \"verb\"", "webhooks[1].name: duplicate webhook \"a\""}},
		{"required names unknown property", `{"appId":"x","name":"x","version":"1","actions":[],
		  "configSchema":{"properties":{"a":{"type":"string"}},"required":["b"]}}`,
			[]string{"configSchema.required: names \"b\", which is not a property"}},
		{"header name with space", req(`{"url":"https://x.example","headers":{"X Extra":"1"}}`),
			[]string{`actions[0].request.headers.X Extra: "X Extra" is not a valid HTTP header name`}},
		{"header name with colon",
			req(`{"url":"https://x.example","headers":{"X-Ok":"1","X-Bad:":"2"}}`),
			[]string{`actions[0].request.headers.X-Bad:: "X-Bad:" is not a valid HTTP header name`}},
		{"header name not ascii", req(`{"url":"https://x.example","headers":{"X-Caf\u00e9":"1"}}`),
			[]string{`actions[0].request.headers.X-Café: "X-Café" is not a valid HTTP header name`}},
		{"auth header name with newline", req(`{"url":"https://x.example",
		   "auth":{"header":{"name":"X-Key\nHost","value":"{{secrets.token}}"}}}`),
			[]string{`actions[0].request.auth.header.name: "X-Key\nHost" is not a valid HTTP header`}},
		{"secret with a field",
			req(`{"url":"https://x.example","auth":{"bearer":"{{secrets.token.value}}"}}`),
			[]string{"actions[0].request.auth.bearer: {{secrets.token.value}}: a secret is one value"}},
		{"connection with a field",
			req(`{"url":"https://x.example","headers":{"X-Key":"{{connection.form.apiKey}}"}}`),
			[]string{"actions[0].request.headers.X-Key: {{connection.form.apiKey}}: " +
				"a connection field is one name"}},
		{"GET with json body", req(`{"method":"GET","url":"https://x.example","json":{"a":1}}`),
			[]string{"actions[0].request.json: a GET request carries no body"}},
		{"default method with json body", req(`{"url":"https://x.example","json":{"a":1}}`),
			[]string{"actions[0].request.json: a GET request carries no body"}},
		{"HEAD with form body", req(`{"method":"head","url":"https://x.example","form":{"a":"1"}}`),
			[]string{"actions[0].request.form: a HEAD request carries no body"}},
		{"bad userAuth", `{"appId":"x","name":"x","version":"1","actions":[],"userAuth":{"type":"saml"}}`,
			[]string{"userAuth.type: must be oauth2, credentials or redirect"}},
		{"userAuth not an object", authManifest(`"oauth2"`, `[]`),
			[]string{"userAuth: must be an object"}},
		{"userAuth without type", authManifest(`{"schema":{}}`, `[]`),
			[]string{"userAuth.type: required: oauth2, credentials or redirect"}},
		{"userAuth type not a string", authManifest(`{"type":2}`, `[]`),
			[]string{"userAuth.type: must be a string"}},

		// oauth2 is Switchboard's own block: decoded strictly.
		{"oauth misspelt field", oauth(`,"tokenURL":"https://demo.example/t"`),
			[]string{`userAuth.tokenURL: unknown field: did you mean "tokenUrl"?`}},
		{"oauth unknown field", oauth(`,"audience":"x","scope":"repo"`),
			[]string{"userAuth.audience: unknown field: want one of authorizationParams,",
				"userAuth.scope: unknown field: want one of"}},
		{"oauth field of the wrong type", oauth(`,"pkce":"yes","scopes":"repo"`),
			[]string{"userAuth.pkce: must be a boolean, not string",
				"userAuth.scopes: must be an array, not string"}},
		{"oauth param not a string", oauth(`,"authorizationParams":{"access_type":1}`),
			[]string{"userAuth.authorizationParams.access_type: must be a string"}},
		{"oauth unknown token field", oauth(`,"tokenFields":{"access_token":"a"}`),
			[]string{`userAuth.tokenFields.access_token: unknown field: want one of accessToken,`}},
		{"oauth empty token field", oauth(`,"tokenFields":{"accessToken":""}`),
			[]string{"userAuth.tokenFields.accessToken: must be a dotted path"}},
		{"oauth token path not dotted", oauth(`,"tokenFields":{"accessToken":"data..token",
		   "expiresIn":"a b"}`),
			[]string{`userAuth.tokenFields.accessToken: "data..token" must be a dotted path`,
				`userAuth.tokenFields.expiresIn: "a b" must be a dotted path`}},
		{"authorization code needs both URLs", authManifest(
			`{"type":"oauth2","clientId":"clientId","clientSecret":"token"}`, `[]`),
			[]string{"userAuth.authorizationUrl: required", "userAuth.tokenUrl: required"}},
		{"client credentials need a token URL and a secret", authManifest(
			`{"type":"oauth2","grant":"client_credentials","clientId":"clientId"}`, `[]`),
			[]string{"userAuth.tokenUrl: required",
				"userAuth.clientSecret: required: the client_credentials grant"}},
		{"unknown grant", oauth(`,"grant":"password"`),
			[]string{`userAuth.grant: must be authorization_code or client_credentials, ` +
				`not "password"`}},
		{"unknown refresh and clientAuth", oauth(`,"refresh":"never","clientAuth":"jwt"`),
			[]string{`userAuth.refresh: must be before_expiry or on_expiry, not "never"`,
				`userAuth.clientAuth: must be basic or body, not "jwt"`}},
		{"refresh margin too long", oauth(`,"refreshMargin":"2h"`),
			[]string{"userAuth.refreshMargin: must be between 0 and 1h"}},
		{"refresh margin negative", oauth(`,"refreshMargin":"-1s"`),
			[]string{"userAuth.refreshMargin: must be between 0 and 1h"}},
		{"refresh margin not a duration", oauth(`,"refreshMargin":"soon"`),
			[]string{"userAuth.refreshMargin: want a duration string"}},
		{"oauth URL with input", oauthURLs(`https://{{input.host}}/a`, tokenURL),
			[]string{"userAuth.authorizationUrl: {{input.host}}: an OAuth URL may hold " +
				"{{config...}} placeholders only"}},
		{"oauth URL with a secret", oauthURLs(`{{secrets.token}}/a`, `{{config.token}}/t`),
			[]string{"userAuth.authorizationUrl: {{secrets.token}}: an OAuth URL may hold",
				"userAuth.tokenUrl: {{config.token}} is a platformSecret, " +
					"which a URL may not carry"}},
		{"oauth URL with unknown config", oauthURLs(`{{config.authBase}}/a`, tokenURL),
			[]string{"userAuth.authorizationUrl: {{config.authBase}} names no property"}},
		{"oauth URL with a config path", oauthURLs(`{{config.baseUrl.host}}/a`, tokenURL),
			[]string{"userAuth.authorizationUrl: {{config.baseUrl.host}}: name one config"}},
		{"oauth URL with connection", oauthURLs(`https://demo.example/a`,
			`https://demo.example/t?u={{connection.accessToken}}`),
			[]string{"userAuth.tokenUrl: {{connection.accessToken}}: an OAuth URL may hold"}},
		{"oauth URL relative", oauthURLs(`/authorize`, `demo.example/token`),
			[]string{"userAuth.authorizationUrl: must start with http://, https:// or",
				"userAuth.tokenUrl: must start with http://, https:// or {{config...}}"}},
		{"oauth URL without host", oauthURLs(`https:///authorize`, tokenURL),
			[]string{"userAuth.authorizationUrl: must be an absolute URL with a host"}},
		{"oauth URL glued to base", oauthURLs(`{{config.baseUrl}}authorize`, tokenURL),
			[]string{`userAuth.authorizationUrl: the text after {{config.baseUrl}} must start`}},
		{"oauth URL with fragment", oauthURLs(`https://demo.example/a#x`, tokenURL),
			[]string{"userAuth.authorizationUrl: an OAuth endpoint has no #fragment"}},
		{"oauth URL bad placeholder", oauthURLs(`https://demo.example/{{env.X}}`, tokenURL),
			[]string{"userAuth.authorizationUrl: placeholder {{env.X}}: unknown namespace"}},
		{"clientId missing", authManifest(`{"type":"oauth2",
		   "authorizationUrl":"https://demo.example/a","tokenUrl":"https://demo.example/t"}`, `[]`),
			[]string{"userAuth.clientId: required"}},
		{"clientId unknown", oauthClient(`"appKey"`, `"token"`),
			[]string{`userAuth.clientId: names "appKey", which is not a property of configSchema`}},
		{"clientId placeholder", oauthClient(`"{{config.clientId}}"`, `"token"`),
			[]string{"userAuth.clientId: names a config property: write its name"}},
		{"clientSecret plain", oauthClient(`"clientId"`, `"clientId"`),
			[]string{`userAuth.clientSecret: names "clientId", a plain config property`}},
		{"clientSecret unknown", oauthClient(`"clientId"`, `"secret"`),
			[]string{`userAuth.clientSecret: names "secret", which is not a property`}},
		{"clientSecret placeholder", oauthClient(`"clientId"`, `"{{secrets.token}}"`),
			[]string{"userAuth.clientSecret: names a platformSecret config property: write"}},
		{"public client without PKCE", authManifest(`{"type":"oauth2","clientId":"clientId",
		   "pkce":false,"authorizationUrl":"https://demo.example/a",
		   "tokenUrl":"https://demo.example/t"}`, `[]`),
			[]string{"userAuth.clientSecret: required unless pkce is on"}},
		{"bad scopes", oauth(`,"scopes":["repo","","read user"]`),
			[]string{"userAuth.scopes[1]: must not be empty",
				`userAuth.scopes[2]: "read user" holds a space`}},
		{"scope holding the separator", oauth(`,"scopeSeparator":",","scopes":["a,b"]`),
			[]string{`userAuth.scopes[0]: "a,b" holds the scopeSeparator ","`}},
		{"reserved authorization param", oauth(`,"authorizationParams":{"redirect_uri":"x",
		   "access_type":"offline"}`),
			[]string{"userAuth.authorizationParams.redirect_uri: is set by the authorization"}},

		// A credential form.
		{"form without schema", authManifest(`{"type":"credentials"}`, `[]`),
			[]string{"userAuth.schema: required: a JSON Schema object"}},
		{"form schema not an object", form(`"apiKey"`),
			[]string{"userAuth.schema: must be an object, not string"}},
		{"form schema of a string", form(`{"type":"string"}`),
			[]string{`userAuth.schema.type: must be "object"`}},
		{"form schema does not compile", form(`{"properties":{"k":{"type":"strin"}}}`),
			[]string{"userAuth.schema.properties.k.type: value must be one of"}},
		{"form without fields", form(`{"type":"object"}`),
			[]string{"userAuth.schema.properties: required: one property per field"}},
		{"form field not one value", form(`{"properties":{"hosts":{"type":"array"}}}`),
			[]string{"userAuth.schema.properties.hosts.type: a form field is one value"}},
		{"form field name", form(`{"properties":{"api key":{"type":"string"}}}`),
			[]string{`userAuth.schema.properties.api key: "api key" must be letters, digits`}},
		{"form requires an unknown field", form(`{"properties":{"apiKey":{}},"required":["key"]}`),
			[]string{`userAuth.schema.required: names "key", which is not a property`}},

		// {{connection...}} and "credentials": "user" need a userAuth that offers them.
		{"connection without userAuth", req(`{"url":"https://x.example",
		   "auth":{"bearer":"{{connection.accessToken}}"}}`),
			[]string{"actions[0].request.auth.bearer: {{connection.accessToken}} reads the " +
				"caller's connection, and this integration has none: declare userAuth"}},
		{"user credentials without userAuth", base(`[{"id":"a","credentials":"user"}]`),
			[]string{`actions[0].credentials: "user" runs with the caller's connection, ` +
				"and this integration has none: declare userAuth"}},
		{"oauth connection field", authManifest(oauthBlock+`}`,
			bearer(``, `{{connection.refreshToken}}`)),
			[]string{"actions[0].request.auth.bearer: {{connection.refreshToken}}: an OAuth " +
				"connection offers only {{connection.accessToken}} and {{connection.tokenType}}"}},
		{"oauth connection with platform credentials", authManifest(oauthBlock+`}`,
			bearer(`"credentials":"platform",`, `{{connection.accessToken}}`)),
			[]string{"actions[0].request.auth.bearer: {{connection.accessToken}} " +
				`needs "credentials": "user"`}},
		{"form connection field", authManifest(formBlock, bearer(``, `{{connection.token}}`)),
			[]string{"actions[0].request.auth.bearer: {{connection.token}} names no property " +
				"of userAuth.schema"}},
		{"client credentials with user credentials", authManifest(clientCredentialsBlock,
			bearer(`"credentials":"user",`, `{{connection.accessToken}}`)),
			[]string{"actions[0].credentials: a client_credentials grant connects the platform"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := Parse([]byte(tt.raw))
			require.Error(t, err)
			e := switchboard.AsError(err)
			require.Equal(t, switchboard.CodeInvalidInput, e.Code)
			got := make([]string, 0, len(e.Errors))
			for _, fe := range e.Errors {
				got = append(got, fe.Path+": "+fe.Message)
			}
			for _, w := range tt.want {
				require.True(t, containsPrefix(got, w), "want %q among %q", w, got)
			}
		})
	}
}

func TestParseAcceptsRequests(t *testing.T) {
	t.Parallel()
	manifest := func(request string) string {
		return `{"appId":"demo","name":"Demo","version":"1",
		  "configSchema":{"properties":{"token":{"type":"string","platformSecret":"DEMO_TOKEN"},
		    "clientId":{"type":"string"}}},
		  "userAuth":{"type":"oauth2","clientId":"clientId",
		    "authorizationUrl":"https://x.example/authorize","tokenUrl":"https://x.example/token"},
		  "actions":[{"id":"a","request":` + request + `}]}`
	}
	tests := []struct {
		name    string
		request string
	}{
		{"header names with every token character",
			`{"url":"https://x.example","headers":{"X-Api_Key.v2":"1","A!#$%&'*+-.^_|~9":"2"}}`},
		{"auth header", `{"url":"https://x.example",
		  "auth":{"header":{"name":"X-Api-Key","value":"{{secrets.token}}"}}}`},
		{"connection access token",
			`{"url":"https://x.example","auth":{"bearer":"{{connection.accessToken}}"}}`},
		{"GET with query", `{"method":"GET","url":"https://x.example","query":{"q":"1"}}`},
		{"DELETE with json body", `{"method":"DELETE","url":"https://x.example","json":{"id":1}}`},
		{"lower-case post with form", `{"method":"post","url":"https://x.example","form":{"a":"1"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := Parse([]byte(manifest(tt.request)))
			require.NoError(t, err)
		})
	}
}

func TestParseListsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	raw := `{"appId":"hooks","name":"x","version":"1","actions":[{"id":"Bad"},{"id":"ok"},{"id":"ok"}]}`
	_, _, err := Parse([]byte(raw))
	e := switchboard.AsError(err)
	require.Len(t, e.Errors, 3, "%v", e.Errors)
}

// The userAuth blocks of the tests: an OAuth authorization code grant whose
// closing brace is left to the caller, a client_credentials grant and a
// credential form with one field, apiKey.
const (
	oauthBlock = `{"type":"oauth2","clientId":"clientId","clientSecret":"token",
	  "authorizationUrl":"https://demo.example/authorize","tokenUrl":"https://demo.example/token"`
	clientCredentialsBlock = `{"type":"oauth2","grant":"client_credentials",
	  "clientId":"clientId","clientSecret":"token","tokenUrl":"{{config.baseUrl}}/token"}`
	formBlock = `{"type":"credentials","schema":{"type":"object",
	  "properties":{"apiKey":{"type":"string"}},"required":["apiKey"]}}`
)

// authManifest is a manifest with a userAuth block and actions; its config
// has a secret token, a plain baseUrl and a plain clientId.
func authManifest(userAuth, actions string) string {
	return `{"appId":"demo","name":"Demo","version":"1",
	  "configSchema":{"properties":{"token":{"type":"string","platformSecret":"DEMO_TOKEN"},
	    "baseUrl":{"type":"string","default":"https://demo.example"},
	    "clientId":{"type":"string"}}},
	  "userAuth":` + userAuth + `,"actions":` + actions + `}`
}

// tokenURL is a token endpoint for tests of the authorization URL.
const tokenURL = "https://demo.example/t"

// oauth is an authorization code grant with extra fields, and no action.
func oauth(extra string) string { return authManifest(oauthBlock+extra+`}`, `[]`) }

func oauthURLs(authorize, token string) string {
	return authManifest(`{"type":"oauth2","clientId":"clientId","clientSecret":"token",
	  "authorizationUrl":"`+authorize+`","tokenUrl":"`+token+`"}`, `[]`)
}

func oauthClient(id, secret string) string {
	return authManifest(`{"type":"oauth2","clientId":`+id+`,"clientSecret":`+secret+`,
	  "authorizationUrl":"https://demo.example/a","tokenUrl":"https://demo.example/t"}`, `[]`)
}

// form is a credentials userAuth with the given form schema.
func form(schema string) string {
	return authManifest(`{"type":"credentials","schema":`+schema+`}`, `[]`)
}

// bearer is one action whose request authenticates with tmpl; fields go
// before the request, each followed by a comma.
func bearer(fields, tmpl string) string {
	return `[{"id":"a",` + fields + `"request":{"url":"https://x.example",
	  "auth":{"bearer":"` + tmpl + `"}}}]`
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(docManifest))
	f.Add([]byte(`{"appId":"x","name":"x","version":"1","actions":[{"id":"a","request":{"url":"{{config.u}}/{{input.p}}"}}]}`))
	f.Add([]byte(`{"webhooks":[{"name":1}],"configSchema":{"properties":[]}}`))
	f.Add([]byte(`{"actions":[{"inputSchema":{"$ref":"file:///etc/passwd"}}]}`))
	f.Add([]byte(authManifest(fullOAuth, bearer(``, `{{connection.accessToken}}`))))
	f.Add([]byte(authManifest(formBlock, bearer(``, `{{connection.apiKey}}`))))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, _, err := Parse(raw)
		if err != nil {
			e := switchboard.AsError(err)
			if e.Code != switchboard.CodeInvalidInput || len(e.Errors) == 0 {
				t.Fatalf("error without problems: %v", err)
			}
			return
		}
		if m.AppID == "" || !json.Valid(raw) {
			t.Fatalf("accepted an invalid manifest")
		}
	})
}
