package identity

import (
	"context"
	"time"
)

// Store keeps API keys, hashed. APIKeyByHash returns a *switchboard.Error
// with CodeNotFound when no key has the hash.
type Store interface {
	CreateAPIKey(ctx context.Context, k APIKey) error
	APIKeyByHash(ctx context.Context, hash []byte) (APIKey, error)
	CountAPIKeys(ctx context.Context) (int, error)
}

// APIKey is a stored key: never the key itself, only its SHA-256.
type APIKey struct {
	ID        string
	Principal string
	Name      string
	Hash      []byte
	CreatedAt time.Time
}
