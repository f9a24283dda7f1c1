package httpapi

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/credentials"
)

// A connect link's page must be what starts its flow: a form posted to the
// link from anywhere else (an attacker's page auto-submitting to a link of
// their own) would skip the page that names the user, and connect the
// victim's account to the attacker. So the page carries a nonce twice: in
// a hidden field and in a cookie (HttpOnly, SameSite=Strict, so no other
// site's form sends it), and the post must bring both, equal. The cookie's
// name is derived from the link, so pages of several links do not clash.
const (
	linkNonceField  = "_sb_nonce"
	linkNoncePrefix = "sb_link_"
)

func linkNonceCookie(token string) string {
	sum := sha256.Sum256([]byte("switchboard connect link form\x00" + token))
	return linkNoncePrefix + hex.EncodeToString(sum[:8])
}

// issueLinkNonce sets the cookie of a fresh nonce for the page of link
// token and returns the nonce for its form.
func issueLinkNonce(w http.ResponseWriter, r *http.Request, token string) string {
	b := make([]byte, 18)
	_, _ = rand.Read(b) // crypto/rand does not fail
	nonce := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{
		Name: linkNonceCookie(token), Value: nonce, Path: "/",
		MaxAge: int(credentials.LinkTTL.Seconds()), HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
		Secure:   r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https",
	})
	return nonce
}

// crossOrigin refuses posts a browser says come from another origin
// (Sec-Fetch-Site, or else Origin against Host). The nonce alone is not
// enough: a page of the same site (another port, a sibling subdomain) can
// set cookies for this host, so it could plant the nonce's cookie.
var crossOrigin = http.NewCrossOriginProtection()

// checkLinkNonce returns nil when the form r posts (already parsed) came
// from the page of link token in this browser.
func checkLinkNonce(r *http.Request, token string) error {
	if crossOrigin.Check(r) != nil {
		return switchboard.Errorf(switchboard.CodeInvalidRequest,
			"this form was sent from another site, not from the link's own page: "+
				"open the link and confirm there")
	}
	c, err := r.Cookie(linkNonceCookie(token))
	got := r.PostForm.Get(linkNonceField)
	if err != nil || got == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(got)) != 1 {
		return switchboard.Errorf(switchboard.CodeInvalidRequest,
			"this form was not sent from the link's own page in this browser: "+
				"open the link and confirm there")
	}
	return nil
}

// clearLinkNonce removes the cookie of link token's page once the link has
// been acted on.
func clearLinkNonce(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: linkNonceCookie(token), Value: "", Path: "/",
		MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}
