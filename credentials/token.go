package credentials

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard-dev/switchboard/registry"
)

// maxTokenBytes caps a token endpoint's answer.
const maxTokenBytes = 1 << 20

// maxExpiresIn caps a token's lifetime as a provider states it.
const maxExpiresIn = 10 * 365 * 24 * time.Hour

// token is what a token endpoint issued.
type token struct {
	AccessToken  string
	RefreshToken string
	TokenType    string
	Scope        string
	// ExpiresIn is the access token's lifetime; 0 when not given.
	ExpiresIn time.Duration
}

// tokenError is a token request that gave no token. Its text holds the
// status, the provider's error code and a redacted, shortened
// description: never a body, a token or the client secret.
type tokenError struct {
	// Status is the HTTP status; 0 when no answer arrived.
	Status int
	// Code is the provider's OAuth error code ("invalid_grant"), or "".
	Code string
	// Description is the provider's error_description, redacted.
	Description string
	// Problem says what was wrong with an answer that had no error code.
	Problem string
	// Retryable marks faults that may pass: no answer, a 5xx, an answer
	// that is empty, HTML or lacks a token.
	Retryable bool
	cause     error
}

func (e *tokenError) Error() string {
	var b strings.Builder
	b.WriteString("token endpoint")
	if e.Code != "" {
		b.WriteString(": " + e.Summary())
	}
	if e.Problem != "" {
		b.WriteString(": " + e.Problem)
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.cause != nil {
		b.WriteString(": " + e.cause.Error())
	}
	return b.String()
}

func (e *tokenError) Unwrap() error { return e.cause }

// Summary is the provider's code and description, or the problem: what a
// dead connection's owner is shown.
func (e *tokenError) Summary() string {
	switch {
	case e.Code != "" && e.Description != "":
		return e.Code + ": " + e.Description
	case e.Code != "":
		return e.Code
	case e.Problem != "":
		return e.Problem
	}
	return fmt.Sprintf("HTTP %d", e.Status)
}

// invalidGrant reports whether the provider refused the grant itself: the
// refresh token (or code) is revoked, expired or already used. GitHub says
// so with its own code, bad_refresh_token (and bad_verification_code for
// a code), in an answer of status 200.
func (e *tokenError) invalidGrant() bool {
	switch e.Code {
	case "invalid_grant", "bad_refresh_token", "bad_verification_code":
		return true
	}
	return false
}

// clientRejected reports whether the provider refused the client's
// authentication, so that another method may be tried.
func (e *tokenError) clientRejected() bool {
	return e.Status == http.StatusUnauthorized || e.Code == "invalid_client"
}

// The ways a client authenticates at the token endpoint.
const (
	styleBasic = registry.ClientAuthBasic
	styleBody  = registry.ClientAuthBody
)

// styles returns the client authentications to try, in order.
func (m *Manager) styles(ep *endpoint) []string {
	switch {
	case ep.spec.ClientAuth == styleBasic:
		return []string{styleBasic}
	case ep.spec.ClientAuth == styleBody || ep.secret == "":
		return []string{styleBody}
	}
	if s, ok := m.authStyles.Load(ep.styleKey()); ok {
		return []string{s.(string)}
	}
	return []string{styleBasic, styleBody}
}

func (ep *endpoint) styleKey() string { return ep.tokenURL + "\x00" + ep.clientID }

// requestToken posts form to ep's token endpoint with the client's
// authentication and returns the token it issues, or a *tokenError.
// redact lists the values that must not reach an error, besides the client
// secret.
func (m *Manager) requestToken(ctx context.Context, ep *endpoint, form url.Values,
	redact ...string,
) (token, error) {
	redact = append(redact, ep.secret)
	styles := m.styles(ep)
	var err error
	for i, style := range styles {
		var t token
		if t, err = m.postToken(ctx, ep, form, style, redact); err == nil {
			if len(styles) > 1 {
				m.authStyles.Store(ep.styleKey(), style)
			}
			return t, nil
		}
		var te *tokenError
		if !errors.As(err, &te) || !te.clientRejected() || i == len(styles)-1 {
			break
		}
	}
	return token{}, err
}

// postToken makes one token request authenticating the client by style.
func (m *Manager) postToken(ctx context.Context, ep *endpoint, form url.Values, style string,
	redact []string,
) (token, error) {
	body := url.Values{}
	for k, v := range form {
		body[k] = v
	}
	if style == styleBody {
		body.Set("client_id", ep.clientID)
		if ep.secret != "" {
			body.Set("client_secret", ep.secret)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.tokenURL,
		strings.NewReader(body.Encode()))
	if err != nil {
		return token{}, &tokenError{Problem: "invalid token url"}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if style == styleBasic {
		req.SetBasicAuth(url.QueryEscape(ep.clientID), url.QueryEscape(ep.secret))
	}

	resp, err := m.client.Do(req)
	if err != nil {
		return token{}, &tokenError{Retryable: true, Problem: "no answer", cause: transportErr(err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenBytes+1))
	if err != nil {
		return token{}, &tokenError{Status: resp.StatusCode, Retryable: true,
			Problem: "answer cut short", cause: transportErr(err)}
	}
	if len(raw) > maxTokenBytes {
		return token{}, &tokenError{Status: resp.StatusCode, Problem: "answer too large"}
	}
	return parseToken(resp.StatusCode, resp.Header.Get("Content-Type"), raw,
		ep.spec.TokenFields, redact)
}

// transportErr keeps what a transport error says of its kind: a deadline
// stays one, for errors.Is; the rest is reduced to its last part, since
// the request's URL says nothing useful here.
func transportErr(err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return context.Canceled
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

// fieldPaths are the paths of a token response's fields: the manifest's
// tokenFields, the standard names otherwise.
type fieldPaths struct {
	access, refresh, expiresIn, tokenType, scope string
}

func pathsOf(tf *registry.TokenFields) fieldPaths {
	if tf == nil {
		tf = &registry.TokenFields{}
	}
	return fieldPaths{
		access:    cmp.Or(tf.AccessToken, "access_token"),
		refresh:   cmp.Or(tf.RefreshToken, "refresh_token"),
		expiresIn: cmp.Or(tf.ExpiresIn, "expires_in"),
		tokenType: cmp.Or(tf.TokenType, "token_type"),
		scope:     cmp.Or(tf.Scope, "scope"),
	}
}

// parseToken reads a token endpoint's answer: JSON, form-encoded, or JSON
// with the fields where tf says. An empty or HTML answer, a 5xx, or one
// without an access token is a retryable *tokenError; an answer with an
// OAuth error code, or another non-2xx, one that is not.
func parseToken(status int, contentType string, raw []byte, tf *registry.TokenFields,
	redact []string,
) (token, error) {
	raw = bytes.TrimSpace(raw)
	retryable := status >= 500
	switch {
	case len(raw) == 0:
		return token{}, &tokenError{Status: status, Retryable: true, Problem: "empty answer"}
	case isHTML(contentType, raw):
		return token{}, &tokenError{Status: status, Retryable: true, Problem: "HTML answer"}
	}
	get, err := decodeToken(contentType, raw)
	if err != nil {
		return token{}, &tokenError{Status: status, Retryable: true, Problem: "unreadable answer"}
	}
	if code, _ := get("error").(string); code != "" {
		desc, _ := get("error_description").(string)
		code = cleanCode(code)
		return token{}, &tokenError{
			Status: status, Code: code, Description: cleanText(desc, redact),
			Retryable: retryable || code == "temporarily_unavailable" || code == "server_error",
		}
	}
	if status < 200 || status > 299 {
		return token{}, &tokenError{Status: status, Retryable: retryable, Problem: "refused"}
	}
	return tokenFrom(get, pathsOf(tf))
}

// tokenFrom picks a token's fields out of a decoded answer.
func tokenFrom(get func(string) any, p fieldPaths) (token, error) {
	str := func(path string) string {
		switch v := get(path).(type) {
		case string:
			return v
		case json.Number:
			return v.String()
		}
		return ""
	}
	t := token{
		AccessToken:  str(p.access),
		RefreshToken: str(p.refresh),
		TokenType:    str(p.tokenType),
		Scope:        str(p.scope),
	}
	if t.AccessToken == "" {
		return token{}, &tokenError{Status: http.StatusOK, Retryable: true,
			Problem: "answer without an access token at " + p.access}
	}
	if s := str(p.expiresIn); s != "" {
		secs, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(secs) {
			return token{}, &tokenError{Status: http.StatusOK, Retryable: true,
				Problem: p.expiresIn + " is not a number of seconds"}
		}
		if secs > 0 {
			t.ExpiresIn = min(time.Duration(secs*float64(time.Second)), maxExpiresIn)
		}
	}
	return t, nil
}

// isHTML reports whether an answer is a web page rather than a token.
func isHTML(contentType string, raw []byte) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return strings.Contains(mt, "html") || raw[0] == '<'
}

// decodeToken decodes an answer as JSON when it says so or looks like it,
// as a form otherwise, and returns a lookup by dotted path.
func decodeToken(contentType string, raw []byte) (func(string) any, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	if strings.Contains(mt, "json") || raw[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			return nil, errors.New("malformed JSON")
		}
		return func(path string) any { return lookup(doc, path) }, nil
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil || len(form) == 0 {
		return nil, errors.New("malformed form")
	}
	return func(path string) any {
		if v, ok := form[path]; ok && len(v) > 0 {
			return v[0]
		}
		return nil
	}, nil
}

// lookup follows a dotted path through JSON objects.
func lookup(doc map[string]any, path string) any {
	var cur any = doc
	for part := range strings.SplitSeq(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[part]
	}
	return cur
}

// cleanCode keeps an OAuth error code to the characters codes use.
func cleanCode(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x80 && (r == '_' || r == '-' || r == '.' || unicode.IsLetter(r) ||
			unicode.IsDigit(r)) {
			return r
		}
		return -1
	}, s)
	return truncate(s, 64)
}

// maxDescription caps a provider's description as shown.
const maxDescription = 200

// cleanText makes a provider's text showable: each value of redact
// replaced, control characters dropped, at most maxDescription bytes.
func cleanText(s string, redact []string) string {
	for _, r := range redact {
		if r != "" {
			s = strings.ReplaceAll(s, r, "[redacted]")
		}
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	return truncate(strings.TrimSpace(s), maxDescription)
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
