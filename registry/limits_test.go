package registry

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
)

func nested(depth int) string {
	return strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth)
}

func TestDecodeInputLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, input, want string
	}{
		{"deep", nested(MaxDepth + 1), "nested deeper than 32 levels"},
		{"duplicate key", `{"a":1,"b":{"c":1,"c":2}}`, `/b: key "c" appears twice`},
		{"huge exponent", `{"n":1e10000000}`, "/n: 1e10000000 is out of range"},
		{"beyond float64", `{"ids":[1,2,1e400]}`, "/ids/2: 1e400 is out of range"},
		{"long number", `{"n":` + strings.Repeat("9", 80) + `}`, "/n: a number of more than 64"},
		{"invalid utf-8", "{\"s\":\"\xff\"}", "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeInput([]byte(tt.input))
			require.Equal(t, switchboard.CodeInvalidInput, switchboard.ErrorCode(err))
			require.ErrorContains(t, err, tt.want)
		})
	}
	_, err := DecodeInput([]byte(nested(MaxDepth - 1)))
	require.NoError(t, err)
	_, err = DecodeInput([]byte(`{"n":1.7976931348623157e308,"m":-12.5e-3}`))
	require.NoError(t, err)
}

func TestManifestLimits(t *testing.T) {
	t.Parallel()
	deepSchema := fmt.Sprintf(`{"appId":"x","name":"x","version":"1","actions":[{"id":"a","inputSchema":%s}]}`,
		strings.Repeat(`{"type":"object","properties":{"a":`, 20)+"{}"+strings.Repeat("}}", 20))
	var many []string
	for i := range MaxActions + 1 {
		many = append(many, fmt.Sprintf(`{"id":"a%d"}`, i))
	}
	tests := []struct {
		name, raw, want string
	}{
		{"deep schema", deepSchema, "nested deeper than 32 levels"},
		{"duplicate key", `{"appId":"x","appId":"y","name":"x","version":"1","actions":[]}`, `key "appId" appears twice`},
		{"too many actions", `{"appId":"x","name":"x","version":"1","actions":[` + strings.Join(many, ",") + `]}`,
			"actions: at most 256 actions"},
		{"ref cycle", `{"appId":"x","name":"x","version":"1","actions":[{"id":"a","inputSchema":{"$ref":"#"}}]}`,
			"actions[0].inputSchema: the schema refers to itself in a loop"},
		{"transport header", `{"appId":"x","name":"x","version":"1","actions":[{"id":"a",
			"request":{"url":"https://x.example","headers":{"Host":"evil.example"}}}]}`,
			"actions[0].request.headers.Host: Host is set by the HTTP client"},
		{"credentials in headers", `{"appId":"x","name":"x","version":"1","actions":[{"id":"a",
			"request":{"url":"https://x.example","headers":{"authorization":"x"}}}]}`,
			"actions[0].request.headers.authorization: put credentials in request.auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := Parse([]byte(tt.raw))
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestConfigErrorsNeverEchoValues(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newMemStore()
	r := newTestRegistry(t, s)
	_, err := r.Upload(ctx, []byte(`{"appId":"cfg","name":"Cfg","version":"1","actions":[],
	  "configSchema":{"properties":{"region":{"type":"string","pattern":"^[a-z]{2}$"},
	  "n":{"type":"integer"}}}}`))
	require.NoError(t, err)
	_, err = r.Deploy(ctx, "cfg")
	require.NoError(t, err)
	_, err = r.Configure(ctx, "cfg", map[string]json.RawMessage{
		"region": json.RawMessage(`"CANARY_PLAIN_VALUE"`), "n": json.RawMessage(`"CANARY_TWO"`)})
	require.Error(t, err)
	require.NotContains(t, err.Error(), "CANARY")
	e := switchboard.AsError(err)
	require.Len(t, e.Errors, 2)
	for _, fe := range e.Errors {
		require.NotContains(t, fe.Message, "CANARY")
	}
	require.Contains(t, err.Error(), "region: does not satisfy its schema's pattern")
	require.Contains(t, err.Error(), "n: want integer")
}

func TestRoutingProperties(t *testing.T) {
	t.Parallel()
	m, _, err := Parse([]byte(`{"appId":"r","name":"R","version":"1",
	  "configSchema":{"properties":{"token":{"type":"string","platformSecret":"R_TOKEN"},
	    "baseUrl":{"type":"string"},"region":{"type":"string"},"team":{"type":"string"},
	    "limit":{"type":"integer"}}},
	  "actions":[
	    {"id":"a","request":{"url":"{{config.baseUrl}}/x?limit={{config.limit}}","auth":{"bearer":"{{secrets.token}}"}}},
	    {"id":"b","request":{"url":"https://{{config.region}}.api.example/{{config.team}}"}},
	    {"id":"c"}]}`))
	require.NoError(t, err)
	require.True(t, m.HoldsSecrets())
	require.Equal(t, map[string]bool{"baseUrl": true, "region": true}, m.RoutingProperties())
}
