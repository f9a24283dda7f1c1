package vault

import (
	"context"
	"time"
)

// Store keeps the key ring and the sealed secrets. It never sees plaintext.
// Every method that changes a secret also records a change in the store's
// change feed, in the same transaction.
//
// Secret returns a *switchboard.Error with CodeNotFound for a missing value;
// AddKey returns one with CodeConflict when the version exists.
type Store interface {
	// VaultKeys returns the key ring, oldest version first.
	VaultKeys(ctx context.Context) ([]KeyRecord, error)
	// AddVaultKey inserts a key version.
	AddVaultKey(ctx context.Context, k KeyRecord) error

	// Secret returns the sealed value of scope and name.
	Secret(ctx context.Context, scope, name string) ([]byte, error)
	// PutSecret inserts or replaces the sealed value of scope and name.
	PutSecret(ctx context.Context, scope, name string, sealed []byte) error
	// DeleteSecret removes scope and name; it is not an error when absent.
	DeleteSecret(ctx context.Context, scope, name string) error
	// SecretNames returns the names that hold a value in scope, sorted.
	SecretNames(ctx context.Context, scope string) ([]string, error)

	// RotateVault inserts k and replaces every sealed value with what
	// rewrap returns for it, in one transaction: on any error nothing
	// changes.
	RotateVault(ctx context.Context, k KeyRecord,
		rewrap func(scope, name string, sealed []byte) ([]byte, error)) error
}

// KeyRecord is one version of the key-encryption key, itself sealed by the
// master key.
type KeyRecord struct {
	Version   uint32
	Wrapped   []byte
	CreatedAt time.Time
}
