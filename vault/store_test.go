package vault

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/switchboard-dev/switchboard"
)

// memStore is an in-memory Store for tests.
type memStore struct {
	mu      sync.Mutex
	keys    []KeyRecord
	secrets map[secretID][]byte

	// afterKeys, when set, runs in every VaultKeys call after the ring is
	// read, without the lock.
	afterKeys func()
}

type secretID struct{ scope, name string }

// memState is a deep copy of a memStore's content.
type memState struct {
	Keys    []KeyRecord
	Secrets map[secretID][]byte
}

var _ Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{secrets: make(map[secretID][]byte)}
}

func (s *memStore) VaultKeys(context.Context) ([]KeyRecord, error) {
	s.mu.Lock()
	keys := cloneKeys(s.keys)
	s.mu.Unlock()
	if s.afterKeys != nil {
		s.afterKeys()
	}
	return keys, nil
}

func (s *memStore) AddVaultKey(_ context.Context, k KeyRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addKey(k)
}

func (s *memStore) addKey(k KeyRecord) error {
	for _, have := range s.keys {
		if have.Version == k.Version {
			return switchboard.Errorf(switchboard.CodeConflict, "key version exists")
		}
	}
	s.keys = append(s.keys, cloneKeys([]KeyRecord{k})...)
	slices.SortFunc(s.keys, func(a, b KeyRecord) int { return cmp.Compare(a.Version, b.Version) })
	return nil
}

func (s *memStore) Secret(_ context.Context, scope, name string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.secrets[secretID{scope, name}]
	if !ok {
		return nil, switchboard.Errorf(switchboard.CodeNotFound, "no such secret")
	}
	return slices.Clone(b), nil
}

func (s *memStore) PutSecret(_ context.Context, scope, name string, sealed []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[secretID{scope, name}] = slices.Clone(sealed)
	return nil
}

func (s *memStore) CreateSecret(_ context.Context, scope, name string, sealed []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.secrets[secretID{scope, name}]; ok {
		return switchboard.Errorf(switchboard.CodeConflict, "secret %s/%s exists", scope, name)
	}
	s.secrets[secretID{scope, name}] = slices.Clone(sealed)
	return nil
}

func (s *memStore) DeleteSecret(_ context.Context, scope, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.secrets, secretID{scope, name})
	return nil
}

func (s *memStore) SecretNames(_ context.Context, scope string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := []string{}
	for id := range s.secrets {
		if id.scope == scope {
			names = append(names, id.name)
		}
	}
	slices.Sort(names)
	return names, nil
}

func (s *memStore) RotateVault(_ context.Context, k KeyRecord,
	rewrap func(scope, name string, sealed []byte) ([]byte, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	next := make(map[secretID][]byte, len(s.secrets))
	for _, id := range s.sortedIDs() {
		b, err := rewrap(id.scope, id.name, slices.Clone(s.secrets[id]))
		if err != nil {
			return err
		}
		next[id] = b
	}
	if err := s.addKey(k); err != nil {
		return err
	}
	s.secrets = next
	return nil
}

func (s *memStore) sortedIDs() []secretID {
	return slices.SortedFunc(maps.Keys(s.secrets), func(a, b secretID) int {
		return cmp.Or(cmp.Compare(a.scope, b.scope), cmp.Compare(a.name, b.name))
	})
}

// state returns a deep copy of the content, for byte-for-byte comparison.
func (s *memStore) state() memState {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := memState{Keys: cloneKeys(s.keys), Secrets: make(map[secretID][]byte)}
	for id, b := range s.secrets {
		st.Secrets[id] = slices.Clone(b)
	}
	return st
}

// raw returns the sealed bytes of scope and name, or nil.
func (s *memStore) raw(scope, name string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.secrets[secretID{scope, name}])
}

func cloneKeys(keys []KeyRecord) []KeyRecord {
	out := make([]KeyRecord, len(keys))
	for i, k := range keys {
		k.Wrapped = slices.Clone(k.Wrapped)
		out[i] = k
	}
	return out
}
