package delegation_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/require"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
	"github.com/switchboard-dev/switchboard/delegation"
	"github.com/switchboard-dev/switchboard/rbac"
	"github.com/switchboard-dev/switchboard/store/sqlite"
	"github.com/switchboard-dev/switchboard/vault"
)

const (
	issuer = "https://switchboard.example.com"
	send   = "integration:slack:send_message"
	list   = "integration:slack:list_channels"
)

var (
	t0        = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	masterKey = bytes.Repeat([]byte{7}, 32)
	alice     = switchboard.Principal{Kind: switchboard.KindUser, ID: "alice"}
	bob       = switchboard.Principal{Kind: switchboard.KindUser, ID: "bob"}
	bot       = switchboard.Principal{Kind: switchboard.KindAgent, ID: "bot"}
)

type clock struct {
	mu sync.Mutex
	at time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.at }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(d)
}

// auditor keeps the entries recorded.
type auditor struct {
	mu      sync.Mutex
	entries []audit.Entry
}

func (a *auditor) Record(_ context.Context, e audit.Entry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries = append(a.entries, e)
	return nil
}

type env struct {
	db    *sqlite.DB
	path  string
	vault *vault.Vault
	rbac  *rbac.Authorizer
	clock *clock
	audit *auditor
	svc   *delegation.Service
}

// newEnv opens a store where alice and bot may post to Slack and alice
// may also list channels.
func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "switchboard.db")
	db, err := sqlite.Open(ctx, sqlite.Config{Path: path})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	v, err := vault.New(ctx, vault.Config{Store: db, MasterKey: masterKey})
	require.NoError(t, err)
	c := &clock{at: t0}
	a, err := rbac.New(ctx, rbac.Config{Store: db, Now: c.Now})
	require.NoError(t, err)
	for _, r := range []rbac.Role{
		{Name: "poster", Permissions: []string{send}},
		{Name: "lister", Permissions: []string{list}},
	} {
		_, err := a.CreateRole(ctx, r)
		require.NoError(t, err)
	}
	for _, as := range [][2]string{{"user:alice", "poster"}, {"user:alice", "lister"},
		{"agent:bot", "poster"}, {"user:bob", "poster"}} {
		require.NoError(t, a.Assign(ctx, as[0], as[1]))
	}
	e := &env{db: db, path: path, vault: v, rbac: a, clock: c, audit: &auditor{}}
	e.svc = e.service(t, issuer)
	return e
}

// service is another Service on e's store: another process.
func (e *env) service(t testing.TB, iss string) *delegation.Service {
	t.Helper()
	s, err := delegation.New(delegation.Config{Store: e.db, Vault: e.vault, Authority: e.rbac,
		Issuer: iss, Auditor: e.audit, Now: e.clock.Now})
	require.NoError(t, err)
	return s
}

func (e *env) issue(t testing.TB, r delegation.Request) delegation.Issued {
	t.Helper()
	if r.User.IsZero() {
		r.User = alice
	}
	if r.Agent.IsZero() {
		r.Agent = bot
	}
	if r.Scope == nil {
		r.Scope = []string{send}
	}
	if r.Via == "" {
		r.Via = delegation.ViaAPI
	}
	issued, err := e.svc.Issue(t.Context(), r)
	require.NoError(t, err)
	return issued
}

// refused fails t unless err is an unauthenticated error whose message
// holds want and asks for a new delegation.
func refused(t *testing.T, err error, want string) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, switchboard.CodeUnauthenticated, switchboard.ErrorCode(err), "%v", err)
	msg := switchboard.AsError(err).Message
	require.Contains(t, msg, want)
	require.Contains(t, msg, "new delegation")
}

func TestIssueAndVerify(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	issued := e.issue(t, delegation.Request{Scope: []string{send, list, send}, TTL: 20 * time.Minute})
	require.Equal(t, []string{list, send}, issued.Scope, "sorted, without duplicates")
	require.Equal(t, t0.Add(20*time.Minute), issued.ExpiresAt)
	require.True(t, delegation.Recognizes(issued.Token))

	agent, d, err := e.svc.Verify(t.Context(), issued.Token)
	require.NoError(t, err)
	require.Equal(t, bot, agent)
	require.Equal(t, switchboard.Delegation{ID: issued.JTI, User: alice, Scope: []string{list, send}}, d)

	// The claims say what the issue asks: sub the user, act.sub the agent.
	tok, err := jwt.ParseSigned(issued.Token, []jose.SignatureAlgorithm{jose.EdDSA})
	require.NoError(t, err)
	var c map[string]any
	require.NoError(t, tok.UnsafeClaimsWithoutVerification(&c))
	require.Equal(t, "user:alice", c["sub"])
	require.Equal(t, map[string]any{"sub": "agent:bot"}, c["act"])
	require.Equal(t, list+" "+send, c["scope"])
	require.Equal(t, issuer, c["iss"])
	require.Equal(t, issuer, c["aud"])
	require.Equal(t, issued.JTI, c["jti"])
	require.NotEmpty(t, tok.Headers[0].KeyID)

	require.Len(t, e.audit.entries, 2, "the first key, then the delegation")
	require.Equal(t, audit.EventDelegationKey, e.audit.entries[0].Event)
	got := e.audit.entries[1]
	require.Equal(t, audit.EventDelegationIssue, got.Event)
	require.Equal(t, map[string]string{"delegation": issued.JTI, "user": "user:alice",
		"agent": "agent:bot", "scope": list + " " + send, "ttl": "20m0s", "via": "api"}, got.Detail)
	for _, entry := range e.audit.entries {
		for _, v := range entry.Detail {
			require.NotContains(t, issued.Token, v+".", "no part of the token is recorded")
		}
	}
}

func TestVerifyRefuses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	good := e.issue(t, delegation.Request{})
	header, rest, _ := strings.Cut(good.Token, ".")
	payload, sig, _ := strings.Cut(rest, ".")

	// A key the server never made, signing claims that are otherwise right.
	_, stranger, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	forge := func(kid string, key any, alg jose.SignatureAlgorithm, mutate func(*jwt.Claims)) string {
		opts := (&jose.SignerOptions{}).WithType(delegation.TokenType).WithHeader("kid", kid)
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
		require.NoError(t, err)
		c := jwt.Claims{Issuer: issuer, Audience: jwt.Audience{issuer}, Subject: "user:alice",
			ID: good.JTI, IssuedAt: jwt.NewNumericDate(t0), NotBefore: jwt.NewNumericDate(t0),
			Expiry: jwt.NewNumericDate(t0.Add(time.Hour))}
		if mutate != nil {
			mutate(&c)
		}
		tok, err := jwt.Signed(signer).Claims(c).Claims(map[string]any{
			"act": map[string]string{"sub": "agent:bot"}, "scope": send}).Serialize()
		require.NoError(t, err)
		return tok
	}
	kid := func() string {
		tok, err := jwt.ParseSigned(good.Token, []jose.SignatureAlgorithm{jose.EdDSA})
		require.NoError(t, err)
		return tok.Headers[0].KeyID
	}()
	// flip changes one base64url character into another.
	flip := func(s string) string {
		b := []byte(s)
		if b[len(b)/2] == 'A' {
			b[len(b)/2] = 'B'
		} else {
			b[len(b)/2] = 'A'
		}
		return string(b)
	}
	tests := []struct {
		name  string
		token string
		want  string
	}{
		{"tampered signature", header + "." + payload + "." + flip(sig), "signature"},
		{"tampered claims", header + "." + flip(payload) + "." + sig, ""},
		{"unknown kid", forge("no-such-key", stranger, jose.EdDSA, nil), "unknown key"},
		{"right kid, wrong key", forge(kid, stranger, jose.EdDSA, nil), "signature"},
		{"no kid", forge("", stranger, jose.EdDSA, nil), "kid"},
		{"HS256", forge(kid, bytes.Repeat([]byte{1}, 32), jose.HS256, nil), "EdDSA"},
		{"alg none", "eyJhbGciOiJub25lIiwidHlwIjoic3dpdGNoYm9hcmQtZGVsZWdhdGlvbitqd3QifQ." +
			payload + ".", "EdDSA"},
		{"garbage", "a.b.c", ""},
		{"too long", strings.Repeat("a", 20000) + ".b.c", "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := e.svc.Verify(t.Context(), tt.token)
			refused(t, err, tt.want)
		})
	}
}

func TestVerifyChecksTimeAudienceAndIssuer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	issued := e.issue(t, delegation.Request{TTL: 10 * time.Minute})

	// Another installation on the same store (same keys) is another
	// audience and issuer.
	other := e.service(t, "https://other.example.com")
	_, _, err := other.Verify(ctx, issued.Token)
	refused(t, err, "another server (iss)")

	// Issued in the future: not valid yet.
	e.clock.Add(time.Hour)
	future := e.issue(t, delegation.Request{})
	e.clock.Add(-time.Hour)
	_, _, err = e.svc.Verify(ctx, future.Token)
	refused(t, err, "not valid yet")

	// Valid to the end of the leeway, then expired.
	e.clock.Add(10*time.Minute + delegation.Leeway)
	_, _, err = e.svc.Verify(ctx, issued.Token)
	require.NoError(t, err)
	e.clock.Add(time.Second)
	_, _, err = e.svc.Verify(ctx, issued.Token)
	refused(t, err, "expired")
}

func TestAudienceIsChecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Same issuer, another audience: a token for one resource is not good
	// at another.
	s, err := delegation.New(delegation.Config{Store: e.db, Vault: e.vault, Authority: e.rbac,
		Issuer: issuer, Audience: issuer + "/elsewhere", Now: e.clock.Now})
	require.NoError(t, err)
	issued := e.issue(t, delegation.Request{})
	_, _, err = s.Verify(t.Context(), issued.Token)
	refused(t, err, "(aud)")
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	issued := e.issue(t, delegation.Request{})
	other := e.issue(t, delegation.Request{})

	_, err := e.svc.Revoke(ctx, bob, issued.JTI, false)
	require.Equal(t, switchboard.CodeNotFound, switchboard.ErrorCode(err), "bob learns nothing")
	_, err = e.svc.Revoke(ctx, alice, "no-such", false)
	require.Equal(t, switchboard.CodeNotFound, switchboard.ErrorCode(err))

	rec, err := e.svc.Revoke(ctx, alice, issued.JTI, false)
	require.NoError(t, err)
	require.Equal(t, t0, rec.RevokedAt)
	// Another process sees it at once: nothing is cached.
	_, _, err = e.service(t, issuer).Verify(ctx, issued.Token)
	refused(t, err, "revoked")
	_, _, err = e.svc.Verify(ctx, other.Token)
	require.NoError(t, err, "only that delegation")

	_, err = e.svc.Revoke(ctx, bot, other.JTI, false)
	require.NoError(t, err, "the agent may give a delegation up")
	_, err = e.svc.Revoke(ctx, alice, other.JTI, false)
	require.NoError(t, err, "revoking twice is not an error")

	third := e.issue(t, delegation.Request{})
	_, err = e.svc.Revoke(ctx, bob, third.JTI, true)
	require.NoError(t, err, "an administrator may")
}

func TestRemovePrincipalRevokesGivenAndReceived(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	fromAlice := e.issue(t, delegation.Request{})
	fromBob := e.issue(t, delegation.Request{User: bob})
	n, err := e.svc.RemovePrincipal(ctx, alice)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, _, err = e.svc.Verify(ctx, fromAlice.Token)
	refused(t, err, "revoked")
	_, _, err = e.svc.Verify(ctx, fromBob.Token)
	require.NoError(t, err)

	n, err = e.svc.RemovePrincipal(ctx, bot)
	require.NoError(t, err)
	require.Equal(t, 1, n, "what the agent received")
	_, _, err = e.svc.Verify(ctx, fromBob.Token)
	refused(t, err, "revoked")
}

func TestIssueWarnsOfWhatTheAgentLacks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	issued := e.issue(t, delegation.Request{Scope: []string{send, list}})
	require.Equal(t, []string{"agent:bot does not hold " + list +
		" itself: calls that need it are refused until it does"}, issued.Warnings)
	require.Empty(t, e.issue(t, delegation.Request{}).Warnings)
}

func TestIssueRefuses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name  string
		req   delegation.Request
		code  switchboard.Code
		paths []string
	}{
		{"scope the user lacks", delegation.Request{User: alice, Agent: bot,
			Scope: []string{send, "integration:github:create_issue", "integration:slack:*"}, Via: delegation.ViaAPI},
			switchboard.CodeForbidden, []string{"scope[1]", "scope[2]"}},
		{"everything wrong at once", delegation.Request{User: bot, Agent: alice,
			Scope: []string{"Not A Key"}, TTL: 2 * time.Hour, Via: "carrier pigeon"},
			switchboard.CodeInvalidInput, []string{"user", "agent", "scope[0]", "ttl", "via"}},
		{"no scope, no agent", delegation.Request{User: alice, Via: delegation.ViaAPI},
			switchboard.CodeInvalidInput, []string{"agent", "scope"}},
		{"too short", delegation.Request{User: alice, Agent: bot, Scope: []string{send},
			TTL: time.Second, Via: delegation.ViaAPI}, switchboard.CodeInvalidInput, []string{"ttl"}},
		{"too many keys", delegation.Request{User: alice, Agent: bot,
			Scope: make([]string, delegation.MaxScope+1), Via: delegation.ViaAPI},
			switchboard.CodeInvalidInput, []string{"scope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.Issue(t.Context(), tt.req)
			require.Equal(t, tt.code, switchboard.ErrorCode(err), "%v", err)
			var paths []string
			for _, fe := range switchboard.AsError(err).Errors {
				paths = append(paths, fe.Path)
			}
			for _, p := range tt.paths {
				require.Contains(t, paths, p)
			}
		})
	}
	_, err := e.svc.Issue(t.Context(), delegation.Request{User: alice, Agent: bot,
		Scope: []string{"integration:github:create_issue"}, Via: delegation.ViaAPI})
	require.Contains(t, switchboard.AsError(err).Message, "integration:github:create_issue")
	list, err := e.svc.List(t.Context(), alice)
	require.NoError(t, err)
	require.Empty(t, list, "nothing refused was stored")
}

func TestRotateKeepsLiveTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	before := e.issue(t, delegation.Request{})
	kidOf := func(token string) string {
		tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.EdDSA})
		require.NoError(t, err)
		return tok.Headers[0].KeyID
	}

	// Another process rotates; this one signs with the new key from then
	// on and verifies both.
	newKey, err := e.service(t, issuer).RotateKey(ctx)
	require.NoError(t, err)
	after := e.issue(t, delegation.Request{})
	require.Equal(t, newKey.ID, kidOf(after.Token))
	require.NotEqual(t, kidOf(before.Token), kidOf(after.Token))
	for _, tok := range []string{before.Token, after.Token} {
		_, _, err := e.svc.Verify(ctx, tok)
		require.NoError(t, err)
	}
	// A third process that has read no key yet finds the new one.
	_, _, err = e.service(t, issuer).Verify(ctx, after.Token)
	require.NoError(t, err)

	// Once every token the old key signed has expired, a later rotation
	// removes it with its private half.
	e.clock.Add(delegation.DefaultMaxTTL + 25*time.Hour)
	_, err = e.svc.RotateKey(ctx)
	require.NoError(t, err)
	keys, err := e.db.DelegationKeys(ctx)
	require.NoError(t, err)
	require.Len(t, keys, 2, "the newest and the one it replaced")
	names, err := e.vault.Names(ctx, delegation.VaultScope)
	require.NoError(t, err)
	require.Len(t, names, 2)
	require.NotContains(t, names, kidOf(before.Token))
}

func TestSigningKeyStaysSealed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	issued := e.issue(t, delegation.Request{})
	tok, err := jwt.ParseSigned(issued.Token, []jose.SignatureAlgorithm{jose.EdDSA})
	require.NoError(t, err)
	seed, err := e.vault.Get(ctx, delegation.VaultScope, tok.Headers[0].KeyID)
	require.NoError(t, err)
	require.Len(t, seed, ed25519.SeedSize)
	require.NoError(t, e.db.Close())
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(e.path + suffix)
		if os.IsNotExist(err) {
			continue
		}
		require.NoError(t, err)
		require.False(t, bytes.Contains(b, seed), "the seed is in %s in plaintext", e.path+suffix)
		require.False(t, bytes.Contains(b, []byte(issued.Token)), "no token is stored")
	}
}

func TestConcurrentFirstIssue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Two processes issue at once on a store with no key yet: every token
	// verifies on both.
	svcs := []*delegation.Service{e.svc, e.service(t, issuer)}
	var wg sync.WaitGroup
	tokens := make([]string, 8)
	errs := make([]error, 8)
	for i := range tokens {
		wg.Go(func() {
			issued, err := svcs[i%2].Issue(t.Context(), delegation.Request{User: alice, Agent: bot,
				Scope: []string{send}, Via: delegation.ViaAPI})
			tokens[i], errs[i] = issued.Token, err
		})
	}
	wg.Wait()
	for i, tok := range tokens {
		require.NoError(t, errs[i])
		for _, s := range svcs {
			_, _, err := s.Verify(t.Context(), tok)
			require.NoError(t, err)
		}
	}
}

func TestParseTTL(t *testing.T) {
	t.Parallel()
	d, err := delegation.ParseTTL("ttl", "15m")
	require.NoError(t, err)
	require.Equal(t, 15*time.Minute, d)
	d, err = delegation.ParseTTL("ttl", "")
	require.NoError(t, err)
	require.Zero(t, d)
	for _, bad := range []string{"15", "-1m", "0s", "soon"} {
		_, err := delegation.ParseTTL("ttl", bad)
		require.Equal(t, switchboard.CodeInvalidInput, switchboard.ErrorCode(err), bad)
		require.Equal(t, "ttl", switchboard.AsError(err).Errors[0].Path)
	}
}
