package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/switchboard-dev/switchboard"
)

// Vault is what the audit needs of the vault (package vault's *Vault has
// both methods): the secret its keys derive from. Get returns a
// *switchboard.Error with CodeNotFound when nothing is stored under scope and
// name.
type Vault interface {
	Get(ctx context.Context, scope, name string) ([]byte, error)
	// Create stores a value unless one is there, and then returns a
	// *switchboard.Error with CodeConflict.
	Create(ctx context.Context, scope, name string, plaintext []byte) error
}

// KeyScope and KeyName locate the audit key in the vault: 32 random bytes,
// created on first use, from which the keys of entry hashes and of input
// MACs derive. Losing it (or the master key) makes every chain unverifiable;
// replacing it makes every existing entry fail verification.
const (
	KeyScope = "system"
	KeyName  = "audit-key"
)

// keySize is the size in bytes of the audit key.
const keySize = 32

// ErrNoKey is returned by [Verify] when the store holds entries but the vault
// holds no audit key to check them with.
var ErrNoKey = errors.New("audit: the vault holds no audit key (" +
	KeyScope + "/" + KeyName + ")")

// keys are the two keys derived from the audit key, each for one purpose,
// so that a MAC of one kind can never pass for the other.
type keys struct {
	chain []byte // MACs entries
	input []byte // MACs canonical inputs
}

// Domain separation labels of the derived keys.
const (
	labelChain = "switchboard audit chain key v1"
	labelInput = "switchboard audit input key v1"
)

// loadKeys reads the audit key from v and derives the keys. When the key is
// absent it creates one from rand if create is set, and otherwise returns
// [ErrNoKey]. The audit key itself is cleared once the keys are derived.
func loadKeys(ctx context.Context, v Vault, rand io.Reader, create bool) (*keys, error) {
	seed, err := v.Get(ctx, KeyScope, KeyName)
	if switchboard.ErrorCode(err) == switchboard.CodeNotFound {
		if !create {
			return nil, ErrNoKey
		}
		seed, err = createKey(ctx, v, rand)
	}
	if err != nil {
		return nil, fmt.Errorf("read audit key: %w", err)
	}
	defer clear(seed)
	if len(seed) != keySize {
		return nil, fmt.Errorf("read audit key: it is %d bytes, want %d", len(seed), keySize)
	}
	return &keys{chain: derive(seed, labelChain), input: derive(seed, labelInput)}, nil
}

// createKey stores a new audit key unless another process stored one
// first, and returns the key the vault then holds: processes that start
// together on a fresh store agree on one key.
func createKey(ctx context.Context, v Vault, rand io.Reader) ([]byte, error) {
	seed := make([]byte, keySize)
	defer clear(seed)
	if _, err := io.ReadFull(rand, seed); err != nil {
		return nil, fmt.Errorf("create audit key: %w", err)
	}
	err := v.Create(ctx, KeyScope, KeyName, seed)
	if err != nil && switchboard.ErrorCode(err) != switchboard.CodeConflict {
		return nil, fmt.Errorf("create audit key: %w", err)
	}
	return v.Get(ctx, KeyScope, KeyName)
}

// derive returns HMAC-SHA256(seed, label).
func derive(seed []byte, label string) []byte {
	m := hmac.New(sha256.New, seed)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// inputMAC returns the hex HMAC of input's canonical form (see
// [Log.InputMAC]).
func (k *keys) inputMAC(input []byte) string {
	c, ok := canonical(input)
	if c == nil && ok {
		return "" // no input
	}
	m := hmac.New(sha256.New, k.input)
	if ok {
		m.Write([]byte("json\x00"))
	} else {
		m.Write([]byte("raw\x00")) // not JSON: its bytes as they are
	}
	m.Write(c)
	return hex.EncodeToString(m.Sum(nil))
}
