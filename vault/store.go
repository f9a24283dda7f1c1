package vault

import (
	"context"
	"time"
)

// Store keeps the key ring and the sealed secrets for a [Vault]. It never
// sees plaintext or an unwrapped key: every byte slice it receives or
// returns is sealed. Every method that changes a secret also records a
// change in the store's change feed, in the same transaction.
//
// Secret returns a *switchboard.Error with CodeNotFound for a missing value;
// AddVaultKey and RotateVault return one with CodeConflict when the key
// version exists already. Any other error is a fault of the database.
// Implementations are safe for concurrent use.
type Store interface {
	// VaultKeys returns the key ring, oldest version first; an empty
	// store has none.
	VaultKeys(ctx context.Context) ([]KeyRecord, error)
	// AddVaultKey inserts a key version, or returns CodeConflict when
	// k.Version exists.
	AddVaultKey(ctx context.Context, k KeyRecord) error

	// Secret returns the sealed value of scope and name, or CodeNotFound.
	Secret(ctx context.Context, scope, name string) ([]byte, error)
	// PutSecret inserts or replaces the sealed value of scope and name.
	PutSecret(ctx context.Context, scope, name string, sealed []byte) error
	// CreateSecret inserts the sealed value of scope and name, or returns
	// CodeConflict and changes nothing when one is there: of concurrent
	// creations, one wins.
	CreateSecret(ctx context.Context, scope, name string, sealed []byte) error
	// DeleteSecret removes scope and name; it is not an error when absent.
	DeleteSecret(ctx context.Context, scope, name string) error
	// SecretNames returns the names that hold a value in scope, sorted.
	SecretNames(ctx context.Context, scope string) ([]string, error)

	// RotateVault inserts k and replaces every sealed value, of every
	// scope, with what rewrap returns for it, in one transaction: on any
	// error, from the database or from rewrap, nothing changes. A
	// concurrent PutSecret either commits before (and is rewrapped) or
	// after (and keeps what it wrote). rewrap is called from one goroutine
	// at a time, once per value (again if the transaction is retried); an
	// error from rewrap is returned wrapped, so errors.Is still finds it.
	RotateVault(ctx context.Context, k KeyRecord,
		rewrap func(scope, name string, sealed []byte) ([]byte, error)) error
}

// KeyRecord is one version of the key-encryption key, itself sealed by the
// master key. Versions start at 1 and only grow.
type KeyRecord struct {
	Version   uint32
	Wrapped   []byte
	CreatedAt time.Time
}
