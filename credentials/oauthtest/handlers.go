package oauthtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// codeTTL is how long an authorization code stays good.
const codeTTL = time.Minute

// authorize approves at once and sends the browser back to redirect_uri
// with a code and the state, or with an error.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Scheme == "" || q.Get("client_id") != p.ClientID ||
		q.Get("response_type") != "code" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	if m := q.Get("code_challenge_method"); m != "" && m != "S256" {
		http.Error(w, "only S256", http.StatusBadRequest)
		return
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	user := p.user
	if p.login {
		c, err := r.Cookie(LoginCookie)
		if err != nil {
			http.SetCookie(w, &http.Cookie{Name: LoginCookie, Value: p.user, Path: "/"})
			http.Redirect(w, r, r.URL.String(), http.StatusFound)
			return
		}
		user = c.Value
	}

	back := redirect.Query()
	back.Set("state", q.Get("state"))
	if p.deny {
		p.deny = false
		back.Set("error", "access_denied")
		back.Set("error_description", "the user said no")
	} else {
		code := p.issue("code-")
		p.codes[code] = grant{
			user: user, redirect: redirect.String(), challenge: q.Get("code_challenge"),
			scope: q.Get("scope"), until: p.now().Add(codeTTL),
		}
		back.Set("code", code)
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// token serves the three grants.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	kind := r.PostForm.Get("grant_type")
	p.mu.Lock()
	p.calls[kind]++
	delay := p.delay
	ok := p.clientOK(r)
	var fail Failure
	if ok && len(p.failures) > 0 {
		fail, p.failures = p.failures[0], p.failures[1:]
	}
	p.mu.Unlock()

	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case !ok:
		oauthError(w, http.StatusUnauthorized, "invalid_client")
	case fail != 0:
		failWith(w, fail)
	default:
		p.grant(w, r.PostForm)
	}
}

// clientOK checks the client's id and secret, in the header or the body as
// allowed. p.mu is held.
func (p *Provider) clientOK(r *http.Request) bool {
	id, secret, basic := r.BasicAuth()
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		return p.style != "body" && id == p.ClientID && secret == p.ClientSecret
	}
	return p.style != "basic" && r.PostForm.Get("client_id") == p.ClientID &&
		r.PostForm.Get("client_secret") == p.ClientSecret
}

func failWith(w http.ResponseWriter, f Failure) {
	switch f {
	case InvalidGrant:
		oauthError(w, http.StatusBadRequest, "invalid_grant")
	case ServerError:
		oauthError(w, http.StatusInternalServerError, "server_error")
	case HTMLPage:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><title>Maintenance</title><p>Back soon."))
	case EmptyBody:
		w.WriteHeader(http.StatusOK)
	case BadRefreshToken:
		oauthError(w, http.StatusOK, "bad_refresh_token")
	}
}

// grant issues a token for the grant form asks for.
func (p *Provider) grant(w http.ResponseWriter, form url.Values) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var g grant
	var refresh bool
	var msg string
	switch form.Get("grant_type") {
	case "authorization_code":
		g, msg = p.codeGrant(form)
		refresh = !p.omitRT
	case "refresh_token":
		g, msg = p.refreshGrant(form)
		refresh = !p.omitRT
	case "client_credentials":
		g = grant{user: "client:" + p.ClientID, scope: form.Get("scope")}
	default:
		msg = "unsupported_grant_type"
	}
	if msg != "" {
		oauthError(w, http.StatusBadRequest, msg)
		return
	}
	p.write(w, g, refresh)
}

// codeGrant checks and uses up an authorization code. p.mu is held.
func (p *Provider) codeGrant(form url.Values) (grant, string) {
	code := form.Get("code")
	g, ok := p.codes[code]
	delete(p.codes, code)
	verifier := form.Get("code_verifier")
	if verifier != "" {
		p.verifier[verifier] = true
	}
	switch {
	case !ok || !p.now().Before(g.until):
		return grant{}, "invalid_grant"
	case g.redirect != form.Get("redirect_uri"):
		return grant{}, "invalid_grant"
	case g.challenge != "" && s256(verifier) != g.challenge:
		return grant{}, "invalid_grant"
	case g.challenge == "" && verifier != "":
		return grant{}, "invalid_request"
	}
	return g, ""
}

// refreshGrant checks a refresh token and, unless refresh tokens are kept,
// uses it up. p.mu is held.
func (p *Provider) refreshGrant(form url.Values) (grant, string) {
	rt := form.Get("refresh_token")
	g, ok := p.refresh[rt]
	if !ok {
		return grant{}, "invalid_grant"
	}
	if !p.omitRT {
		delete(p.refresh, rt)
	}
	return g, ""
}

// write issues an access token (and a refresh token) for g in the current
// format. p.mu is held.
func (p *Provider) write(w http.ResponseWriter, g grant, refresh bool) {
	at := p.issue("at-")
	g.until = time.Time{}
	if p.expires > 0 {
		g.until = p.now().Add(p.expires)
	}
	p.access[at] = g
	fields := map[string]any{"access_token": at, "token_type": "Bearer"}
	if g.scope != "" {
		fields["scope"] = g.scope
	}
	if p.expires > 0 {
		fields["expires_in"] = int(p.expires / time.Second)
	}
	if refresh {
		rt := p.issue("rt-")
		p.refresh[rt] = grant{user: g.user, scope: g.scope}
		p.lastRT = rt
		fields["refresh_token"] = rt
	}
	switch p.format {
	case FormatForm:
		v := url.Values{}
		for k, x := range fields {
			v.Set(k, toString(x))
		}
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		_, _ = w.Write([]byte(v.Encode()))
	case FormatWrapped:
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "data": map[string]any{
			"token": fields["access_token"], "refresh": fields["refresh_token"],
			"expires": fields["expires_in"], "type": "bearer",
		}})
	default:
		writeJSON(w, http.StatusOK, fields)
	}
}

// resource answers whom a bearer token belongs to.
func (p *Provider) resource(w http.ResponseWriter, r *http.Request) {
	at, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	p.mu.Lock()
	g, known := p.access[at]
	expired := !g.until.IsZero() && !p.now().Before(g.until)
	p.mu.Unlock()
	if !ok || !known || expired {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		oauthError(w, http.StatusUnauthorized, "invalid_token")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"user": g.user, "scope": g.scope})
}

func oauthError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": "oauthtest: " + code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	}
	return ""
}
