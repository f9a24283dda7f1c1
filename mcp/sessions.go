package mcp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/identity"
)

// sessions ties MCP session ids to the principal that opened them: an id
// carries a MAC of its owner under a key of this process, so that another
// caller who learns it can neither send on the session nor end it. Every
// request is authenticated and authorized on its own anyway; this keeps one
// caller's answers out of another's stream.
type sessions struct {
	key []byte
}

// sessionPrefix starts every session id this server hands out.
const sessionPrefix = "sbs-"

var errForeignSession = errors.New("the session belongs to another caller")

func newSessions() *sessions {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand never fails
	return &sessions{key: key}
}

// id returns a new session id owned by p.
func (s *sessions) id(p switchboard.Principal) string {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	n := hex.EncodeToString(nonce)
	return sessionPrefix + n + "-" + s.mac(p, n)
}

func (s *sessions) mac(p switchboard.Principal, nonce string) string {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte(p.String() + "\x00" + nonce))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// owns reports whether id was handed out to p.
func (s *sessions) owns(p switchboard.Principal, id string) bool {
	rest, ok := strings.CutPrefix(id, sessionPrefix)
	if !ok {
		return false
	}
	nonce, mac, ok := strings.Cut(rest, "-")
	return ok && hmac.Equal([]byte(mac), []byte(s.mac(p, nonce)))
}

// ResolveSessionIdManager binds the streamable HTTP transport's session
// ids to the request's principal.
func (s *sessions) ResolveSessionIdManager(r *http.Request) mcpserver.SessionIdManager {
	if r == nil {
		// The idle sweeper: ids it sees were checked when they were used.
		return boundSessions{s: s}
	}
	return boundSessions{s: s, p: identity.FromContext(r.Context()), bound: true}
}

// boundSessions hands out and checks the ids of one request's principal.
type boundSessions struct {
	s     *sessions
	p     switchboard.Principal
	bound bool
}

func (b boundSessions) Generate() string { return b.s.id(b.p) }

func (b boundSessions) Validate(id string) (bool, error) {
	if !strings.HasPrefix(id, sessionPrefix) || b.bound && !b.s.owns(b.p, id) {
		return false, errForeignSession
	}
	return false, nil
}

func (b boundSessions) Terminate(id string) (bool, error) {
	_, err := b.Validate(id)
	return false, err
}

// guardSSE refuses a message posted to an SSE session that another
// principal opened, as if the session did not exist.
func (s *sessions) guardSSE(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.URL.Query().Get("sessionId"); r.Method == http.MethodPost && id != "" &&
			!s.owns(identity.FromContext(r.Context()), id) {
			http.Error(w, "no such session", http.StatusNotFound)
			return
		}
		next.ServeHTTP(w, r)
	})
}
