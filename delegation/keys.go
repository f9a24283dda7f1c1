package delegation

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"time"

	"github.com/switchboard-dev/switchboard"
	"github.com/switchboard-dev/switchboard/audit"
)

// signingKey returns the key that signs new tokens, making the first one
// when there is none. It reads the store each time: issuing is rare, and
// another process may have rotated the key.
func (s *Service) signingKey(ctx context.Context) (Key, ed25519.PrivateKey, error) {
	keys, err := s.loadKeys(ctx)
	if err != nil {
		return Key{}, nil, err
	}
	var key Key
	for _, k := range keys {
		if k.RetiredAt.IsZero() {
			key = k
			break
		}
	}
	if key.ID == "" {
		if key, err = s.RotateKey(ctx); err != nil {
			return Key{}, nil, err
		}
	}
	priv, err := s.privateKey(ctx, key.ID)
	if err != nil {
		return Key{}, nil, err
	}
	return key, priv, nil
}

// privateKey opens the private half of key id from the vault, once.
func (s *Service) privateKey(ctx context.Context, id string) (ed25519.PrivateKey, error) {
	s.signerMu.Lock()
	priv, ok := s.signers[id]
	s.signerMu.Unlock()
	if ok {
		return priv, nil
	}
	seed, err := s.vault.Get(ctx, VaultScope, id)
	if err != nil {
		return nil, fmt.Errorf("open delegation signing key %s: %w", id, err)
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("delegation signing key %s: %d bytes, want %d", id, len(seed), ed25519.SeedSize)
	}
	priv = ed25519.NewKeyFromSeed(seed)
	clear(seed)
	s.signerMu.Lock()
	s.signers[id] = priv
	s.signerMu.Unlock()
	return priv, nil
}

// loadKeys reads every key from the store and keeps their public halves.
func (s *Service) loadKeys(ctx context.Context) ([]Key, error) {
	keys, err := s.store.DelegationKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("read delegation keys: %w", err)
	}
	byID := make(map[string]Key, len(keys))
	for _, k := range keys {
		byID[k.ID] = k
	}
	s.keys.Store(&byID)
	return keys, nil
}

// verifyingKey returns key id. An id not seen yet makes it read the keys
// again: another process may have made it. The keys are read at most once
// per second; a request that comes sooner after the last read waits for the
// next one rather than being refused, so that a token signed by a key made
// elsewhere a moment ago is honored. A read that began after the request
// came settles it: the key of a token that exists was stored before.
func (s *Service) verifyingKey(ctx context.Context, id string) (Key, error) {
	if k, ok := (*s.keys.Load())[id]; ok {
		return k, nil
	}
	if id == "" {
		return Key{}, refused("the delegation token names no signing key (kid)")
	}
	unknown := refused("the delegation token is signed by an unknown key (kid)")
	asked := s.now()
	// Twice at most: once after waiting for the next read, if need be.
	for range 2 {
		k, wait, err := s.reload(ctx, id, asked)
		switch {
		case err != nil:
			return Key{}, err
		case k.ID != "":
			return k, nil
		case wait <= 0:
			return Key{}, unknown
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return Key{}, ctx.Err()
		case <-t.C:
		}
	}
	return Key{}, unknown
}

// reload looks key id up, reading the keys again unless they were read less
// than a second ago. It returns the key when found; otherwise how long to
// wait for the next read, or zero when a read that began at or after asked
// did not find it.
func (s *Service) reload(ctx context.Context, id string, asked time.Time,
) (Key, time.Duration, error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if k, ok := (*s.keys.Load())[id]; ok {
		return k, 0, nil
	}
	if !s.lastLoad.Before(asked) {
		return Key{}, 0, nil
	}
	now := s.now()
	if wait := s.lastLoad.Add(reloadEvery).Sub(now); wait > 0 {
		return Key{}, wait, nil
	}
	s.lastLoad = now
	if _, err := s.loadKeys(ctx); err != nil {
		return Key{}, 0, err
	}
	return (*s.keys.Load())[id], 0, nil
}

// RotateKey makes a new signing key, which signs every token from now on.
// The keys it replaces keep verifying the tokens they signed; those retired
// long enough ago that every such token has expired are removed.
func (s *Service) RotateKey(ctx context.Context) (Key, error) {
	pub, priv, err := ed25519.GenerateKey(s.rand)
	if err != nil {
		return Key{}, fmt.Errorf("make delegation signing key: %w", err)
	}
	id, err := s.randomID(12)
	if err != nil {
		return Key{}, err
	}
	// The private half is stored first: a key the store lists can always
	// be opened.
	if err := s.vault.Put(ctx, VaultScope, id, priv.Seed()); err != nil {
		return Key{}, fmt.Errorf("store delegation signing key: %w", err)
	}
	key := Key{ID: id, Public: pub, CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
	if err := s.store.AddDelegationKey(ctx, key); err != nil {
		return Key{}, fmt.Errorf("add delegation signing key: %w", err)
	}
	s.signerMu.Lock()
	s.signers[id] = priv
	s.signerMu.Unlock()
	if _, err := s.loadKeys(ctx); err != nil {
		return Key{}, err
	}
	s.prune(ctx)
	s.log.InfoContext(ctx, "delegation signing key made", slog.String("key", id))
	return key, s.note(ctx, audit.EventDelegationKey, map[string]string{"key": id})
}

// prune removes keys retired long enough ago that every token they signed
// has expired, with their private halves. A failure is logged: the keys
// are removed on a later rotation.
func (s *Service) prune(ctx context.Context) {
	ids, err := s.store.DeleteDelegationKeys(ctx, s.now().Add(-s.maxTTL-keyRetention))
	if err != nil {
		s.log.WarnContext(ctx, "old delegation keys not removed", slog.Any("err", err))
		return
	}
	for _, id := range ids {
		err := s.vault.Delete(ctx, VaultScope, id)
		if err != nil && switchboard.ErrorCode(err) != switchboard.CodeNotFound {
			s.log.WarnContext(ctx, "old delegation key's secret not removed",
				slog.String("key", id), slog.Any("err", err))
		}
		s.signerMu.Lock()
		delete(s.signers, id)
		s.signerMu.Unlock()
	}
}
