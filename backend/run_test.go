package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/registry"
)

// service starts a loopback server answering with handler and returns its
// base URL.
func service(t testing.TB, handler http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv.URL
}

// answer returns a handler that writes status and body.
func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// configFor returns Values whose config base URL is baseURL.
func configFor(baseURL string) Values {
	return Values{Config: map[string]any{"baseUrl": baseURL}}
}

func TestRunSendsTheRenderedRequest(t *testing.T) {
	t.Parallel()
	type seen struct {
		method, uri, auth, ctype, body string
	}
	got := make(chan seen, 1)
	url := service(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.RequestURI, r.Header.Get("Authorization"),
			r.Header.Get("Content-Type"), string(body)}
		_, _ = io.WriteString(w, `{"ok":true}`)
	})
	act := testAction(t, "Slack", registry.RequestSpec{
		Method: "POST",
		URL:    base + "/chat/{{input.channel}}",
		Query:  map[string]string{"limit": "{{input.limit}}"},
		Auth:   &registry.AuthSpec{Bearer: "{{secrets.botToken}}"},
		JSON:   json.RawMessage(`{"text":"{{input.text}}","n":"{{input.limit}}"}`),
	}, nil)
	v := configFor(url + "/api/")
	v.Input = input(t, `{"channel":"a/b @c","text":"hi","limit":10}`)
	v.Secrets = map[string][]byte{"botToken": []byte("xoxb-1")}

	out, err := newTestBackend(t, Config{}).Run(t.Context(), act, v)
	require.NoError(t, err)
	require.JSONEq(t, `{"ok":true}`, string(out))
	require.Equal(t, seen{
		method: "POST",
		uri:    "/api/chat/a%2Fb%20%40c?limit=10",
		auth:   "Bearer xoxb-1",
		ctype:  "application/json",
		body:   `{"n":10,"text":"hi"}`,
	}, <-got)
}

func TestRunAnswers(t *testing.T) {
	t.Parallel()
	slack := &registry.ResponseSpec{
		ErrorWhen: &registry.ErrorWhen{Path: "ok", Equals: json.RawMessage("false")},
		ErrorCode: "error",
	}
	stripe := &registry.ResponseSpec{ErrorCode: "error.type"}
	tests := []struct {
		name    string
		service string
		resp    *registry.ResponseSpec
		handler http.HandlerFunc

		want       string
		wantCode   switchboard.Code
		wantStatus int
		wantUCode  string
		wantMsg    string
	}{
		{
			name: "slack ok", service: "Slack", resp: slack,
			handler: answer(200, `{"ok":true,"ts":"1.2"}`+"\n"),
			want:    `{"ok":true,"ts":"1.2"}`,
		},
		{
			name: "slack error in a 200", service: "Slack", resp: slack,
			handler:    answer(200, `{"ok":false,"error":"channel_not_found"}`),
			wantCode:   switchboard.CodeUpstream,
			wantStatus: 200,
			wantUCode:  "channel_not_found",
			wantMsg:    "Slack refused the request: channel_not_found",
		},
		{
			name: "errorWhen compares numbers by value", service: "Svc",
			resp: &registry.ResponseSpec{
				ErrorWhen: &registry.ErrorWhen{Path: "status.code", Equals: json.RawMessage("1")}},
			handler:    answer(200, `{"status":{"code":1.0}}`),
			wantCode:   switchboard.CodeUpstream,
			wantStatus: 200,
			wantMsg:    "Svc refused the request",
		},
		{
			name: "errorWhen not matching a missing path", service: "Slack", resp: slack,
			handler: answer(200, `{"channel":"C1"}`),
			want:    `{"channel":"C1"}`,
		},
		{
			name: "stripe error", service: "Stripe", resp: stripe,
			handler: answer(400, `{"error": {"type": "invalid_request_error",`+
				"\n   "+`"message": "No such customer: 'cus_1'"}}`),
			wantCode:   switchboard.CodeUpstream,
			wantStatus: 400,
			wantUCode:  "invalid_request_error",
			wantMsg: `Stripe answered 400: {"error": {"type": "invalid_request_error", ` +
				`"message": "No such customer: 'cus_1'"}}`,
		},
		{
			name: "not found without a body", service: "Stripe", resp: stripe,
			handler:    answer(404, ""),
			wantCode:   switchboard.CodeUpstream,
			wantStatus: 404,
			wantMsg:    "Stripe answered 404",
		},
		{
			name: "long error body is cut", service: "Svc",
			handler:    answer(500, "<html>"+strings.Repeat("oops  \n ", 200)+"</html>"),
			wantCode:   switchboard.CodeUpstream,
			wantStatus: 500,
			wantMsg:    "Svc answered 500: <html>oops oops",
		},
		{
			name: "pick", service: "Svc",
			resp:    &registry.ResponseSpec{Pick: "data.items.1.id"},
			handler: answer(200, `{"data":{"items":[{"id":1},{"id":12345678901234567890}]}}`),
			want:    `12345678901234567890`,
		},
		{
			name: "pick an object", service: "Svc",
			resp:    &registry.ResponseSpec{Pick: "data"},
			handler: answer(200, `{"data":{"a":"<b>","n":1.50}}`),
			want:    `{"a":"<b>","n":1.50}`,
		},
		{
			name: "pick absent", service: "Svc",
			resp:    &registry.ResponseSpec{Pick: "data.nothing"},
			handler: answer(200, `{"data":{}}`),
			want:    `null`,
		},
		{
			name: "empty body", service: "Svc",
			handler: answer(204, ""),
			want:    `{}`,
		},
		{
			name: "non-JSON body", service: "Svc",
			handler: answer(200, "OK <done>"),
			want:    `"OK <done>"`,
		},
	}
	h := newTestBackend(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := service(t, tt.handler)
			act := testAction(t, tt.service, registry.RequestSpec{URL: base + "/x"}, tt.resp)
			out, err := h.Run(t.Context(), act, configFor(url))
			if tt.wantCode == "" {
				require.NoError(t, err)
				require.Equal(t, tt.want, string(out))
				require.True(t, json.Valid(out))
				return
			}
			e := requireCode(t, err, tt.wantCode)
			require.Equal(t, tt.wantStatus, e.UpstreamStatus)
			require.Equal(t, tt.wantUCode, e.UpstreamCode)
			require.True(t, strings.HasPrefix(e.Message, tt.wantMsg), e.Message)
			require.LessOrEqual(t, len(e.Message), 400)
		})
	}
}

func TestRunSizeCap(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 2048)
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{name: "declared length", handler: answer(200, big)},
		{name: "streamed", handler: func(w http.ResponseWriter, _ *http.Request) {
			for range 4 {
				_, _ = io.WriteString(w, big[:512])
				w.(http.Flusher).Flush()
			}
		}},
	}
	h := newTestBackend(t, Config{MaxResponseBytes: 1024})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			act := testAction(t, "Svc", registry.RequestSpec{URL: base + "/x"}, nil)
			_, err := h.Run(t.Context(), act, configFor(service(t, tt.handler)))
			e := requireCode(t, err, switchboard.CodeUpstream)
			require.Equal(t, "the answer from Svc exceeds 1 KiB", e.Message)
		})
	}

	t.Run("exactly the cap", func(t *testing.T) {
		t.Parallel()
		act := testAction(t, "Svc", registry.RequestSpec{URL: base + "/x"}, nil)
		out, err := h.Run(t.Context(), act, configFor(service(t, answer(200, big[:1024]))))
		require.NoError(t, err)
		require.Len(t, out, 1026) // quoted
	})
}

func TestRunDefaultSizeCapMessage(t *testing.T) {
	t.Parallel()
	h, err := New(Config{})
	require.NoError(t, err)
	c := h.newCall(testAction(t, "Svc", registry.RequestSpec{URL: "https://a.example"}, nil),
		Values{})
	require.Equal(t, "the answer from Svc exceeds 10 MiB", c.tooLarge(200).Error())
}

// slowService answers only when the request's context ends or the test
// finishes.
func slowService(t *testing.T) string {
	t.Helper()
	done := make(chan struct{})
	url := service(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	})
	t.Cleanup(func() { close(done) }) // runs before the server's Close
	return url
}

func TestRunTimeout(t *testing.T) {
	t.Parallel()
	h := newTestBackend(t, Config{})
	act := testAction(t, "Slack", registry.RequestSpec{URL: base + "/x"}, nil)
	act.Timeout = 50 * time.Millisecond

	start := time.Now()
	_, err := h.Run(t.Context(), act, configFor(slowService(t)))
	e := requireCode(t, err, switchboard.CodeTimeout)
	require.Equal(t, "Slack did not answer within 50ms", e.Message)
	require.Less(t, time.Since(start), 30*time.Second, "the deadline was not applied")
}

func TestRunCallerDeadline(t *testing.T) {
	t.Parallel()
	h := newTestBackend(t, Config{})
	act := testAction(t, "Slack", registry.RequestSpec{URL: base + "/x"}, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := h.Run(ctx, act, configFor(slowService(t)))
	e := requireCode(t, err, switchboard.CodeTimeout)
	require.Contains(t, e.Message, "Slack did not answer")
}

func TestRunCanceled(t *testing.T) {
	t.Parallel()
	h := newTestBackend(t, Config{})
	act := testAction(t, "Slack", registry.RequestSpec{URL: base + "/x"}, nil)
	ctx, cancel := context.WithCancel(t.Context())
	url := slowService(t)
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err := h.Run(ctx, act, configFor(url))
	require.ErrorIs(t, err, context.Canceled)
}

func TestRunRedirects(t *testing.T) {
	t.Parallel()
	var otherHits atomic.Int32
	other := service(t, func(w http.ResponseWriter, _ *http.Request) {
		otherHits.Add(1)
		_, _ = io.WriteString(w, `{"from":"other"}`)
	})
	origin := service(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other+"/landing", http.StatusFound)
		case "/here":
			http.Redirect(w, r, "/landing", http.StatusMovedPermanently)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			_, _ = io.WriteString(w, `{"from":"origin","auth":"`+r.Header.Get("Authorization")+`"}`)
		}
	})
	bearer := &registry.AuthSpec{Bearer: "{{secrets.token}}"}
	tests := []struct {
		name      string
		path      string
		auth      *registry.AuthSpec
		want      string
		wantMsg   string
		wantOther int32
	}{
		// The token reached the service, and its echo is redacted.
		{name: "same host with credentials", path: "/here", auth: bearer,
			want: `{"from":"origin","auth":"Bearer [redacted]"}`},
		{name: "other host without credentials", path: "/away",
			want: `{"from":"other"}`, wantOther: 1},
		{name: "other host with credentials", path: "/away", auth: bearer,
			wantMsg: "Svc answered 302: a redirect to another host"},
		{name: "too many", path: "/loop",
			wantMsg: "Svc answered 302: redirected more than 5 times"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: the subtests count the other host's hits.
			before := otherHits.Load()
			h := newTestBackend(t, Config{})
			act := testAction(t, "Svc", registry.RequestSpec{URL: base + tt.path, Auth: tt.auth}, nil)
			v := configFor(origin)
			v.Secrets = map[string][]byte{"token": []byte("tok")}
			out, err := h.Run(t.Context(), act, v)
			require.Equal(t, tt.wantOther, otherHits.Load()-before)
			if tt.wantMsg == "" {
				require.NoError(t, err)
				require.Equal(t, tt.want, string(out))
				return
			}
			e := requireCode(t, err, switchboard.CodeUpstream)
			require.Equal(t, 302, e.UpstreamStatus)
			require.True(t, strings.HasPrefix(e.Message, tt.wantMsg), e.Message)
		})
	}
}

// syncBuffer is a log sink that handlers on other goroutines may write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunRedactsEchoedCredentials(t *testing.T) {
	t.Parallel()
	const token = "sk_live_TOPSECRET/+?&"
	const apiKey = "key<>&\"quoted\""
	echo := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		msg, _ := json.Marshal(map[string]any{
			"error":  map[string]any{"code": "bad " + r.Header.Get("Authorization")},
			"query":  r.URL.RawQuery,
			"header": r.Header.Get("X-Key"),
			"path":   r.URL.EscapedPath(),
		})
		_, _ = w.Write(msg)
	}
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := newTestBackend(t, Config{Logger: logger})
	act := testAction(t, "Svc", registry.RequestSpec{
		URL:     base + "/t/{{secrets.key}}?k={{secrets.key}}",
		Headers: map[string]string{"X-Key": "{{secrets.key}}"},
		Auth:    &registry.AuthSpec{Bearer: "{{connection.accessToken}}"},
	}, &registry.ResponseSpec{ErrorCode: "error.code"})
	v := configFor(service(t, echo))
	v.Secrets = map[string][]byte{"key": []byte(apiKey)}
	v.Connection = map[string]string{"accessToken": token}

	_, err := h.Run(t.Context(), act, v)
	e := requireCode(t, err, switchboard.CodeUpstream)
	require.Equal(t, 401, e.UpstreamStatus)
	require.Equal(t, "bad Bearer [redacted]", e.UpstreamCode)
	require.Contains(t, e.Message, "[redacted]")
	for _, text := range []string{err.Error(), e.UpstreamCode, logs.String()} {
		for _, secret := range []string{token, apiKey, "TOPSECRET", "quoted"} {
			require.NotContains(t, text, secret)
		}
	}
	require.Contains(t, logs.String(), `"msg":"upstream answered"`)
	require.Contains(t, logs.String(), `"status":401`)
}

func TestRunRefusesPrivateNetwork(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	url := service(t, func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) })
	h, err := New(Config{})
	require.NoError(t, err)
	act := testAction(t, "Svc", registry.RequestSpec{URL: base + "/x"}, nil)

	_, err = h.Run(t.Context(), act, configFor(url))
	e := requireCode(t, err, switchboard.CodeUpstream)
	require.Contains(t, e.Message, "loopback")
	require.Contains(t, e.Message, "--allow-private-network")
	require.Contains(t, e.Message, "SWITCHBOARD_ALLOW_PRIVATE_NETWORK")
	var ae *AddrError
	require.True(t, errors.As(err, &ae))
	require.Zero(t, hits.Load())
}

func TestRunUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	h := newTestBackend(t, Config{})
	act := testAction(t, "Svc", registry.RequestSpec{URL: base + "/x?key={{secrets.key}}"}, nil)
	v := configFor(url)
	v.Secrets = map[string][]byte{"key": []byte("k3y-in-query")}

	_, err := h.Run(t.Context(), act, v)
	e := requireCode(t, err, switchboard.CodeUpstream)
	host := strings.TrimPrefix(url, "http://")
	require.Equal(t, "could not reach "+host+": connection refused", e.Message)
	require.NotContains(t, e.Cause.Error(), "k3y-in-query")
	require.NotContains(t, e.Cause.Error(), "/x?")
}

func TestRunNotImplemented(t *testing.T) {
	t.Parallel()
	h := newTestBackend(t, Config{})
	act := testAction(t, "Svc", registry.RequestSpec{URL: "https://a.example"}, nil)
	act.Request = nil
	_, err := h.Run(t.Context(), act, Values{})
	requireCode(t, err, switchboard.CodeNotImplemented)
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{name: "zero value"},
		{name: "negative cap", cfg: Config{MaxResponseBytes: -1}, wantErr: true},
		{name: "user agent with a newline", cfg: Config{UserAgent: "a\nb"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := New(tt.cfg)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			tr, ok := h.Client().Transport.(*http.Transport)
			require.True(t, ok)
			require.Nil(t, tr.Proxy)
			require.Equal(t, maxIdleConnsPerHost, tr.MaxIdleConnsPerHost)
			require.Equal(t, int64(DefaultMaxResponseBytes), h.maxBytes)
		})
	}
}

// guardedLoopbackTransport enforces the address policy as the real
// transport does, allowing private networks, and dials nothing but
// loopback: a refused address is never dialed.
func guardedLoopbackTransport(t *testing.T) *http.Transport {
	t.Helper()
	tr := newTransport(true)
	var d net.Dialer
	tr.DialContext = func(ctx context.Context, network, address string) (net.Conn, error) {
		if err := dialGuard(true)(ctx, network, address, nil); err != nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: err}
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !ap.Addr().IsLoopback() {
			return nil, fmt.Errorf("test transport: %s is not loopback", address)
		}
		return d.DialContext(ctx, network, address)
	}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func TestRunRedirectRefusalNamesTheTarget(t *testing.T) {
	t.Parallel()
	origin := service(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	})
	h := newTestBackend(t, Config{Transport: guardedLoopbackTransport(t)})
	act := testAction(t, "Svc", registry.RequestSpec{URL: base + "/x"}, nil)

	_, err := h.Run(t.Context(), act, configFor(origin))
	e := requireCode(t, err, switchboard.CodeUpstream)
	host := strings.TrimPrefix(origin, "http://")
	require.Equal(t, "could not reach 169.254.169.254 after a redirect from "+host+
		": it is a cloud metadata address, which Switchboard never calls", e.Message)
	var ae *AddrError
	require.True(t, errors.As(err, &ae))
	require.Equal(t, netip.MustParseAddr("169.254.169.254"), ae.Addr)
}

func TestRefusal(t *testing.T) {
	t.Parallel()
	metadata := &AddrError{Addr: netip.MustParseAddr("169.254.169.254"), Class: ClassMetadata}
	tests := []struct {
		name, host, want string
	}{
		{name: "the address", host: "169.254.169.254",
			want: "it is a cloud metadata address"},
		{name: "the address and a port", host: "169.254.169.254:8080",
			want: "it is a cloud metadata address"},
		{name: "a name", host: "metadata.example:80",
			want: "it leads to 169.254.169.254, a cloud metadata address"},
		{name: "an address that carries it", host: "[64:ff9b::a9fe:a9fe]:80",
			want: "it leads to 169.254.169.254, a cloud metadata address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := refusal(tt.host, metadata)
			require.True(t, strings.HasPrefix(got, tt.want), got)
		})
	}
}
