package vault

import (
	"context"
	"fmt"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/registry"
)

// ScopePlatform is the scope of platform secrets: credentials shared by the
// whole installation under a platform-wide name, such as SLACK_BOT_TOKEN.
const ScopePlatform = "platform"

// Put seals plaintext for scope and name and stores it, replacing any value
// there. Only the sealed bytes reach the store. Errors are those of
// [Vault.Seal] and of the store.
func (v *Vault) Put(ctx context.Context, scope, name string, plaintext []byte) error {
	sealed, err := v.Seal(scope, name, plaintext)
	if err != nil {
		return err
	}
	defer v.cache.forget(cacheKey(scope, name))
	if err := v.store.PutSecret(ctx, scope, name, sealed); err != nil {
		return fmt.Errorf("store secret %s/%s: %w", scope, name, err)
	}
	return nil
}

// Create seals plaintext for scope and name and stores it unless a value is
// there already, in which case it returns a *switchboard.Error with
// CodeConflict and changes nothing: processes that race to create one
// value (a key made on first start) agree on the winner's.
func (v *Vault) Create(ctx context.Context, scope, name string, plaintext []byte) error {
	sealed, err := v.Seal(scope, name, plaintext)
	if err != nil {
		return err
	}
	defer v.cache.forget(cacheKey(scope, name))
	if err := v.store.CreateSecret(ctx, scope, name, sealed); err != nil {
		if switchboard.ErrorCode(err) == switchboard.CodeConflict {
			return err
		}
		return fmt.Errorf("store secret %s/%s: %w", scope, name, err)
	}
	return nil
}

// Get returns the plaintext of scope and name. A missing value is a
// *switchboard.Error with CodeNotFound naming scope and name; a value that
// does not open is an error matching [ErrDecrypt]. The caller owns the
// returned plaintext and should keep it no longer than it needs it.
func (v *Vault) Get(ctx context.Context, scope, name string) ([]byte, error) {
	if err := checkID(scope, name); err != nil {
		return nil, err
	}
	key := cacheKey(scope, name)
	sealed, gen := v.cache.get(key)
	if sealed == nil {
		var err error
		if sealed, err = v.store.Secret(ctx, scope, name); err != nil {
			return nil, readErr(scope, name, err)
		}
		v.cache.add(key, sealed, gen)
	}
	return v.Open(ctx, scope, name, sealed)
}

func readErr(scope, name string, err error) error {
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
		return &switchboard.Error{
			Code:    switchboard.CodeNotFound,
			Message: fmt.Sprintf("secret %s in scope %s is not set", name, scope),
			Cause:   err,
		}
	}
	return fmt.Errorf("read secret %s/%s: %w", scope, name, err)
}

// Delete removes the value of scope and name; it is not an error when
// there is none. Errors are those of the store.
func (v *Vault) Delete(ctx context.Context, scope, name string) error {
	if err := checkID(scope, name); err != nil {
		return err
	}
	defer v.cache.forget(cacheKey(scope, name))
	if err := v.store.DeleteSecret(ctx, scope, name); err != nil {
		return fmt.Errorf("delete secret %s/%s: %w", scope, name, err)
	}
	return nil
}

// Names returns the names that hold a value in scope, sorted. It opens
// nothing: a name is listed even when its value would not decrypt.
func (v *Vault) Names(ctx context.Context, scope string) ([]string, error) {
	if scope == "" {
		return nil, switchboard.Errorf(switchboard.CodeInvalidInput, "secret scope is empty")
	}
	names, err := v.store.SecretNames(ctx, scope)
	if err != nil {
		return nil, fmt.Errorf("list secrets of %s: %w", scope, err)
	}
	return names, nil
}

// PutPlatformSecret seals value and stores it as the platform secret name,
// replacing any value there. See [Vault.Put].
func (v *Vault) PutPlatformSecret(ctx context.Context, name string, value []byte) error {
	return v.Put(ctx, ScopePlatform, name, value)
}

// DeletePlatformSecret removes the platform secret name; it is not an error
// when there is none.
func (v *Vault) DeletePlatformSecret(ctx context.Context, name string) error {
	return v.Delete(ctx, ScopePlatform, name)
}

// PlatformSecretWrite seals value as the platform secret name and returns
// it as a write for a store to make in a transaction of its own, such as
// the one that writes an integration's config; with a nil value it returns
// the write that deletes name. Nothing is stored. Since the write bypasses
// this vault, call [Vault.ForgetPlatformSecrets] once it is done. Errors
// are those of [Vault.Seal].
func (v *Vault) PlatformSecretWrite(name string, value []byte) (registry.SecretWrite, error) {
	if value == nil {
		if err := checkID(ScopePlatform, name); err != nil {
			return registry.SecretWrite{}, err
		}
		return registry.SecretWrite{Scope: ScopePlatform, Name: name}, nil
	}
	sealed, err := v.Seal(ScopePlatform, name, value)
	if err != nil {
		return registry.SecretWrite{}, err
	}
	return registry.SecretWrite{Scope: ScopePlatform, Name: name, Sealed: sealed}, nil
}

// ForgetPlatformSecrets drops this vault's cached sealed values of the
// platform secrets names, so that the next read of each goes to the store.
// Call it after a write that bypassed the vault (a [registry.SecretWrite])
// has committed, or may have; a read racing with it never caches the value
// the write replaced.
func (v *Vault) ForgetPlatformSecrets(names ...string) {
	for _, name := range names {
		v.cache.forget(cacheKey(ScopePlatform, name))
	}
}

// PlatformSecretNames returns the names of the platform secrets that hold a
// value, sorted, without opening any.
func (v *Vault) PlatformSecretNames(ctx context.Context) ([]string, error) {
	return v.Names(ctx, ScopePlatform)
}

// PlatformSecret returns the plaintext of the platform secret name, with the
// errors of [Vault.Get]: CodeNotFound when it is not set, [ErrDecrypt] when
// it does not open.
func (v *Vault) PlatformSecret(ctx context.Context, name string) ([]byte, error) {
	return v.Get(ctx, ScopePlatform, name)
}
