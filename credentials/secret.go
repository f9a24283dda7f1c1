package credentials

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/switchboard-dev/switchboard/registry"
)

// The vault scopes of what the manager seals. The name is the connection's
// id, or the hex SHA-256 of a state's token, so a sealed value moved to
// another row fails to open.
const (
	// VaultScope is the scope of connections' credentials.
	VaultScope = "connection"
	// StateScope is the scope of the PKCE verifiers of OAuth states.
	StateScope = "oauth_state"
)

// secret is a connection's credentials as sealed: OAuth tokens or the
// fields of a credential form. It never leaves the package.
type secret struct {
	AccessToken  string `json:"accessToken,omitempty"`
	RefreshToken string `json:"refreshToken,omitempty"`
	TokenType    string `json:"tokenType,omitempty"`
	Scope        string `json:"scope,omitempty"`
	// ObtainedAt is when the access token was issued; with ExpiresAt it
	// gives the token's lifetime, which bounds the refresh margin.
	ObtainedAt time.Time `json:"obtainedAt,omitzero"`
	// ExpiresAt is when the access token expires; zero is unknown.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	// Fields are a credential form's values, as submitted.
	Fields map[string]json.RawMessage `json:"fields,omitempty"`
}

// fromToken is the secret of a token response obtained at now.
func fromToken(t token, now time.Time) secret {
	s := secret{
		AccessToken:  t.AccessToken,
		RefreshToken: t.RefreshToken,
		TokenType:    t.TokenType,
		Scope:        t.Scope,
		ObtainedAt:   now,
	}
	if t.ExpiresIn > 0 {
		s.ExpiresAt = now.Add(t.ExpiresIn)
	}
	return s
}

// renewed is s after a refresh answered t at now: a response without a
// refresh token keeps the one s has.
func (s secret) renewed(t token, now time.Time) secret {
	next := fromToken(t, now)
	if next.RefreshToken == "" {
		next.RefreshToken = s.RefreshToken
	}
	if next.Scope == "" {
		next.Scope = s.Scope
	}
	return next
}

// expired reports whether the access token has expired at now.
func (s secret) expired(now time.Time) bool {
	return !s.ExpiresAt.IsZero() && !now.Before(s.ExpiresAt)
}

// usable reports whether s holds an access token that works at now.
func (s secret) usable(now time.Time) bool { return s.AccessToken != "" && !s.expired(now) }

// values returns what templates read of s: the form's fields, or the
// access token and its type.
func (s secret) values(kind Kind) map[string]string {
	if kind == KindCredentials {
		out := make(map[string]string, len(s.Fields))
		for name, raw := range s.Fields {
			var str string
			if json.Unmarshal(raw, &str) == nil {
				out[name] = str
			} else {
				out[name] = string(raw)
			}
		}
		return out
	}
	tokenType := s.TokenType
	if tokenType == "" {
		tokenType = "Bearer"
	}
	return map[string]string{
		registry.ConnectionAccessToken: s.AccessToken,
		registry.ConnectionTokenType:   tokenType,
	}
}

// seal seals s for connection id.
func (m *Manager) seal(id string, s secret) ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode credentials of connection %s: %w", id, err)
	}
	defer clear(b)
	sealed, err := m.vault.Seal(VaultScope, id, b)
	if err != nil {
		return nil, fmt.Errorf("seal credentials of connection %s: %w", id, err)
	}
	return sealed, nil
}

// open opens the credentials of sc.
func (m *Manager) open(ctx context.Context, sc StoredConnection) (secret, error) {
	b, err := m.vault.Open(ctx, VaultScope, sc.ID, sc.Sealed)
	if err != nil {
		return secret{}, fmt.Errorf("open credentials of connection %s: %w", sc.ID, err)
	}
	defer clear(b)
	var s secret
	if err := json.Unmarshal(b, &s); err != nil {
		// The error could quote the plaintext; say only what failed.
		return secret{}, fmt.Errorf("decode credentials of connection %s: malformed", sc.ID)
	}
	return s, nil
}

// stateName is the vault name of a state's verifier.
func stateName(hash []byte) string { return hex.EncodeToString(hash) }
