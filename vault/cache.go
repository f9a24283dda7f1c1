package vault

import "sync"

// sealedCache keeps the sealed values the vault has read, never plaintext,
// so that a call does not read the store for a secret that has not changed;
// every read still decrypts. Writes through this vault update it, so does
// [Vault.ForgetPlatformSecrets] after a write that bypassed the vault, and
// [Vault.Flush] empties it when another process may have changed the store.
// A generation counter keeps a read that raced a write from caching the
// value the write replaced.
type sealedCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[string][]byte
}

// maxCached bounds the cache; reaching it starts it afresh.
const maxCached = 4096

func cacheKey(scope, name string) string { return scope + "\x00" + name }

// get returns the cached value of key and the generation to pass to add.
func (c *sealedCache) get(key string) ([]byte, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key], c.gen
}

// add caches a value read from the store in generation gen, unless a write
// or a flush happened since.
func (c *sealedCache) add(key string, sealed []byte, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) >= maxCached {
		c.m = map[string][]byte{}
	}
	c.m[key] = sealed
}

// forget drops key after a write to it.
func (c *sealedCache) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.m, key)
}

// flush drops everything.
func (c *sealedCache) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.m = nil
}
