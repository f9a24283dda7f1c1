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
	require.Equal(t, []string{"webhooks: kept and listed; webhook intake is not served by this version"}, warnings)
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
		  "configSchema":{"properties":{"token":{"type":"string","platformSecret":"DEMO_TOKEN"}}},
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
