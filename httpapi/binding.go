package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/credentials"
)

// An OAuth flow is bound to the browser that started it: the answer that
// sends the browser to the provider sets a cookie derived from the flow's
// state, and the callback refuses a state whose cookie the browser does
// not carry. Without it, someone could start a flow for their own user
// and send the provider's URL to a victim, whose account would then be
// connected to the sender's user (login CSRF). The cookie is HttpOnly,
// SameSite=Lax (the provider's redirect back is a top-level navigation,
// which Lax lets through), scoped to the callback's path, and lives as long
// as the state; its name carries part of the state's hash, so flows
// started in several tabs do not replace one another's.
const bindingCookiePrefix = "sb_oauth_"

// bindingCookie returns the name and value of the cookie binding state.
func bindingCookie(state string) (name, value string) {
	sum := sha256.Sum256([]byte("switchboard oauth browser binding\x00" + state))
	v := hex.EncodeToString(sum[:])
	return bindingCookiePrefix + v[:16], v
}

// bindBrowser sets the cookie that binds the flow of providerURL (whose
// state parameter it reads) to the browser being sent there.
func bindBrowser(w http.ResponseWriter, providerURL string) {
	u, err := url.Parse(providerURL)
	if err != nil {
		return
	}
	q := u.Query()
	state := q.Get("state")
	if state == "" {
		return
	}
	name, value := bindingCookie(state)
	// The redirect URI is where the browser comes back: over TLS or not,
	// and under the public URL's path, which a proxy may strip before the
	// request reaches this server.
	path := credentials.CallbackPath
	if back, err := url.Parse(q.Get("redirect_uri")); err == nil && back.Path != "" {
		path = back.Path
	}
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: path,
		MaxAge: int(credentials.StateTTL.Seconds()), HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   strings.HasPrefix(q.Get("redirect_uri"), "https://"),
	})
}

// checkBinding returns nil when r carries the cookie binding its state to
// this browser, and clears that cookie; otherwise a refusal that tells the
// person to start again from Switchboard.
func checkBinding(w http.ResponseWriter, r *http.Request) error {
	state := r.URL.Query().Get("state")
	if state == "" {
		return nil // the connection manager refuses it, saying why
	}
	name, want := bindingCookie(state)
	c, err := r.Cookie(name)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(want)) != 1 {
		return switchboard.Errorf(switchboard.CodeInvalidRequest,
			"this sign-in was not started in this browser: start connecting again "+
				"from the app or the connect link, in the browser you will use")
	}
	// The cookie expires with its state anyway; clearing it is tidiness,
	// for the path it has when no proxy prefixes the public URL.
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: credentials.CallbackPath,
		MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return nil
}
