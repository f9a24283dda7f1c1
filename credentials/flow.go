package credentials

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/registry"
)

// The types of [Flow].
const (
	// FlowRedirect sends the browser to the provider's authorization page.
	FlowRedirect = "redirect"
	// FlowCredentials shows the user a form to fill in.
	FlowCredentials = "credentials"
)

// Flow is the next step of connecting an account.
type Flow struct {
	// Type is FlowRedirect or FlowCredentials.
	Type string `json:"type"`
	// URL is where to send the browser, for FlowRedirect.
	URL string `json:"url,omitempty"`
	// Schema is the JSON Schema of the form, for FlowCredentials; post the
	// values to [Manager.SaveCredentials].
	Schema json.RawMessage `json:"schema,omitempty"`
}

// Start begins connecting user's account to in. For an oauth2 userAuth it
// stores a state (single use, valid [StateTTL], bound to user, to the PKCE
// verifier and to returnTo) and returns the provider's authorization URL;
// for a credentials userAuth it returns the form's schema.
//
// returnTo, where the browser goes once the callback is done, is "" or a
// path or URL on [Config.PublicURL]'s origin (invalid_input otherwise).
// Start returns not_implemented for a redirect userAuth (it needs a worker
// backend), invalid_request for a client_credentials grant (no user
// connects), not_configured naming what the integration lacks, and an
// error matching [ErrNoUserAuth] for an integration without userAuth.
func (m *Manager) Start(ctx context.Context, in *registry.Integration, user switchboard.Principal,
	returnTo string,
) (Flow, error) {
	if form, ok, err := formFlow(in, user); err != nil || ok {
		return form, err
	}
	ep, err := m.prepare(ctx, in, returnTo)
	if err != nil {
		return Flow{}, err
	}
	return m.authorize(ctx, in, ep, user.String(), returnTo, "")
}

// Begin is how a user's own request (with their bearer token) starts
// connecting their account to in. For a credential form it answers the
// form's schema. For OAuth 2.0 it answers a connect link for user, with
// returnTo in its query: the browser opens it, the person confirms the
// Switchboard user the account will connect to, and only then is the
// flow started, bound to that browser (see [Manager.StartLink]). The
// provider's URL is never handed out where another person's browser
// could be sent to it, so nobody can connect a victim's account to their
// own user. Problems that would stop the flow (not configured, a returnTo
// outside the allowed prefixes) are answered now.
func (m *Manager) Begin(ctx context.Context, in *registry.Integration, user switchboard.Principal,
	returnTo string,
) (Flow, error) {
	if form, ok, err := formFlow(in, user); err != nil || ok {
		return form, err
	}
	if _, err := m.prepare(ctx, in, returnTo); err != nil {
		return Flow{}, err
	}
	if err := m.roomFor(ctx, in, user.String()); err != nil {
		return Flow{}, err
	}
	link, err := m.newLink(ctx, in.ID(), user.String(), "")
	if err != nil {
		return Flow{}, err
	}
	if returnTo != "" {
		link += "?" + url.Values{ReturnToParam: {returnTo}}.Encode()
	}
	return Flow{Type: FlowRedirect, URL: link}, nil
}

// formFlow checks that user may start connecting to in, and returns the
// flow of its credential form and true when that is how in connects; false
// when it connects with OAuth 2.0.
func formFlow(in *registry.Integration, user switchboard.Principal) (Flow, bool, error) {
	if user.IsZero() {
		return Flow{}, false, switchboard.Errorf(switchboard.CodeInvalidRequest,
			"connecting an account needs a user")
	}
	ua, err := userAuth(in)
	if err != nil {
		return Flow{}, false, err
	}
	if ua.Type == registry.UserAuthCredentials {
		return Flow{Type: FlowCredentials, Schema: ua.Schema}, true, nil
	}
	return Flow{}, false, nil
}

// ReturnToParam is the query parameter of a connect link that [Manager.Begin]
// made, naming where the browser goes when the flow ends.
const ReturnToParam = "return_to"

// prepare checks what an OAuth flow of in needs before it starts.
func (m *Manager) prepare(ctx context.Context, in *registry.Integration, returnTo string,
) (*endpoint, error) {
	if in.Manifest.UserAuth.PlatformConnection() {
		return nil, platformOnly(in)
	}
	if err := m.checkReturnTo(returnTo); err != nil {
		return nil, err
	}
	return m.endpoint(ctx, in, false)
}

// authorize stores a state for principal and returns the redirect to ep's
// authorization endpoint. renew is the connection the flow renews, or "".
func (m *Manager) authorize(ctx context.Context, in *registry.Integration, ep *endpoint,
	principal, returnTo, renew string,
) (Flow, error) {
	state, hash, err := m.newToken()
	if err != nil {
		return Flow{}, err
	}
	var verifier string
	var sealed []byte
	if usesPKCE(ep.spec) {
		b, err := m.random(32)
		if err != nil {
			return Flow{}, err
		}
		verifier = base64.RawURLEncoding.EncodeToString(b)
		if sealed, err = m.vault.Seal(StateScope, stateName(hash), []byte(verifier)); err != nil {
			return Flow{}, fmt.Errorf("seal pkce verifier: %w", err)
		}
	}
	now := m.clock()
	err = m.store.PutOAuthState(ctx, OAuthState{
		Hash: hash, AppID: in.ID(), Principal: principal, ConnectionID: renew,
		ReturnTo: returnTo, Verifier: sealed, CreatedAt: now, ExpiresAt: now.Add(StateTTL),
	})
	if err != nil {
		return Flow{}, fmt.Errorf("store oauth state: %w", err)
	}
	return Flow{Type: FlowRedirect, URL: ep.authCodeURL(state, verifier, m.CallbackURL())}, nil
}

// checkReturnTo refuses a returnTo that would send the browser elsewhere
// than this server.
func (m *Manager) checkReturnTo(s string) error {
	if s == "" || ReturnToAllowed(m.returnTo, s) {
		return nil
	}
	u, err := url.Parse(s)
	ok := err == nil && u.User == nil
	switch {
	case !ok:
	case u.Scheme == "" && u.Host == "":
		ok = strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") &&
			!strings.ContainsAny(s, "\\\t\r\n")
	default:
		pub, _ := url.Parse(m.public)
		ok = u.Scheme == pub.Scheme && u.Host == pub.Host
	}
	if ok {
		return nil
	}
	return &switchboard.Error{
		Code: switchboard.CodeInvalidInput,
		Message: "returnTo must be a path on this server, a URL under " + m.public +
			", or a URL the server's return allow-list accepts",
		Errors: []switchboard.FieldError{{Path: "/returnTo", Message: "not on this server"}},
	}
}

// newToken returns a random token for a URL and its SHA-256, which is all
// the store keeps of it.
func (m *Manager) newToken() (string, []byte, error) {
	b, err := m.random(32)
	if err != nil {
		return "", nil, err
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	return tok, hashToken(tok), nil
}

func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// validToken reports whether s can be a token of newToken, before any
// store is asked.
func validToken(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == 32
}

// idEncoding writes connection ids.
var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID returns a new connection id: "conn_" and 96 random bits.
func (m *Manager) newID() (string, error) {
	b, err := m.random(12)
	if err != nil {
		return "", err
	}
	return "conn_" + strings.ToLower(idEncoding.EncodeToString(b)), nil
}
