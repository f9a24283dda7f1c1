package delegation

import (
	"context"
	"crypto/ed25519"
	"time"
)

// Key is one signing key of delegation tokens. Its private half is a vault
// secret of scope [VaultScope] named by the key's id; the store keeps the
// public half.
type Key struct {
	// ID is the key's id, the kid of the tokens it signs.
	ID     string
	Public ed25519.PublicKey
	// CreatedAt orders keys: the newest one that is not retired signs.
	CreatedAt time.Time
	// RetiredAt is when a newer key replaced this one; zero while it
	// signs. A retired key still verifies the tokens it signed until they
	// have all expired.
	RetiredAt time.Time
}

// Record is an issued delegation token, as the store keeps it: never the
// token itself.
type Record struct {
	// JTI is the token's id (its jti claim).
	JTI string
	// User is who delegates ("user:alice"), Agent who acts ("agent:bot").
	User  string
	Agent string
	// Scope is the permission keys the token may use, sorted.
	Scope []string
	// UserRoles are roles the user's own token claimed when the delegation
	// was issued (a login's JWT); checks of the user's authority grant
	// them too.
	UserRoles []string
	// Via says how it was issued: [ViaAPI], [ViaExchange] or [ViaCLI].
	Via       string
	IssuedAt  time.Time
	ExpiresAt time.Time
	// RevokedAt is when it was revoked; zero while it is live.
	RevokedAt time.Time
}

// Store keeps signing keys and issued delegations.
//
// Methods return a *switchboard.Error with CodeNotFound or CodeConflict
// where they say so; any other error is a fault of the database. Times come
// back in UTC, to the microsecond. Implementations are safe for concurrent
// use by several processes.
type Store interface {
	// DelegationKeys returns every signing key, newest first.
	DelegationKeys(ctx context.Context) ([]Key, error)
	// AddDelegationKey stores k and, in the same transaction, retires at
	// k.CreatedAt every other key that is not retired yet. It returns
	// CodeConflict when k.ID exists.
	AddDelegationKey(ctx context.Context, k Key) error
	// DeleteDelegationKeys removes the keys retired before before, and
	// returns their ids.
	DeleteDelegationKeys(ctx context.Context, before time.Time) ([]string, error)

	// InsertDelegation stores r, and removes every record that expired
	// before r.IssuedAt minus a day. It returns CodeConflict when r.JTI
	// exists.
	InsertDelegation(ctx context.Context, r Record) error
	// Delegation returns the record of jti, or CodeNotFound.
	Delegation(ctx context.Context, jti string) (Record, error)
	// Delegations returns the records principal issued (User) or received
	// (Agent) that had not expired at now, revoked or not, newest first.
	Delegations(ctx context.Context, principal string, now time.Time) ([]Record, error)
	// RevokeDelegation sets the RevokedAt of jti to at unless it is set
	// already, and returns the record as it now is, or CodeNotFound.
	RevokeDelegation(ctx context.Context, jti string, at time.Time) (Record, error)
	// RevokeDelegationsOf revokes at at every live record principal issued
	// or received, and returns how many it revoked.
	RevokeDelegationsOf(ctx context.Context, principal string, at time.Time) (int, error)
}
