package backend

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// Limits of the policy-enforcing transport. The deadline of each call is the
// tight bound; these guard callers of [HTTP.Client] that set none.
const (
	dialTimeout         = 10 * time.Second
	tlsHandshakeTimeout = 10 * time.Second
	// responseHeaderTimeout is the longest timeout an action may declare.
	responseHeaderTimeout = 10 * time.Minute
	idleConnTimeout       = 90 * time.Second
	maxIdleConns          = 512
	maxIdleConnsPerHost   = 64
	maxHeaderBytes        = 1 << 20
	maxRedirects          = 5
)

// newTransport returns the transport that enforces the address policy on
// every connection it dials, and that ignores proxy settings from the
// environment.
func newTransport(allowPrivate bool) *http.Transport {
	d := &net.Dialer{
		Timeout:        dialTimeout,
		KeepAlive:      30 * time.Second,
		ControlContext: dialGuard(allowPrivate),
	}
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            d.DialContext,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    tlsHandshakeTimeout,
		ResponseHeaderTimeout:  responseHeaderTimeout,
		ExpectContinueTimeout:  time.Second,
		IdleConnTimeout:        idleConnTimeout,
		MaxIdleConns:           maxIdleConns,
		MaxIdleConnsPerHost:    maxIdleConnsPerHost,
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
}

// redirectKey is the context key of a request's *redirects.
type redirectKey struct{}

// redirects carries one request's redirect policy into CheckRedirect and
// brings back why a redirect was not followed.
type redirects struct {
	// credentialed requests follow redirects only on their own host and
	// scheme.
	credentialed bool
	// refused says why the last redirect was not followed, or "".
	refused string
	// to is the host of the last redirect followed, or "".
	to string
}

func withRedirects(ctx context.Context, r *redirects) context.Context {
	return context.WithValue(ctx, redirectKey{}, r)
}

// checkRedirect follows at most maxRedirects redirects. A request that
// carries credentials (and any request not sent by Run, which cannot say)
// follows none to another host or from https to http: the 3xx becomes the
// answer.
func checkRedirect(req *http.Request, via []*http.Request) error {
	r, ok := req.Context().Value(redirectKey{}).(*redirects)
	if !ok {
		r = &redirects{credentialed: true}
	}
	if len(via) > maxRedirects {
		r.refused = fmt.Sprintf("redirected more than %d times", maxRedirects)
		return http.ErrUseLastResponse
	}
	first := via[0].URL
	crossHost := !strings.EqualFold(req.URL.Host, first.Host)
	downgrade := first.Scheme == "https" && req.URL.Scheme != "https"
	if r.credentialed && (crossHost || downgrade) {
		r.refused = "a redirect to another host or to plain http, " +
			"which is not followed because the request carries credentials"
		return http.ErrUseLastResponse
	}
	r.to = req.URL.Host
	return nil
}
