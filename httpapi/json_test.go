package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
)

type sample struct {
	Name   string            `json:"name"`
	Count  int               `json:"count,omitempty"`
	Tags   []string          `json:"tags"`
	Labels map[string]string `json:"labels"`
	Hidden string            `json:"-"`
	Plain  bool
}

func TestParseJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want string // substring of the invalid_request message; "" for success
	}{
		{name: "valid", body: `{"name":"a","count":2,"tags":["x"],"Plain":true}`},
		{name: "empty object", body: `{}`},
		{name: "unknown field", body: `{"name":"a","colour":"red"}`,
			want: `unknown field "colour"`},
		{name: "several unknown fields", body: `{"zeta":1,"alpha":2}`,
			want: `unknown field "alpha", "zeta"`},
		{name: "field by other case", body: `{"Name":"a"}`, want: `unknown field "Name"`},
		{name: "ignored field", body: `{"Hidden":"a"}`, want: `unknown field "Hidden"`},
		{name: "wrong type", body: `{"count":"two"}`,
			want: `field "count" has the wrong type: expected a number`},
		{name: "wrong array item", body: `{"tags":[1]}`,
			want: `field "tags" has the wrong type: expected a string`},
		{name: "wrong map value", body: `{"labels":{"a":1}}`,
			want: `field "labels" has the wrong type: expected a string`},
		{name: "wrong object", body: `{"labels":[]}`,
			want: `field "labels" has the wrong type: expected an object`},
		{name: "not an object", body: `[1]`, want: "must be a JSON object"},
		{name: "null", body: `null`, want: "must be a JSON object"},
		{name: "empty", body: ``, want: "not valid JSON"},
		{name: "syntax", body: "{\n  \"name\": nope}", want: "line 2, column 12"},
		{name: "truncated", body: `{"name":`, want: "not valid JSON"},
		{name: "trailing data", body: `{} {}`, want: "not valid JSON (line 1, column 4)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var dst sample
			err := parseJSON([]byte(tt.body), &dst)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.Equal(t, switchboard.CodeInvalidRequest, switchboard.ErrorCode(err))
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestParseJSONMap(t *testing.T) {
	t.Parallel()
	var dst map[string]int
	require.NoError(t, parseJSON([]byte(`{"anything":1}`), &dst))
	require.Equal(t, map[string]int{"anything": 1}, dst)
	err := parseJSON([]byte(`{"a":"b"}`), &dst)
	require.ErrorContains(t, err, "wrong type: expected a number")
}

func TestReadBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		body  string
		limit int64
		code  switchboard.Code
	}{
		{name: "under", body: "abc", limit: 4},
		{name: "at", body: "abcd", limit: 4},
		{name: "over", body: "abcde", limit: 4, code: switchboard.CodeTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
			got, err := readBody(req, tt.limit)
			if tt.code != "" {
				require.Equal(t, tt.code, switchboard.ErrorCode(err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.body, string(got))
		})
	}
}

func TestPosition(t *testing.T) {
	t.Parallel()
	body := []byte("ab\ncd\nef")
	tests := []struct {
		name      string
		offset    int64
		line, col int
	}{
		{name: "start", offset: 0, line: 1, col: 1},
		{name: "first line", offset: 2, line: 1, col: 2},
		{name: "second line", offset: 5, line: 2, col: 2},
		{name: "past the end", offset: 99, line: 3, col: 2},
		{name: "negative", offset: -1, line: 1, col: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			line, col := position(body, tt.offset)
			require.Equal(t, []int{tt.line, tt.col}, []int{line, col})
		})
	}
}
