package vault

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/internal/logkey"
	"github.com/switchboard-dev/switchboard/registry"
)

// The registry stores platform secrets through the vault, and seals those
// that a config change writes in the store's own transaction.
var (
	_ registry.Secrets = (*Vault)(nil)
)

// KeySize is the size in bytes of the master key, of every key-encryption
// key and of every data key.
const KeySize = 32

// ErrWrongMasterKey is returned by [New], and by any method that reloads the
// key ring, when a key version does not open under the master key. Nothing
// in the store is changed when it is returned.
var ErrWrongMasterKey = errors.New("vault: the master key does not open the key ring " +
	"(SWITCHBOARD_MASTER_KEY or <data>/master.key is not the one this store was " +
	"created with)")

// ErrDecrypt is returned for every sealed value that does not open: tampered,
// truncated, moved to another scope or name, or sealed under a key version
// the store does not hold. It says nothing more, on purpose.
var ErrDecrypt = errors.New("vault: cannot decrypt value")

// Config configures a [Vault]. Store and MasterKey are required; the other
// fields have working zero values.
type Config struct {
	// Store keeps the key ring and the sealed values.
	Store Store
	// MasterKey seals the key ring; exactly [KeySize] bytes. New copies it.
	MasterKey []byte
	// Rand supplies keys and nonces; crypto/rand.Reader when nil. It must be
	// safe for concurrent use.
	Rand io.Reader
	// Now stamps new key versions; time.Now when nil.
	Now func() time.Time
	// Logger receives key ring events, never a key or a value; nothing is
	// logged when nil.
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

func (c *Config) validate() error {
	if c.Store == nil {
		return errors.New("vault: store is nil")
	}
	if len(c.MasterKey) != KeySize {
		return fmt.Errorf("vault: master key is %d bytes, want %d", len(c.MasterKey), KeySize)
	}
	return nil
}

// Vault seals and opens secrets under a key ring kept in a [Store]. It is
// safe for concurrent use, and several processes may share one store.
type Vault struct {
	store  Store
	master cipher.AEAD
	rand   io.Reader
	now    func() time.Time
	log    *slog.Logger

	mu      sync.RWMutex // guards keys and current
	keys    map[uint32]cipher.AEAD
	current uint32

	reloadMu sync.Mutex // one reload of the ring at a time
	rotateMu sync.Mutex // one rotation at a time in this process

	cache sealedCache
}

// Flush forgets the sealed values the vault has cached, so that the next
// read of each goes to the store. Call it when another process may have
// changed a secret (the change feed moved); writes through this vault need
// no flush.
func (v *Vault) Flush() { v.cache.flush() }

// New returns a Vault on cfg.Store after applying defaults and validating
// cfg. It loads the key ring; on an empty store it creates key version 1,
// and when another process creates it at the same moment it uses theirs.
// When a version of the ring does not open under cfg.MasterKey, New returns
// an error matching [ErrWrongMasterKey] and changes nothing in the store.
func New(ctx context.Context, cfg Config) (*Vault, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	master, err := newGCM(cfg.MasterKey)
	if err != nil {
		return nil, fmt.Errorf("vault: master key: %w", err)
	}

	v := &Vault{
		store:  cfg.Store,
		master: master,
		rand:   cfg.Rand,
		now:    cfg.Now,
		log:    cfg.Logger,
		keys:   make(map[uint32]cipher.AEAD),
	}
	if err := v.load(ctx); err != nil {
		return nil, err
	}
	return v, nil
}

// KeyVersion returns the key version that [Vault.Seal] uses now: the newest
// this process knows.
func (v *Vault) KeyVersion() uint32 {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.current
}

// load reads the ring, creating version 1 on an empty store.
func (v *Vault) load(ctx context.Context) error {
	recs, err := v.store.VaultKeys(ctx)
	if err != nil {
		return fmt.Errorf("load key ring: %w", err)
	}
	if len(recs) == 0 {
		if recs, err = v.createRing(ctx); err != nil {
			return err
		}
	}
	return v.merge(recs)
}

func (v *Vault) createRing(ctx context.Context) ([]KeyRecord, error) {
	rec, _, err := v.newKey(1)
	if err != nil {
		return nil, err
	}
	err = v.store.AddVaultKey(ctx, rec)
	if err == nil {
		v.log.InfoContext(ctx, "vault key ring created", slog.Int(logkey.Version, 1))
		return []KeyRecord{rec}, nil
	}
	if switchboard.ErrorCode(err) != switchboard.CodeConflict {
		return nil, fmt.Errorf("create key ring: %w", err)
	}

	// Another process created the ring first: use theirs.
	recs, err := v.store.VaultKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("load key ring: %w", err)
	}
	if len(recs) == 0 {
		return nil, errors.New("create key ring: store reported a conflict but holds no key")
	}
	return recs, nil
}

// reload reads the ring again unless version is known by then; version 0,
// which never exists, forces the read.
func (v *Vault) reload(ctx context.Context, version uint32) error {
	v.reloadMu.Lock()
	defer v.reloadMu.Unlock()

	if v.lookup(version) != nil {
		return nil
	}
	recs, err := v.store.VaultKeys(ctx)
	if err != nil {
		return fmt.Errorf("reload key ring: %w", err)
	}
	before := v.KeyVersion()
	if err := v.merge(recs); err != nil {
		return err
	}
	if now := v.KeyVersion(); now != before {
		v.log.InfoContext(ctx, "vault key ring reloaded", slog.Uint64(logkey.Version, uint64(now)))
	}
	return nil
}

// merge unwraps the versions of recs the ring lacks and adds them, all or
// none.
func (v *Vault) merge(recs []KeyRecord) error {
	fresh := make(map[uint32]cipher.AEAD)
	for _, rec := range recs {
		if v.lookup(rec.Version) != nil {
			continue
		}
		kek, err := v.unwrapKey(rec)
		if err != nil {
			return err
		}
		fresh[rec.Version] = kek
	}

	v.mu.Lock()
	defer v.mu.Unlock()
	for version, kek := range fresh {
		v.keys[version] = kek
		v.current = max(v.current, version)
	}
	return nil
}

func (v *Vault) lookup(version uint32) cipher.AEAD {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.keys[version]
}

// kek returns the key of version, reloading the ring once when it is
// unknown, since another process may have rotated.
func (v *Vault) kek(ctx context.Context, version uint32) (cipher.AEAD, error) {
	if k := v.lookup(version); k != nil {
		return k, nil
	}
	if err := v.reload(ctx, version); err != nil {
		return nil, err
	}
	if k := v.lookup(version); k != nil {
		return k, nil
	}
	return nil, ErrDecrypt
}

// Rotate adds a key version and re-wraps every stored data key under it, in
// one store transaction; no value is decrypted or re-encrypted. Older versions stay in the ring, so values sealed while Rotate
// runs still open. It returns the new version and how many values were
// re-wrapped. On any error nothing changes: a value that does not open
// aborts the rotation with an error matching [ErrDecrypt] that names its
// scope and name; a concurrent rotation by another process gives a
// *switchboard.Error with CodeConflict, after which Rotate may be retried.
func (v *Vault) Rotate(ctx context.Context) (version uint32, rewrapped int, err error) {
	v.rotateMu.Lock()
	defer v.rotateMu.Unlock()

	// The new version follows any that other processes added.
	if err := v.reload(ctx, 0); err != nil {
		return 0, 0, fmt.Errorf("rotate: %w", err)
	}
	current := v.KeyVersion()
	if current == math.MaxUint32 {
		return 0, 0, errors.New("rotate: key versions exhausted")
	}
	version = current + 1
	rec, kek, err := v.newKey(version)
	if err != nil {
		return 0, 0, fmt.Errorf("rotate: %w", err)
	}

	// A store may retry its transaction; count each value once.
	done := make(map[[2]string]bool)
	err = v.store.RotateVault(ctx, rec, func(scope, name string, sealed []byte) ([]byte, error) {
		out, err := v.rewrap(scope, name, sealed, version, kek)
		if err != nil {
			return nil, fmt.Errorf("rewrap secret %s/%s: %w", scope, name, err)
		}
		done[[2]string{scope, name}] = true
		return out, nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("rotate to key version %d: %w", version, err)
	}

	v.mu.Lock()
	v.keys[version] = kek
	v.current = max(v.current, version)
	v.mu.Unlock()
	v.cache.flush()
	v.log.InfoContext(ctx, "vault key rotated",
		slog.Uint64(logkey.Version, uint64(version)),
		slog.Int(logkey.Count, len(done)),
	)
	return version, len(done), nil
}
