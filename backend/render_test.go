package backend

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/registry"
)

const base = "{{config.baseUrl}}"

func TestRender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		spec   registry.RequestSpec
		input  string
		values Values // Input is taken from input; Config defaults to baseConfig

		wantMethod  string
		wantURL     string
		wantBody    string
		wantHeaders map[string]string
		// wantNoHeaders must be absent.
		wantNoHeaders []string

		wantCode    switchboard.Code
		wantField   string
		wantMessage string
		wantMissing []string
	}{
		{
			name: "whole placeholder keeps the JSON type",
			spec: registry.RequestSpec{Method: "POST", URL: base + "/t", JSON: json.RawMessage(
				`{"n":"{{input.n}}","b":"{{input.b}}","o":"{{input.o}}","a":"{{input.a}}",` +
					`"s":"{{input.s}}","z":"{{input.z}}","lit":[1,true,null]}`)},
			input:      `{"n":12.50,"b":true,"o":{"x":[1,"<y>"]},"a":[1,2],"s":"hi","z":null}`,
			wantMethod: "POST",
			wantURL:    "https://api.example.com/v1/t",
			wantBody: `{"a":[1,2],"b":true,"lit":[1,true,null],"n":12.50,` +
				`"o":{"x":[1,"<y>"]},"s":"hi","z":null}`,
			wantHeaders: map[string]string{"Content-Type": "application/json"},
		},
		{
			name: "absent optional input drops a member and an item",
			spec: registry.RequestSpec{Method: "POST", URL: base + "/t", JSON: json.RawMessage(
				`{"channel":"{{input.channel}}","text":"{{input.text}}",` +
					`"tags":["x","{{input.tag}}","{{input.more}}"],"deep":{"a":"{{input.a}}"}}`)},
			input:    `{"channel":"C1","more":"m"}`,
			wantURL:  "https://api.example.com/v1/t",
			wantBody: `{"channel":"C1","deep":{},"tags":["x","m"]}`,
		},
		{
			name: "a body that is one absent placeholder is no body",
			spec: registry.RequestSpec{Method: "POST", URL: base + "/t",
				JSON: json.RawMessage(`"{{input.b}}"`)},
			input:         `{}`,
			wantURL:       "https://api.example.com/v1/t",
			wantNoHeaders: []string{"Content-Type"},
		},
		{
			name: "absent optional input drops a query parameter and a header",
			spec: registry.RequestSpec{URL: base + "/search",
				Query:   map[string]string{"limit": "{{input.limit}}", "q": "{{input.q}}", "n": "{{input.n}}"},
				Headers: map[string]string{"X-Trace": "{{input.trace}}", "X-Fixed": "f"}},
			input:         `{"q":"a b&c","n":5}`,
			wantMethod:    "GET",
			wantURL:       "https://api.example.com/v1/search?n=5&q=a+b%26c",
			wantHeaders:   map[string]string{"X-Fixed": "f"},
			wantNoHeaders: []string{"X-Trace", "Content-Type"},
		},
		{
			name: "embedded placeholders render as text",
			spec: registry.RequestSpec{Method: "POST", URL: base + "/t", JSON: json.RawMessage(
				`{"text":"Hi {{input.name}}, {{input.n}} {{input.b}} {{input.o}} [{{input.none}}]"}`),
				Headers: map[string]string{"X-Who": "user {{user.id}} of {{config.team}}"}},
			input:       `{"name":"Ann","n":3,"b":false,"o":{"k":"v"}}`,
			values:      Values{UserID: "u7"},
			wantURL:     "https://api.example.com/v1/t",
			wantBody:    `{"text":"Hi Ann, 3 false {\"k\":\"v\"} []"}`,
			wantHeaders: map[string]string{"X-Who": "user u7 of T1"},
		},
		{
			name: "nested input paths",
			spec: registry.RequestSpec{Method: "PUT", URL: base + "/users/{{input.user.id}}",
				JSON: json.RawMessage(`{"second":"{{input.items.1}}","name":"{{input.user.name.first}}"}`)},
			input:      `{"user":{"id":"u1","name":{"first":"Ann"}},"items":["a",{"b":2}]}`,
			wantMethod: "PUT",
			wantURL:    "https://api.example.com/v1/users/u1",
			wantBody:   `{"name":"Ann","second":{"b":2}}`,
		},
		{
			name:    "path values escape all but unreserved characters",
			spec:    registry.RequestSpec{URL: base + "/files/{{input.p}}/raw"},
			input:   `{"p":"a/b@c?d#e%f:g é~x.y_z-"}`,
			wantURL: "https://api.example.com/v1/files/a%2Fb%40c%3Fd%23e%25f%3Ag%20%C3%A9~x.y_z-/raw",
		},
		{
			name:    "dot dot inside a longer value is one segment",
			spec:    registry.RequestSpec{URL: base + "/files/{{input.p}}"},
			input:   `{"p":"../admin"}`,
			wantURL: "https://api.example.com/v1/files/..%2Fadmin",
		},
		{
			name:        "dot dot path value refused",
			spec:        registry.RequestSpec{URL: base + "/users/{{input.id}}/keys"},
			input:       `{"id":".."}`,
			wantCode:    switchboard.CodeInvalidInput,
			wantField:   "/id",
			wantMessage: "input.id may not be empty, '.' or '..' in a URL path",
		},
		{
			name:      "dot path value refused",
			spec:      registry.RequestSpec{URL: base + "/users/{{input.id}}"},
			input:     `{"id":"."}`,
			wantCode:  switchboard.CodeInvalidInput,
			wantField: "/id",
		},
		{
			name:      "empty path value refused",
			spec:      registry.RequestSpec{URL: base + "/users/{{input.id}}/keys"},
			input:     `{"id":""}`,
			wantCode:  switchboard.CodeInvalidInput,
			wantField: "/id",
		},
		{
			name:      "values that together make dot dot refused",
			spec:      registry.RequestSpec{URL: base + "/users/{{input.a}}{{input.b}}"},
			input:     `{"a":".","b":"."}`,
			wantCode:  switchboard.CodeInvalidInput,
			wantField: "/a",
		},
		{
			name:        "absent input in the URL refused",
			spec:        registry.RequestSpec{URL: base + "/users/{{input.id}}"},
			input:       `{}`,
			wantCode:    switchboard.CodeInvalidInput,
			wantField:   "/id",
			wantMessage: "input.id is required",
		},
		{
			name: "query escaping in the URL and the query block",
			spec: registry.RequestSpec{URL: base + "/search?q={{input.q}}&x=1",
				Query: map[string]string{"limit": "{{input.limit}}", "tag": "#{{input.tag}}"}},
			input:   `{"q":"a&b=c d/é","limit":5,"tag":"x y"}`,
			wantURL: "https://api.example.com/v1/search?q=a%26b%3Dc+d%2F%C3%A9&x=1&limit=5&tag=%23x+y",
		},
		{
			name: "header CR LF refused",
			spec: registry.RequestSpec{URL: base + "/t",
				Headers: map[string]string{"X-Name": "n: {{input.name}}"}},
			input:     `{"name":"a\r\nX-Evil: 1"}`,
			wantCode:  switchboard.CodeInvalidInput,
			wantField: "/name",
		},
		{
			name: "header NUL refused",
			spec: registry.RequestSpec{URL: base + "/t",
				Headers: map[string]string{"X-Name": "{{input.name}}"}},
			input:     `{"name":"a\u0000b"}`,
			wantCode:  switchboard.CodeInvalidInput,
			wantField: "/name",
		},
		{
			name: "every invalid field is named",
			spec: registry.RequestSpec{URL: base + "/u/{{input.id}}",
				Headers: map[string]string{"X-Name": "{{input.name}}"}},
			input:       `{"name":"a\nb"}`,
			wantCode:    switchboard.CodeInvalidInput,
			wantField:   "/id",
			wantMessage: "input.id is required: it goes in the request URL; input.name may not",
		},
		{
			name: "form flattens objects and arrays",
			spec: registry.RequestSpec{Method: "POST", URL: base + "/charges", Form: map[string]string{
				"amount": "{{input.amount}}", "metadata": "{{input.metadata}}",
				"items": "{{input.items}}", "capture": "{{input.capture}}",
				"note": "n {{input.none}}", "skip": "{{input.none}}"}},
			input: `{"amount":100,"capture":false,"metadata":{"b":"x y","a":1},` +
				`"items":[{"price":"p_1","qty":2},{"price":"p&2"}]}`,
			wantURL: "https://api.example.com/v1/charges",
			wantBody: "amount=100&capture=false" +
				"&items%5B0%5D%5Bprice%5D=p_1&items%5B0%5D%5Bqty%5D=2&items%5B1%5D%5Bprice%5D=p%262" +
				"&metadata%5Ba%5D=1&metadata%5Bb%5D=x+y&note=n+",
			wantHeaders: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		},
		{
			name: "bearer auth",
			spec: registry.RequestSpec{URL: base + "/t",
				Auth: &registry.AuthSpec{Bearer: "{{secrets.token}}"}},
			wantURL: "https://api.example.com/v1/t",
			wantHeaders: map[string]string{"Authorization": "Bearer xoxb-secret",
				"Accept": "application/json"},
		},
		{
			name: "basic auth",
			spec: registry.RequestSpec{URL: base + "/t", Auth: &registry.AuthSpec{
				Basic: &registry.BasicAuth{Username: "{{secrets.token}}", Password: ""}}},
			wantURL: "https://api.example.com/v1/t",
			wantHeaders: map[string]string{"Authorization": "Basic " +
				base64.StdEncoding.EncodeToString([]byte("xoxb-secret:"))},
		},
		{
			name: "header auth",
			spec: registry.RequestSpec{URL: base + "/t", Auth: &registry.AuthSpec{
				Header: &registry.HeaderAuth{Name: "X-Api-Key", Value: "{{secrets.token}}"}}},
			wantURL:       "https://api.example.com/v1/t",
			wantHeaders:   map[string]string{"X-Api-Key": "xoxb-secret"},
			wantNoHeaders: []string{"Authorization"},
		},
		{
			name: "connection token",
			spec: registry.RequestSpec{URL: base + "/t",
				Auth: &registry.AuthSpec{Bearer: "{{connection.accessToken}}"}},
			values:      Values{Connection: map[string]string{"accessToken": "ya29.tok"}},
			wantURL:     "https://api.example.com/v1/t",
			wantHeaders: map[string]string{"Authorization": "Bearer ya29.tok"},
		},
		{
			name: "missing connection",
			spec: registry.RequestSpec{URL: base + "/t",
				Auth: &registry.AuthSpec{Bearer: "{{connection.accessToken}}"}},
			wantCode: switchboard.CodeNotConnected,
		},
		{
			name: "missing secret",
			spec: registry.RequestSpec{URL: base + "/t",
				Auth: &registry.AuthSpec{Bearer: "{{secrets.other}}"}},
			wantCode:    switchboard.CodeNotConfigured,
			wantMissing: []string{"other"},
		},
		{
			name: "manifest headers override the defaults",
			spec: registry.RequestSpec{URL: base + "/t",
				Headers: map[string]string{"Accept": "application/vnd.github+json"}},
			wantURL: "https://api.example.com/v1/t",
			wantHeaders: map[string]string{"Accept": "application/vnd.github+json",
				"User-Agent": "switchboard-test"},
		},
		{
			name:    "base URL with a trailing slash",
			spec:    registry.RequestSpec{URL: base + "/chat.postMessage"},
			values:  Values{Config: map[string]any{"baseUrl": "https://slack.com/api/"}},
			wantURL: "https://slack.com/api/chat.postMessage",
		},
		{
			name:    "base URL without a trailing slash",
			spec:    registry.RequestSpec{URL: base + "/chat.postMessage"},
			values:  Values{Config: map[string]any{"baseUrl": "https://slack.com/api"}},
			wantURL: "https://slack.com/api/chat.postMessage",
		},
		{
			name:        "base URL not absolute",
			spec:        registry.RequestSpec{URL: base + "/chat.postMessage"},
			values:      Values{Config: map[string]any{"baseUrl": "slack.com/api"}},
			wantCode:    switchboard.CodeNotConfigured,
			wantMissing: []string{"baseUrl"},
			wantMessage: "baseUrl must be an absolute http or https URL",
		},
		{
			name:        "base URL with another scheme",
			spec:        registry.RequestSpec{URL: base + "/x"},
			values:      Values{Config: map[string]any{"baseUrl": "file:///etc"}},
			wantCode:    switchboard.CodeNotConfigured,
			wantMissing: []string{"baseUrl"},
		},
		{
			name:        "base URL with user info",
			spec:        registry.RequestSpec{URL: base + "/x"},
			values:      Values{Config: map[string]any{"baseUrl": "https://u:p@h.example"}},
			wantCode:    switchboard.CodeNotConfigured,
			wantMissing: []string{"baseUrl"},
		},
		{
			name:        "base URL absent",
			spec:        registry.RequestSpec{URL: base + "/x"},
			values:      Values{Config: map[string]any{}},
			wantCode:    switchboard.CodeNotConfigured,
			wantMissing: []string{"baseUrl"},
		},
		{
			name:     "input may not decide the host",
			spec:     registry.RequestSpec{URL: "https://{{input.host}}/x"},
			input:    `{"host":"evil.example"}`,
			wantCode: switchboard.CodeInternal,
		},
		{
			name:     "input may not be the base URL",
			spec:     registry.RequestSpec{URL: "{{input.url}}/x"},
			input:    `{"url":"https://evil.example"}`,
			wantCode: switchboard.CodeInternal,
		},
		{
			name:    "config may name a subdomain",
			spec:    registry.RequestSpec{URL: "https://{{config.team}}.example.com/{{input.id}}"},
			input:   `{"id":"42"}`,
			wantURL: "https://T1.example.com/42",
		},
	}
	h := newTestBackend(t, Config{UserAgent: "switchboard-test"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := tt.values
			v.Input = input(t, tt.input)
			if v.Config == nil {
				v.Config = map[string]any{"baseUrl": "https://api.example.com/v1", "team": "T1"}
			}
			if v.Secrets == nil {
				v.Secrets = map[string][]byte{"token": []byte("xoxb-secret")}
			}
			act := testAction(t, "Example", tt.spec, nil)
			req, body, err := render(t, h, act, v)
			if tt.wantCode != "" {
				e := requireCode(t, err, tt.wantCode)
				requireProblem(t, e, tt.wantField, tt.wantMessage, tt.wantMissing)
				return
			}
			require.NoError(t, err)
			method := cmp.Or(tt.wantMethod, tt.spec.Method, http.MethodGet)
			requireRequest(t, req, body, method, tt.wantURL, tt.wantBody)
			for k, want := range tt.wantHeaders {
				require.Equal(t, want, req.Header.Get(k), "header %s", k)
			}
			for _, k := range tt.wantNoHeaders {
				require.Empty(t, req.Header.Values(k), "header %s", k)
			}
		})
	}
}

func requireProblem(t *testing.T, e *switchboard.Error, field, msg string, missing []string) {
	t.Helper()
	if field != "" {
		require.NotEmpty(t, e.Errors)
		require.Equal(t, field, e.Errors[0].Path)
	}
	if msg != "" {
		require.Contains(t, e.Message, msg)
	}
	if missing != nil {
		require.Equal(t, missing, e.Missing)
	}
}

func requireRequest(t *testing.T, req *http.Request, body, method, url, wantBody string) {
	t.Helper()
	require.Equal(t, method, req.Method)
	require.Equal(t, url, req.URL.String())
	require.Equal(t, wantBody, body)
	require.NotEmpty(t, req.Header.Get("Accept"))
	require.Equal(t, "switchboard-test", req.Header.Get("User-Agent"))
}

func TestRenderMarksCredentials(t *testing.T) {
	t.Parallel()
	h := newTestBackend(t, Config{})
	tests := []struct {
		name string
		spec registry.RequestSpec
		want bool
	}{
		{name: "plain", spec: registry.RequestSpec{URL: "https://a.example/x?q={{input.q}}"}},
		{name: "auth block", want: true, spec: registry.RequestSpec{URL: "https://a.example/x",
			Auth: &registry.AuthSpec{Bearer: "literal"}}},
		{name: "secret in query", want: true,
			spec: registry.RequestSpec{URL: "https://a.example/x?key={{secrets.token}}"}},
		{name: "connection in body", want: true, spec: registry.RequestSpec{URL: "https://a.example/x",
			JSON: json.RawMessage(`{"t":"{{connection.accessToken}}"}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := h.newCall(testAction(t, "Example", tt.spec, nil), Values{
				Input:      map[string]any{"q": "x"},
				Secrets:    map[string][]byte{"token": []byte("s")},
				Connection: map[string]string{"accessToken": "c"},
			})
			_, err := c.request(t.Context())
			require.NoError(t, err)
			require.Equal(t, tt.want, c.redir.credentialed)
		})
	}
}
