package httpapi

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard/credentials"
)

// postForm posts form to the connect link token, as a browser would.
func (e *connEnv) postForm(token string, form url.Values) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.confirm(credentials.ConnectPath+token, form)
}

var noncePattern = regexp.MustCompile(`name="_sb_nonce" value="([^"]+)"`)

// confirm opens the link at path and posts its page's form with form's
// values, carrying the page's nonce and cookie, as a browser would.
func (e *connEnv) confirm(path string, form url.Values) *httptest.ResponseRecorder {
	e.t.Helper()
	page := e.do(http.MethodGet, path, "", nil)
	var nonce string
	if m := noncePattern.FindStringSubmatch(page.Body.String()); m != nil {
		nonce = m[1]
	}
	return e.serve(e.linkPost(path, form, nonce, page.Result().Cookies()))
}

// linkPost is a post of form to the link at path with nonce and cookies.
func (e *connEnv) linkPost(path string, form url.Values, nonce string,
	cookies []*http.Cookie) *http.Request {
	values := url.Values{}
	for k, v := range form {
		values[k] = v
	}
	if nonce != "" {
		values.Set("_sb_nonce", nonce)
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(values.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// What a browser says of a form posted by the page itself; the page
	// sends no referrer, so its Origin is "null".
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", "null")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return req
}

func TestConnectLinkOAuth(t *testing.T) {
	t.Parallel()
	e := newConnEnv(t)
	token := e.conns.addLink("github", carol)

	// Opening the link uses nothing up: it asks to confirm, naming the user.
	body := requirePage(t, e.do(http.MethodGet, credentials.ConnectPath+token, "", nil),
		http.StatusOK)
	require.Contains(t, body, "GitHub account for <strong>"+carol.String()+"</strong>")
	require.Contains(t, body, `<form method="post"`)
	require.Empty(t, e.conns.recorded(), "a GET starts nothing")

	// Confirming starts the flow.
	rec := e.confirm(credentials.ConnectPath+token, nil)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	requirePageHeaders(t, rec.Header())
	loc := rec.Header().Get("Location")
	require.True(t, strings.HasPrefix(loc, "https://github.example/login/oauth/authorize?state="))
	require.Equal(t, []string{"StartLink github "}, e.conns.recorded())

	// The flow runs as the link's user, bound to this browser by the
	// cookie the answer set, and the link is used up.
	u, err := url.Parse(loc)
	require.NoError(t, err)
	var cookies []*http.Cookie
	for _, c := range rec.Result().Cookies() {
		if strings.HasPrefix(c.Name, "sb_oauth_") {
			cookies = append(cookies, c)
		}
	}
	require.Len(t, cookies, 1)
	require.True(t, cookies[0].HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, cookies[0].SameSite)
	require.Equal(t, credentials.CallbackPath, cookies[0].Path)
	cb := httptest.NewRequest(http.MethodGet, callbackURL(url.Values{
		"state": {u.Query().Get("state")}, "code": {codeSecret}}), nil)
	cb.AddCookie(cookies[0])
	requirePage(t, e.serve(cb), http.StatusOK)
	list, err := e.conns.Connections(t.Context(), "github", carol)
	require.NoError(t, err)
	require.Len(t, list, 1)

	body = requirePage(t, e.do(http.MethodGet, credentials.ConnectPath+token, "", nil),
		http.StatusGone)
	require.Contains(t, body, "This link can no longer be used")
	require.NotContains(t, body, token)
}

// formInputs returns the name and type of each input, select and textarea
// of a page, in order.
func formInputs(body string) []string {
	re := regexp.MustCompile(
		`<(input|select|textarea)(?: type="([a-z]+)")? id="[^"]*" name="([^"]*)"`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		kind := m[2]
		if kind == "" {
			kind = m[1]
		}
		out = append(out, m[3]+":"+kind)
	}
	return out
}

func TestConnectLinkForm(t *testing.T) {
	t.Parallel()
	e := newConnEnv(t)
	token := e.conns.addLink("notion", carol)

	body := requirePage(t, e.do(http.MethodGet, credentials.ConnectPath+token, "", nil),
		http.StatusOK)
	require.Equal(t, []string{"token:password", "site:select", "port:number",
		"verbose:checkbox"}, formInputs(body), "the schema's order and kinds")
	require.Contains(t, body, "<title>Connect Notion")
	require.Contains(t, body, "for <strong>user:carol</strong>")
	require.Contains(t, body, "Integration secret *")
	require.Contains(t, body, "Starts with ntn_")
	require.Contains(t, body, `<option value="&#34;eu&#34;">eu</option>`)
	require.Contains(t, body, "&lt;img src=x onerror=alert(1)&gt;", "a title is escaped")
	require.NotContains(t, body, "<img")
	require.Contains(t, body, `<form method="post" autocomplete="off">`, "posts to the link")
	require.NotContains(t, body, token)

	// Showing the form keeps the link.
	rec := e.postForm(token, url.Values{"token": {"ntn_SECRET_FORM_VALUE"},
		"site": {`"us"`}, "port": {"8443"}, "verbose": {"true"}})
	body = requirePage(t, rec, http.StatusOK)
	require.Contains(t, body, "Connected to Notion")
	require.NotContains(t, body, "ntn_SECRET_FORM_VALUE")
	require.Len(t, e.conns.saved, 1)
	require.JSONEq(t, `{"token":"ntn_SECRET_FORM_VALUE","site":"us","port":8443,"verbose":true}`,
		string(e.conns.saved[0]))
	list, err := e.conns.Connections(t.Context(), "notion", carol)
	require.NoError(t, err)
	require.Len(t, list, 1, "the link's user owns the connection")

	requirePage(t, e.postForm(token, url.Values{"token": {"again"}}), http.StatusGone)
}

func TestConnectLinkFormInvalid(t *testing.T) {
	t.Parallel()
	e := newConnEnv(t)
	token := e.conns.addLink("notion", carol)
	const secret = "SECRET-PORT-VALUE"

	rec := e.postForm(token, url.Values{"port": {secret}})
	body := requirePage(t, rec, http.StatusUnprocessableEntity)
	require.Regexp(t, `(?s)name="token".*class="error">required<`, body)
	require.Regexp(t, `(?s)name="port".*class="error">got string, want integer<`, body)
	require.NotContains(t, body, secret)
	require.Empty(t, e.conns.saved)
	require.Len(t, e.conns.posted, 1)
	require.JSONEq(t, `{"port":"`+secret+`","verbose":false}`, string(e.conns.posted[0]),
		"an empty input is left out; a value of the wrong kind stays a string")

	// The link stays usable until the values are right.
	rec = e.postForm(token, url.Values{"token": {"ntn_ok"}})
	requirePage(t, rec, http.StatusOK)
}

func TestConnectLinkFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		appID  string // the link's integration; "" for no link
		ctype  string
		status int
		want   string
	}{
		{name: "unknown link", method: http.MethodGet, status: 410,
			want: "This link can no longer be used"},
		{name: "unknown link posted", method: http.MethodPost, status: 410,
			ctype: "application/x-www-form-urlencoded", want: "no longer be used"},
		{name: "integration undeployed", method: http.MethodGet, appID: "gone", status: 404,
			want: "not deployed"},
		{name: "redirect model", method: http.MethodGet, appID: "demo", status: 501,
			want: "Demo was not connected"},
		{name: "posting another content type", method: http.MethodPost, appID: "notion",
			ctype: "multipart/form-data; boundary=x", status: 400,
			want: "application/x-www-form-urlencoded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newConnEnv(t)
			token := linkSecret + "-unknown"
			if tt.appID != "" {
				token = e.conns.addLink(tt.appID, carol)
			}
			req := httptest.NewRequest(tt.method, credentials.ConnectPath+token,
				strings.NewReader("token=x"))
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			body := requirePage(t, e.serve(req), tt.status)
			require.Contains(t, body, tt.want)
			require.NotContains(t, body, token)
			require.Empty(t, e.conns.saved)
		})
	}
}

func TestConnectLinkBodyLimit(t *testing.T) {
	t.Parallel()
	e := newConnEnv(t, func(c *Config) { c.MaxBodyBytes = 64 })
	token := e.conns.addLink("notion", carol)
	req := httptest.NewRequest(http.MethodPost, credentials.ConnectPath+token,
		strings.NewReader("token="+strings.Repeat("x", 100)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.ContentLength = -1 // chunked: the limit stops the read
	body := requirePage(t, e.serve(req), http.StatusRequestEntityTooLarge)
	require.Contains(t, body, "larger than 64 bytes")
	require.Empty(t, e.conns.saved)
}

func TestConnectLinkReturnTo(t *testing.T) {
	t.Parallel()
	e := newConnEnv(t)
	allowed := appPrefix + "settings"
	token := e.conns.addLink("github", carol)
	link := credentials.ConnectPath + token + "?" +
		url.Values{credentials.ReturnToParam: {allowed}}.Encode()
	// The confirmation form posts back to the link, return_to included.
	body := requirePage(t, e.do(http.MethodGet, link, "", nil), http.StatusOK)
	require.Contains(t, body, `<form method="post"`)
	rec := e.confirm(link, nil)
	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	require.Equal(t, []string{"StartLink github " + allowed}, e.conns.recorded())

	// A return_to the server may not send browsers to starts nothing.
	bad := e.conns.addLink("github", carol)
	rec = e.confirm(credentials.ConnectPath+bad+"?"+
		url.Values{credentials.ReturnToParam: {"https://evil.example/"}}.Encode(), nil)
	requirePage(t, rec, http.StatusBadRequest)
	require.Len(t, e.conns.recorded(), 1)
}

func TestConnectLinkPostNeedsItsOwnPage(t *testing.T) {
	t.Parallel()
	e := newConnEnv(t)
	for _, app := range []string{"github", "notion"} {
		token := e.conns.addLink(app, carol)
		path := credentials.ConnectPath + token
		form := url.Values{"token": {"ntn_x"}}
		// Another site's form posts to the link: no cookie, and a nonce it
		// had to guess.
		body := requirePage(t, e.serve(e.linkPost(path, form, "guess", nil)), http.StatusBadRequest)
		require.Contains(t, body, "not sent from the link")
		// The page's cookie without its nonce, or the nonce of another
		// link's page, is refused too.
		page := e.do(http.MethodGet, path, "", nil)
		requirePage(t, e.serve(e.linkPost(path, form, "", page.Result().Cookies())),
			http.StatusBadRequest)
		other := e.do(http.MethodGet, credentials.ConnectPath+e.conns.addLink(app, carol), "", nil)
		m := noncePattern.FindStringSubmatch(other.Body.String())
		require.NotNil(t, m)
		requirePage(t, e.serve(e.linkPost(path, form, m[1], other.Result().Cookies())),
			http.StatusBadRequest)
		cookie := page.Result().Cookies()[0]
		require.True(t, cookie.HttpOnly)
		require.Equal(t, http.SameSiteStrictMode, cookie.SameSite)
		// A page of the same site but another origin (another port, a
		// sibling subdomain) can plant the cookie: the browser's word on
		// where the post comes from refuses it.
		m = noncePattern.FindStringSubmatch(page.Body.String())
		planted := e.linkPost(path, form, m[1], page.Result().Cookies())
		planted.Header.Set("Sec-Fetch-Site", "same-site")
		body = requirePage(t, e.serve(planted), http.StatusBadRequest)
		require.Contains(t, body, "from another site")
	}
	require.Empty(t, e.conns.recorded(), "nothing started")
	require.Empty(t, e.conns.saved, "nothing saved")
}
