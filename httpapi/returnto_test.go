package httpapi

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReturnAllowed(t *testing.T) {
	t.Parallel()
	s := &Server{returns: []string{"https://app.example.com/", "https://admin.example.com",
		"http://localhost:3000/callback"}}
	tests := []struct {
		name string
		raw  string
		want bool
	}{
		{name: "under a prefix", raw: "https://app.example.com/settings?x=1#y", want: true},
		{name: "the prefix itself", raw: "https://app.example.com/", want: true},
		{name: "host prefix, path", raw: "https://admin.example.com/done", want: true},
		{name: "host prefix, query", raw: "https://admin.example.com?ok=1", want: true},
		{name: "host prefix alone", raw: "https://admin.example.com", want: true},
		{name: "path prefix", raw: "http://localhost:3000/callback/x", want: true},
		{name: "empty", raw: ""},
		{name: "another host", raw: "https://evil.example/"},
		{name: "a longer host", raw: "https://admin.example.com.evil.example/"},
		{name: "a host with a port after it", raw: "https://admin.example.com:8443/"},
		{name: "user info after the host prefix", raw: "https://admin.example.com@evil.example/"},
		{name: "a longer path", raw: "http://localhost:3000/callbacks"},
		{name: "another scheme", raw: "http://app.example.com/"},
		{name: "a relative path", raw: "/settings"},
		{name: "scheme-relative", raw: "//app.example.com/"},
		{name: "dot segments", raw: "https://app.example.com/a/../../admin"},
		{name: "encoded dot segments", raw: "https://app.example.com/a/%2e%2e/admin"},
		{name: "a backslash", raw: "https://app.example.com/\\evil.example"},
		{name: "a space", raw: "https://app.example.com/ x"},
		{name: "a newline", raw: "https://app.example.com/\nx"},
		{name: "javascript", raw: "javascript:alert(1)//https://app.example.com/"},
		{name: "too long", raw: "https://app.example.com/" + string(make([]byte, 2100))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, s.returnAllowed(tt.raw), tt.raw)
		})
	}
}

func TestNewChecksReturnTo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		prefix string
		ok     bool
	}{
		{name: "origin with a slash", prefix: "https://app.example.com/", ok: true},
		{name: "origin", prefix: "https://app.example.com", ok: true},
		{name: "local", prefix: "http://localhost:3000/apps/", ok: true},
		{name: "relative", prefix: "/settings"},
		{name: "no host", prefix: "https:///x"},
		{name: "another scheme", prefix: "ftp://app.example.com/"},
		{name: "user info", prefix: "https://me@app.example.com/"},
		{name: "query", prefix: "https://app.example.com/?a=1"},
		{name: "fragment", prefix: "https://app.example.com/#a"},
		{name: "empty query", prefix: "https://app.example.com/?"},
		{name: "backslash", prefix: "https://app.example.com\\@evil/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(Config{Registry: &fakeRegistry{}, Executor: &fakeExecutor{},
				Authenticator: fakeAuthn{}, Authorizer: &fakeAuthz{},
				ReturnTo: []string{tt.prefix}})
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, "ReturnTo")
		})
	}
}

func TestReturnURL(t *testing.T) {
	t.Parallel()
	got, err := returnURL("https://app.example.com/x?tab=1&connected=old#frag",
		url.Values{"connected": {"github"}, "connection": {"conn_1"}})
	require.NoError(t, err)
	require.Equal(t,
		"https://app.example.com/x?connected=github&connection=conn_1&tab=1#frag", got)
}
