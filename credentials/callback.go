package credentials

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/registry"
)

// CallbackRequest is what the provider sent the browser back with, as the
// query of [CallbackPath] carries it.
type CallbackRequest struct {
	// State, Code, Error and ErrorDescription are the query parameters
	// state, code, error and error_description.
	State            string
	Code             string
	Error            string
	ErrorDescription string
	// User, when not zero, is who the callback request is authenticated
	// as; a state issued to anyone else is refused.
	User switchboard.Principal
}

// CallbackResult is what a callback did.
type CallbackResult struct {
	// AppID is the integration the state was issued for.
	AppID string
	// Integration is its display name.
	Integration string
	// Connection is the connection made or renewed.
	Connection Connection
	// ReturnTo is where the flow's starter asked the browser to go, or "".
	ReturnTo string
}

// Callback finishes an OAuth 2.0 flow. It takes the state out of the
// store first, so that a state is used once even when what follows fails;
// an unknown, used or expired state is invalid_request, and one issued to
// another user than req.User forbidden. It then exchanges the code (with
// the PKCE verifier) for tokens at the token endpoint of the integration
// lookup returns for the state's app id, and stores them sealed as a new
// connection, or in the connection the flow renews.
//
// A provider's refusal (req.Error), a failed exchange and an integration
// no longer deployed are errors; the result then still carries the app id
// and returnTo when the state was valid, for the caller to send the
// browser back with the error. Nothing in an error holds the code or a
// token.
func (m *Manager) Callback(ctx context.Context, lookup func(appID string) *registry.Integration,
	req CallbackRequest,
) (CallbackResult, error) {
	st, err := m.takeState(ctx, req.State)
	if err != nil {
		return CallbackResult{}, err
	}
	if !req.User.IsZero() && req.User.String() != st.Principal {
		return CallbackResult{}, switchboard.Errorf(switchboard.CodeForbidden,
			"this sign-in was started by another user")
	}
	res := CallbackResult{AppID: st.AppID, ReturnTo: st.ReturnTo}
	in := lookup(st.AppID)
	if in == nil {
		return res, switchboard.Errorf(switchboard.CodeNotFound,
			"integration %q is not deployed", st.AppID)
	}
	res.Integration = name(in)

	switch {
	case req.Error != "":
		return res, providerRefused(in, req)
	case req.Code == "":
		return res, switchboard.Errorf(switchboard.CodeInvalidRequest,
			"the provider sent no authorization code")
	}
	s, err := m.exchange(ctx, in, st, req.Code)
	if err != nil {
		return res, err
	}
	res.Connection, err = m.save(ctx, in, st.Principal, st.ConnectionID, KindOAuth2, s, "")
	return res, err
}

// takeState consumes the state named by the token state.
func (m *Manager) takeState(ctx context.Context, state string) (OAuthState, error) {
	if !validToken(state) {
		return OAuthState{}, switchboard.Errorf(switchboard.CodeInvalidRequest,
			"the sign-in has no valid state: start connecting again")
	}
	st, err := m.store.TakeOAuthState(ctx, hashToken(state))
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
		return OAuthState{}, switchboard.Errorf(switchboard.CodeInvalidRequest,
			"this sign-in is unknown or was already used: start connecting again")
	}
	if err != nil {
		return OAuthState{}, fmt.Errorf("take oauth state: %w", err)
	}
	if !m.now().Before(st.ExpiresAt) {
		return OAuthState{}, switchboard.Errorf(switchboard.CodeInvalidRequest,
			"this sign-in expired: start connecting again")
	}
	return st, nil
}

// exchange trades code for in's tokens.
func (m *Manager) exchange(ctx context.Context, in *registry.Integration, st OAuthState,
	code string,
) (secret, error) {
	ua, err := userAuth(in)
	if err != nil {
		return secret{}, err
	}
	if ua.Type != registry.UserAuthOAuth2 || ua.PlatformConnection() {
		return secret{}, switchboard.Errorf(switchboard.CodeConflict,
			"%s no longer connects accounts with OAuth: start again", name(in))
	}
	ep, err := m.endpoint(ctx, in, true)
	if err != nil {
		return secret{}, err
	}
	form := url.Values{
		"grant_type":   {"authorization_code"},
		"code":         {code},
		"redirect_uri": {m.CallbackURL()},
	}
	var verifier string
	if len(st.Verifier) > 0 {
		b, err := m.vault.Open(ctx, StateScope, stateName(st.Hash), st.Verifier)
		if err != nil {
			return secret{}, fmt.Errorf("open pkce verifier: %w", err)
		}
		verifier = string(b)
		clear(b)
		form.Set("code_verifier", verifier)
	}

	callCtx, cancel := context.WithTimeout(ctx, m.leaseTTL/2)
	defer cancel()
	t, err := m.requestToken(callCtx, ep, form, code, verifier)
	if err != nil {
		return secret{}, tokenFailure(in, err)
	}
	return fromToken(t, m.clock()), nil
}

// providerRefused is the error of a callback that carries the provider's
// error instead of a code, such as access_denied. It names the error code
// only: the description is free text that whoever crafted the URL chose,
// and the page shown on the server's origin must not say what they like.
func providerRefused(in *registry.Integration, req CallbackRequest) error {
	code := cleanCode(req.Error)
	msg := fmt.Sprintf("%s refused the connection: %s", name(in), code)
	return &switchboard.Error{Code: switchboard.CodeUpstream, Message: msg, UpstreamCode: code}
}

// save stores s as principal's connection to in: in the connection renew
// names when principal still owns it there, as a new one otherwise.
func (m *Manager) save(ctx context.Context, in *registry.Integration, principal, renew string,
	kind Kind, s secret, label string,
) (Connection, error) {
	ctx = context.WithoutCancel(ctx) // the provider issued it; keep it
	if renew != "" {
		c, ok, err := m.renewInPlace(ctx, in, principal, renew, kind, s)
		if err != nil || ok {
			return c, err
		}
	}
	if err := m.roomFor(ctx, in, principal); err != nil {
		return Connection{}, err
	}
	label, err := m.label(ctx, in, principal, label)
	if err != nil {
		return Connection{}, err
	}
	id, err := m.newID()
	if err != nil {
		return Connection{}, err
	}
	sealed, err := m.seal(id, s)
	if err != nil {
		return Connection{}, err
	}
	now := m.clock()
	c := Connection{
		ID: id, AppID: in.ID(), Principal: principal, Kind: kind, Label: label,
		Status: StatusActive, ExpiresAt: s.ExpiresAt, CreatedAt: now, UpdatedAt: now,
	}
	sc := StoredConnection{Connection: c, Sealed: sealed, Generation: 1}
	if err := m.store.CreateConnection(ctx, sc); err != nil {
		return Connection{}, fmt.Errorf("store connection: %w", err)
	}
	m.log.InfoContext(ctx, "connection created", attrs(c)...)
	return c, m.note(ctx, audit.EventConnectionCreate, c, "", nil)
}

// renewInPlace puts s into connection id when principal owns it for in
// with the same kind, and reports whether it did.
func (m *Manager) renewInPlace(ctx context.Context, in *registry.Integration,
	principal, id string, kind Kind, s secret,
) (Connection, bool, error) {
	sc, err := m.owned(ctx, in.ID(), principal, id)
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound || sc.Kind != kind {
		return Connection{}, false, nil
	}
	if err != nil {
		return Connection{}, false, err
	}
	sealed, err := m.seal(id, s)
	if err != nil {
		return Connection{}, false, err
	}
	now := m.clock()
	u := ConnectionUpdate{Sealed: sealed, ExpiresAt: s.ExpiresAt, Status: StatusActive, At: now}
	if err := m.store.UpdateConnection(ctx, id, "", u); err != nil {
		return Connection{}, false, fmt.Errorf("store connection %s: %w", id, err)
	}
	c := sc.Connection
	c.Status, c.LastError, c.ExpiresAt, c.UpdatedAt = StatusActive, "", s.ExpiresAt, now
	m.log.InfoContext(ctx, "connection renewed", attrs(c)...)
	return c, true, m.note(ctx, audit.EventConnectionCreate, c, "",
		map[string]string{"renewed": strconv.FormatBool(true)})
}

// MaxConnections is the most connections one principal may have to one
// integration.
const MaxConnections = 25

// roomFor returns nil when principal may make one more connection to in,
// and otherwise a conflict saying to delete one first. Concurrent creations
// may pass it together: it bounds growth, not the exact count.
func (m *Manager) roomFor(ctx context.Context, in *registry.Integration, principal string) error {
	list, err := m.store.Connections(ctx, in.ID(), principal)
	if err != nil {
		return fmt.Errorf("list connections of %s: %w", in.ID(), err)
	}
	if len(list) >= MaxConnections {
		return switchboard.Errorf(switchboard.CodeConflict,
			"you have %d connections to %s, the most allowed: delete one before adding another",
			len(list), name(in))
	}
	return nil
}

// maxLabel is the longest label, in characters.
const maxLabel = 100

// label returns label checked, or, when "", the integration's name,
// numbered after principal's first connection.
func (m *Manager) label(ctx context.Context, in *registry.Integration, principal,
	label string,
) (string, error) {
	label = strings.TrimSpace(label)
	if label != "" {
		return label, checkLabel(label)
	}
	list, err := m.store.Connections(ctx, in.ID(), principal)
	if err != nil {
		return "", fmt.Errorf("list connections of %s: %w", in.ID(), err)
	}
	if len(list) == 0 {
		return name(in), nil
	}
	return name(in) + " " + strconv.Itoa(len(list)+1), nil
}

// checkLabel refuses a label that is too long or holds control characters.
func checkLabel(label string) error {
	problem := ""
	switch {
	case !utf8.ValidString(label):
		problem = "must be UTF-8"
	case utf8.RuneCountInString(label) > maxLabel:
		problem = fmt.Sprintf("at most %d characters", maxLabel)
	case strings.IndexFunc(label, unicode.IsControl) >= 0:
		problem = "must not hold control characters"
	}
	if problem == "" {
		return nil
	}
	return &switchboard.Error{
		Code:    switchboard.CodeInvalidInput,
		Message: "label is invalid: " + problem,
		Errors:  []switchboard.FieldError{{Path: "/label", Message: problem}},
	}
}
