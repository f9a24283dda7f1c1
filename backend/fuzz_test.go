package backend

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/registry"
)

// FuzzRender renders requests from arbitrary input values: rendering never
// panics, fails only as invalid_input, and never sends a request anywhere
// but the configured host, below the manifest's path.
func FuzzRender(f *testing.F) {
	f.Add("42", "q", "name", `{"a":1}`)
	f.Add("..", "a&b=c", "x\r\ny", `[1,"x",{"k":[true,null]}]`)
	f.Add("a/b@c:d?e#f%g", "é", "", `"s"`)
	f.Add("evil.example:443", "@evil.example/", ".", `null`)
	f.Add("//evil.example", "#frag", "\x00", `1e400`)
	f.Add("\xff\xfe", "%2F..%2F", "ok", `not json`)

	h, err := New(Config{})
	require.NoError(f, err)
	acts := []*registry.Action{
		testAction(f, "Svc", registry.RequestSpec{
			Method:  "POST",
			URL:     base + "/items/{{input.id}}/x{{input.id}}?q={{input.q}}",
			Query:   map[string]string{"name": "{{input.name}}", "obj": "{{input.obj}}"},
			Headers: map[string]string{"X-Name": "n {{input.name}}"},
			JSON: json.RawMessage(`{"id":"{{input.id}}","obj":"{{input.obj}}",` +
				`"list":["{{input.q}}","{{input.none}}"],"t":"{{input.name}} {{input.obj}}"}`),
		}, nil),
		testAction(f, "Svc", registry.RequestSpec{
			Method: "POST",
			URL:    "https://api.example.com/v1/items/{{input.id}}",
			Form: map[string]string{"obj": "{{input.obj}}", "q": "{{input.q}}",
				"t": "{{input.name}}-{{input.obj}}"},
		}, nil),
	}
	cfg := map[string]any{"baseUrl": "https://api.example.com/v1/"}

	f.Fuzz(func(t *testing.T, id, q, name, obj string) {
		in := map[string]any{"id": id, "q": q, "name": name, "obj": obj}
		if v, err := decode([]byte(obj)); err == nil {
			in["obj"] = v
		}
		for _, act := range acts {
			req, err := h.newCall(act, Values{Input: in, Config: cfg}).request(t.Context())
			if err != nil {
				require.Equal(t, switchboard.CodeInvalidInput, switchboard.ErrorCode(err), err)
				continue
			}
			requireFuzzedRequest(t, req, act.Request.JSON != nil)
		}
	})
}

func requireFuzzedRequest(t *testing.T, req *http.Request, isJSON bool) {
	t.Helper()
	require.Equal(t, "https", req.URL.Scheme)
	require.Equal(t, "api.example.com", req.URL.Host)
	require.Nil(t, req.URL.User)

	// What goes on the wire parses back to the same place.
	sent, err := url.Parse(req.URL.String())
	require.NoError(t, err)
	require.Equal(t, "api.example.com", sent.Host)
	segs := strings.Split(sent.EscapedPath(), "/")
	require.Equal(t, []string{"", "v1", "items"}, segs[:3])
	require.LessOrEqual(t, len(segs), 5, sent.EscapedPath())
	for _, s := range segs[3:] {
		require.NotContains(t, []string{"", ".", ".."}, s)
	}

	for _, vs := range req.Header {
		for _, v := range vs {
			require.False(t, hasCTL(v), "header value %q", v)
		}
	}
	body, err := io.ReadAll(req.Body)
	require.NoError(t, err)
	if isJSON {
		require.True(t, json.Valid(body), "body %q", body)
		return
	}
	_, err = url.ParseQuery(string(body))
	require.NoError(t, err)
}
