package backend

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/registry"
)

// call is one run of one action.
type call struct {
	h       *HTTP
	act     *registry.Action
	service string
	timeout time.Duration
	r       renderer
	redir   redirects

	// red is built from r's secrets on first use; see redactor.
	red *redactor
}

// request renders the action's request under ctx.
func (c *call) request(ctx context.Context) (*http.Request, error) {
	rq := c.act.Request
	u := c.r.url(rq.URL)
	body, contentType := c.r.body(rq)
	header := c.r.headers(rq, c.h.userAgent, contentType)
	query := c.r.query(rq.Query)
	if err := c.r.failure(); err != nil {
		return nil, err
	}
	if u == nil {
		return nil, switchboard.Errorf(switchboard.CodeInternal,
			"the request to %s could not be built", c.service)
	}
	if query != "" {
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += query
	}

	c.redir.credentialed = c.r.credentialed
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(withRedirects(ctx, &c.redir), rq.Method, "", rd)
	if err != nil {
		return nil, switchboard.Wrap(switchboard.CodeInternal, err,
			"the request to "+c.service+" could not be built")
	}
	req.URL = u
	req.Header = header
	return req, nil
}

// do sends req and turns the answer into the action's output.
func (c *call) do(ctx context.Context, req *http.Request) (json.RawMessage, error) {
	start := time.Now()
	resp, err := c.h.client.Do(req)
	if err != nil {
		return nil, c.sendError(ctx, req.URL.Host, err)
	}
	defer resp.Body.Close()

	body, err := c.read(ctx, resp)
	// resp.Request is the last request, after any redirect.
	c.logExchange(ctx, req.Method, resp.Request.URL.Host, resp.StatusCode, start)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.refused(resp.StatusCode, body)
	}
	return c.output(resp.StatusCode, body)
}

// read reads the body of resp, at most the configured cap.
func (c *call) read(ctx context.Context, resp *http.Response) ([]byte, error) {
	limit := c.h.maxBytes
	if resp.ContentLength > limit {
		return nil, c.tooLarge(resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		if ctxErr := c.contextError(ctx); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, &switchboard.Error{Code: switchboard.CodeUpstream,
			Message:        "the answer from " + c.service + " was cut off",
			UpstreamStatus: resp.StatusCode, Cause: c.sanitize(err)}
	}
	if int64(len(body)) > limit {
		return nil, c.tooLarge(resp.StatusCode)
	}
	return body, nil
}

func (c *call) tooLarge(status int) error {
	return &switchboard.Error{Code: switchboard.CodeUpstream,
		Message:        fmt.Sprintf("the answer from %s exceeds %s", c.service, size(c.h.maxBytes)),
		UpstreamStatus: status}
}

// size formats a byte count for people: "10 MiB", "512 KiB", "100 bytes".
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// sendError explains why no answer came back from host, or from the host
// a redirect led to, naming only hosts: a URL may hold secrets in its
// query.
func (c *call) sendError(ctx context.Context, host string, err error) error {
	if ctxErr := c.contextError(ctx); ctxErr != nil {
		return ctxErr
	}
	target, msg := host, "could not reach "+host
	if to := c.redir.to; to != "" && !strings.EqualFold(to, host) {
		target, msg = to, "could not reach "+to+" after a redirect from "+host
	}
	if ae, ok := errors.AsType[*AddrError](err); ok {
		return &switchboard.Error{Code: switchboard.CodeUpstream,
			Message: c.redact(msg + ": " + refusal(target, ae)), Cause: ae}
	}
	return &switchboard.Error{Code: switchboard.CodeUpstream,
		Message: c.redact(msg + ": " + reason(err)), Cause: c.sanitize(err)}
}

// refusal says why the address policy refused to dial host, naming the
// address refused when host is a name or carries another address.
func refusal(host string, ae *AddrError) string {
	name := (&url.URL{Host: host}).Hostname()
	if ip, err := netip.ParseAddr(name); err == nil && ip.WithZone("") == ae.Addr {
		return "it is " + ae.Reason()
	}
	return "it leads to " + ae.Addr.String() + ", " + ae.Reason()
}

// contextError returns the error of a call whose context ended, or nil:
// a timeout for a deadline, ctx.Err() wrapped for a cancellation.
func (c *call) contextError(ctx context.Context) error {
	err := ctx.Err()
	switch {
	case err == nil:
		return nil
	case context.Cause(ctx) == errActionTimeout:
		return &switchboard.Error{Code: switchboard.CodeTimeout, Cause: err,
			Message: fmt.Sprintf("%s did not answer within %s", c.service, c.timeout)}
	case errors.Is(err, context.DeadlineExceeded):
		return &switchboard.Error{Code: switchboard.CodeTimeout, Cause: err,
			Message: c.service + " did not answer before the call's deadline"}
	}
	return fmt.Errorf("call %s: %w", c.service, err)
}

// reason says in a few words why a connection failed.
func reason(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	var netErr net.Error
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return "no such host"
	case errors.As(err, &dnsErr):
		return "the host name could not be resolved"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was closed"
	case errors.As(err, &certErr):
		return "its TLS certificate could not be verified"
	case errors.As(err, &recordErr):
		return "it does not speak TLS"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "the connection timed out"
	}
	return "the connection failed"
}

// sanitize returns err as a plain error whose text names no URL and no
// credential, for the log.
func (c *call) sanitize(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	return errors.New(c.redact(err.Error()))
}

// redactor returns the redactor of the credentials the request carried,
// or nil when it carried none.
func (c *call) redactor() *redactor {
	if c.red == nil && len(c.r.secrets) > 0 {
		c.red = newRedactor(c.r.secrets)
	}
	return c.red
}

// redact replaces every credential the request carried by "[redacted]".
func (c *call) redact(s string) string {
	r := c.redactor()
	if r == nil || !r.contains([]byte(s)) {
		return s
	}
	return string(r.text([]byte(s)))
}
