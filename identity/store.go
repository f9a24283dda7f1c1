package identity

import (
	"context"
	"time"
)

// Store keeps API keys, hashed. Methods that change a key (create and
// delete) record an "api_key" change in the change feed, in the same
// transaction; [Store.TouchAPIKey] records none.
type Store interface {
	// CreateAPIKey stores k. It returns CodeConflict when a key with k's id
	// or hash exists.
	CreateAPIKey(ctx context.Context, k APIKey) error
	// APIKeyByHash returns the key whose SHA-256 is hash, or CodeNotFound.
	// It is the read of every request: it may leave LastUsedAt nil.
	APIKeyByHash(ctx context.Context, hash []byte) (APIKey, error)
	// CountAPIKeys returns how many keys are stored.
	CountAPIKeys(ctx context.Context) (int, error)
	// ListAPIKeys returns the keys of principal ("kind:id"), or every key
	// when principal is "", oldest first (ties by id), LastUsedAt included.
	ListAPIKeys(ctx context.Context, principal string) ([]APIKey, error)
	// DeleteAPIKey deletes the key with id, or returns CodeNotFound.
	DeleteAPIKey(ctx context.Context, id string) error
	// DeleteAPIKeysOf deletes every key of principal and returns how many
	// it deleted, recording one change per key; none is not an error.
	DeleteAPIKeysOf(ctx context.Context, principal string) (int, error)
	// TouchAPIKey sets the key's LastUsedAt to at unless it is later
	// already, and records no change: it is bookkeeping, and a change makes
	// every process rebuild its state. A key that no longer exists is not
	// an error.
	TouchAPIKey(ctx context.Context, id string, at time.Time) error
}

// APIKey is a stored key: never the key itself, only its SHA-256.
type APIKey struct {
	ID        string
	Principal string
	Name      string
	Hash      []byte
	CreatedAt time.Time
	// LastUsedAt is when the key last authenticated a request, to within
	// the precision [Authenticator] documents; nil when it never has (or
	// has not since last-use tracking began).
	LastUsedAt *time.Time
}
