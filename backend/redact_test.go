package backend

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/registry"
)

// canary is a platform secret with characters that services escape in
// different ways.
const canary = "CANARYsecret/With+Slash=XYZ123"

// canaryUnicode is a connection value that escapes to \u sequences and a
// surrogate pair.
const canaryUnicode = "pässwörd-Ωmega-🔑-Key"

// escapeAll writes every character of s as a \u escape, in lower-case hex.
func escapeAll(s string) string {
	var b strings.Builder
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, `\u%04x`, u)
	}
	return b.String()
}

// asciiOnly escapes the non-ASCII characters of s as Python's ensure_ascii
// does.
func asciiOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		b.WriteString(escapeAll(string(r)))
	}
	return b.String()
}

var escapeRun = regexp.MustCompile(`(\\u[0-9a-fA-F]{4})+`)

// unescapeLoose decodes the JSON escapes \/ and \uXXXX wherever they are in
// s, independently of the code under test.
func unescapeLoose(s string) string {
	s = strings.ReplaceAll(s, `\/`, "/")
	return escapeRun.ReplaceAllStringFunc(s, func(run string) string {
		var units []uint16
		for i := 0; i+6 <= len(run); i += 6 {
			n, _ := strconv.ParseUint(run[i+2:i+6], 16, 16)
			units = append(units, uint16(n))
		}
		return string(utf16.Decode(units))
	})
}

// containsFold reports whether s holds sub under simple case folding.
func containsFold(s, sub string) bool {
	n := utf8.RuneCountInString(sub)
	for i := range s {
		end, count := i, 0
		for end < len(s) && count < n {
			_, size := utf8.DecodeRuneInString(s[end:])
			end += size
			count++
		}
		if count == n && strings.EqualFold(s[i:end], sub) {
			return true
		}
	}
	return false
}

// requireNoSecret fails when text holds any of secrets in any case, as
// sent, query-escaped or path-escaped, plainly, JSON-escaped or
// HTML-escaped.
func requireNoSecret(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, form := range []string{s, url.QueryEscape(s), pathEscape(s)} {
			for _, view := range []string{text, unescapeLoose(text), html.UnescapeString(text)} {
				require.False(t, containsFold(view, form), "%q holds %q", text, form)
			}
		}
	}
}

func TestRunRedactsEscapedCredentialsInErrors(t *testing.T) {
	t.Parallel()
	upper := strings.ToUpper(canary)
	tests := []struct {
		name  string
		ctype string
		body  string
	}{
		{name: "slash escaped as in PHP", body: `{"error":"bad token ` +
			strings.ReplaceAll(canary, "/", `\/`) + `"}`},
		{name: "plus escaped as in .NET", body: `{"error":"` +
			strings.ReplaceAll(canary, "+", `\u002B`) + `"}`},
		{name: "every character escaped", body: `{"error":"` + escapeAll(canary) + `"}`},
		{name: "non-ASCII escaped as in Python",
			body: `{"error":"bad ` + asciiOnly(canaryUnicode) + `"}`},
		{name: "header echoed in upper case", body: `{"error":"BEARER ` + upper + `"}`},
		{name: "upper case in text", ctype: "text/plain",
			body: "denied: BEARER " + strings.ToUpper(canaryUnicode)},
		{name: "query escaped in lower case",
			body: `{"url":"/x?k=` + strings.ToLower(url.QueryEscape(canary)) + `"}`},
		{name: "path escaped", ctype: "text/html",
			body: "<p>no route /t/" + pathEscape(canary) + "</p>"},
		{name: "escaped inside text that is not JSON", ctype: "text/plain",
			body: ")]}'\n" + `{"t":"` + strings.ReplaceAll(canary, "/", `\/`) + `"}`},
		{name: "HTML escaped", ctype: "text/html",
			body: "<p>" + strings.ReplaceAll(canary, "+", "&#43;") + " " +
				html.EscapeString(`a<"b`) + " " + strings.ReplaceAll(canary, "/", "&#X2f;") +
				"</p>"},
		{name: "number kept and string redacted",
			body: `{"n":12.500,"e":"` + strings.ReplaceAll(canary, "/", `\/`) + `"}`},
	}
	act := testAction(t, "Svc", registry.RequestSpec{
		URL:     base + "/t",
		Headers: map[string]string{"X-Other": "{{secrets.other}}"},
		Auth:    &registry.AuthSpec{Bearer: "{{secrets.key}} {{connection.accessToken}}"},
	}, nil)
	h := newTestBackend(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := service(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", cmp.Or(tt.ctype, "application/json"))
				w.WriteHeader(http.StatusForbidden)
				_, _ = io.WriteString(w, tt.body)
			})
			v := configFor(url)
			v.Secrets = map[string][]byte{"key": []byte(canary), "other": []byte(`a<"b`)}
			v.Connection = map[string]string{"accessToken": canaryUnicode}

			_, err := h.Run(t.Context(), act, v)
			e := requireCode(t, err, switchboard.CodeUpstream)
			require.Contains(t, e.Message, redacted)
			requireNoSecret(t, e.Message, canary, canaryUnicode, `a<"b`)
			if strings.Contains(tt.body, "12.500") {
				require.Contains(t, e.Message, `"n":12.500`)
			}
		})
	}
}

// echoAuth answers 200 with body, %s replaced by the request's
// Authorization header as the handler transforms it.
func echoAuth(body string, transform func(string) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, body, transform(r.Header.Get("Authorization")))
	}
}

func asIs(s string) string { return s }

func TestRunRedactsOutput(t *testing.T) {
	t.Parallel()
	slashed := func(s string) string { return strings.ReplaceAll(s, "/", `\/`) }
	tests := []struct {
		name    string
		auth    *registry.AuthSpec
		resp    *registry.ResponseSpec
		handler http.HandlerFunc
		want    string
	}{
		{
			name: "echoed header, order and numbers kept",
			handler: echoAuth(`{"z":1,"ok":false, "auth":"%s","n":12.50,`+
				`"big":123456789012345678901234567890}`, asIs),
			want: `{"z":1,"ok":false, "auth":"Bearer [redacted]","n":12.50,` +
				`"big":123456789012345678901234567890}`,
		},
		{
			name:    "echoed in upper case",
			handler: echoAuth(`{"auth":"%s"}`, strings.ToUpper),
			want:    `{"auth":"BEARER [redacted]"}`,
		},
		{
			name:    "echoed with escaped slashes",
			handler: echoAuth(`{"auth":"%s"}`, slashed),
			want:    `{"auth":"Bearer [redacted]"}`,
		},
		{
			name:    "echoed as a key",
			handler: echoAuth(`{"%s":true}`, asIs),
			want:    `{"Bearer [redacted]":true}`,
		},
		{
			name:    "picked",
			resp:    &registry.ResponseSpec{Pick: "echo.headers"},
			handler: echoAuth(`{"echo":{"headers":["%s"]}}`, asIs),
			want:    `["Bearer [redacted]"]`,
		},
		{
			name: "errorWhen not matching",
			resp: &registry.ResponseSpec{ErrorWhen: &registry.ErrorWhen{Path: "ok",
				Equals: json.RawMessage("false")}},
			handler: echoAuth(`{"ok":true,"auth":"%s"}`, asIs),
			want:    `{"ok":true,"auth":"Bearer [redacted]"}`,
		},
		{
			name:    "not JSON",
			handler: echoAuth(`you sent %s`, slashed),
			want:    `"you sent Bearer [redacted]"`,
		},
		{
			name: "basic auth echoed in upper case",
			auth: &registry.AuthSpec{Basic: &registry.BasicAuth{Username: "api",
				Password: "{{secrets.key}}"}},
			handler: echoAuth(`{"auth":"%s"}`, strings.ToUpper),
			want:    `{"auth":"BASIC [redacted]"}`,
		},
		{
			name: "a number that holds a secret",
			auth: &registry.AuthSpec{Header: &registry.HeaderAuth{Name: "Authorization",
				Value: "{{secrets.pin}}"}},
			handler: echoAuth(`{"pin":%s,"other":7}`, asIs),
			want:    `{"pin":"[redacted]","other":7}`,
		},
		{
			name:    "no secret: the answer as sent",
			handler: answer(200, "{ \"a\" : [1, 2.0, \"x\\/y\"] ,\"b\":null }"),
			want:    "{ \"a\" : [1, 2.0, \"x\\/y\"] ,\"b\":null }",
		},
	}
	h := newTestBackend(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			auth := tt.auth
			if auth == nil {
				auth = &registry.AuthSpec{Bearer: "{{secrets.key}}"}
			}
			act := testAction(t, "Svc", registry.RequestSpec{URL: base + "/t", Auth: auth}, tt.resp)
			v := configFor(service(t, tt.handler))
			v.Secrets = map[string][]byte{"key": []byte(canary), "pin": []byte("98765432123")}

			out, err := h.Run(t.Context(), act, v)
			require.NoError(t, err)
			require.Equal(t, tt.want, string(out))
			require.True(t, json.Valid(out), "%s", out)
			pair := base64.StdEncoding.EncodeToString([]byte("api:" + canary))
			requireNoSecret(t, string(out), canary, pair, "98765432123")
		})
	}
}

func TestRunRefusesOutputWithASplitCredential(t *testing.T) {
	t.Parallel()
	const token = `a","b`
	h := newTestBackend(t, Config{})
	act := testAction(t, "Svc", registry.RequestSpec{URL: base + "/t",
		Auth: &registry.AuthSpec{Bearer: "{{secrets.key}}"}}, nil)
	v := configFor(service(t, answer(200, `["x a","b y"]`)))
	v.Secrets = map[string][]byte{"key": []byte(token)}

	out, err := h.Run(t.Context(), act, v)
	e := requireCode(t, err, switchboard.CodeUpstream)
	require.Nil(t, out)
	require.Equal(t, 200, e.UpstreamStatus)
	require.NotContains(t, e.Message, token)
}

// roundTripFunc is a transport that answers without any network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRunLogsNoSecretInTheHost(t *testing.T) {
	t.Parallel()
	const tenant = "tenant-SECRET-7"
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := newTestBackend(t, Config{Logger: logger,
		Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(`{}`)),
				Header: http.Header{}, Request: r}, nil
		})})
	act := testAction(t, "Svc", registry.RequestSpec{
		URL: "https://{{secrets.tenant}}.api.example/x"}, nil)
	v := Values{Secrets: map[string][]byte{"tenant": []byte(tenant)}}

	_, err := h.Run(t.Context(), act, v)
	require.NoError(t, err)
	require.Contains(t, logs.String(), `"host":"[redacted].api.example"`)
	require.NotContains(t, strings.ToLower(logs.String()), strings.ToLower(tenant))
}

func TestRedactorText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{name: "none", secrets: []string{"tok"}, in: "nothing here", want: "nothing here"},
		{name: "every case", secrets: []string{"Tok"}, in: "TOK tok tOk", want: "[redacted] " +
			"[redacted] [redacted]"},
		{name: "escapes", secrets: []string{"a/b+c"}, in: `x a\/b\u002bc y`,
			want: `x [redacted] y`},
		{name: "surrogate pair", secrets: []string{"k🔑"}, in: `\u004B\uD83D\uDD11!`,
			want: `[redacted]!`},
		{name: "unicode folding", secrets: []string{"Ωmega"}, in: "ωMEGA", want: "[redacted]"},
		{name: "a backslash as sent", secrets: []string{`a\nb`}, in: `1 a\nb 2`,
			want: `1 [redacted] 2`},
		{name: "a backslash escaped", secrets: []string{`a\nb`}, in: `1 a\\nb 2`,
			want: `1 [redacted] 2`},
		{name: "overlapping secrets", secrets: []string{"abcd", "cdef"}, in: "xabcdefx",
			want: "x[redacted]x"},
		{name: "stray bytes match only themselves", secrets: []string{"a\xffb"},
			in: "a\xfeb a\xffb", want: "a\xfeb [redacted]"},
		{name: "html", secrets: []string{`<a&b>`}, in: `&lt;a&AMP;b&#62;`, want: `[redacted]`},
		{name: "html as sent", secrets: []string{`a&amp;b`}, in: `a&amp;b`, want: `[redacted]`},
		{name: "not a reference", secrets: []string{`a&b`}, in: `a&#xZZ;b a&b`,
			want: `a&#xZZ;b [redacted]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRedactor(tt.secrets)
			require.Equal(t, tt.want, string(r.text([]byte(tt.in))))
			require.Equal(t, tt.want != tt.in, r.contains([]byte(tt.in)))
		})
	}
}

func TestRedactorJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
		// wantLeft is set when a credential is left in place.
		wantLeft bool
	}{
		{name: "in a string", secrets: []string{"s/1"}, in: `{"a":"x s\/1 y","b":2}`,
			want: `{"a":"x [redacted] y","b":2}`},
		{name: "an escape before it stays whole", secrets: []string{"b"}, in: `["\"b\\"]`,
			want: `["\"[redacted]\\"]`},
		{name: "a quote inside it", secrets: []string{`a"b`}, in: `["a\"b","a\u0022b"]`,
			want: `["[redacted]","[redacted]"]`},
		{name: "a backslash at its end", secrets: []string{`a\`}, in: `["a\\"]`,
			want: `["[redacted]"]`},
		{name: "in a number", secrets: []string{"4242"}, in: `[1, 142420 ,3]`,
			want: `[1, "[redacted]" ,3]`},
		{name: "in a literal", secrets: []string{"ru"}, in: `{"t":true}`,
			want: `{"t":"[redacted]"}`},
		{name: "across tokens", secrets: []string{`a","b`}, in: `["a","b"]`,
			want: `["a","b"]`, wantLeft: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.True(t, json.Valid([]byte(tt.in)))
			out, ok := newRedactor(tt.secrets).json([]byte(tt.in))
			require.Equal(t, tt.want, string(out))
			require.True(t, json.Valid(out))
			require.Equal(t, !tt.wantLeft, ok)
		})
	}
}

// FuzzRedactJSON encodes a secret, in a random case, into a JSON document as
// several encoders would: the redacted document stays valid JSON and no
// part of its string between two [redacted] holds the secret.
func FuzzRedactJSON(f *testing.F) {
	f.Add(canary, "pre ", " post", uint8(0))
	f.Add(canaryUnicode, "", "", uint8(1))
	f.Add(`q"\<>&`, "\\", "\"", uint8(2))
	f.Add("Kelvin k", "\u212a", "ß", uint8(3))

	f.Fuzz(func(t *testing.T, secret, pre, post string, mode uint8) {
		if secret == "" || !utf8.ValidString(secret) {
			t.Skip()
		}
		r := newRedactor([]string{secret})
		value := pre + recase(secret, mode) + post
		for _, doc := range encodings(t, value) {
			out, _ := r.json([]byte(doc))
			require.True(t, json.Valid(out), "%s -> %s", doc, out)
			var got []string
			require.NoError(t, json.Unmarshal(out, &got))
			for part := range strings.SplitSeq(got[0], redacted) {
				require.False(t, containsFold(part, secret), "%s -> %s", doc, out)
			}
		}
	})
}

// recase changes the case of s as mode says.
func recase(s string, mode uint8) string {
	switch mode % 3 {
	case 1:
		return strings.ToUpper(s)
	case 2:
		return strings.ToLower(s)
	}
	return s
}

// encodings returns a one-string JSON array holding v as several encoders
// write it.
func encodings(t *testing.T, v string) []string {
	t.Helper()
	plain, err := json.Marshal([]string{v})
	require.NoError(t, err)
	return []string{
		string(plain),
		strings.ReplaceAll(string(plain), "/", `\/`),
		`["` + escapeAll(v) + `"]`,
	}
}
